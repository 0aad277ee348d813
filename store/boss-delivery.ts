/**
 * Job runs delivered by pg-boss on PostgreSQL (design notes: "Jobs on many nodes"). One queue per workgroup
 * (`runs.NAME`) and one for jobs without a workgroup (`runs`); a worker fetches from the queues of its workgroups
 * and from `runs`. Each waiting run is one pg-boss job keyed `run-ID` on `exclusive` queues, so the runs offered by
 * every worker at every poll are delivered once. pg-boss's heartbeat finds a dead worker: the worker touches its
 * job every HEARTBEAT_SECONDS / 2; a job untouched for HEARTBEAT_SECONDS is failed by the supervisor (every
 * SUPERVISE_SECONDS) and, retried at once, fetched by the next worker of its workgroup, which takes the run over
 * (raising its lease, so the lost worker writes nothing more) and resumes it at its first unit not done.
 */
import { PgBoss } from 'pg-boss';
import type { JobAttempt } from 'pg-boss';
import type { JobStore } from './jobs.js';
import type { DeliveredRun, RunDelivery } from './run-delivery.js';

/** pg-boss's own tables live in this schema, apart from surveyor's. */
export const BOSS_SCHEMA = 'surveyor_boss';
/** The least pg-boss allows; a dead worker's run is failed over 10-12 s after its last touch. */
export const HEARTBEAT_SECONDS = 10;
/** How often pg-boss's supervisor looks for jobs that missed their heartbeat (its default is 60 s). */
export const SUPERVISE_SECONDS = 2;
/** A run still going after this long is delivered again (pg-boss's limit is 24 h); the taker resumes it. */
const EXPIRE_SECONDS = 24 * 3600;
/** Retries: a run is delivered again after each lost worker or hand back, for as long as it waits. */
const RETRY_LIMIT = 1_000_000;

export function queueOf(workgroup: string | null): string {
  return workgroup === null ? 'runs' : `runs.${workgroup}`;
}

export class BossDelivery implements RunDelivery {
  readonly kind = 'pg-boss';
  private readonly queues = new Set<string>();

  private constructor(private readonly boss: PgBoss, private readonly jobs: JobStore) {}

  static async open(url: string, jobs: JobStore, log: (line: string) => void): Promise<BossDelivery> {
    const boss = new PgBoss({
      connectionString: url, schema: BOSS_SCHEMA, application_name: 'surveyor pg-boss', max: 3,
      superviseIntervalSeconds: SUPERVISE_SECONDS, monitorIntervalSeconds: SUPERVISE_SECONDS, schedule: false,
    });
    boss.on('error', (err: Error) => log(`pg-boss: ${err.message}`));
    await boss.start();
    return new BossDelivery(boss, jobs);
  }

  async offer(): Promise<void> {
    for (const run of await this.jobs.listRuns({ states: ['queued', 'stalled'] })) {
      const queue = await this.queue(run.workgroup);
      await this.boss.send(queue, { runId: run.id }, { singletonKey: `run-${run.id}` });
    }
  }

  async take(worker: string, workgroups: readonly (string | null)[]): Promise<DeliveredRun | undefined> {
    for (const workgroup of workgroups) {
      const queue = await this.queue(workgroup);
      for (;;) {
        const [job] = await this.boss.fetch<{ runId: number }>(queue);
        if (!job) break;
        const attempt: JobAttempt = { id: job.id, retryCount: job.retryCount };
        const taken = await this.jobs.takeRun(worker, workgroups, new Date().toISOString(), job.data.runId);
        if (!taken) {
          // Finished, or its job removed, since it was offered: nothing to deliver.
          await this.boss.complete(queue, attempt);
          continue;
        }
        const beat = setInterval(() => void this.boss.touch(queue, attempt).catch(() => {}), (HEARTBEAT_SECONDS / 2) * 1000);
        return {
          ...taken,
          settle: async (how) => {
            clearInterval(beat);
            // A hand back fails the job, which pg-boss retries at once: the next worker fetches it.
            if (how === 'handed-back') await this.boss.fail(queue, attempt, { reason: 'handed back' }).catch(() => {});
            else await this.boss.complete(queue, attempt).catch(() => {});
          },
        };
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, close: true }).catch(() => {});
  }

  private async queue(workgroup: string | null): Promise<string> {
    const name = queueOf(workgroup);
    if (this.queues.has(name)) return name;
    if (!(await this.boss.getQueue(name))) {
      await this.boss.createQueue(name, {
        policy: 'exclusive', heartbeatSeconds: HEARTBEAT_SECONDS, expireInSeconds: EXPIRE_SECONDS, retryLimit: RETRY_LIMIT, retryDelay: 0,
      }).catch(async (err: Error) => {
        if (!(await this.boss.getQueue(name))) throw err; // another worker created it meanwhile
      });
    }
    this.queues.add(name);
    return name;
  }
}
