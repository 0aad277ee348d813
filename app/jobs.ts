/**
 * Discovery jobs: define, list, show, run now, pause, resume and remove them, and read their runs. Every check of
 * user input happens before anything is written (bad input: InputError, exit 2).
 */
import { InputError } from '../scanner/errors.js';
import type { Store } from '../store/store.js';
import type { JobDefinition, JobRecord, JobRunRecord, JobScanSettings, JobSchedule, WorkerRecord } from '../model/job.js';
import { prepareScan, type ScanRequest } from './scan.js';
import { firstRun } from './schedule.js';
import { checkName } from './names.js';

export interface NewJobInput {
  readonly name: string;
  readonly definition: JobDefinition;
  readonly workgroup: string | null;
  readonly schedule: JobSchedule;
  readonly applyRules: 'stored' | 'none';
}

/** What a job keeps of a scan's settings (the inverse of scanRequestOf): plain values, nothing a run need not repeat. */
export function jobSettings(s: Pick<ScanRequest, 'sweep' | 'maxHosts' | 'fingerprint' | 'reverseDns' | 'probeTimeoutMs' | 'enumTimeoutMs' | 'enumConcurrency'
  | 'snmpTimeoutMs' | 'snmpRetries' | 'snmpConcurrency' | 'ldapTls' | 'mssqlCa'>): JobScanSettings {
  const w = s.sweep;
  return {
    timeoutMs: w.timeoutMs, minTimeoutMs: w.minTimeoutMs, retries: w.retries, concurrency: w.concurrency, perHost: w.perHost,
    ratePerSec: w.ratePerSec, threads: w.threads, reportStates: w.reportStates?.filter((x): x is 'closed' | 'filtered' => x !== 'open'),
    maxHosts: s.maxHosts, fingerprint: s.fingerprint ?? true, reverseDns: s.reverseDns ?? false, probeTimeoutMs: s.probeTimeoutMs ?? 3000,
    enumTimeoutMs: s.enumTimeoutMs ?? 15_000, enumConcurrency: s.enumConcurrency ?? 16,
    snmpTimeoutMs: s.snmpTimeoutMs, snmpRetries: s.snmpRetries, snmpConcurrency: s.snmpConcurrency,
    ldapCaPem: s.ldapTls?.ca?.toString('latin1'), mssqlCaPem: s.mssqlCa?.toString('latin1'), allowPlaintextBind: s.ldapTls?.allowPlaintextBind || undefined,
  };
}

/** The scan a run of the job makes (the request `surveyor scan` would build from the same options). */
export function scanRequestOf(d: JobDefinition): ScanRequest {
  const {
    maxHosts, fingerprint, reverseDns, probeTimeoutMs, enumTimeoutMs, enumConcurrency, snmpTimeoutMs, snmpRetries, snmpConcurrency, reportStates,
    ldapCaPem, mssqlCaPem, allowPlaintextBind, ...sweep
  } = d.settings;
  return {
    targets: d.targets, exclude: d.exclude, maxHosts, fingerprint, reverseDns, probeTimeoutMs, enumTimeoutMs, enumConcurrency, snmpTimeoutMs, snmpRetries, snmpConcurrency,
    credentials: d.credentials, sweep: { ...sweep, ports: d.ports, reportStates: reportStates ?? [] }, rules: 'none',
    ldapTls: { ...(ldapCaPem === undefined ? {} : { ca: Buffer.from(ldapCaPem, 'latin1') }), allowPlaintextBind: allowPlaintextBind === true },
    ...(mssqlCaPem === undefined ? {} : { mssqlCa: Buffer.from(mssqlCaPem, 'latin1') }),
  };
}

export async function addJob(store: Store, input: NewJobInput, now = new Date()): Promise<JobRecord> {
  checkName('job name', input.name);
  // The targets are resolved now to refuse bad ones; each run resolves them again when it starts.
  await prepareScan(scanRequestOf(input.definition));
  for (const name of input.definition.credentials) {
    if (!(await store.getCredential(name))) throw new InputError(`no credential "${name}" (surveyor creds list)`);
  }
  await store.jobs.add({ ...input, nextRunAt: firstRun(input.schedule, now), at: now.toISOString() });
  return (await store.jobs.get(input.name))!;
}

export async function requireJob(store: Store, name: string): Promise<JobRecord> {
  const job = await store.jobs.get(name);
  if (!job) throw new InputError(`no job "${name}" (surveyor jobs list)`);
  return job;
}

export async function runJobNow(store: Store, name: string): Promise<JobRunRecord> {
  await requireJob(store, name);
  return (await store.jobs.queueRun(name, 'command', new Date().toISOString()))!;
}

export async function pauseJob(store: Store, name: string, paused: boolean, now = new Date()): Promise<JobRecord> {
  const job = await requireJob(store, name);
  await store.jobs.setPaused(name, paused, paused ? null : firstRun(job.schedule, now), now.toISOString());
  return (await store.jobs.get(name))!;
}

export async function removeJob(store: Store, name: string): Promise<void> {
  await store.jobs.remove(name);
}

/** A worker is live while its heartbeats are younger than this. */
export const WORKER_LIVE_MS = 15_000;

export function workerLive(w: WorkerRecord, now = Date.now()): boolean {
  return w.stoppedAt === null && now - Date.parse(w.heartbeatAt) < WORKER_LIVE_MS;
}

export interface JobView {
  readonly job: JobRecord;
  readonly runs: readonly JobRunRecord[];
}

export async function showJob(store: Store, name: string, runs = 10): Promise<JobView> {
  const job = await requireJob(store, name);
  return { job, runs: await store.jobs.listRuns({ job: name, limit: runs }) };
}
