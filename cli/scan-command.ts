/**
 * `surveyor scan`: validate everything (targets, names, ports, options) before touching the database, then sweep,
 * stream results to the output and the store, and finish the scan record as completed or interrupted.
 */
import { lookupService } from 'node:dns/promises';
import { AtomicOutput, checkOutputPath } from './output-file.js';
import PQueue from 'p-queue';
import { fingerprintHost, HostProfile } from '../profiles/fingerprint.js';
import { builtInRules } from '../profiles/rules.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { compareAddresses } from '../scanner/targets/ip.js';
import { planSweep, sweep, SweepOptions } from '../scanner/engine/sweep.js';
import { PORT_STATES, PortState } from '../model/port.js';
import type { SweepCounters } from '../scanner/engine/types.js';
import { applyRules } from '../onboarding/apply.js';
import { readRuleFile } from '../onboarding/rule-file.js';
import { rulesForScan, summaryLine } from './rules-command.js';
import { InputError, SurveyorError } from '../scanner/errors.js';
import { Coverage } from '../scanner/targets/coverage.js';
import { stdoutClosed } from './stdout.js';
import { parsePorts } from '../scanner/ports.js';
import { buildTargetSet, DEFAULT_MAX_HOSTS } from '../scanner/targets/target-set.js';
import { choiceOption, FORMATS, intOption, parseCommand } from './args.js';
import type { EnumerationRecord } from '../enum/types.js';
import { openCredentials } from './creds-command.js';
import { directoryTargets } from './directory-targets.js';
import { tlsPolicy } from '../enum/ldap/connect.js';
import { enumerateHost } from './scan-enumerate.js';
import { AssetWriter, EnumerationSummary, renderTable } from './output.js';
import { fmt, formatDuration, ProgressLine } from './progress.js';
import { StoreBatcher } from './store-batcher.js';

export const SCAN_HELP = `usage: surveyor scan TARGETS... [options]

Sweeps the targets for open TCP ports, then fingerprints every open port (service, product, version, OS, names).

Targets: addresses (127.0.0.1, ::1), CIDR blocks (127.20.0.0/16), ranges (127.0.0.1-20, 127.0.0.1-127.0.1.5),
host names (every address they resolve to) and @FILE lists (one target a line, # comments).

  --ports SPEC           default | standard | database | all | 22,80,8000-8100 | mixes (default: default)
  --exclude TARGETS      addresses to leave out, same syntax (repeatable)
  --exclude-file FILE    file of exclusions (repeatable)
  --max-hosts N          refuse more addresses than N (default: ${DEFAULT_MAX_HOSTS})
  --timeout-ms N         longest wait for one attempt (default: 1000)
  --min-timeout-ms N     shortest wait once round trips are measured (default: 100; = --timeout-ms for a fixed one)
  --retries N            extra attempts after a timeout (default: 2)
  --concurrency N        hard cap on attempts in flight (default: adaptive, 128 base on loopback, 1024 elsewhere)
  --per-host N           attempts in flight against one host (default: 64)
  --rate N               attempts started per second, 0 for no limit (default: 0)
  --threads N            sweep threads, 0 for the main thread (default: cores, 0 for small scans)
  --states LIST          also report closed and/or filtered ports: closed,filtered
  --db PATH              database (default: $SURVEYOR_DB or ./surveyor.db)
  --format FMT           table | jsonl | json | csv (default: table)
  --output FILE          write data to FILE instead of stdout
  --no-fingerprint       only sweep: do not identify the services on open ports
  --reverse-dns          look up each host's name (getnameinfo: /etc/hosts, then DNS; off by default: it sends DNS queries)
  --probe-timeout-ms N   budget of one fingerprint probe (default: 3000)
  --creds NAME           enumerate hosts with this stored credential (repeatable; see surveyor creds). ssh: OS,
                         hardware, software, services, users, groups, sudo rights and SSH keys; ldap: on hosts whose
                         rootDSE shows a directory, its users, groups and privileged paths (as surveyor directory
                         scan). Only addresses in the credential's scope get it; one attempt per credential and host.
  --ldap-ca-file PEM     CA certificates a directory's certificate must chain to (default: the system's)
  --allow-plaintext-bind send an ldap credential's password to a directory that offers no TLS
  --from-directory       also scan the computers earlier directory scans listed (their DNS names, resolved now)
  --enum-timeout-ms N    budget to connect and authenticate for one enumeration (default: 15000)
  --enum-concurrency N   hosts enumerated at once (default: 16)
  --apply-rules FILE     apply these Smart Rules to the scanned hosts when the scan completes (default: the rule
                         set stored with "surveyor rules store", if any)
  --no-rules             apply no rules at the end of this scan
  --no-progress          no progress line on a terminal
`;

const OPTIONS = {
  ports: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'exclude-file': { type: 'string', multiple: true },
  'max-hosts': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'min-timeout-ms': { type: 'string' },
  retries: { type: 'string' },
  concurrency: { type: 'string' },
  'per-host': { type: 'string' },
  rate: { type: 'string' },
  threads: { type: 'string' },
  states: { type: 'string' },
  db: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  'no-progress': { type: 'boolean' },
  'no-fingerprint': { type: 'boolean' },
  'reverse-dns': { type: 'boolean' },
  'probe-timeout-ms': { type: 'string' },
  creds: { type: 'string', multiple: true },
  'enum-timeout-ms': { type: 'string' },
  'enum-concurrency': { type: 'string' },
  'ldap-ca-file': { type: 'string' },
  'allow-plaintext-bind': { type: 'boolean' },
  'from-directory': { type: 'boolean' },
  'apply-rules': { type: 'string' },
  'no-rules': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Signals that stop a scan as Ctrl-C does (a closed terminal sends SIGHUP). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

type HostRecordPorts = Parameters<NonNullable<SweepOptions['onHost']>>[0]['ports'];

function parseStates(value: string | undefined): PortState[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => {
    const state = s.trim();
    if (!(PORT_STATES as readonly string[]).includes(state)) throw new InputError(`bad --states "${value}": "${state}" is not one of ${PORT_STATES.join(', ')}`);
    return state as PortState;
  });
}

export async function scanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('scan', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(SCAN_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const ports = parsePorts(values.ports ?? 'default');
  const exclusions = values.exclude ?? [];
  const ldapTls = tlsPolicy({ caFile: values['ldap-ca-file'], caOption: '--ldap-ca-file', allowPlaintextBind: values['allow-plaintext-bind'] === true });
  const include = [...positionals];
  if (values['from-directory']) {
    const store = await openStore(resolveDbLocation(values.db));
    const found = await directoryTargets(store).finally(() => store.close());
    process.stderr.write(`from the directory: ${found.total} computer(s), ${found.names.length} resolve${found.skipped.map((s) => `\n  skipped ${s}`).join('')}\n`);
    for (const name of found.names) include.push(name);
    if (!include.length) throw new InputError('scan --from-directory: no stored directory computer has a DNS name that resolves, and no other target was given (run surveyor directory scan first)');
  }
  const targets = await buildTargetSet({
    include,
    exclude: exclusions,
    excludeFiles: values['exclude-file'] ?? [],
    maxHosts: intOption('max-hosts', values['max-hosts'], 1, Number.MAX_SAFE_INTEGER),
  });
  const sweepOptions: SweepOptions = {
    ports,
    timeoutMs: intOption('timeout-ms', values['timeout-ms'], 1, 600_000),
    minTimeoutMs: intOption('min-timeout-ms', values['min-timeout-ms'], 1, 600_000),
    retries: intOption('retries', values.retries, 0, 10),
    concurrency: intOption('concurrency', values.concurrency, 1, 10_000),
    perHost: intOption('per-host', values['per-host'], 1, 10_000),
    ratePerSec: intOption('rate', values.rate, 0, 10_000_000),
    threads: intOption('threads', values.threads, 0, 64),
    reportStates: parseStates(values.states),
  };
  const plan = planSweep(targets, sweepOptions); // validates the tuning before anything is written
  const fingerprint = !values['no-fingerprint'];
  const reverseDns = values['reverse-dns'] === true;
  const probeTimeoutMs = intOption('probe-timeout-ms', values['probe-timeout-ms'], 50, 120_000) ?? 3000;
  const rules = fingerprint ? builtInRules() : [];
  const credNames = [...new Set((values.creds ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean))];
  const enumTimeoutMs = intOption('enum-timeout-ms', values['enum-timeout-ms'], 100, 600_000) ?? 15_000;
  const enumQueue = new PQueue({ concurrency: intOption('enum-concurrency', values['enum-concurrency'], 1, 1024) ?? 16 });
  const dbLocation = resolveDbLocation(values.db);
  if (values['apply-rules'] !== undefined && values['no-rules']) throw new InputError('give --apply-rules FILE or --no-rules, not both');
  // A bad rule file is refused before the database is touched.
  const ruleFile = values['apply-rules'] !== undefined ? { ...readRuleFile(values['apply-rules']), source: values['apply-rules'] } : undefined;

  if (values.output !== undefined) checkOutputPath(values.output, dbLocation);
  // Written beside --output and renamed over it at the end: a refused or failed scan leaves an earlier file as it was.
  const output = values.output !== undefined ? new AtomicOutput(values.output) : null;
  let keepOutput = false;
  /** Set once the scan has nothing left to stop: a signal then only counts towards quitting at once. */
  let closing = false;
  // Named credentials live in the database: without one there is nothing to use, so none is created.
  const store = await openStore(dbLocation, { create: credNames.length === 0 }).catch((err) => {
    output?.discard();
    throw err;
  });
  try {
    const credentials = await openCredentials(store, credNames);
    const scanRules = values['no-rules'] ? undefined : await rulesForScan(store, ruleFile);
    const write = (text: string) => (output === null ? process.stdout.write(text) : output.write(text));
    const probesTotal = targets.total * ports.length;
    const startedAt = new Date().toISOString();
    const scanId = await store.createScan({
      startedAt,
      targets: include,
      exclusions,
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
      },
      hostsTotal: targets.total,
      probesTotal,
    });
    let latest: SweepCounters = { probesDone: 0, hostsDone: 0, open: 0, closed: 0, filtered: 0, retries: 0 };
    const batcher = new StoreBatcher(store, scanId, () => latest);
    const coverage = new Coverage();
    batcher.swept = () => coverage.ranges();
    const writer = new AssetWriter(format, write, () => ({ scan: { id: scanId, startedAt, targets: include, ports } }));
    const progress = ProgressLine.forStream(process.stderr, !values['no-progress'], targets.total, probesTotal);

    // How a scan stops early: a first signal (SIGINT, SIGTERM, SIGHUP), a closed standard output or a batch the
    // store cannot take stops the sweep and cancels fingerprints and enumerations; a second signal also stops
    // waiting for those in flight, storing each waiting host with what the sweep found; a third quits at once.
    const abort = new AbortController();
    let stopReason: string | null = null;
    let storeFailure: Error | null = null;
    let hardStop = () => {};
    const hardStopped = new Promise<void>((resolve) => (hardStop = resolve));
    const stopScan = (reason: string) => {
      if (stopReason !== null) return;
      stopReason = reason;
      progress?.clear();
      abort.abort();
      enumQueue.clear();
    };
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (closing) {
        if (signals >= 3) process.exit(130);
        return;
      }
      if (signals === 1) {
        process.stderr.write(`\nsurveyor: ${signal}: stopping, storing what was found (again to stop waiting for fingerprints and enumerations)\n`);
        stopScan(signal);
      } else if (signals === 2) {
        process.stderr.write(`surveyor: ${signal}: storing the hosts swept so far without waiting (again to quit at once)\n`);
        hardStop();
      } else process.exit(130);
    };
    const onStdoutClosed = () => stopScan('standard output was closed');
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    stdoutClosed.addEventListener('abort', onStdoutClosed);
    // The handlers stay until the process exits (bin/surveyor.js exits when the command returns): a Ctrl-C
    // while the last batch is written or the database closed must not kill the process halfway.
    batcher.onFailure = (err) => {
      storeFailure = err;
      stopScan(`the database could not be written: ${err.message}`);
    };
    const aborted = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    // Fingerprinting runs alongside the sweep: a host is probed as soon as its ports are known.
    const fingerprints = new PQueue({ concurrency: 64 });
    const seen: string[] = [];
    /** Hosts swept but not yet recorded (waiting for fingerprinting or enumeration). */
    const waiting = new Map<string, { ports: HostRecordPorts; complete: boolean }>();
    const record = (address: string, ports: HostRecordPorts, complete: boolean, profile?: HostProfile, enumerations?: EnumerationRecord[]) => {
      seen.push(address);
      const targetNames = targets.names.get(address) ?? [];
      const found = (profile?.hostnames ?? []).map((n) => n.name).filter((n) => !targetNames.includes(n));
      const hostnames = [...targetNames, ...found];
      batcher.add({ address, hostnames: targetNames, ports, seenAt: new Date().toISOString(), profile, enumerations });
      const serviceOf = new Map((profile?.services ?? []).map((sv) => [sv.port, sv]));
      writer.add({
        address, hostnames, partial: !complete, os: profile?.os, domain: profile?.domain?.name, netbios: profile?.netbios,
        ports: ports.map((p) => ({ ...p, service: serviceOf.get(p.port) })),
        enumerations: enumerations?.map(enumerationSummary),
      });
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
    try {
      summary = await sweep(targets, {
        ...sweepOptions,
        signal: abort.signal,
        onProgress: (c) => {
          latest = c;
          progress?.update(c);
        },
        // Every host whose sweep ended is settled, but one waiting for its fingerprint only once it is recorded.
        // (onHost comes before onSwept for a host, from a worker too, so `waiting` already knows it.)
        onSwept: (address) => {
          if (!waiting.has(address)) coverage.add(address);
        },
        onHost: (host) => {
          const open = host.ports.filter((p) => p.state === 'open').map((p) => p.port);
          const enumerate = credentials.length > 0 && open.length > 0;
          if ((!fingerprint && !reverseDns && !enumerate) || open.length === 0 || abort.signal.aborted) return record(host.address, host.ports, host.complete);
          queued++;
          waiting.set(host.address, { ports: host.ports, complete: host.complete });
          if (progress) progress.fingerprint = { queued, done: fingerprinted };
          void fingerprints.add(async () => {
            const [profile, name] = await Promise.all([
              fingerprint ? fingerprintHost(host.address, open, { probeTimeoutMs, rules, signal: abort.signal }) : undefined,
              reverseDns ? reverseName(host.address) : undefined,
            ]);
            if (fingerprint) fingerprinted++;
            if (progress) progress.fingerprint = { queued, done: fingerprinted };
            const withName: HostProfile | undefined = name
              ? { ...(profile ?? { address: host.address, services: [], hostnames: [] }), hostnames: [{ name, via: 'reverse DNS' }, ...(profile?.hostnames ?? []).filter((n) => n.name !== name)] }
              : profile;
            const sshPorts = fingerprint ? (profile?.services ?? []).filter((sv) => sv.service === 'ssh').map((sv) => sv.port) : open.filter((p) => p === 22);
            // An enumeration under way when the scan stops is abandoned: the host is stored with its fingerprint.
            const enumerations = enumerate && !abort.signal.aborted
              ? (await Promise.race([
                enumQueue.add(() => enumerateHost(host.address, sshPorts, profile, credentials, {
                  pins: store, timeoutMs: enumTimeoutMs, tls: ldapTls, tlsName: targets.names.get(host.address)?.[0],
                })),
                aborted.then(() => undefined),
              ])) ?? undefined
              : undefined;
            settle(host.address, withName, abort.signal.aborted ? undefined : enumerations);
          }).catch((err: unknown) => {
            process.stderr.write(`surveyor scan: ${host.address}: ${(err as Error).message}\n`);
            settle(host.address);
          });
        },
      });
      const sweptAt = performance.now();
      const redraw = progress ? setInterval(() => progress.update(latest), 200) : null;
      await Promise.race([fingerprints.onIdle(), hardStopped]);
      if (redraw) clearInterval(redraw);
      for (const address of [...waiting.keys()]) settle(address); // a hard stop: what the sweep found
      fingerprintMs = performance.now() - sweptAt;
    } catch (err) {
      await batcher.close().catch(() => {});
      await store.finishScan(scanId, 'failed', latest, new Date().toISOString(), { note: (err as Error).message }).catch(() => {});
      throw err;
    } finally {
      progress?.clear();
    }
    latest = summary.counters;
    const interrupted = summary.interrupted || stopReason !== null;
    const status = interrupted ? 'interrupted' : 'completed';
    try {
      await batcher.close();
      await store.finishScan(scanId, status, summary.counters, new Date().toISOString(), {
        note: stopReason ?? undefined, swept: interrupted ? coverage.ranges() : undefined,
      });
    } catch (err) {
      // The store refuses even the end of the scan: its process ends, so the next command marks it interrupted.
      throw new SurveyorError('store', `scan ${scanId} stopped: ${(storeFailure ?? (err as Error)).message}; what was stored before is kept, and the next surveyor command marks the scan interrupted`);
    }
    if (storeFailure) throw new SurveyorError('store', `scan ${scanId} stopped and marked interrupted: ${stopReason}; what was stored before is kept`);
    writer.end((a, b) => compareAddresses(a.address, b.address));
    const c = summary.counters;
    const seconds = summary.elapsedMs / 1000;
    const rows = [
      ['scan', `${scanId} ${status}${stopReason ? ` (${stopReason})` : ''}`],
      ['hosts', `${fmt(c.hostsDone)} of ${fmt(targets.total)}`],
      ['probes', `${fmt(c.probesDone)} of ${fmt(probesTotal)} in ${formatDuration(seconds)} (${fmt(Math.round(c.probesDone / Math.max(seconds, 1e-3)))}/s)`],
      ['ports', `${fmt(c.open)} open, ${fmt(c.closed)} closed, ${fmt(c.filtered)} filtered (${fmt(c.retries)} retries)`],
      ...(fingerprint ? [['fingerprint', `${fmt(fingerprinted)} hosts, ${formatDuration(fingerprintMs / 1000)} after the sweep`]] : []),
      ['stored in', store.location],
    ];
    process.stderr.write(renderTable(['SUMMARY', ''], rows));
    if (scanRules && interrupted) process.stderr.write('rules: not applied, the scan was interrupted (surveyor rules apply to apply them)\n');
    else if (scanRules && seen.length) {
      const result = await applyRules(store, scanRules.rules, { source: scanRules.source, trigger: `scan ${scanId}`, addresses: seen });
      process.stderr.write(summaryLine(result));
      for (const f of result.notifyFailures) process.stderr.write(`surveyor scan: webhook failed: ${f}\n`);
    }
    keepOutput = true; // completed or interrupted: what was found is stored, and written
    return interrupted ? 130 : 0;
  } finally {
    closing = true;
    if (keepOutput) output?.commit();
    else output?.discard();
    await store.close();
  }
}

function enumerationSummary(e: EnumerationRecord): EnumerationSummary {
  const kind = e.method === 'ldap' ? 'domain' : 'local';
  return {
    method: e.method, port: e.port, credential: e.credential, status: e.status, notes: e.notes,
    accounts: e.accounts.filter((a) => a.kind === kind).length,
    privileged: e.accounts.filter((a) => a.kind === kind && a.privileged).map((a) => a.name),
    sshKeys: e.accounts.filter((a) => a.kind === 'ssh-key').length,
  };
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
