/**
 * Executing one run of a job on a worker. The run's targets are resolved once, when it is first taken, and kept
 * with it (so every worker cuts the same units); its hosts go into one scan record. Each unit of hosts is scanned
 * through the same scan use case as `surveyor scan`, its batches written under the run's lease, and the unit is
 * recorded done when all of it is stored. A worker that takes the run over adopts the scan and starts at the
 * first unit not recorded; one that lost the run writes nothing more (its lease is refused, store/jobs.ts).
 */
import { planSweep } from '../scanner/engine/sweep.js';
import { planFromText, planText, unitsOf } from '../scanner/targets/units.js';
import { LeaseLostError } from '../store/jobs.js';
import type { ScanTotals, Store } from '../store/store.js';
import type { JobRunRecord, RunLease, RunProgress, RunState } from '../model/job.js';
import { scanRequestOf } from './jobs.js';
import { addTotals, prepareScan, runScan, type PreparedScan } from './scan.js';

/** Hosts per unit: small enough that a takeover rescans little, large enough that the sweep keeps its pace. */
export const DEFAULT_UNIT_HOSTS = 256;
const PROGRESS_EVERY_MS = 2000;

export interface RunOptions {
  readonly worker: string;
  readonly unitHosts?: number;
  /** Stops the run between or inside units: the unit in flight is abandoned and the run handed back (queued). */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

type Counts = ScanTotals & { hostsFound: number; accounts: number };
const ZERO: Counts = { probesDone: 0, hostsDone: 0, open: 0, closed: 0, filtered: 0, hostsFound: 0, accounts: 0 };

function add(a: Counts, b: Partial<Counts>): Counts {
  return { ...addTotals(a, { ...ZERO, ...b }), hostsFound: a.hostsFound + (b.hostsFound ?? 0), accounts: a.accounts + (b.accounts ?? 0) };
}

/** How a run on this worker ended: its state, or `lost` when another worker took it over. */
export type RunOutcome = RunState | 'lost';

export async function executeRun(store: Store, taken: { run: JobRunRecord; lease: RunLease }, o: RunOptions): Promise<RunOutcome> {
  const { run, lease } = taken;
  const log = o.log ?? (() => {});
  try {
    return await execute(store, run, lease, o, log);
  } catch (err) {
    if (err instanceof LeaseLostError) {
      log(`run ${run.id}: ${err.message}`);
      return 'lost';
    }
    const note = (err as Error).message;
    log(`run ${run.id} failed: ${note}`);
    const at = new Date().toISOString();
    try {
      const current = await store.jobs.getRun(run.id);
      if (current?.scanId) await store.finishScan(current.scanId, 'failed', current.progress ? totalsOf(current) : ZERO, at, { note }, lease);
      await store.jobs.finishRun(lease, 'failed', at, note);
      return 'failed';
    } catch (again) {
      if (again instanceof LeaseLostError) return 'lost';
      throw again;
    }
  }
}

function totalsOf(run: JobRunRecord): ScanTotals {
  return { ...ZERO, hostsDone: run.progress?.hostsDone ?? 0 };
}

async function execute(store: Store, run: JobRunRecord, lease: RunLease, o: RunOptions, log: (line: string) => void): Promise<RunOutcome> {
  const job = await store.jobs.get(run.job);
  if (!job) throw new Error(`job of run ${run.id} was removed`);
  const request = scanRequestOf(job.definition);
  const unitHosts = o.unitHosts ?? DEFAULT_UNIT_HOSTS;
  let plan = await store.jobs.runPlan(run.id);
  let scanId = run.scanId;
  const started = Date.now();
  if (plan === null || scanId === null) {
    const prepared = await prepareScan(request);
    const units = unitsOf(prepared.targets, unitHosts);
    scanId = await store.createScan({
      startedAt: new Date().toISOString(), targets: request.targets, exclusions: request.exclude ?? [], ports: request.sweep.ports,
      options: { job: job.name, run: run.id, unitHosts, ...job.definition.settings, ...(request.credentials?.length ? { credentials: request.credentials } : {}) },
      hostsTotal: prepared.hostsTotal, probesTotal: prepared.probesTotal,
    });
    plan = planText(prepared.targets);
    await store.jobs.planRun(lease, plan, scanId, units.length, progressOf(prepared.hostsTotal, ZERO, 0, 0));
    log(`run ${run.id} of job ${job.name}: ${prepared.hostsTotal} hosts in ${units.length} unit(s), scan ${scanId}`);
  } else {
    await store.adoptScan(scanId, lease);
    log(`run ${run.id} of job ${job.name}: taken over (attempt ${run.attempts}), scan ${scanId}`);
  }
  const targets = planFromText(plan);
  const units = unitsOf(targets, unitHosts);
  const done = await store.jobs.doneUnits(run.id);
  let counts = [...done.values()].reduce<Counts>((sum, c) => add(sum, c as Partial<Counts>), ZERO);
  /** Hosts this worker scanned, for the rate: units done before it took the run do not count. */
  let hostsHere = 0;
  for (const [i, unit] of units.entries()) {
    if (done.has(i)) continue;
    if (o.signal?.aborted) return handBack(store, lease, scanId, counts, o, log);
    const prepared: PreparedScan = {
      request, targets: unit, plan: planSweep(unit, request.sweep), hostsTotal: unit.total, probesTotal: unit.total * request.sweep.ports.length,
    };
    let found = 0;
    let accounts = 0;
    let lastProgress = Date.now();
    const before = counts;
    const result = await runScan(store, prepared, {
      signal: o.signal,
      into: { scanId, lease, totalsBefore: before },
      onEvent: (e) => {
        if (e.type === 'host') {
          if (e.host.ports.some((p) => p.state === 'open')) found++;
          accounts += (e.host.enumerations ?? []).reduce((n, en) => n + en.accounts.length, 0);
        }
        if (e.type === 'progress' && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = Date.now();
          const now = add(before, { ...e.counters, hostsFound: found, accounts });
          void store.jobs.updateProgress(lease, progressOf(targets.total, now, hostsHere + e.counters.hostsDone, Date.now() - started)).catch(() => {});
        }
      },
    });
    if (result.status === 'interrupted') return handBack(store, lease, scanId, counts, o, log);
    counts = add(before, { ...result.counters, hostsFound: found, accounts });
    hostsHere += unit.total;
    const unitCounts = { ...result.counters, hostsFound: found, accounts };
    await store.jobs.completeUnit(lease, i, o.worker, unitCounts, progressOf(targets.total, counts, hostsHere, Date.now() - started));
  }
  const at = new Date().toISOString();
  await store.finishScan(scanId, 'completed', counts, at, {}, lease);
  await store.jobs.finishRun(lease, 'completed', at, null);
  log(`run ${run.id} of job ${job.name}: completed, ${counts.hostsFound} hosts found, ${counts.open} open ports`);
  return 'completed';
}

/** Stopped (SIGTERM): the unit in flight is left to the next worker, which rescans it; the run is queued again. */
async function handBack(store: Store, lease: RunLease, scanId: number, counts: Counts, o: RunOptions, log: (line: string) => void): Promise<RunOutcome> {
  const reason = String(o.signal?.reason ?? 'stopped');
  await store.jobs.finishRun(lease, 'queued', new Date().toISOString(), `handed back by ${o.worker} (${reason}); resumes at its first unit not done`);
  log(`run ${lease.runId}: handed back (${reason}), ${counts.hostsDone} hosts done; scan ${scanId} resumes with the next worker`);
  return 'queued';
}

function progressOf(hostsTotal: number, c: Counts, hostsHere: number, elapsedMs: number): RunProgress {
  const rate = hostsHere > 0 && elapsedMs > 0 ? hostsHere / (elapsedMs / 1000) : null;
  return {
    hostsTotal, hostsDone: c.hostsDone, hostsFound: c.hostsFound, openPorts: c.open, accounts: c.accounts,
    ratePerSec: rate === null ? null : Math.round(rate * 10) / 10,
    etaMs: rate ? Math.round(((hostsTotal - c.hostsDone) / rate) * 1000) : null,
    updatedAt: new Date().toISOString(),
  };
}
