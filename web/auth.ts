/**
 * Who may reach what. Every route is closed unless it says `config.public`: without a live session a page
 * redirects to /login and the API answers 401. Every request that can change something (any method but GET and
 * HEAD) must carry the session's CSRF token (the `_csrf` form field or the X-CSRF-Token header) and come from this
 * site; and the user's role must allow the route's `config.permission` (app/permissions.ts). A refusal is a 403,
 * journaled with the user, the action and the reason.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can, type Action } from '../app/permissions.js';
import { readSession } from '../app/sessions.js';
import { journal, type Actor } from '../app/journal.js';
import type { SessionRecord } from '../model/user.js';
import type { Store } from '../store/store.js';
import { type CookieNames, readCookie } from './cookies.js';
import { isApi, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    session: SessionRecord | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a session (the sign-in page, the stylesheet). */
    public?: boolean;
    /** What the route does, as app/permissions.ts names it. @default 'read' */
    permission?: Action;
    /** The journal's name for what the route does (`jobs.run`); @default the permission. */
    action?: string;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export function actorOf(request: FastifyRequest): Actor {
  return { user: request.session?.user ?? null, role: request.session?.role ?? null, address: request.ip };
}

/** Equal strings, compared in constant time (for tokens). */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Where a path goes after sign-in: a path on this server, never another site (`//evil`, `/\evil`). */
export function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

/** What a refused request is journaled as: the route's action, else its method and route. */
function actionOf(request: FastifyRequest): string {
  const c = request.routeOptions.config;
  return c.action ?? c.permission ?? `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}

function targetOf(request: FastifyRequest): string | null {
  const params = request.params as Record<string, string> | undefined;
  return params?.name ?? params?.address ?? null;
}

async function refuse(store: Store, request: FastifyRequest, reply: FastifyReply, reason: string): Promise<void> {
  await journal(store, actorOf(request), actionOf(request), targetOf(request), 'refused', reason);
  await sendError(request, reply, 403, reason);
}

/**
 * A change must come from a page of this server: a browser says where a request comes from (Origin, or
 * Sec-Fetch-Site); a script (no such header) is judged by its token alone.
 */
function crossSite(request: FastifyRequest): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request`;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return 'a request from a malformed Origin';
    }
    if (host !== request.headers.host) return 'a request from another site';
  }
  if (origin === 'null') return 'a request from an opaque origin';
  return undefined;
}

export function guardRoutes(app: FastifyInstance, store: Store, names: CookieNames): void {
  app.decorateRequest('session', null);
  app.addHook('onRequest', async (request, reply) => {
    request.session = (await readSession(store, readCookie(request, names.session))) ?? null;
    if (request.routeOptions.config.public) return;
    if (!request.session) {
      if (isApi(request)) return sendError(request, reply, 401, 'sign in first (POST /login), then send the session cookie');
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      return reply.redirect(`/login${next}`, 302);
    }
  });
  // After the body is parsed (a form's _csrf field), before its schema is checked: a forged request is refused
  // as forged, whatever else is wrong with it.
  app.addHook('preValidation', async (request, reply) => {
    const session = request.session;
    if (request.routeOptions.config.public || !session) return;
    if (!SAFE_METHODS.has(request.method)) {
      const why = crossSite(request);
      if (why) return refuse(store, request, reply, `${why}: changes are made from surveyor's own pages`);
      const header = request.headers['x-csrf-token'];
      const field = (request.body as Record<string, unknown> | undefined)?._csrf;
      const given = typeof header === 'string' ? header : typeof field === 'string' ? field : undefined;
      if (given === undefined) return refuse(store, request, reply, 'no CSRF token (send the X-CSRF-Token header, or the _csrf form field)');
      if (!sameToken(given, session.csrfToken)) return refuse(store, request, reply, 'wrong CSRF token (sign in again, or reload the page)');
    }
    const permission = request.routeOptions.config.permission ?? 'read';
    if (!can(session.role, permission)) return refuse(store, request, reply, `the ${session.role} role may not ${permission}`);
  });
}
