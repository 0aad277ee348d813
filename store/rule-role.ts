/**
 * The Smart Rule role: exactly one process applies Smart Rules at a time. The `roles` table names the holder and
 * the role's epoch, which goes up each time the role changes hands; every rule write made under the role checks,
 * inside its own transaction (which holds the write lock), that the stored epoch is still the writer's. A holder
 * that lost the role, even one cut off from the database that comes back much later, writes nothing more.
 *
 * How the role is held depends on the database (pg-rule-role.ts for PostgreSQL's session advisory lock); on the
 * embedded SQLite database, one machine, it is a lease row its holder renews.
 */
import { sql } from 'kysely';
import { SurveyorError } from '../scanner/errors.js';
import type { RoleFence, RoleHolder } from '../model/job.js';
import type { Db, Queryable } from './db.js';

export const RULE_ROLE = 'rules';

/** A rule write refused because its writer no longer holds the Smart Rule role. */
export class RoleLostError extends SurveyorError {
  constructor(message: string) {
    super('runtime', message);
  }
}

/** Holding the Smart Rule role. */
export interface RuleRole {
  /**
   * Takes the role when it is free, or checks that this process still holds it: the fence to write under while
   * held, undefined when another process holds it or this one just lost it (stop all rule work at once).
   */
  claim(): Promise<RoleFence | undefined>;
  /** Gives the role up (on a clean stop), so another process takes it at its next claim. */
  release(): Promise<void>;
}

/** Inside a write transaction: refuses the write when the role has changed hands since `fence` was taken. */
export async function checkRoleFence(tx: Queryable, fence: RoleFence): Promise<void> {
  const row = await tx.get<{ holder: string; epoch: number }>(sql`SELECT holder, epoch FROM roles WHERE role = ${RULE_ROLE}`);
  if (!row || row.holder !== fence.holder || Number(row.epoch) !== fence.epoch) {
    throw new RoleLostError(`the Smart Rule role passed to ${row?.holder ?? 'nobody'} (epoch ${row ? Number(row.epoch) : '?'}); ${fence.holder} (epoch ${fence.epoch}) writes no rule results`);
  }
}

export async function roleHolder(db: Queryable): Promise<RoleHolder | undefined> {
  const row = await db.get<{ holder: string; epoch: number; since: string; expires_at: string | null }>(sql`SELECT holder, epoch, since, expires_at FROM roles WHERE role = ${RULE_ROLE}`);
  return row ? { holder: row.holder, epoch: Number(row.epoch), since: row.since, expiresAt: row.expires_at ?? null } : undefined;
}

/**
 * Records `holder` as the role's new holder with the next epoch; runs inside a write transaction of the process
 * that has just been granted the role.
 */
export async function takeRole(tx: Queryable, holder: string, at: string, expiresAt: string | null): Promise<RoleFence> {
  const row = await tx.get<{ epoch: number }>(sql`INSERT INTO roles (role, holder, epoch, since, expires_at) VALUES (${RULE_ROLE}, ${holder}, 1, ${at}, ${expiresAt})
    ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, epoch = roles.epoch + 1, since = excluded.since, expires_at = excluded.expires_at
    RETURNING epoch`);
  return { holder, epoch: Number(row!.epoch) };
}

/** SQLite (one machine): a lease row. The holder renews it at each claim; one not renewed for `ttlMs` is free. */
export class LeaseRuleRole implements RuleRole {
  private fence: RoleFence | undefined;

  constructor(private readonly db: Db, private readonly holder: string, private readonly ttlMs = 15_000) {}

  async claim(): Promise<RoleFence | undefined> {
    const now = new Date();
    const expires = new Date(now.getTime() + this.ttlMs).toISOString();
    this.fence = await this.db.transaction(async (tx) => {
      const current = await roleHolder(tx);
      const mine = current && this.fence && current.holder === this.fence.holder && current.epoch === this.fence.epoch;
      if (mine && current.expiresAt !== null && current.expiresAt >= now.toISOString()) {
        await tx.run(sql`UPDATE roles SET expires_at = ${expires} WHERE role = ${RULE_ROLE}`);
        return this.fence;
      }
      if (current && (current.expiresAt === null || current.expiresAt >= now.toISOString())) return undefined;
      return takeRole(tx, this.holder, now.toISOString(), expires);
    });
    return this.fence;
  }

  async release(): Promise<void> {
    const fence = this.fence;
    this.fence = undefined;
    if (!fence) return;
    await this.db.transaction(async (tx) => {
      await tx.run(sql`UPDATE roles SET expires_at = ${new Date(0).toISOString()} WHERE role = ${RULE_ROLE} AND holder = ${fence.holder} AND epoch = ${fence.epoch}`);
    });
  }
}
