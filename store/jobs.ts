/**
 * Statements for discovery jobs, their runs and units, and workers. A run's writes are fenced: every write a
 * worker makes for a run first checks, inside the same transaction (which holds the write lock on both databases),
 * that the run's lease is still the one the worker took; a worker that lost the run, even one that wakes up much
 * later, writes nothing.
 */
import { sql } from 'kysely';
import { InputError, SurveyorError } from '../scanner/errors.js';
import type { JobDefinition, JobRecord, JobRunRecord, JobSchedule, RoleFence, RoleHolder, RunLease, RunProgress, RunState, WorkerRecord } from '../model/job.js';
import { checkRoleFence, roleHolder } from './rule-role.js';
import type { Db, Queryable, Row } from './db.js';

/** A write for a run whose lease another worker has taken since: the writer must stop and write nothing more. */
export class LeaseLostError extends SurveyorError {
  constructor(readonly runId: number, message: string) {
    super('runtime', message);
  }
}

export interface NewJob {
  readonly name: string;
  readonly definition: JobDefinition;
  readonly workgroup: string | null;
  readonly schedule: JobSchedule;
  readonly applyRules: 'stored' | 'none';
  readonly nextRunAt: string | null;
  readonly at: string;
}

const json = (v: unknown) => JSON.stringify(v);
const numberOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function jobFromRow(r: Row): JobRecord {
  return {
    id: Number(r.id), name: r.name as string, definition: JSON.parse(r.definition as string) as JobDefinition,
    workgroup: (r.workgroup as string | null) ?? null, schedule: r.schedule ? JSON.parse(r.schedule as string) as JobSchedule : null,
    applyRules: r.apply_rules as JobRecord['applyRules'], paused: Boolean(r.paused), nextRunAt: (r.next_run_at as string | null) ?? null,
    createdAt: r.created_at as string, updatedAt: r.updated_at as string,
  };
}

export function runFromRow(r: Row): JobRunRecord {
  return {
    id: Number(r.id), jobId: Number(r.job_id), job: r.job as string, trigger: r.trigger as JobRunRecord['trigger'], state: r.state as RunState,
    note: (r.note as string | null) ?? null, worker: (r.worker as string | null) ?? null, lease: Number(r.lease), attempts: Number(r.attempts),
    scanId: numberOrNull(r.scan_id), workgroup: (r.workgroup as string | null) ?? null,
    queuedAt: r.queued_at as string, startedAt: (r.started_at as string | null) ?? null, finishedAt: (r.finished_at as string | null) ?? null,
    unitsTotal: numberOrNull(r.units_total), unitsDone: Number(r.units_done),
    progress: r.progress ? JSON.parse(r.progress as string) as RunProgress : null,
    rules: r.rules as JobRunRecord['rules'], ruleRunId: numberOrNull(r.rule_run_id),
  };
}

function workerFromRow(r: Row): WorkerRecord {
  return {
    name: r.name as string, workgroups: JSON.parse(r.workgroups as string) as string[], host: r.host as string, pid: Number(r.pid),
    startedAt: r.started_at as string, heartbeatAt: r.heartbeat_at as string, stoppedAt: (r.stopped_at as string | null) ?? null,
    rulesLeader: Boolean(r.rules_leader),
  };
}

const RUN_COLUMNS = sql`r.*, j.name AS job`;

export async function addJob(db: Db, job: NewJob): Promise<number> {
  return db.transaction(async (tx) => {
    if (await tx.get(sql`SELECT 1 AS x FROM jobs WHERE name = ${job.name}`)) throw new InputError(`job "${job.name}" exists already (surveyor jobs show ${job.name}; remove it first to redefine it)`);
    if (job.workgroup !== null && !(await tx.get(sql`SELECT 1 AS x FROM workgroups WHERE name = ${job.workgroup}`))) {
      throw new InputError(`no workgroup "${job.workgroup}" (surveyor workgroups add ${job.workgroup} --site SITE)`);
    }
    const row = await tx.get<{ id: number }>(sql`INSERT INTO jobs (name, definition, workgroup, schedule, apply_rules, paused, next_run_at, created_at, updated_at)
      VALUES (${job.name}, ${json(job.definition)}, ${job.workgroup}, ${job.schedule ? json(job.schedule) : null}, ${job.applyRules}, 0, ${job.nextRunAt}, ${job.at}, ${job.at})
      RETURNING id`);
    return Number(row!.id);
  });
}

export async function listJobs(db: Queryable): Promise<JobRecord[]> {
  return (await db.all(sql`SELECT * FROM jobs ORDER BY name`)).map(jobFromRow);
}

export async function getJob(db: Queryable, name: string): Promise<JobRecord | undefined> {
  const row = await db.get(sql`SELECT * FROM jobs WHERE name = ${name}`);
  return row ? jobFromRow(row) : undefined;
}

export async function setJobPaused(db: Db, name: string, paused: boolean, nextRunAt: string | null, at: string): Promise<void> {
  await db.run(sql`UPDATE jobs SET paused = ${paused ? 1 : 0}, next_run_at = ${nextRunAt}, updated_at = ${at} WHERE name = ${name}`);
}

/** Removes a job and its run history (the scans its runs made stay); refused while a run is queued or running. */
export async function removeJob(db: Db, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    const job = await tx.get<{ id: number }>(sql`SELECT id FROM jobs WHERE name = ${name}`);
    if (!job) throw new InputError(`no job "${name}" (surveyor jobs list)`);
    const active = await tx.get<{ id: number; state: string }>(sql`SELECT id, state FROM job_runs WHERE job_id = ${job.id} AND state IN ('queued', 'running') ORDER BY id LIMIT 1`);
    if (active) throw new InputError(`job "${name}" has run ${active.id} ${active.state}: wait for it to end (surveyor jobs show ${name})`);
    await tx.run(sql`DELETE FROM job_units WHERE run_id IN (SELECT id FROM job_runs WHERE job_id = ${job.id})`);
    await tx.run(sql`DELETE FROM job_runs WHERE job_id = ${job.id}`);
    await tx.run(sql`DELETE FROM jobs WHERE id = ${job.id}`);
  });
}

/**
 * Queues a run of a job. A scheduled run is queued only if the job's next run is still `dueAt` (another node may
 * have queued it first), and the job's next run moves to `nextRunAt` in the same transaction; a job that has a run
 * queued or running gets no second one from its schedule (the due time is skipped, as cron does).
 */
export async function queueRun(db: Db, name: string, trigger: 'schedule' | 'command', at: string, due?: { dueAt: string; nextRunAt: string | null }): Promise<JobRunRecord | undefined> {
  return db.transaction(async (tx) => {
    const job = await tx.get<{ id: number; workgroup: string | null; apply_rules: string; next_run_at: string | null }>(sql`SELECT id, workgroup, apply_rules, next_run_at FROM jobs WHERE name = ${name}`);
    if (!job) throw new InputError(`no job "${name}" (surveyor jobs list)`);
    if (due) {
      if (job.next_run_at !== due.dueAt) return undefined;
      await tx.run(sql`UPDATE jobs SET next_run_at = ${due.nextRunAt} WHERE id = ${job.id}`);
      if (await tx.get(sql`SELECT 1 AS x FROM job_runs WHERE job_id = ${job.id} AND state IN ('queued', 'running')`)) return undefined;
    }
    const row = await tx.get<{ id: number }>(sql`INSERT INTO job_runs (job_id, trigger, state, lease, attempts, workgroup, queued_at, units_done, rules)
      VALUES (${job.id}, ${trigger}, 'queued', 0, 0, ${job.workgroup}, ${at}, 0, ${job.apply_rules === 'stored' ? 'pending' : 'none'}) RETURNING id`);
    return runFromRow((await tx.get(sql`SELECT ${RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ${row!.id}`))!);
  });
}

/** Jobs whose next run is due at `now`, not paused. */
export async function dueJobs(db: Queryable, now: string): Promise<JobRecord[]> {
  return (await db.all(sql`SELECT * FROM jobs WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= ${now} ORDER BY next_run_at, name`)).map(jobFromRow);
}

export async function getRun(db: Queryable, id: number): Promise<JobRunRecord | undefined> {
  const row = await db.get(sql`SELECT ${RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ${id}`);
  return row ? runFromRow(row) : undefined;
}

export async function listRuns(db: Queryable, filter: { job?: string; states?: readonly RunState[]; limit?: number } = {}): Promise<JobRunRecord[]> {
  const where = [sql`1 = 1`];
  if (filter.job !== undefined) where.push(sql`j.name = ${filter.job}`);
  if (filter.states?.length) where.push(sql`r.state IN (${sql.join(filter.states.map((s) => sql`${s}`))})`);
  const rows = await db.all(sql`SELECT ${RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE ${sql.join(where, sql` AND `)}
    ORDER BY r.id DESC LIMIT ${filter.limit ?? 1_000_000}`);
  return rows.map(runFromRow);
}

/**
 * Takes a run for a worker: the oldest queued (or stalled) run of the given workgroups (null: jobs without one),
 * or the given run when it is not finished. Raises the lease, so any earlier holder's writes are refused from now.
 */
export async function takeRun(db: Db, worker: string, workgroups: readonly (string | null)[], at: string, runId?: number): Promise<{ run: JobRunRecord; lease: RunLease } | undefined> {
  return db.transaction(async (tx) => {
    let row: { id: number } | undefined;
    if (runId !== undefined) row = await tx.get(sql`SELECT id FROM job_runs WHERE id = ${runId} AND state IN ('queued', 'running', 'stalled')`);
    else {
      const named = workgroups.filter((w): w is string => w !== null);
      const groups = [...(named.length ? [sql`workgroup IN (${sql.join(named.map((w) => sql`${w}`))})`] : []), ...(workgroups.includes(null) ? [sql`workgroup IS NULL`] : [])];
      if (!groups.length) return undefined;
      row = await tx.get(sql`SELECT id FROM job_runs WHERE state IN ('queued', 'stalled') AND (${sql.join(groups, sql` OR `)}) ORDER BY id LIMIT 1`);
    }
    if (!row) return undefined;
    await tx.run(sql`UPDATE job_runs SET state = 'running', worker = ${worker}, lease = lease + 1, attempts = attempts + 1, note = NULL,
      started_at = coalesce(started_at, ${at}) WHERE id = ${row.id}`);
    const run = runFromRow((await tx.get(sql`SELECT ${RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ${row.id}`))!);
    return { run, lease: { runId: run.id, lease: run.lease } };
  });
}

/** Inside a write transaction: refuses the write when the run's lease has moved on. */
export async function checkLease(tx: Queryable, lease: RunLease): Promise<void> {
  const row = await tx.get<{ lease: number; worker: string | null; state: string }>(sql`SELECT lease, worker, state FROM job_runs WHERE id = ${lease.runId}`);
  if (!row || Number(row.lease) !== lease.lease || row.state !== 'running') {
    throw new LeaseLostError(lease.runId, `run ${lease.runId} was taken over${row?.worker ? ` by ${row.worker}` : ''} (lease ${row ? Number(row.lease) : '?'}, ours ${lease.lease}); this worker writes nothing more for it`);
  }
}

/** Records the run's plan (its resolved targets, its scan and how many units) once, when it is first taken. */
export async function planRun(db: Db, lease: RunLease, plan: string, scanId: number, unitsTotal: number, progress: RunProgress): Promise<void> {
  await db.transaction(async (tx) => {
    await checkLease(tx, lease);
    await tx.run(sql`UPDATE job_runs SET plan = ${plan}, scan_id = ${scanId}, units_total = ${unitsTotal}, progress = ${json(progress)} WHERE id = ${lease.runId}`);
  });
}

export async function runPlan(db: Queryable, runId: number): Promise<string | null> {
  return (await db.get<{ plan: string | null }>(sql`SELECT plan FROM job_runs WHERE id = ${runId}`))?.plan ?? null;
}

export async function doneUnits(db: Queryable, runId: number): Promise<Map<number, Record<string, number>>> {
  const rows = await db.all<{ unit: number; counts: string }>(sql`SELECT unit, counts FROM job_units WHERE run_id = ${runId}`);
  return new Map(rows.map((r) => [Number(r.unit), JSON.parse(r.counts) as Record<string, number>]));
}

/** Marks a unit done, with the progress it brings, in one fenced transaction. */
export async function completeUnit(db: Db, lease: RunLease, unit: number, worker: string, counts: Record<string, number>, progress: RunProgress): Promise<void> {
  await db.transaction(async (tx) => {
    await checkLease(tx, lease);
    await tx.run(sql`INSERT INTO job_units (run_id, unit, worker, done_at, counts) VALUES (${lease.runId}, ${unit}, ${worker}, ${progress.updatedAt}, ${json(counts)})
      ON CONFLICT (run_id, unit) DO NOTHING`);
    await tx.run(sql`UPDATE job_runs SET units_done = (SELECT count(*) FROM job_units WHERE run_id = ${lease.runId}), progress = ${json(progress)} WHERE id = ${lease.runId}`);
  });
}

export async function updateProgress(db: Db, lease: RunLease, progress: RunProgress): Promise<void> {
  await db.transaction(async (tx) => {
    await checkLease(tx, lease);
    await tx.run(sql`UPDATE job_runs SET progress = ${json(progress)} WHERE id = ${lease.runId}`);
  });
}

/** Ends a run (fenced): completed, failed or interrupted, or handed back (`queued`) for another worker to resume. */
export async function finishRun(db: Db, lease: RunLease, state: RunState, at: string, note: string | null): Promise<void> {
  await db.transaction(async (tx) => {
    await checkLease(tx, lease);
    const ended = state === 'completed' || state === 'failed' || state === 'interrupted';
    await tx.run(sql`UPDATE job_runs SET state = ${state}, note = ${note}, finished_at = ${ended ? at : null},
      rules = CASE WHEN rules = 'pending' AND ${state} <> 'completed' AND ${ended ? 1 : 0} = 1 THEN 'skipped' ELSE rules END WHERE id = ${lease.runId}`);
  });
}

/** Runs whose rules wait for the rule processor: completed, rules pending, oldest first. */
export async function pendingRuleRuns(db: Queryable): Promise<JobRunRecord[]> {
  return (await db.all(sql`SELECT ${RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.state = 'completed' AND r.rules = 'pending' ORDER BY r.id`)).map(runFromRow);
}

/** Marks a run's rules done; under the Smart Rule role's fence, refused (RoleLostError) when the role moved on. */
export async function setRunRules(db: Db, runId: number, rules: 'applied' | 'skipped', ruleRunId: number | null, fence?: RoleFence): Promise<void> {
  await db.transaction(async (tx) => {
    if (fence) await checkRoleFence(tx, fence);
    await tx.run(sql`UPDATE job_runs SET rules = ${rules}, rule_run_id = ${ruleRunId} WHERE id = ${runId} AND rules = 'pending'`);
  });
}

/** Marks stalled the queued and running runs that no live worker can take or is running, with the reason. */
export async function markStalled(db: Db, runs: ReadonlyArray<{ id: number; from: RunState; note: string }>): Promise<void> {
  if (!runs.length) return;
  await db.transaction(async (tx) => {
    for (const r of runs) await tx.run(sql`UPDATE job_runs SET state = 'stalled', note = ${r.note} WHERE id = ${r.id} AND state = ${r.from}`);
  });
}

export async function heartbeatWorker(db: Db, w: Omit<WorkerRecord, 'stoppedAt'>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(sql`INSERT INTO workers (name, workgroups, host, pid, started_at, heartbeat_at, stopped_at, rules_leader)
      VALUES (${w.name}, ${json(w.workgroups)}, ${w.host}, ${w.pid}, ${w.startedAt}, ${w.heartbeatAt}, NULL, ${w.rulesLeader ? 1 : 0})
      ON CONFLICT (name) DO UPDATE SET workgroups = excluded.workgroups, host = excluded.host, pid = excluded.pid, started_at = excluded.started_at,
        heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, rules_leader = excluded.rules_leader`);
  });
}

export async function stopWorker(db: Db, name: string, at: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(sql`UPDATE workers SET stopped_at = ${at}, rules_leader = 0 WHERE name = ${name}`);
  });
}

export async function listWorkers(db: Queryable): Promise<WorkerRecord[]> {
  return (await db.all(sql`SELECT * FROM workers ORDER BY name`)).map(workerFromRow);
}

/** The job tables, as the application layer sees them (`store.jobs`). */
export interface JobStore {
  add(job: NewJob): Promise<number>;
  list(): Promise<JobRecord[]>;
  get(name: string): Promise<JobRecord | undefined>;
  setPaused(name: string, paused: boolean, nextRunAt: string | null, at: string): Promise<void>;
  remove(name: string): Promise<void>;
  queueRun(name: string, trigger: 'schedule' | 'command', at: string, due?: { dueAt: string; nextRunAt: string | null }): Promise<JobRunRecord | undefined>;
  due(now: string): Promise<JobRecord[]>;
  getRun(id: number): Promise<JobRunRecord | undefined>;
  listRuns(filter?: { job?: string; states?: readonly RunState[]; limit?: number }): Promise<JobRunRecord[]>;
  takeRun(worker: string, workgroups: readonly (string | null)[], at: string, runId?: number): Promise<{ run: JobRunRecord; lease: RunLease } | undefined>;
  planRun(lease: RunLease, plan: string, scanId: number, unitsTotal: number, progress: RunProgress): Promise<void>;
  runPlan(runId: number): Promise<string | null>;
  doneUnits(runId: number): Promise<Map<number, Record<string, number>>>;
  completeUnit(lease: RunLease, unit: number, worker: string, counts: Record<string, number>, progress: RunProgress): Promise<void>;
  updateProgress(lease: RunLease, progress: RunProgress): Promise<void>;
  finishRun(lease: RunLease, state: RunState, at: string, note: string | null): Promise<void>;
  pendingRuleRuns(): Promise<JobRunRecord[]>;
  setRunRules(runId: number, rules: 'applied' | 'skipped', ruleRunId: number | null, fence?: RoleFence): Promise<void>;
  /** Who holds the Smart Rule role (as last taken), if anyone ever did. */
  roleHolder(): Promise<RoleHolder | undefined>;
  markStalled(runs: ReadonlyArray<{ id: number; from: RunState; note: string }>): Promise<void>;
  heartbeat(w: Omit<WorkerRecord, 'stoppedAt'>): Promise<void>;
  stopWorker(name: string, at: string): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
}

export class SqlJobStore implements JobStore {
  constructor(private readonly db: Db) {}
  add(job: NewJob) { return addJob(this.db, job); }
  list() { return listJobs(this.db); }
  get(name: string) { return getJob(this.db, name); }
  setPaused(name: string, paused: boolean, nextRunAt: string | null, at: string) { return setJobPaused(this.db, name, paused, nextRunAt, at); }
  remove(name: string) { return removeJob(this.db, name); }
  queueRun(name: string, trigger: 'schedule' | 'command', at: string, due?: { dueAt: string; nextRunAt: string | null }) { return queueRun(this.db, name, trigger, at, due); }
  due(now: string) { return dueJobs(this.db, now); }
  getRun(id: number) { return getRun(this.db, id); }
  listRuns(filter?: { job?: string; states?: readonly RunState[]; limit?: number }) { return listRuns(this.db, filter); }
  takeRun(worker: string, workgroups: readonly (string | null)[], at: string, runId?: number) { return takeRun(this.db, worker, workgroups, at, runId); }
  planRun(lease: RunLease, plan: string, scanId: number, unitsTotal: number, progress: RunProgress) { return planRun(this.db, lease, plan, scanId, unitsTotal, progress); }
  runPlan(runId: number) { return runPlan(this.db, runId); }
  doneUnits(runId: number) { return doneUnits(this.db, runId); }
  completeUnit(lease: RunLease, unit: number, worker: string, counts: Record<string, number>, progress: RunProgress) { return completeUnit(this.db, lease, unit, worker, counts, progress); }
  updateProgress(lease: RunLease, progress: RunProgress) { return updateProgress(this.db, lease, progress); }
  finishRun(lease: RunLease, state: RunState, at: string, note: string | null) { return finishRun(this.db, lease, state, at, note); }
  pendingRuleRuns() { return pendingRuleRuns(this.db); }
  setRunRules(runId: number, rules: 'applied' | 'skipped', ruleRunId: number | null, fence?: RoleFence) { return setRunRules(this.db, runId, rules, ruleRunId, fence); }
  roleHolder() { return roleHolder(this.db); }
  markStalled(runs: ReadonlyArray<{ id: number; from: RunState; note: string }>) { return markStalled(this.db, runs); }
  heartbeat(w: Omit<WorkerRecord, 'stoppedAt'>) { return heartbeatWorker(this.db, w); }
  stopWorker(name: string, at: string) { return stopWorker(this.db, name, at); }
  listWorkers() { return listWorkers(this.db); }
}
