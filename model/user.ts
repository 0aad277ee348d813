/**
 * The people who use the web page, their roles, their sessions, and the journal of what they did there. What a
 * role may do is decided in one place, app/permissions.ts.
 */

/** Auditors read; authors also edit and dry-run rules; admins also apply rules and manage jobs, credentials, workgroups and users. */
export const ROLES = ['auditor', 'author', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A user as every reader sees it: never the password hash. */
export interface UserRecord {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly passwordChangedAt: string;
}

/** A signed-in session as the server reads it back: the user it belongs to, with the user's current role. */
export interface SessionRecord {
  readonly user: string;
  readonly role: Role;
  /** The token every state-changing request of this session must carry (a form field or the X-CSRF-Token header). */
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly seenAt: string;
  readonly expiresAt: string;
}

/** What a journal entry says of the request: done (`ok`), refused (no permission, no CSRF token, rate limit), or `failed`. */
export const JOURNAL_RESULTS = ['ok', 'refused', 'failed'] as const;
export type JournalResult = (typeof JOURNAL_RESULTS)[number];

/** One line of the journal of changes and sign-ins made through the web page (and of `surveyor users`). */
export interface WebJournalEntry {
  readonly at: string;
  /** Who: a user name, `cli:OSUSER` for `surveyor users`, or null (nobody signed in). */
  readonly user: string | null;
  readonly role: Role | null;
  /** What was asked, as `area.verb`: `login`, `logout`, `jobs.run`, `users.add`, ... */
  readonly action: string;
  /** What it was asked of: a job's name, a user's name; null when nothing in particular. */
  readonly target: string | null;
  readonly result: JournalResult;
  /** Why it was refused or failed, in words (never a secret). */
  readonly reason: string | null;
  /** The client's address, or `local` for the CLI. */
  readonly address: string;
}

export interface StoredJournalEntry extends WebJournalEntry {
  readonly id: number;
}
