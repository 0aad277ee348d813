/**
 * Running a network scan: sweep the targets, fingerprint what answers, enumerate with credentials, store the hosts
 * in batches, finish the scan record as completed or interrupted, then apply the Smart Rules to the hosts it saw.
 * `prepareScan` checks everything that needs no database (targets, names, exclusions, tuning); `runScan` does the
 * work against a store and tells its progress as events. Nothing here prints, reads arguments or exits.
 */
import { lookupService } from 'node:dns/promises';
import PQueue from 'p-queue';
import { fingerprintHost, HostProfile } from '../profiles/fingerprint.js';
import { builtInRules } from '../profiles/rules.js';
import type { ScanTotals, Store } from '../store/store.js';
import type { RunLease } from '../model/job.js';
import { planSweep, sweep, SweepOptions } from '../scanner/engine/sweep.js';
import type { HostResult, SweepCounters, SweepTuning } from '../scanner/engine/types.js';
import { Coverage } from '../scanner/targets/coverage.js';
import { buildTargetSet, TargetSet } from '../scanner/targets/target-set.js';
import { SurveyorError } from '../scanner/errors.js';
import type { EnumerationRecord } from '../enum/types.js';
import type { ProbeStatus } from '../model/evidence.js';
import { TlsPolicy, tlsPolicy } from '../enum/ldap/connect.js';
import type { Rule } from '../onboarding/rule-file.js';
import { applyRules, ApplyResult } from './apply-rules.js';
import { openCredentials } from './credentials.js';
import { databaseServices, enumerateHost, enumerateSnmpHost, snmpAnswered } from './enumerate-host.js';
import { withLoginVersions } from '../profiles/credentialed.js';
import type { EventSink } from './events.js';
import { rulesForScan } from './rules.js';
import { StoreBatcher } from '../store/batcher.js';

/** The ports and tuning of the sweep: SweepOptions without its callbacks and signal, which the scan owns. */
export type SweepSettings = Omit<SweepOptions, 'signal' | 'onHost' | 'onSwept' | 'onProgress'>;

export interface ScanRequest {
  /** Targets as given (addresses, CIDR blocks, ranges, host names, `@FILE` lists); kept with the scan record. */
  readonly targets: readonly string[];
  /** Addresses to leave out, same syntax. @default [] */
  readonly exclude?: readonly string[];
  /** Files of exclusions, one a line. @default [] */
  readonly excludeFiles?: readonly string[];
  /** Refuse more addresses than this. @default DEFAULT_MAX_HOSTS (65,536) */
  readonly maxHosts?: number;
  readonly sweep: SweepSettings;
  /** Identify the services on open ports. @default true */
  readonly fingerprint?: boolean;
  /** Look up each host's name (getnameinfo: the hosts file, then DNS). @default false */
  readonly reverseDns?: boolean;
  /** Budget of one fingerprint probe, in ms. @default 3000 */
  readonly probeTimeoutMs?: number;
  /** Names of stored credentials to enumerate hosts with (each only inside its scope). @default [] */
  readonly credentials?: readonly string[];
  /** Budget to connect and authenticate for one enumeration, in ms. @default 15000 */
  readonly enumTimeoutMs?: number;
  /** Hosts enumerated at once. @default 16 */
  readonly enumConcurrency?: number;
  /** SNMP: how long to wait for the answer to one request, in ms. @default 1500 */
  readonly snmpTimeoutMs?: number;
  /** SNMP: how many times an unanswered request is sent again. @default 1 */
  readonly snmpRetries?: number;
  /** SNMP: hosts with no open TCP port asked over SNMP at once (the others share enumConcurrency). @default 64 */
  readonly snmpConcurrency?: number;
  /** How directories' certificates are trusted. @default the system's CAs, no plaintext bind */
  readonly ldapTls?: TlsPolicy;
  /** CA certificates an MSSQL server's certificate must chain to. @default the system's CAs */
  readonly mssqlCa?: Buffer;
  /**
   * The Smart Rules applied to the scanned hosts when the scan completes: rules read already, `stored` (the active
   * rule set, when there is one) or `none`. @default 'stored'
   */
  readonly rules?: { readonly rules: Rule[]; readonly source: string } | 'stored' | 'none';
}

/** A request checked and resolved: the targets as addresses and the sweep's plan. */
export interface PreparedScan {
  readonly request: ScanRequest;
  readonly targets: TargetSet;
  readonly plan: { readonly threads: number; readonly tuning: SweepTuning };
  readonly hostsTotal: number;
  readonly probesTotal: number;
}

/** Checks a request and resolves its targets; touches no database. Bad input is an InputError (exit 2). */
export async function prepareScan(request: ScanRequest): Promise<PreparedScan> {
  const targets = await buildTargetSet({
    include: request.targets,
    exclude: request.exclude ?? [],
    excludeFiles: request.excludeFiles ?? [],
    maxHosts: request.maxHosts,
  });
  const plan = planSweep(targets, request.sweep);
  return { request, targets, plan, hostsTotal: targets.total, probesTotal: targets.total * request.sweep.ports.length };
}

/** One host as the scan recorded it. */
export interface ScannedHost {
  readonly address: string;
  /** The names the targets gave, then those the fingerprint or reverse DNS found. */
  readonly hostnames: readonly string[];
  readonly ports: HostResult['ports'];
  /** False when the scan stopped before every port of the host was decided. */
  readonly complete: boolean;
  readonly profile?: HostProfile;
  readonly enumerations?: readonly EnumerationRecord[];
}

/** How a scan ended, once it is stored. */
export interface ScanSummary {
  readonly scanId: number;
  readonly status: 'completed' | 'interrupted';
  /** Why it stopped early: a signal's name, "standard output was closed", ...; null when it ran to the end. */
  readonly stopReason: string | null;
  readonly counters: SweepCounters;
  readonly elapsedMs: number;
  readonly hostsTotal: number;
  readonly probesTotal: number;
  readonly fingerprint: boolean;
  /** Hosts fingerprinted, and the time fingerprints and enumerations took after the sweep. */
  readonly fingerprinted: number;
  readonly fingerprintMs: number;
  /** The addresses the scan recorded (those the rules were applied to). */
  readonly addresses: readonly string[];
  readonly enumerations: EnumerationCounts;
}

/** The credentialed enumerations of a scan: every attempt by status, and the hosts they were for. */
export interface EnumerationCounts {
  /** Attempts (one per credential and host) by status: `{"success": 3, "auth-failed": 1}`. */
  readonly byStatus: Readonly<Partial<Record<ProbeStatus, number>>>;
  /** Hosts with at least one attempt. */
  readonly hosts: number;
  /**
   * Hosts where every attempt of a method failed (no `success` or `incomplete`): what a credentialed scan could not
   * see. A credential refused on a host another credential then enumerated counts in `byStatus` only.
   */
  readonly hostsFailed: number;
  /**
   * Hosts no TCP port answered for (or only closed ones), asked over SNMP because an snmp credential's scope holds
   * them, and how many of those an agent answered (they are recorded; the silent ones are not). Absent when none was asked.
   */
  readonly snmpOnly?: { readonly asked: number; readonly answered: number };
}

/** Whether a host's enumeration records leave a method without any usable result. */
export function enumerationFailed(records: readonly EnumerationRecord[]): boolean {
  const methods = new Set(records.map((e) => e.method));
  return [...methods].some((m) => !records.some((e) => e.method === m && (e.status === 'success' || e.status === 'incomplete')));
}

export type ScanEvent =
  /** The scan record exists: from here on the scan ends completed, interrupted or failed. */
  | { readonly type: 'started'; readonly scanId: number; readonly startedAt: string; readonly targets: readonly string[]; readonly ports: readonly number[]; readonly hostsTotal: number; readonly probesTotal: number }
  /** Running totals of the sweep, about every 100 ms. */
  | { readonly type: 'progress'; readonly counters: SweepCounters }
  /** Hosts queued for fingerprinting (or a reverse DNS lookup) and done. */
  | { readonly type: 'fingerprints'; readonly queued: number; readonly done: number }
  /** Hosts queued for credentialed enumeration (those with an open port, when credentials are given) and done. */
  | { readonly type: 'enumerations'; readonly queued: number; readonly done: number }
  | { readonly type: 'host'; readonly host: ScannedHost }
  /** Fingerprinting or enumerating a host failed; it is recorded with what the sweep found. */
  | { readonly type: 'host-error'; readonly address: string; readonly message: string }
  /** The sweep ended; fingerprints and enumerations under way are awaited. */
  | { readonly type: 'swept'; readonly counters: SweepCounters }
  /** Every host is recorded; what is left is writing the last batch and the end of the scan. */
  | { readonly type: 'settled' }
  /** The scan stops early (a stop signal, or a batch the store could not take); what was found is kept. */
  | { readonly type: 'stopping'; readonly reason: string }
  /** The scan is stored and finished. */
  | { readonly type: 'done'; readonly summary: ScanSummary }
  /** The rules were applied to the scanned hosts. */
  | { readonly type: 'rules-applied'; readonly result: ApplyResult }
  /** Rules were chosen but not applied: the scan was interrupted. */
  | { readonly type: 'rules-skipped'; readonly reason: 'interrupted' };

export interface ScanControl {
  readonly onEvent?: EventSink<ScanEvent>;
  /**
   * Stops the scan as Ctrl-C does: the sweep stops, fingerprints and enumerations are cancelled, and the scan ends
   * interrupted with what it found. The abort reason (a string) is kept as the scan's note.
   */
  readonly signal?: AbortSignal;
  /** Also stops waiting for fingerprints and enumerations in flight: waiting hosts are stored with their ports. */
  readonly hardStop?: AbortSignal;
  /**
   * A unit of a job run: the hosts go into the run's scan record (which the job runner made and will finish), every
   * batch fenced by the run's lease, and the totals written are the run's: those of its earlier units plus this
   * one's. The scan record is neither made nor finished here, and no rules are applied.
   */
  readonly into?: { readonly scanId: number; readonly lease: RunLease; readonly totalsBefore: ScanTotals };
}

export interface ScanResult extends ScanSummary {
  /** The rules' run, when rules were applied. */
  readonly rules?: ApplyResult;
}

/**
 * Runs a prepared scan against `store`. Ends `completed` or `interrupted` (a stop, or a batch the store could not
 * take: then it throws a SurveyorError once what was found is stored); a sweep failure marks the scan failed and
 * is thrown.
 */
export async function runScan(store: Store, prepared: PreparedScan, control: ScanControl = {}): Promise<ScanResult> {
  const { request, targets, plan } = prepared;
  const emit: EventSink<ScanEvent> = control.onEvent ?? (() => {});
  const ports = request.sweep.ports;
  const include = request.targets;
  const fingerprint = request.fingerprint ?? true;
  const reverseDns = request.reverseDns ?? false;
  const probeTimeoutMs = request.probeTimeoutMs ?? 3000;
  const rules = fingerprint ? builtInRules() : [];
  const credNames = request.credentials ?? [];
  const enumTimeoutMs = request.enumTimeoutMs ?? 15_000;
  const enumQueue = new PQueue({ concurrency: request.enumConcurrency ?? 16 });
  const ldapTls = request.ldapTls ?? tlsPolicy({ allowPlaintextBind: false });
  const sweepOptions = request.sweep;
  const snmp = { timeoutMs: request.snmpTimeoutMs ?? 1500, retries: request.snmpRetries ?? 1 };
  const snmpQueue = new PQueue({ concurrency: request.snmpConcurrency ?? 64 });

  const credentials = await openCredentials(store, credNames);
  const ruleChoice = request.rules ?? 'stored';
  const into = control.into;
  const scanRules = ruleChoice === 'none' || into ? undefined : await rulesForScan(store, ruleChoice === 'stored' ? undefined : ruleChoice);
  const probesTotal = prepared.probesTotal;
  const startedAt = new Date().toISOString();
  const scanId = into ? into.scanId : await store.createScan({
    startedAt,
    targets: include,
    exclusions: request.exclude ?? [],
    ports,
    options: {
      timeoutMs: plan.tuning.timeoutMs,
      minTimeoutMs: plan.tuning.minTimeoutMs,
      retries: plan.tuning.retries,
      concurrency: sweepOptions.concurrency ?? 'adaptive',
      perHost: plan.tuning.perHost,
      ratePerSec: sweepOptions.ratePerSec ?? 0,
      threads: plan.threads,
      fingerprint,
      probeTimeoutMs,
      ...(credNames.length ? { credentials: credNames, enumTimeoutMs, enumConcurrency: enumQueue.concurrency } : {}),
      ...(credentials.some((c) => c.credential.type === 'snmp') ? { snmpTimeoutMs: snmp.timeoutMs, snmpRetries: snmp.retries, snmpConcurrency: snmpQueue.concurrency } : {}),
    },
    hostsTotal: targets.total,
    probesTotal,
  });
  let latest: SweepCounters = { probesDone: 0, hostsDone: 0, open: 0, closed: 0, filtered: 0, retries: 0 };
  const batcher = new StoreBatcher(store, scanId, () => (into ? addTotals(into.totalsBefore, latest) : latest));
  const coverage = new Coverage();
  // A job run's coverage is its units, which the job runner records.
  if (into) batcher.lease = into.lease;
  else batcher.swept = () => coverage.ranges();

  // How a scan stops early: the stop signal or a batch the store cannot take stops the sweep and cancels
  // fingerprints and enumerations; the hard stop also stops waiting for those in flight, storing each waiting
  // host with what the sweep found.
  const abort = new AbortController();
  let stopReason: string | null = null;
  let storeFailure: Error | null = null;
  let hardStop = () => {};
  const hardStopped = new Promise<void>((resolve) => (hardStop = resolve));
  const stopScan = (reason: string) => {
    if (stopReason !== null) return;
    stopReason = reason;
    emit({ type: 'stopping', reason });
    abort.abort();
    enumQueue.clear();
    snmpQueue.clear();
  };
  const onStop = () => stopScan(String(control.signal!.reason));
  const onHardStop = () => hardStop();
  batcher.onFailure = (err) => {
    storeFailure = err;
    stopScan(`the database could not be written: ${err.message}`);
  };
  emit({ type: 'started', scanId, startedAt, targets: include, ports, hostsTotal: targets.total, probesTotal });
  if (control.signal?.aborted) onStop();
  else control.signal?.addEventListener('abort', onStop, { once: true });
  if (control.hardStop?.aborted) hardStop();
  else control.hardStop?.addEventListener('abort', onHardStop, { once: true });

  const aborted = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  // Fingerprinting runs alongside the sweep: a host is probed as soon as its ports are known.
  const fingerprints = new PQueue({ concurrency: 64 });
  const seen: string[] = [];
  /** Hosts swept but not yet recorded (waiting for fingerprinting or enumeration). */
  const waiting = new Map<string, { ports: HostResult['ports']; complete: boolean }>();
  const byStatus: Partial<Record<ProbeStatus, number>> = {};
  let enumeratedHosts = 0;
  let failedHosts = 0;
  // The sweep is TCP: a host in an snmp credential's scope that no TCP port answered is asked over UDP all the same.
  const snmpCredentials = credentials.filter((c) => c.credential.type === 'snmp');
  const snmpScope = (address: string) => snmpCredentials.some((c) => c.scope.contains(address));
  /** Hosts the sweep reported (any reportable port), kept only while SNMP may ask the others. */
  const reported = new Set<string>();
  const snmpOnly = { asked: 0, answered: 0 };
  const record = (address: string, ports: HostResult['ports'], complete: boolean, profile?: HostProfile, enumerations?: EnumerationRecord[]) => {
    seen.push(address);
    if (enumerations?.length) {
      enumeratedHosts++;
      if (enumerationFailed(enumerations)) failedHosts++;
      for (const e of enumerations) byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
    }
    const targetNames = targets.names.get(address) ?? [];
    const found = (profile?.hostnames ?? []).map((n) => n.name).filter((n) => !targetNames.includes(n));
    batcher.add({ address, hostnames: targetNames, ports, seenAt: new Date().toISOString(), profile, enumerations });
    emit({ type: 'host', host: { address, hostnames: [...targetNames, ...found], ports, complete, profile, enumerations } });
  };
  /** Records a waiting host once: by its fingerprint task, or by a hard stop with what the sweep found. */
  const settle = (address: string, profile?: HostProfile, enumerations?: EnumerationRecord[]) => {
    const host = waiting.get(address);
    if (!host) return;
    waiting.delete(address);
    record(address, host.ports, host.complete, profile, enumerations);
    if (host.complete) coverage.add(address); // its sweep ended while it waited: settled only now
  };
  let summary;
  let fingerprintMs = 0;
  let fingerprinted = 0;
  let queued = 0;
  let enumQueued = 0;
  let enumDone = 0;
  /**
   * Asks a host with no open TCP port over SNMP only. An agent's answer makes it an asset; a silent host is recorded
   * only when the sweep reported ports for it (closed ones, with --states).
   */
  const askSnmp = (address: string, ports: HostResult['ports'], complete: boolean) => {
    snmpOnly.asked++;
    waiting.set(address, { ports, complete });
    emit({ type: 'enumerations', queued: ++enumQueued, done: enumDone });
    // A silent host is left out, and counts as covered unless the scan stopped before it was asked.
    const unrecorded = () => {
      if (waiting.delete(address) && complete && !abort.signal.aborted) coverage.add(address);
    };
    void snmpQueue.add(async () => {
      const records = abort.signal.aborted ? undefined
        : await Promise.race([enumerateSnmpHost(address, credentials, { snmp }), aborted.then(() => undefined)]);
      emit({ type: 'enumerations', queued: enumQueued, done: ++enumDone });
      const answered = records !== undefined && !abort.signal.aborted && snmpAnswered(records);
      if (answered) snmpOnly.answered++;
      if (answered || ports.length) settle(address, undefined, answered ? records : undefined);
      else unrecorded();
    }).catch((err: unknown) => {
      emit({ type: 'host-error', address, message: (err as Error).message });
      emit({ type: 'enumerations', queued: enumQueued, done: ++enumDone });
      if (ports.length) settle(address);
      else unrecorded();
    });
  };
  try {
    try {
      summary = await sweep(targets, {
        ...sweepOptions,
        signal: abort.signal,
        onProgress: (c) => {
          latest = c;
          emit({ type: 'progress', counters: c });
        },
        // Every host whose sweep ended is settled, but one waiting for its fingerprint only once it is recorded.
        // (onHost comes before onSwept for a host, from a worker too, so `waiting` already knows it.)
        onSwept: (address) => {
          if (snmpCredentials.length && !reported.delete(address) && !abort.signal.aborted && snmpScope(address)) return askSnmp(address, [], true);
          if (!waiting.has(address)) coverage.add(address);
        },
        onHost: (host) => {
          const open = host.ports.filter((p) => p.state === 'open').map((p) => p.port);
          if (snmpCredentials.length && host.complete) reported.add(host.address);
          if (open.length === 0 && snmpCredentials.length && !abort.signal.aborted && snmpScope(host.address)) return askSnmp(host.address, host.ports, host.complete);
          const enumerate = credentials.length > 0 && open.length > 0;
          if ((!fingerprint && !reverseDns && !enumerate) || open.length === 0 || abort.signal.aborted) return record(host.address, host.ports, host.complete);
          queued++;
          waiting.set(host.address, { ports: host.ports, complete: host.complete });
          emit({ type: 'fingerprints', queued, done: fingerprinted });
          if (enumerate) emit({ type: 'enumerations', queued: ++enumQueued, done: enumDone });
          void fingerprints.add(async () => {
            const [profile, name] = await Promise.all([
              fingerprint ? fingerprintHost(host.address, open, { probeTimeoutMs, rules, signal: abort.signal }) : undefined,
              reverseDns ? reverseName(host.address) : undefined,
            ]);
            if (fingerprint) fingerprinted++;
            emit({ type: 'fingerprints', queued, done: fingerprinted });
            const withName: HostProfile | undefined = name
              ? { ...(profile ?? { address: host.address, services: [], hostnames: [] }), hostnames: [{ name, via: 'reverse DNS' }, ...(profile?.hostnames ?? []).filter((n) => n.name !== name)] }
              : profile;
            const sshPorts = fingerprint ? (profile?.services ?? []).filter((sv) => sv.service === 'ssh').map((sv) => sv.port) : open.filter((p) => p === 22);
            // An enumeration under way when the scan stops is abandoned: the host is stored with its fingerprint.
            const enumerations = enumerate && !abort.signal.aborted
              ? (await Promise.race([
                enumQueue.add(() => enumerateHost(host.address, sshPorts, profile, credentials, {
                  pins: store, timeoutMs: enumTimeoutMs, tls: ldapTls, tlsName: targets.names.get(host.address)?.[0], snmp, mssqlCa: request.mssqlCa,
                }, databaseServices(fingerprint ? profile : undefined, open))),
                aborted.then(() => undefined),
              ])) ?? undefined
              : undefined;
            if (enumerate) emit({ type: 'enumerations', queued: enumQueued, done: ++enumDone });
            const kept = abort.signal.aborted ? undefined : enumerations;
            // A database login's exact version (PostgreSQL's) replaces the fingerprint's guess of it.
            settle(host.address, withLoginVersions(withName, kept), kept);
          }).catch((err: unknown) => {
            emit({ type: 'host-error', address: host.address, message: (err as Error).message });
            if (enumerate) emit({ type: 'enumerations', queued: enumQueued, done: ++enumDone });
            settle(host.address);
          });
        },
      });
      const sweptAt = performance.now();
      emit({ type: 'swept', counters: summary.counters });
      await Promise.race([Promise.all([fingerprints.onIdle(), snmpQueue.onIdle()]), hardStopped]);
      // A hard stop: what the sweep found. A host waiting on SNMP alone had nothing to find and is not recorded.
      for (const [address, host] of [...waiting]) {
        if (host.ports.length) settle(address);
        else waiting.delete(address);
      }
      fingerprintMs = performance.now() - sweptAt;
    } finally {
      emit({ type: 'settled' });
    }
  } catch (err) {
    await batcher.close().catch(() => {});
    if (!into) await store.finishScan(scanId, 'failed', latest, new Date().toISOString(), { note: (err as Error).message }).catch(() => {});
    throw err;
  } finally {
    control.signal?.removeEventListener('abort', onStop);
    control.hardStop?.removeEventListener('abort', onHardStop);
  }
  latest = summary.counters;
  const interrupted = summary.interrupted || stopReason !== null;
  const status = interrupted ? 'interrupted' : 'completed';
  try {
    await batcher.close();
    if (!into) {
      await store.finishScan(scanId, status, summary.counters, new Date().toISOString(), {
        note: stopReason ?? undefined, swept: interrupted ? coverage.ranges() : undefined,
      });
    }
  } catch (err) {
    if (into) throw storeFailure ?? err; // the job runner says what became of the run
    // The store refuses even the end of the scan: its process ends, so the next command marks it interrupted.
    throw new SurveyorError('store', `scan ${scanId} stopped: ${(storeFailure ?? (err as Error)).message}; what was stored before is kept, and the next surveyor command marks the scan interrupted`);
  }
  if (storeFailure && into) throw storeFailure as Error;
  if (storeFailure) throw new SurveyorError('store', `scan ${scanId} stopped and marked interrupted: ${stopReason}; what was stored before is kept`);
  const done: ScanSummary = {
    scanId, status, stopReason, counters: summary.counters, elapsedMs: summary.elapsedMs, hostsTotal: targets.total, probesTotal,
    fingerprint, fingerprinted, fingerprintMs, addresses: seen,
    enumerations: { byStatus, hosts: enumeratedHosts, hostsFailed: failedHosts, ...(snmpOnly.asked ? { snmpOnly } : {}) },
  };
  emit({ type: 'done', summary: done });
  if (scanRules && interrupted) {
    emit({ type: 'rules-skipped', reason: 'interrupted' });
    return done;
  }
  if (scanRules && seen.length) {
    const result = await applyRules(store, scanRules.rules, { source: scanRules.source, trigger: `scan ${scanId}`, addresses: seen });
    emit({ type: 'rules-applied', result });
    return { ...done, rules: result };
  }
  return done;
}

/** The totals of a job run's earlier units plus those of the unit under way. */
export function addTotals(a: ScanTotals, b: ScanTotals): ScanTotals {
  return { probesDone: a.probesDone + b.probesDone, hostsDone: a.hostsDone + b.hostsDone, open: a.open + b.open, closed: a.closed + b.closed, filtered: a.filtered + b.filtered };
}

/** The name getnameinfo gives the address (hosts file first), or nothing when it only echoes the address. */
async function reverseName(address: string): Promise<string | undefined> {
  try {
    const { hostname } = await lookupService(address, 0);
    return hostname && hostname !== address ? hostname.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
