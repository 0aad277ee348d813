/**
 * Signing in and out. The form posts name, password, `next` and the login token that GET /login set in a cookie
 * (a page of another site cannot read it, so it cannot sign a browser in as someone else). Scripts may post JSON
 * `{name, password}` instead (a browser cannot send JSON across sites without asking first) and get the session's
 * CSRF token back. Every attempt is journaled, never with its password.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SCHEMA_VERSION } from '../../app/formats.js';
import { journal } from '../../app/journal.js';
import { login, type LoginResult, typedName } from '../../app/login.js';
import { closeSession, newToken, openSession } from '../../app/sessions.js';
import type { LoginLimits } from '../../store/users.js';
import type { Store } from '../../store/store.js';
import { actorOf, localPath, sameToken } from '../auth.js';
import { clearCookie, type CookieNames, readCookie, setLoginCookie, setSessionCookie } from '../cookies.js';
import { sendError } from '../errors.js';
import { html } from '../html.js';
import { loginPage } from '../pages/login-page.js';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

interface LoginBody {
  readonly name: string;
  readonly password: string;
  readonly next?: string;
  readonly _login?: string;
}

const LOGIN_BODY = {
  type: 'object',
  required: ['name', 'password'],
  properties: {
    name: { type: 'string', maxLength: 256 }, password: { type: 'string', maxLength: 4096 },
    next: { type: 'string', maxLength: 2048 }, _login: { type: 'string', maxLength: 64 },
  },
  additionalProperties: false,
} as const;

function minutesUntil(iso: string): number {
  return Math.max(1, Math.ceil((Date.parse(iso) - Date.now()) / 60_000));
}

function refusal(result: Exclude<LoginResult, { ok: true }>): string {
  if (result.reason === 'bad-credentials') return 'wrong user name or password';
  const who = result.by === 'user' ? 'for this user name' : 'from this address';
  return `too many failed sign-ins ${who}: try again in ${minutesUntil(result.retryAt)} minute(s), after ${result.retryAt}`;
}

export function sessionRoutes(app: FastifyInstance, store: Store, names: CookieNames, limits: LoginLimits): void {
  const loginToken = (request: FastifyRequest, reply: FastifyReply) => {
    const had = readCookie(request, names.login);
    const token = had !== undefined && TOKEN.test(had) ? had : newToken();
    setLoginCookie(reply, names, token);
    return token;
  };

  app.get<{ Querystring: { next?: string } }>('/login', {
    config: { public: true },
    schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2048 } } } },
  }, async (request, reply) => {
    if (request.session) return reply.redirect(localPath(request.query.next), 303);
    return reply.type('text/html; charset=utf-8').send(loginPage({ loginToken: loginToken(request, reply), next: localPath(request.query.next) }).text);
  });

  app.post<{ Body: LoginBody }>('/login', { config: { public: true, action: 'login' }, schema: { body: LOGIN_BODY } }, async (request, reply) => {
    const json = (request.headers['content-type'] ?? '').startsWith('application/json');
    const body = request.body;
    const target = typedName(body.name);
    const actor = actorOf(request);
    if (!json && !sameToken(body._login, readCookie(request, names.login) ?? '\0')) {
      await journal(store, { ...actor, user: null, role: null }, 'login', target, 'refused', 'the sign-in form did not carry the login token of its cookie');
      reply.code(403);
      return reply.type('text/html; charset=utf-8').send(loginPage({ loginToken: loginToken(request, reply), next: localPath(body.next), name: target,
        message: 'The sign-in form had expired or came from another site. Please sign in again.' }).text);
    }
    const result = await login(store, body.name, body.password, request.ip, new Date(), limits);
    if (!result.ok) {
      await journal(store, { ...actor, user: null, role: null }, 'login', target, 'refused', result.reason === 'rate-limited' ? `rate limited (${result.by}) until ${result.retryAt}` : 'wrong user name or password');
      const status = result.reason === 'rate-limited' ? 429 : 401;
      if (result.reason === 'rate-limited') reply.header('retry-after', String(Math.max(1, Math.ceil((Date.parse(result.retryAt) - Date.now()) / 1000))));
      if (json) return sendError(request, reply.code(status), status, refusal(result));
      reply.code(status);
      const message = result.reason === 'rate-limited'
        ? html`Too many failed sign-ins ${result.by === 'user' ? 'for this user name' : 'from this address'}. Try again in ${minutesUntil(result.retryAt)} minute(s), after <time datetime="${result.retryAt}">${result.retryAt}</time>.`
        : 'Wrong user name or password.';
      return reply.type('text/html; charset=utf-8').send(loginPage({ loginToken: loginToken(request, reply), next: localPath(body.next), name: target, message }).text);
    }
    await closeSession(store, readCookie(request, names.session));
    const session = await openSession(store, result.user, request.ip);
    setSessionCookie(reply, names, session.token);
    clearCookie(reply, names, names.login);
    await journal(store, { user: result.user.name, role: result.user.role, address: request.ip }, 'login', result.user.name, 'ok');
    if (json) return reply.send({ schema: SCHEMA_VERSION, user: result.user.name, role: result.user.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
    return reply.redirect(localPath(body.next), 303);
  });

  app.post('/logout', { config: { action: 'logout' } }, async (request, reply) => {
    await closeSession(store, readCookie(request, names.session));
    clearCookie(reply, names, names.session);
    await journal(store, actorOf(request), 'logout', request.session!.user, 'ok');
    if ((request.headers['content-type'] ?? '').startsWith('application/json')) return reply.send({ schema: SCHEMA_VERSION, signedOut: true });
    return reply.redirect('/login', 303);
  });
}
