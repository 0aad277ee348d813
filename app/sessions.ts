/**
 * Sessions of the web page. The cookie holds 32 random bytes (base64url); the store holds only their SHA-256, so
 * a copy of the database opens no session. A session ends 12 hours after sign-in, after an hour unused, at
 * logout, and when its user is removed or given a new password. Each carries its own CSRF token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { SessionRecord, UserRecord } from '../model/user.js';

export const SESSION_MAX_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 3_600_000;
/** seen_at is written at most this often, not at every request. */
const TOUCH_EVERY_MS = 60_000;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface OpenedSession {
  /** The cookie's value: given to the browser once, never stored. */
  readonly token: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

export async function openSession(store: Store, user: UserRecord, address: string, now = new Date()): Promise<OpenedSession> {
  const token = newToken();
  const csrfToken = newToken();
  const expiresAt = new Date(now.getTime() + SESSION_MAX_MS).toISOString();
  await store.users.createSession({ idHash: tokenHash(token), user: user.name, csrfToken, address, at: now.toISOString(), expiresAt });
  return { token, csrfToken, expiresAt };
}

/** The live session a cookie value names, or undefined (malformed, unknown, expired, idle too long). */
export async function readSession(store: Store, token: string | undefined, now = new Date()): Promise<SessionRecord | undefined> {
  if (token === undefined || !TOKEN.test(token)) return undefined;
  const idHash = tokenHash(token);
  const session = await store.users.getSession(idHash, now.toISOString(), new Date(now.getTime() - SESSION_IDLE_MS).toISOString());
  if (session && now.getTime() - Date.parse(session.seenAt) > TOUCH_EVERY_MS) await store.users.touchSession(idHash, now.toISOString());
  return session;
}

export async function closeSession(store: Store, token: string | undefined): Promise<void> {
  if (token !== undefined && TOKEN.test(token)) await store.users.endSession(tokenHash(token));
}
