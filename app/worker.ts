/**
 * A worker: runs the jobs of its workgroups until stopped. Every worker also queues the runs that are due (a run
 * is queued once whichever worker sees it first: store/jobs.ts queueRun), marks stalled the runs no live worker can
 * take or whose worker was lost (a stalled run is taken by the next worker that serves its workgroup, which resumes
 * it at its first unit not done), and, when it holds the rule role, applies the stored Smart Rules to the hosts of
 * each completed run. On one SQLite file this is the whole deployment; on PostgreSQL many nodes share it.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.js';
import type { RoleFence, RunState } from '../model/job.js';
import { executeRun, type RunOutcome } from './job-run.js';
import { WORKER_LIVE_MS, workerLive } from './jobs.js';
import { nextRun } from './schedule.js';
import { applyRuleSet } from './rules.js';

export const HEARTBEAT_MS = 3000;

export interface WorkerOptions {
  readonly name?: string;
  /** The workgroups served; jobs without a workgroup are served by every worker. */
  readonly workgroups: readonly string[];
  readonly pollMs?: number;
  readonly unitHosts?: number;
  /** Apply the stored rule set after each completed run (the rule role). @default true */
  readonly rules?: boolean;
  readonly signal: AbortSignal;
  readonly log?: (line: string) => void;
  /** Told of each run this worker ended or handed back. */
  readonly onRun?: (runId: number, outcome: RunOutcome) => void;
}

export function defaultWorkerName(): string {
  return hostname();
}

/** How often a worker claims (or checks that it holds) the Smart Rule role and, holding it, applies pending rules. */
export const ROLE_EVERY_MS = 2000;

export async function runWorker(store: Store, o: WorkerOptions): Promise<void> {
  const name = o.name ?? defaultWorkerName();
  const log = o.log ?? (() => {});
  const serves = [...o.workgroups, null];
  const startedAt = new Date().toISOString();
  const role = (o.rules ?? true) ? store.ruleRole(name, log) : undefined;
  let leading = false;
  const beat = () => store.jobs.heartbeat({ name, workgroups: o.workgroups, host: hostname(), pid: process.pid, startedAt, heartbeatAt: new Date().toISOString(), rulesLeader: leading });
  await beat();
  const delivery = await store.runDelivery(log);
  const timer = setInterval(() => void beat().catch((err: Error) => log(`heartbeat failed: ${err.message}`)), HEARTBEAT_MS);
  log(`worker ${name} serving ${o.workgroups.length ? `workgroups ${o.workgroups.join(', ')} and ` : ''}jobs without a workgroup (runs delivered by ${delivery.kind}${role ? '' : '; no rule role'})`);
  // The claim is checked every ROLE_EVERY_MS even while rules are being applied, on the role's own session: a holder
  // cut off in the middle of applying learns at once that it lost the role (its stuck query cannot write anyway:
  // the epoch fences it), and starts nothing more.
  let applying: Promise<void> | undefined;
  const rulesLoop = role && (async () => {
    while (!o.signal.aborted) {
      const fence = await role.claim();
      if (Boolean(fence) !== leading) log(fence ? `holding the rule role (epoch ${fence.epoch})` : 'not holding the rule role');
      leading = Boolean(fence);
      if (fence && !applying) {
        applying = applyPendingRules(store, log, fence).catch((err: Error) => log(`rules: ${err.message}`)).finally(() => {
          applying = undefined;
        });
      }
      await sleep(ROLE_EVERY_MS, undefined, { signal: o.signal }).catch(() => {});
    }
  })();
  try {
    while (!o.signal.aborted) {
      await queueDue(store, log);
      await markStalled(store, name);
      await delivery.offer();
      const taken = await delivery.take(name, serves);
      if (taken) {
        const outcome = await executeRun(store, taken, { worker: name, unitHosts: o.unitHosts, signal: o.signal, log });
        await taken.settle(outcome === 'queued' ? 'handed-back' : 'finished');
        o.onRun?.(taken.run.id, outcome);
      } else await sleep(o.pollMs ?? 1000, undefined, { signal: o.signal }).catch(() => {});
    }
  } finally {
    clearInterval(timer);
    await rulesLoop;
    // Rules being applied finish (a stuck query on a lost connection is not waited for long).
    await Promise.race([applying, sleep(10_000, undefined, { ref: false })]);
    await role?.release().catch(() => {});
    leading = false;
    await delivery.close();
    await store.jobs.stopWorker(name, new Date().toISOString()).catch(() => {});
    log(`worker ${name} stopped`);
  }
}

/** Queues a run of every job that is due, moving its next run on. */
export async function queueDue(store: Store, log: (line: string) => void = () => {}): Promise<void> {
  const now = new Date();
  for (const job of await store.jobs.due(now.toISOString())) {
    const next = nextRun(job.schedule, new Date(job.nextRunAt!), now);
    const run = await store.jobs.queueRun(job.name, 'schedule', now.toISOString(), { dueAt: job.nextRunAt!, nextRunAt: next });
    if (run) log(`job ${job.name}: run ${run.id} queued (due ${job.nextRunAt}); next ${next ?? 'never'}`);
  }
}

/**
 * Marks stalled: running runs whose worker stopped or sent no heartbeat for WORKER_LIVE_MS (lost: another worker
 * takes them over), and queued runs of a workgroup no live worker serves (with the reason, until one does).
 */
export async function markStalled(store: Store, self?: string): Promise<void> {
  const workers = await store.jobs.listWorkers();
  const live = workers.filter((w) => workerLive(w));
  const runs = await store.jobs.listRuns({ states: ['queued', 'running'] });
  const stalled: Array<{ id: number; from: RunState; note: string }> = [];
  for (const r of runs) {
    if (r.state === 'running' && r.worker !== self) {
      const w = workers.find((x) => x.name === r.worker);
      if (!w || !workerLive(w)) {
        stalled.push({ id: r.id, from: 'running', note: `worker ${r.worker ?? '?'} lost (${w?.stoppedAt ? `stopped ${w.stoppedAt}` : `no heartbeat since ${w?.heartbeatAt ?? 'ever'}, over ${WORKER_LIVE_MS / 1000}s`}); the next worker of ${r.workgroup ? `workgroup ${r.workgroup}` : 'any workgroup'} resumes it` });
      }
    }
    if (r.state === 'queued' && r.workgroup !== null && !live.some((w) => w.workgroups.includes(r.workgroup!))) {
      stalled.push({ id: r.id, from: 'queued', note: `no live worker serves workgroup ${r.workgroup}` });
    }
  }
  await store.jobs.markStalled(stalled);
}

/**
 * Applies the stored rule set to the hosts of each completed run waiting for it, oldest first, under the Smart
 * Rule role's fence: once another process holds the role, every write of this one is refused.
 */
export async function applyPendingRules(store: Store, log: (line: string) => void = () => {}, fence?: RoleFence): Promise<void> {
  for (const run of await store.jobs.pendingRuleRuns()) {
    const snapshot = run.scanId === null ? undefined : await store.snapshot(run.scanId);
    const addresses = [...(snapshot?.hosts.keys() ?? [])];
    if (!(await store.activeRuleSet()) || !addresses.length) {
      await store.jobs.setRunRules(run.id, 'skipped', null, fence);
      continue;
    }
    // Applying the same rules to the same data again changes nothing: a crash before the mark re-applies harmlessly.
    const result = await applyRuleSet(store, undefined, { trigger: `job ${run.job} run ${run.id} (rule role: ${fence ? `${fence.holder}, epoch ${fence.epoch}` : 'none'})`, addresses, fence });
    await store.jobs.setRunRules(run.id, 'applied', result.runId, fence);
    log(`run ${run.id}: rules applied to ${addresses.length} hosts (rule run ${result.runId ?? '-'})`);
  }
}
