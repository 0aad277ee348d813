/**
 * The two cookies: the session (its random token) and the pre-session login token that the sign-in form must
 * echo. HttpOnly, SameSite=Strict, Path=/; over TLS also Secure, with the `__Host-` prefix (the browser then
 * refuses the cookie from plain HTTP or with a Domain, so no sibling host can plant or read one).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';

export interface CookieNames {
  readonly session: string;
  readonly login: string;
  readonly secure: boolean;
}

export function cookieNames(secure: boolean): CookieNames {
  const prefix = secure ? '__Host-' : '';
  return { session: `${prefix}surveyor-session`, login: `${prefix}surveyor-login`, secure };
}

function options(names: CookieNames, maxAgeSeconds?: number): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'strict', secure: names.secure, path: '/', ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) };
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  return request.cookies[name];
}

/** The session cookie lives as long as the browser session; the server ends it sooner (app/sessions.ts). */
export function setSessionCookie(reply: FastifyReply, names: CookieNames, token: string): void {
  reply.setCookie(names.session, token, options(names));
}

export function setLoginCookie(reply: FastifyReply, names: CookieNames, token: string): void {
  reply.setCookie(names.login, token, options(names, 3600));
}

export function clearCookie(reply: FastifyReply, names: CookieNames, name: string): void {
  reply.clearCookie(name, options(names));
}
