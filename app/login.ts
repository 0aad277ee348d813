/**
 * Signing in: the password checked against its scrypt hash, with attempts rate-limited per user name and per
 * address. An attempt is recorded before its password is checked and forgotten when it is right, so a burst of
 * parallel guesses counts in full. A name that is not a user is checked against a decoy hash: the answer takes
 * the same time and says the same words, whether the name exists or not.
 */
import type { Store } from '../store/store.js';
import type { LoginLimits } from '../store/users.js';
import type { UserRecord } from '../model/user.js';
import { decoyHash, PASSWORD_MAX, verifyPassword } from './passwords.js';

/** 5 attempts per user name, 20 per address, within 15 minutes; then wait until the oldest leaves the window. */
export const LOGIN_LIMITS: LoginLimits = { perUser: 5, perAddress: 20, windowMs: 15 * 60_000 };

export type LoginResult =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly reason: 'bad-credentials' }
  | { readonly ok: false; readonly reason: 'rate-limited'; readonly retryAt: string; readonly by: 'user' | 'address' };

/** A user name as typed, fit for the attempts table and the journal: at most 64 characters, no control characters. */
export function typedName(name: string): string {
  return [...name.replace(/[\x00-\x1f\x7f]/g, '?')].slice(0, 64).join('');
}

export async function login(store: Store, name: string, password: string, address: string, now = new Date(), limits = LOGIN_LIMITS): Promise<LoginResult> {
  const who = typedName(name);
  const gate = await store.users.beginLogin(who, address, now.toISOString(), limits);
  if (!gate.ok) return { ok: false, reason: 'rate-limited', retryAt: gate.retryAt, by: gate.by };
  const found = who === name ? await store.users.credentialsOf(name) : undefined;
  const right = await verifyPassword(password.length > PASSWORD_MAX * 4 ? '' : password, found?.passwordHash ?? await decoyHash());
  if (!found || !right) return { ok: false, reason: 'bad-credentials' };
  await store.users.loginSucceeded(gate.attemptId, found.user.name);
  return { ok: true, user: found.user };
}
