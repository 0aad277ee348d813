/**
 * store.users over SQLite and PostgreSQL: users (the hash read only by credentialsOf), sessions (expiry, idle
 * time, ended by a new password and by removal), login attempts counted per user and per address inside one write
 * transaction (parallel attempts cannot all pass), and the journal, newest first.
 */
import type { ExecutionContext } from 'ava';
import { eachDialect, type Dialect } from './helpers/dialects.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { addUser, removeUser, setPassword } from '../app/users.js';
import { login } from '../app/login.js';
import { closeSession, openSession, readSession, SESSION_IDLE_MS, SESSION_MAX_MS, tokenHash } from '../app/sessions.js';

async function fresh(t: ExecutionContext, d: Dialect): Promise<{ store: Store; location: string }> {
  const location = await d.fresh(t);
  const store = await openStore(location, { create: true });
  t.teardown(() => store.close());
  return { store, location };
}

const PASSWORD = 'correct horse battery';
const LIMITS = { perUser: 3, perAddress: 5, windowMs: 60_000 };

eachDialect('users: added with a hash, listed without it, a duplicate refused; passwd and remove end sessions', async (t, d) => {
  const { store, location } = await fresh(t, d);
  await addUser(store, { name: 'alice', role: 'admin', password: PASSWORD });
  await addUser(store, { name: 'carol', role: 'auditor', password: PASSWORD });
  await t.throwsAsync(addUser(store, { name: 'alice', role: 'auditor', password: PASSWORD }), { message: /user "alice" exists already/ });
  const listed = await store.users.list();
  t.deepEqual(listed.map((u) => [u.name, u.role]), [['alice', 'admin'], ['carol', 'auditor']]);
  t.false(JSON.stringify(listed).includes('scrypt'), 'no hash in a listing');
  const [row] = await d.raw<{ password_hash: string }>(location, 'SELECT password_hash FROM users WHERE name = $1', ['alice']);
  t.regex(row!.password_hash, /^\$scrypt\$ln=15,r=8,p=1\$/);
  t.false(row!.password_hash.includes(PASSWORD));

  const s1 = await openSession(store, listed[0]!, '127.0.0.1');
  const s2 = await openSession(store, listed[1]!, '127.0.0.1');
  const [stored] = await d.raw<{ id_hash: string }>(location, 'SELECT id_hash FROM sessions WHERE user_name = $1', ['alice']);
  t.is(stored!.id_hash, tokenHash(s1.token), 'only the hash of the cookie value is stored');
  t.is((await readSession(store, s1.token))?.role, 'admin');
  await setPassword(store, 'alice', 'another long password');
  t.is(await readSession(store, s1.token), undefined, 'a new password ends the sessions');
  t.truthy(await readSession(store, s2.token), 'another user\'s session stays');
  await removeUser(store, 'carol');
  t.is(await readSession(store, s2.token), undefined, 'removing the user ends the sessions');
  await t.throwsAsync(removeUser(store, 'carol'), { message: /no user "carol"/ });
  t.deepEqual((await store.users.list()).map((u) => u.name), ['alice']);
});

eachDialect('sessions: malformed and unknown tokens open nothing; expiry, idle time and logout end one', async (t, d) => {
  const { store } = await fresh(t, d);
  const user = await addUser(store, { name: 'alice', role: 'author', password: PASSWORD });
  const now = new Date('2026-03-01T10:00:00.000Z');
  const s = await openSession(store, user, '127.0.0.1', now);
  t.regex(s.token, /^[A-Za-z0-9_-]{43}$/);
  t.is(s.expiresAt, new Date(now.getTime() + SESSION_MAX_MS).toISOString());
  for (const bad of [undefined, '', 'x', `${s.token}x`, s.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), "' OR 1=1 --"]) t.is(await readSession(store, bad, now), undefined, String(bad));
  const read = await readSession(store, s.token, new Date(now.getTime() + 1000));
  t.deepEqual([read?.user, read?.role, read?.csrfToken], ['alice', 'author', s.csrfToken]);
  t.is(await readSession(store, s.token, new Date(now.getTime() + SESSION_IDLE_MS + 1000)), undefined, 'idle for more than an hour');
  // Used every 50 minutes, it lives until its absolute end.
  let at = now.getTime();
  for (let i = 0; i < 14 && at + 50 * 60_000 < now.getTime() + SESSION_MAX_MS; i++) {
    at += 50 * 60_000;
    t.truthy(await readSession(store, s.token, new Date(at)), `still open after ${(at - now.getTime()) / 60_000} minutes of use`);
  }
  t.is(await readSession(store, s.token, new Date(now.getTime() + SESSION_MAX_MS + 1)), undefined, 'past its absolute end');
  const s2 = await openSession(store, user, '127.0.0.1');
  await closeSession(store, s2.token);
  t.is(await readSession(store, s2.token), undefined, 'logged out');
});

eachDialect('login: right and wrong passwords, unknown names; attempts limited per user and per address with a retry time', async (t, d) => {
  const { store } = await fresh(t, d);
  await addUser(store, { name: 'alice', role: 'admin', password: PASSWORD });
  const t0 = new Date('2026-03-01T10:00:00.000Z');
  const at = (s: number) => new Date(t0.getTime() + s * 1000);
  t.like(await login(store, 'alice', PASSWORD, '10.0.0.1', at(0), LIMITS), { ok: true });
  t.like(await login(store, 'nobody', PASSWORD, '10.0.0.9', at(0), LIMITS), { ok: false, reason: 'bad-credentials' });
  for (let i = 1; i <= 3; i++) t.like(await login(store, 'alice', 'wrong password!', '10.0.0.1', at(i), LIMITS), { ok: false, reason: 'bad-credentials' }, `failure ${i}`);
  // The fourth attempt within the window waits, even with the right password, until the first failure leaves it.
  t.deepEqual(await login(store, 'alice', PASSWORD, '10.0.0.2', at(10), LIMITS), { ok: false, reason: 'rate-limited', by: 'user', retryAt: at(61).toISOString() });
  t.like(await login(store, 'alice', PASSWORD, '10.0.0.2', at(62), LIMITS), { ok: true }, 'after the window');
  // A success forgets the user's failures.
  t.like(await login(store, 'alice', 'wrong password!', '10.0.0.2', at(63), LIMITS), { ok: false, reason: 'bad-credentials' });
  t.like(await login(store, 'alice', PASSWORD, '10.0.0.2', at(64), LIMITS), { ok: true });
  // One address trying many names: limited by address.
  for (let i = 0; i < 5; i++) t.like(await login(store, `guess${i}`, 'x', '10.0.0.66', at(100 + i), LIMITS), { reason: 'bad-credentials' });
  t.like(await login(store, 'alice', PASSWORD, '10.0.0.66', at(110), LIMITS), { ok: false, reason: 'rate-limited', by: 'address', retryAt: at(160).toISOString() });
  t.like(await login(store, 'alice', PASSWORD, '10.0.0.67', at(110), LIMITS), { ok: true }, 'another address is not limited');
});

eachDialect('login: attempts made at the same time are counted together, so no more than the limit get their password checked', async (t, d) => {
  const { store } = await fresh(t, d);
  await addUser(store, { name: 'alice', role: 'admin', password: PASSWORD });
  const now = new Date();
  const results = await Promise.all(Array.from({ length: 8 }, () => login(store, 'alice', 'wrong password!', '10.0.0.1', now, LIMITS)));
  t.is(results.filter((r) => !r.ok && r.reason === 'bad-credentials').length, LIMITS.perUser);
  t.is(results.filter((r) => !r.ok && r.reason === 'rate-limited').length, 8 - LIMITS.perUser);
});

eachDialect('the web journal: entries kept in order with who, what, result and where; listed newest first and paged', async (t, d) => {
  const { store } = await fresh(t, d);
  for (let i = 0; i < 5; i++) {
    await store.users.journal({ at: new Date(2026, 0, 1, 0, i).toISOString(), user: i % 2 ? 'alice' : null, role: i % 2 ? 'admin' : null, action: 'jobs.run', target: `job${i}`, result: i === 4 ? 'refused' : 'ok', reason: i === 4 ? 'no CSRF token' : null, address: '127.0.0.1' });
  }
  const all = await store.users.listJournal();
  t.deepEqual(all.map((e) => e.target), ['job4', 'job3', 'job2', 'job1', 'job0']);
  t.like(all[0], { user: null, role: null, action: 'jobs.run', result: 'refused', reason: 'no CSRF token', address: '127.0.0.1' });
  t.deepEqual((await store.users.listJournal({ limit: 2, before: all[1]!.id })).map((e) => e.target), ['job2', 'job1']);
  t.deepEqual((await store.users.listJournal({ user: 'alice' })).map((e) => e.target), ['job3', 'job1']);
});
