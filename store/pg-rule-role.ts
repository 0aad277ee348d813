/**
 * The Smart Rule role on PostgreSQL: a session-level advisory lock held on a connection of its own (PostgreSQL
 * 13.3.5: held until released or the session ends). A killed holder's socket is closed by its kernel and the lock
 * is free at once. A holder cut off from the server (its host lost, its link dropped) is found two ways:
 * - the server closes the session after its TCP keepalives go unanswered (SESSION_OPTIONS in pg-db.ts: about 19 s),
 *   which frees the lock for another node;
 * - the holder pings the server at each claim (every 2 s from the worker) and gives the role up on the first ping
 *   that fails or takes longer than PING_TIMEOUT_MS, well before the server frees the lock.
 * Taking the role raises its epoch in the `roles` table on this same session, under the write lock, so the rule
 * writes of an earlier holder are refused from then on (rule-role.ts). This needs a session that stays one session:
 * not a transaction-pooling PgBouncer.
 */
import pg from 'pg';
import type { RoleFence } from '../model/job.js';
import { LOCK_KEYS, pgClientConfig } from './pg-db.js';
import { RULE_ROLE, type RuleRole } from './rule-role.js';

/** The advisory lock of the rule role: ('surv', 2); the write lock is ('surv', 1). */
const ROLE_LOCK_KEYS = [LOCK_KEYS[0], 2] as const;
export const PING_TIMEOUT_MS = 4000;

export class PgRuleRole implements RuleRole {
  private client: pg.Client | undefined;
  private broken = false;
  private fence: RoleFence | undefined;

  constructor(private readonly url: string, private readonly holder: string, private readonly log: (line: string) => void = () => {}) {}

  async claim(): Promise<RoleFence | undefined> {
    try {
      const client = await this.session();
      if (this.fence) {
        await client.query('SELECT 1');
        return this.fence;
      }
      const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS held', [...ROLE_LOCK_KEYS]);
      if (!rows[0]?.held) return undefined;
      this.fence = await this.takeRole(client);
      return this.fence;
    } catch (err) {
      // Unreachable, slow or broken: whatever this session held is to be taken as lost.
      if (this.fence) this.log(`rule role lost: ${(err as Error).message}`);
      this.drop();
      return undefined;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    const held = this.fence !== undefined;
    this.fence = undefined;
    this.client = undefined;
    if (!client) return;
    try {
      if (held) await client.query('SELECT pg_advisory_unlock($1, $2)', [...ROLE_LOCK_KEYS]);
    } catch {
      // Ending the session frees the lock anyway.
    }
    await client.end().catch(() => {});
  }

  private async session(): Promise<pg.Client> {
    if (this.client && !this.broken) return this.client;
    this.drop();
    const client = new pg.Client({ ...pgClientConfig(this.url, PING_TIMEOUT_MS), query_timeout: PING_TIMEOUT_MS });
    client.on('error', () => {
      this.broken = true;
    });
    this.client = client;
    this.broken = false;
    await client.connect();
    return client;
  }

  private async takeRole(client: pg.Client): Promise<RoleFence> {
    const at = new Date().toISOString();
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK_KEYS]);
      const { rows } = await client.query<{ epoch: string | number }>(
        `INSERT INTO roles (role, holder, epoch, since, expires_at) VALUES ($1, $2, 1, $3, NULL)
         ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, epoch = roles.epoch + 1, since = excluded.since, expires_at = NULL
         RETURNING epoch`, [RULE_ROLE, this.holder, at]);
      await client.query('COMMIT');
      return { holder: this.holder, epoch: Number(rows[0]!.epoch) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** Forgets the session without waiting for it: a cut-off server would not answer a goodbye. */
  private drop(): void {
    this.fence = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.on('error', () => {});
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      void client.end().catch(() => {});
    }
  }
}
