/**
 * `surveyor scan`: validate everything (targets, names, ports, options) before touching the database, then sweep,
 * stream results to the output and the store, and finish the scan record as completed or interrupted.
 */
import { AtomicOutput, checkOutputPath } from './output-file.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { compareAddresses } from '../scanner/targets/ip.js';
import { PORT_STATES, PortState } from '../model/port.js';
import { readRuleFile } from './rule-file-input.js';
import { InputError } from '../scanner/errors.js';
import { parsePorts } from '../scanner/ports.js';
import { DEFAULT_MAX_HOSTS } from '../scanner/targets/target-set.js';
import type { EnumerationRecord } from '../enum/types.js';
import { loadCaFile, tlsPolicy } from '../enum/ldap/connect.js';
import { directoryTargets } from '../app/directory-targets.js';
import { prepareScan, runScan, ScanEvent, ScannedHost, ScanSummary, SweepSettings } from '../app/scan.js';
import { renderTable } from '../app/formats.js';
import { summaryLine } from './rules-command.js';
import { stdoutClosed } from './stdout.js';
import { choiceOption, durationOption, FORMATS, intOption, parseCommand } from './args.js';
import { AssetWriter, AssetRecord, EnumerationSummary } from './output.js';
import { NmapXmlWriter } from './nmap-xml.js';
import { fmt, formatDuration, ProgressLine } from './progress.js';

export const SCAN_HELP = `usage: surveyor scan TARGETS... [options]

Sweeps the targets for open TCP ports, then fingerprints every open port (service, product, version, OS, names).

Targets: addresses (127.0.0.1, ::1), CIDR blocks (127.20.0.0/16), ranges (127.0.0.1-20, 127.0.0.1-127.0.1.5),
nmap's octet patterns (127.105.0-1.1-254, 127.105.0.1-3,7, 127.105.0.*), host names (every address they resolve
to) and @FILE lists (one target a line, # comments).

  -p, --ports SPEC       default | standard | database | all | 22,80,8000-8100 | mixes (default: default)
  -iL FILE               targets from FILE, as @FILE (nmap's form)
  --exclude TARGETS      addresses to leave out, same syntax (repeatable)
  --exclude-file FILE    file of exclusions (repeatable; nmap's --excludefile also works)
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
  --format FMT           table | jsonl | json | csv | xml (default: table); xml is nmap's XML (-sT), for tools
                         that import nmap results
  --output FILE          write data to FILE instead of stdout
  -oX FILE               nmap's form of --format xml --output FILE (- for stdout)
  --no-fingerprint       only sweep: do not identify the services on open ports
  --reverse-dns          look up each host's name (getnameinfo: /etc/hosts, then DNS; off by default: it sends DNS queries)
  --probe-timeout-ms N   budget of one fingerprint probe (default: 3000)
  --creds NAME           enumerate hosts with this stored credential (repeatable; see surveyor creds). ssh: OS,
                         hardware, software, services, users, groups, sudo rights and SSH keys; ldap: on hosts whose
                         rootDSE shows a directory, its users, groups and privileged paths (as surveyor directory
                         scan); mysql, postgres, mssql: on every such database service the fingerprint found, its
                         accounts (kind database) and their privileges; snmp: over udp/161, on every address in the
                         credential's scope, open TCP port or not (an agent that answers makes an asset): system,
                         interfaces, addresses, storage, devices, software, processes and physical inventory. Only
                         addresses in the credential's scope get it; one attempt per credential and host (per
                         database service).
  --ldap-ca-file PEM     CA certificates a directory's certificate must chain to (default: the system's)
  --mssql-ca-file PEM    CA certificates an MSSQL server's certificate must chain to (default: the system's); MSSQL
                         logins always use TLS, and the certificate must carry the target's name
  --allow-plaintext-bind send an ldap credential's password to a directory that offers no TLS
  --from-directory       also scan the computers earlier directory scans listed (their DNS names, resolved now)
  --enum-timeout-ms N    budget to connect and authenticate for one enumeration (default: 15000)
  --enum-concurrency N   hosts enumerated at once (default: 16)
  --snmp-timeout-ms N    SNMP: wait for the answer to one request before sending it again (default: 1500)
  --snmp-retries N       SNMP: times an unanswered request is sent again (default: 1)
  --snmp-concurrency N   SNMP: hosts with no open TCP port asked at once (default: 64)
  --apply-rules FILE     apply these Smart Rules to the scanned hosts when the scan completes (default: the rule
                         set stored with "surveyor rules store", if any)
  --no-rules             apply no rules at the end of this scan
  --no-progress          no progress line on a terminal
  --stats-every DURATION when standard error is not a terminal (a log, a pipe), print a progress line this often
                         (500ms, 5s, 2m, 1h; a bare number is seconds). On a terminal the line is redrawn in place.

Exit codes: 0 done; 3 completed, but on some host every credentialed enumeration failed (auth-failed, timeout,
hostkey-changed, ...: the summary counts them by status, so does --format json); 1 runtime failure; 2 bad input;
130 interrupted (what was found is stored).

Examples:
  surveyor scan 127.105.0.0/24 -p 22,80,443
  surveyor scan -iL targets.txt --excludefile skip.txt --creds ssh-admin
  surveyor scan 127.105.0-1.1-254 -p standard -oX scan.xml
`;

/** The options of what a scan does, shared by `scan` and `jobs add` (a job keeps them for its runs). */
export const SCAN_SETTING_OPTIONS = {
  ports: { type: 'string', short: 'p' },
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
  'no-fingerprint': { type: 'boolean' },
  'reverse-dns': { type: 'boolean' },
  'probe-timeout-ms': { type: 'string' },
  creds: { type: 'string', multiple: true },
  'enum-timeout-ms': { type: 'string' },
  'enum-concurrency': { type: 'string' },
  'snmp-timeout-ms': { type: 'string' },
  'snmp-retries': { type: 'string' },
  'snmp-concurrency': { type: 'string' },
  'ldap-ca-file': { type: 'string' },
  'mssql-ca-file': { type: 'string' },
  'allow-plaintext-bind': { type: 'boolean' },
} as const;

const OPTIONS = {
  ...SCAN_SETTING_OPTIONS,
  db: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  'no-progress': { type: 'boolean' },
  'stats-every': { type: 'string' },
  'from-directory': { type: 'boolean' },
  'apply-rules': { type: 'string' },
  'no-rules': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type SettingValues = { [K in keyof typeof SCAN_SETTING_OPTIONS]?: (typeof SCAN_SETTING_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof SCAN_SETTING_OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

/** The sweep's tuning and the scan's other settings from the options, each checked (bad input: exit 2). */
export function scanSettings(values: SettingValues) {
  const sweep: SweepSettings = {
    ports: parsePorts(values.ports ?? 'default'),
    timeoutMs: intOption('timeout-ms', values['timeout-ms'], 1, 600_000),
    minTimeoutMs: intOption('min-timeout-ms', values['min-timeout-ms'], 1, 600_000),
    retries: intOption('retries', values.retries, 0, 10),
    concurrency: intOption('concurrency', values.concurrency, 1, 10_000),
    perHost: intOption('per-host', values['per-host'], 1, 10_000),
    ratePerSec: intOption('rate', values.rate, 0, 10_000_000),
    threads: intOption('threads', values.threads, 0, 64),
    reportStates: parseStates(values.states),
  };
  return {
    sweep,
    maxHosts: intOption('max-hosts', values['max-hosts'], 1, Number.MAX_SAFE_INTEGER),
    fingerprint: !values['no-fingerprint'],
    reverseDns: values['reverse-dns'] === true,
    probeTimeoutMs: intOption('probe-timeout-ms', values['probe-timeout-ms'], 50, 120_000) ?? 3000,
    credentials: [...new Set((values.creds ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean))],
    enumTimeoutMs: intOption('enum-timeout-ms', values['enum-timeout-ms'], 100, 600_000) ?? 15_000,
    enumConcurrency: intOption('enum-concurrency', values['enum-concurrency'], 1, 1024) ?? 16,
    snmpTimeoutMs: intOption('snmp-timeout-ms', values['snmp-timeout-ms'], 10, 60_000),
    snmpRetries: intOption('snmp-retries', values['snmp-retries'], 0, 10),
    snmpConcurrency: intOption('snmp-concurrency', values['snmp-concurrency'], 1, 4096),
    ldapTls: tlsPolicy({ caFile: values['ldap-ca-file'], caOption: '--ldap-ca-file', allowPlaintextBind: values['allow-plaintext-bind'] === true }),
    mssqlCa: values['mssql-ca-file'] === undefined ? undefined : loadCaFile(values['mssql-ca-file'], '--mssql-ca-file'),
  };
}

/** The exit code of a scan that completed but could not enumerate some host with any of its credentials. */
export const EXIT_ENUMERATION_FAILED = 3;

/** Signals that stop a scan as Ctrl-C does (a closed terminal sends SIGHUP). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function parseStates(value: string | undefined): PortState[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => {
    const state = s.trim();
    if (!(PORT_STATES as readonly string[]).includes(state)) throw new InputError(`bad --states "${value}": "${state}" is not one of ${PORT_STATES.join(', ')}`);
    return state as PortState;
  });
}

/**
 * nmap's spellings that parseArgs cannot read as they are (`-iL FILE`, `-oX FILE`: two letters after one dash), or
 * that differ by a dash (`--excludefile`), turned into surveyor's before parsing.
 */
function nmapForms(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new InputError(`option ${arg} needs a file name (see "surveyor scan --help")`);
      return v;
    };
    if (arg === '-iL') out.push(`@${value()}`);
    else if (arg === '-oX') {
      const file = value();
      out.push('--format', 'xml', ...(file === '-' ? [] : ['--output', file]));
    } else if (arg === '--excludefile') out.push('--exclude-file', value());
    else if (arg.startsWith('--excludefile=')) out.push(`--exclude-file=${arg.slice('--excludefile='.length)}`);
    else out.push(arg);
  }
  return out;
}

export async function scanCommand(argv: string[]): Promise<number> {
  const args = nmapForms(argv);
  for (const option of ['--format', '--output']) {
    if (args.filter((a) => a === option || a.startsWith(`${option}=`)).length > 1) throw new InputError(`give ${option} once (-oX FILE is --format xml --output FILE)`);
  }
  const { values, positionals } = parseCommand('scan', args, OPTIONS);
  if (values.help) {
    process.stdout.write(SCAN_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, [...FORMATS, 'xml'] as const, 'table');
  const statsEveryMs = durationOption('stats-every', values['stats-every'], 100, 86_400_000);
  const exclusions = values.exclude ?? [];
  const include = [...positionals];
  if (values['from-directory']) {
    const store = await openStore(resolveDbLocation(values.db));
    const found = await directoryTargets(store).finally(() => store.close());
    process.stderr.write(`from the directory: ${found.total} computer(s), ${found.names.length} resolve${found.skipped.map((s) => `\n  skipped ${s}`).join('')}\n`);
    for (const name of found.names) include.push(name);
    if (!include.length) throw new InputError('scan --from-directory: no stored directory computer has a DNS name that resolves, and no other target was given (run surveyor directory scan first)');
  }
  const settings = scanSettings(values);
  // Targets resolved and the tuning checked before anything is written.
  const prepared = await prepareScan({
    targets: include,
    exclude: exclusions,
    excludeFiles: values['exclude-file'] ?? [],
    ...settings,
  });
  const dbLocation = resolveDbLocation(values.db);
  if (values['apply-rules'] !== undefined && values['no-rules']) throw new InputError('give --apply-rules FILE or --no-rules, not both');
  // A bad rule file is refused before the database is touched.
  const rules = values['no-rules'] ? 'none' as const
    : values['apply-rules'] !== undefined ? { ...readRuleFile(values['apply-rules']), source: values['apply-rules'] } : 'stored' as const;
  const request = { ...prepared.request, rules };

  if (values.output !== undefined) checkOutputPath(values.output, dbLocation);
  // Written beside --output and renamed over it at the end: a refused or failed scan leaves an earlier file as it was.
  const output = values.output !== undefined ? new AtomicOutput(values.output) : null;
  let keepOutput = false;
  /** Set once the scan has nothing left to stop: a signal then only counts towards quitting at once. */
  let closing = false;
  // Named credentials live in the database: without one there is nothing to use, so none is created.
  const store = await openStore(dbLocation, { create: (request.credentials ?? []).length === 0 }).catch((err) => {
    output?.discard();
    throw err;
  });
  const progress = ProgressLine.forStream(process.stderr, !values['no-progress'], prepared.hostsTotal, prepared.probesTotal, statsEveryMs);
  try {
    const write = (text: string) => (output === null ? process.stdout.write(text) : output.write(text));
    let writer: AssetWriter | NmapXmlWriter | null = null;
    let finished: ScanSummary | null = null;
    const credentialed = (request.credentials ?? []).length > 0;
    // How a scan stops early: a first signal (SIGINT, SIGTERM, SIGHUP) or a closed standard output stops it
    // (runScan then cancels fingerprints and enumerations); a second signal also stops waiting for those in
    // flight; a third quits at once.
    const stop = new AbortController();
    const hardStop = new AbortController();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (closing) {
        if (signals >= 3) process.exit(130);
        return;
      }
      if (signals === 1) {
        process.stderr.write(`\nsurveyor: ${signal}: stopping, storing what was found (again to stop waiting for fingerprints and enumerations)\n`);
        stop.abort(signal);
      } else if (signals === 2) {
        process.stderr.write(`surveyor: ${signal}: storing the hosts swept so far without waiting (again to quit at once)\n`);
        hardStop.abort();
      } else process.exit(130);
    };
    const onEvent = (e: ScanEvent) => {
      switch (e.type) {
        case 'started':
          writer = format === 'xml'
            ? new NmapXmlWriter(write, { args: ['surveyor', 'scan', ...argv].join(' '), startedAt: e.startedAt, ports: e.ports, hostsTotal: e.hostsTotal })
            : new AssetWriter(format, write, () => ({
              scan: { id: e.scanId, startedAt: e.startedAt, targets: e.targets, ports: e.ports, ...(credentialed && finished ? { enumerations: finished.enumerations } : {}) },
            }));
          // The handlers stay until the process exits (bin/surveyor.js exits when the command returns): a Ctrl-C
          // while the last batch is written or the database closed must not kill the process halfway.
          for (const s of STOP_SIGNALS) process.on(s, onSignal);
          stdoutClosed.addEventListener('abort', () => stop.abort('standard output was closed'));
          return;
        case 'progress':
          progress?.update(e.counters);
          return;
        case 'fingerprints':
          progress?.fingerprints(e.queued, e.done);
          return;
        case 'enumerations':
          progress?.enumerations(e.queued, e.done);
          return;
        case 'host':
          writer!.add(assetRecord(e.host));
          return;
        case 'host-error':
          process.stderr.write(`surveyor scan: ${e.address}: ${e.message}\n`);
          return;
        case 'swept':
          progress?.swept(e.counters);
          return;
        case 'settled':
          progress?.stop();
          return;
        case 'stopping':
          progress?.clear();
          return;
        case 'done':
          finished = e.summary;
          writer!.end((a, b) => compareAddresses(a.address, b.address));
          process.stderr.write(summaryTable(e.summary, store.location, credentialed));
          return;
        case 'rules-skipped':
          process.stderr.write('rules: not applied, the scan was interrupted (surveyor rules apply to apply them)\n');
          return;
        case 'rules-applied':
          process.stderr.write(summaryLine(e.result));
          for (const f of e.result.notifyFailures) process.stderr.write(`surveyor scan: webhook failed: ${f}\n`);
          return;
      }
    };
    const result = await runScan(store, { ...prepared, request }, { onEvent, signal: stop.signal, hardStop: hardStop.signal });
    keepOutput = true; // completed or interrupted: what was found is stored, and written
    if (result.status === 'interrupted') return 130;
    return result.enumerations.hostsFailed > 0 ? EXIT_ENUMERATION_FAILED : 0;
  } finally {
    progress?.stop();
    closing = true;
    if (keepOutput) output?.commit();
    else output?.discard();
    await store.close();
  }
}

function assetRecord(host: ScannedHost): AssetRecord {
  const { profile } = host;
  const serviceOf = new Map((profile?.services ?? []).map((sv) => [sv.port, sv]));
  return {
    address: host.address, hostnames: host.hostnames, partial: !host.complete, os: profile?.os, domain: profile?.domain?.name, netbios: profile?.netbios,
    ports: host.ports.map((p) => ({ ...p, service: serviceOf.get(p.port) })),
    enumerations: host.enumerations?.map(enumerationSummary),
  };
}

function summaryTable(s: ScanSummary, location: string, credentialed: boolean): string {
  const c = s.counters;
  const seconds = s.elapsedMs / 1000;
  const rows = [
    ['scan', `${s.scanId} ${s.status}${s.stopReason ? ` (${s.stopReason})` : ''}`],
    ['hosts', `${fmt(c.hostsDone)} of ${fmt(s.hostsTotal)}`],
    ['probes', `${fmt(c.probesDone)} of ${fmt(s.probesTotal)} in ${formatDuration(seconds)} (${fmt(Math.round(c.probesDone / Math.max(seconds, 1e-3)))}/s)`],
    ['ports', `${fmt(c.open)} open, ${fmt(c.closed)} closed, ${fmt(c.filtered)} filtered (${fmt(c.retries)} retries)`],
    ...(s.fingerprint ? [['fingerprint', `${fmt(s.fingerprinted)} hosts, ${formatDuration(s.fingerprintMs / 1000)} after the sweep`]] : []),
    ...(credentialed ? [['enumerations', enumerationLine(s.enumerations)]] : []),
    ['stored in', location],
  ];
  return renderTable(['SUMMARY', ''], rows);
}

/** `2 hosts, 1 not enumerated (failed on every attempt); attempts: auth-failed 2, success 1`. */
function enumerationLine(e: ScanSummary['enumerations']): string {
  const attempts = Object.entries(e.byStatus).sort(([a], [b]) => (a < b ? -1 : 1)).map(([status, n]) => `${status} ${fmt(n!)}`).join(', ');
  const snmpOnly = e.snmpOnly ? `; asked over SNMP alone (no open TCP port): ${fmt(e.snmpOnly.asked)}, ${fmt(e.snmpOnly.answered)} answered` : '';
  return `${fmt(e.hosts)} hosts, ${fmt(e.hostsFailed)} not enumerated (failed on every attempt)${attempts ? `; attempts: ${attempts}` : ''}${snmpOnly}`;
}

function enumerationSummary(e: EnumerationRecord): EnumerationSummary {
  const kind = e.method === 'ldap' ? 'domain' : e.method === 'ssh' ? 'local' : 'database';
  return {
    method: e.method, port: e.port, credential: e.credential, status: e.status, notes: e.notes,
    accounts: e.accounts.filter((a) => a.kind === kind).length,
    privileged: e.accounts.filter((a) => a.kind === kind && a.privileged).map((a) => a.name),
    sshKeys: e.accounts.filter((a) => a.kind === 'ssh-key').length,
  };
}
