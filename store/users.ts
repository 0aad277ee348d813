/**
 * Statements for the web page's users, their sessions, their login attempts and the journal of what they did. A
 * session is stored by the SHA-256 of its cookie value (the caller hashes), so reading the table opens no session;
 * a password is stored only as its scrypt hash (app/passwords.ts), which no reader but `credentialsOf` returns.
 */
import { sql } from 'kysely';
import { InputError } from '../scanner/errors.js';
import type { Role, SessionRecord, StoredJournalEntry, UserRecord, WebJournalEntry } from '../model/user.js';
import type { Db, Queryable, Row } from './db.js';

export interface NewUser {
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly at: string;
}

export interface NewSession {
  readonly idHash: string;
  readonly user: string;
  readonly csrfToken: string;
  readonly address: string;
  readonly at: string;
  readonly expiresAt: string;
}

/** How many attempts within `windowMs` make a user name, or an address, wait. */
export interface LoginLimits {
  readonly perUser: number;
  readonly perAddress: number;
  readonly windowMs: number;
}

/** An attempt may go on (its row id, to forget it if the password is right), or must wait until `retryAt`. */
export type LoginGate = { readonly ok: true; readonly attemptId: number } | { readonly ok: false; readonly retryAt: string; readonly by: 'user' | 'address' };

export interface JournalFilter {
  readonly limit?: number;
  readonly before?: number;
  readonly user?: string;
}

function userFromRow(r: Row): UserRecord {
  return {
    name: r.name as string, role: r.role as Role, createdAt: r.created_at as string, updatedAt: r.updated_at as string,
    passwordChangedAt: r.password_changed_at as string,
  };
}

function journalFromRow(r: Row): StoredJournalEntry {
  return {
    id: Number(r.id), at: r.at as string, user: (r.user_name as string | null) ?? null, role: (r.role as Role | null) ?? null,
    action: r.action as string, target: (r.target as string | null) ?? null, result: r.result as StoredJournalEntry['result'],
    reason: (r.reason as string | null) ?? null, address: r.address as string,
  };
}

const USER_COLUMNS = sql`name, role, created_at, updated_at, password_changed_at`;

async function addUser(db: Db, u: NewUser): Promise<void> {
  await db.transaction(async (tx) => {
    if (await tx.get(sql`SELECT 1 AS x FROM users WHERE name = ${u.name}`)) throw new InputError(`user "${u.name}" exists already (surveyor users passwd ${u.name} sets a new password)`);
    await tx.run(sql`INSERT INTO users (name, role, password_hash, created_at, updated_at, password_changed_at)
      VALUES (${u.name}, ${u.role}, ${u.passwordHash}, ${u.at}, ${u.at}, ${u.at})`);
  });
}

async function listUsers(db: Queryable): Promise<UserRecord[]> {
  return (await db.all(sql`SELECT ${USER_COLUMNS} FROM users ORDER BY name`)).map(userFromRow);
}

async function getUser(db: Queryable, name: string): Promise<UserRecord | undefined> {
  const row = await db.get(sql`SELECT ${USER_COLUMNS} FROM users WHERE name = ${name}`);
  return row ? userFromRow(row) : undefined;
}

async function credentialsOf(db: Queryable, name: string): Promise<{ user: UserRecord; passwordHash: string } | undefined> {
  const row = await db.get(sql`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE name = ${name}`);
  return row ? { user: userFromRow(row), passwordHash: row.password_hash as string } : undefined;
}

/** A new password ends every session of the user. False when there is no such user. */
async function setPassword(db: Db, name: string, passwordHash: string, at: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const changed = await tx.run(sql`UPDATE users SET password_hash = ${passwordHash}, updated_at = ${at}, password_changed_at = ${at} WHERE name = ${name}`);
    if (changed) await tx.run(sql`DELETE FROM sessions WHERE user_name = ${name}`);
    return changed > 0;
  });
}

/** Removes a user and their sessions (the journal keeps their name). False when there is no such user. */
async function removeUser(db: Db, name: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.run(sql`DELETE FROM sessions WHERE user_name = ${name}`);
    return (await tx.run(sql`DELETE FROM users WHERE name = ${name}`)) > 0;
  });
}

/**
 * Counts the attempts of the user name and of the address within the window and, when both are under their limit,
 * records this one, in one write transaction: attempts made at the same moment wait for each other here, so they
 * cannot all pass a count none of them is in yet.
 */
async function beginLogin(db: Db, user: string, address: string, at: string, limits: LoginLimits): Promise<LoginGate> {
  const since = new Date(Date.parse(at) - limits.windowMs).toISOString();
  return db.transaction(async (tx) => {
    for (const [by, column, value, limit] of [['user', 'user_name', user, limits.perUser], ['address', 'address', address, limits.perAddress]] as const) {
      const rows = await tx.all<{ at: string }>(sql`SELECT at FROM login_attempts WHERE ${sql.ref(column)} = ${value} AND at > ${since} ORDER BY at DESC LIMIT ${limit}`);
      if (rows.length >= limit) {
        // The oldest of the last `limit` attempts leaves the window first: then one more attempt is allowed.
        return { ok: false, by, retryAt: new Date(Date.parse(rows[rows.length - 1]!.at) + limits.windowMs).toISOString() };
      }
    }
    const row = await tx.get<{ id: number }>(sql`INSERT INTO login_attempts (user_name, address, at) VALUES (${user}, ${address}, ${at}) RETURNING id`);
    // Attempts older than any window are of no use: the table stays small.
    await tx.run(sql`DELETE FROM login_attempts WHERE at < ${new Date(Date.parse(at) - 2 * limits.windowMs).toISOString()}`);
    return { ok: true, attemptId: Number(row!.id) };
  });
}

/** A successful login forgets the user name's attempts (the address's failures for other names stay counted). */
async function loginSucceeded(db: Db, attemptId: number, user: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(sql`DELETE FROM login_attempts WHERE id = ${attemptId} OR user_name = ${user}`);
  });
}

async function createSession(db: Db, s: NewSession): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(sql`INSERT INTO sessions (id_hash, user_name, csrf_token, address, created_at, seen_at, expires_at)
      VALUES (${s.idHash}, ${s.user}, ${s.csrfToken}, ${s.address}, ${s.at}, ${s.at}, ${s.expiresAt})`);
    await tx.run(sql`DELETE FROM sessions WHERE expires_at <= ${s.at}`);
  });
}

/** The session with that hash while it has not expired at `now` (absolutely, or idle since `idleSince`). */
async function getSession(db: Queryable, idHash: string, now: string, idleSince: string): Promise<SessionRecord | undefined> {
  const row = await db.get(sql`SELECT s.user_name, u.role, s.csrf_token, s.created_at, s.seen_at, s.expires_at FROM sessions s JOIN users u ON u.name = s.user_name
    WHERE s.id_hash = ${idHash} AND s.expires_at > ${now} AND s.seen_at > ${idleSince}`);
  return row ? {
    user: row.user_name as string, role: row.role as Role, csrfToken: row.csrf_token as string, createdAt: row.created_at as string,
    seenAt: row.seen_at as string, expiresAt: row.expires_at as string,
  } : undefined;
}

async function touchSession(db: Db, idHash: string, at: string): Promise<void> {
  await db.transaction((tx) => tx.run(sql`UPDATE sessions SET seen_at = ${at} WHERE id_hash = ${idHash}`));
}

async function endSession(db: Db, idHash: string): Promise<boolean> {
  return db.transaction(async (tx) => (await tx.run(sql`DELETE FROM sessions WHERE id_hash = ${idHash}`)) > 0);
}

async function journal(db: Db, e: WebJournalEntry): Promise<number> {
  const row = await db.transaction((tx) => tx.get<{ id: number }>(sql`INSERT INTO web_journal (at, user_name, role, action, target, result, reason, address)
    VALUES (${e.at}, ${e.user}, ${e.role}, ${e.action}, ${e.target}, ${e.result}, ${e.reason}, ${e.address}) RETURNING id`));
  return Number(row!.id);
}

/** The newest entries first. */
async function listJournal(db: Queryable, filter: JournalFilter = {}): Promise<StoredJournalEntry[]> {
  const where = [sql`1 = 1`];
  if (filter.before !== undefined) where.push(sql`id < ${filter.before}`);
  if (filter.user !== undefined) where.push(sql`user_name = ${filter.user}`);
  const rows = await db.all(sql`SELECT * FROM web_journal WHERE ${sql.join(where, sql` AND `)} ORDER BY id DESC LIMIT ${filter.limit ?? 1_000_000}`);
  return rows.map(journalFromRow);
}

/** The users tables, as the application layer sees them (`store.users`). */
export interface UserStore {
  add(user: NewUser): Promise<void>;
  list(): Promise<UserRecord[]>;
  get(name: string): Promise<UserRecord | undefined>;
  /** The user with the stored password hash: only for checking a password. */
  credentialsOf(name: string): Promise<{ user: UserRecord; passwordHash: string } | undefined>;
  setPassword(name: string, passwordHash: string, at: string): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  beginLogin(user: string, address: string, at: string, limits: LoginLimits): Promise<LoginGate>;
  loginSucceeded(attemptId: number, user: string): Promise<void>;
  createSession(session: NewSession): Promise<void>;
  getSession(idHash: string, now: string, idleSince: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, at: string): Promise<void>;
  endSession(idHash: string): Promise<boolean>;
  journal(entry: WebJournalEntry): Promise<number>;
  listJournal(filter?: JournalFilter): Promise<StoredJournalEntry[]>;
}

export class SqlUserStore implements UserStore {
  constructor(private readonly db: Db) {}
  add(user: NewUser) { return addUser(this.db, user); }
  list() { return listUsers(this.db); }
  get(name: string) { return getUser(this.db, name); }
  credentialsOf(name: string) { return credentialsOf(this.db, name); }
  setPassword(name: string, passwordHash: string, at: string) { return setPassword(this.db, name, passwordHash, at); }
  remove(name: string) { return removeUser(this.db, name); }
  beginLogin(user: string, address: string, at: string, limits: LoginLimits) { return beginLogin(this.db, user, address, at, limits); }
  loginSucceeded(attemptId: number, user: string) { return loginSucceeded(this.db, attemptId, user); }
  createSession(session: NewSession) { return createSession(this.db, session); }
  getSession(idHash: string, now: string, idleSince: string) { return getSession(this.db, idHash, now, idleSince); }
  touchSession(idHash: string, at: string) { return touchSession(this.db, idHash, at); }
  endSession(idHash: string) { return endSession(this.db, idHash); }
  journal(entry: WebJournalEntry) { return journal(this.db, entry); }
  listJournal(filter?: JournalFilter) { return listJournal(this.db, filter); }
}
