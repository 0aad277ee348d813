/**
 * `npm run bench`: surveyor against nmap -sT on the same generated loopback estates, alternating runs, several
 * repetitions. For each tool: median wall time, probes/s, peak memory (GNU time's max RSS), and whether the set of
 * open ports equals the estate's ground truth. Then the ratio surveyor/nmap.
 *
 *   npm run bench -- [--reps 3] [--only 4096,16,filtered,fingerprint,ssh-enum,directory,rules,failover,engine] [--fingerprint-cidr 127.46.0.0/22]
 *                    [--ssh-hosts 32]
 *
 * `fingerprint` compares service identification with nmap -sV --version-light on a speaking estate;
 * `ssh-enum` compares credentialed enumeration of SSH endpoints with nmap's ssh-run script (bench/ssh-enum.ts);
 * `rules` times Smart Rules over 10,000 assets / 250,000 accounts with 100 rules (bench/rules.ts), stored in SQLite and
 * then in PostgreSQL; the /16 sweep also runs into PostgreSQL (`surveyor-pg`), both against a throwaway cluster of
 * fixtures/pg/server.ts (fsync off, as a test cluster);
 * `failover` times the recovery of workers on PostgreSQL from a worker and a rule-role holder killed with -9 (bench/failover.ts);
 * `directory` compares LDAP enumeration of a directory larger than its size limit with nmap's ldap-search (bench/directory.ts);
 * `engine` (not in the default set) compares p-queue with the sweeper's own scheduler in-process.
 *
 * Needs root (listeners on ports below 1024, a network namespace for the filtered estate); installs nmap and GNU
 * time from Debian's packages if they are missing. All traffic stays on loopback or inside the namespace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNamespace, Namespace } from '../fixtures/estate/netns.js';
import { benchEngine } from './engine.js';
import { benchFingerprint } from './fingerprint.js';
import { benchSshEnum } from './ssh-enum.js';
import { benchDirectory } from './directory.js';
import { benchRules, type BenchDb } from './rules.js';
import { benchFailover } from './failover.js';
import { startPostgres, type TestPostgres } from '../fixtures/pg/server.js';
import { timed } from './exec.js';
import type { EstatePlan, EstateSpec } from '../fixtures/estate/plan.js';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { renderTable } from '../app/formats.js';
import { DEFAULT_PORTS } from '../scanner/ports.js';

const BIN = fileURLToPath(new URL('../../bin/surveyor.js', import.meta.url));

interface Estate {
  readonly key: string;
  readonly title: string;
  readonly spec: EstateSpec;
  readonly namespaced: boolean;
  readonly maxHosts: number;
  /** Also scan into PostgreSQL (beside SQLite), to show what the shared database costs a large sweep. */
  readonly postgres?: boolean;
}

const ESTATES: readonly Estate[] = [
  { key: '4096', title: '4,096 hosts (127.40.0.0/20), 5 % of ports open', spec: { cidr: '127.40.0.0/20', seed: 1, density: 0.05 }, namespaced: false, maxHosts: 4096 },
  { key: '16', title: '/16 (127.41.0.0/16), 0.4 % of ports open', spec: { cidr: '127.41.0.0/16', seed: 2, density: 0.004 }, namespaced: false, maxHosts: 65536, postgres: true },
  { key: 'filtered', title: 'filtered /24 (127.42.0.0/24), 1 host in 16 silent, 10 % of ports open', spec: { cidr: '127.42.0.0/24', seed: 3, density: 0.1, silentFraction: 1 / 16 }, namespaced: true, maxHosts: 256 },
];

interface Run {
  readonly wallMs: number;
  readonly peakMb: number;
  readonly open: Map<string, number[]>;
}

function ensureTools(): void {
  const missing = [['nmap', 'nmap'], ['/usr/bin/time', 'time']].filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0).map(([, pkg]) => pkg!);
  if (missing.length === 0) return;
  process.stderr.write(`bench: installing ${missing.join(', ')} from Debian's packages\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`could not install ${missing.join(', ')}`);
}

type Tool = 'surveyor' | 'surveyor-pg' | 'nmap';

async function runSurveyor(estate: Estate, prefix: readonly string[], db: string): Promise<Run> {
  const r = await timed([...prefix, process.execPath, BIN, 'scan', estate.spec.cidr, '--db', db, '--format', 'jsonl', '--no-progress', '--no-fingerprint', '--max-hosts', String(estate.maxHosts)]);
  const open = new Map<string, number[]>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line) as { address: string; ports: Array<{ port: number; state: string }> };
    const ports = o.ports.filter((p) => p.state === 'open').map((p) => p.port);
    if (ports.length) open.set(o.address, ports.sort((a, b) => a - b));
  }
  return { wallMs: r.wallMs, peakMb: r.peakMb, open };
}

async function runNmap(estate: Estate, prefix: readonly string[]): Promise<Run> {
  const r = await timed([...prefix, 'nmap', '-sT', '-n', '-Pn', '-T4', '-p', DEFAULT_PORTS.join(','), '-oG', '-', estate.spec.cidr]);
  const open = new Map<string, number[]>();
  for (const line of r.stdout.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*)$/.exec(line);
    if (!m) continue;
    const ports = [...m[2]!.matchAll(/(\d+)\/open\/tcp/g)].map((x) => Number(x[1]));
    if (ports.length) open.set(m[1]!, ports.sort((a, b) => a - b));
  }
  return { wallMs: r.wallMs, peakMb: r.peakMb, open };
}

function matches(run: Run, plan: EstatePlan): { equal: boolean; found: number; missing: number; extra: number } {
  let found = 0;
  let missing = 0;
  let extra = 0;
  for (const [address, ports] of Object.entries(plan.open)) {
    const got = new Set(run.open.get(address) ?? []);
    for (const p of ports) (got.has(p) ? found++ : missing++);
  }
  for (const [address, ports] of run.open) {
    const want = new Set(plan.open[address] ?? []);
    for (const p of ports) if (!want.has(p)) extra++;
  }
  return { equal: missing === 0 && extra === 0, found, missing, extra };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function benchEstate(estate: Estate, reps: number, dir: string, pg: () => Promise<TestPostgres>): Promise<string[][]> {
  let ns: Namespace | null = null;
  if (estate.namespaced) ns = createNamespace(`svbench-${process.pid % 10000}`);
  const prefix = ns?.prefix ?? [];
  const running = await startEstateProcess(estate.spec, prefix);
  try {
    if (ns) ns.dropHosts(running.plan.silent);
    const plan = running.plan;
    const probes = plan.hosts * DEFAULT_PORTS.length;
    process.stderr.write(`\n${estate.title}: ${plan.hosts} hosts, ${probes} probes, ${plan.openCount} open, ${plan.silent.length} silent hosts\n`);
    const tools: Tool[] = estate.postgres ? ['surveyor', 'surveyor-pg', 'nmap'] : ['surveyor', 'nmap'];
    const runs: Record<Tool, Run[]> = { surveyor: [], 'surveyor-pg': [], nmap: [] };
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of rep % 2 === 0 ? tools : [...tools].reverse()) {
        const run = tool === 'nmap' ? await runNmap(estate, prefix)
          : await runSurveyor(estate, prefix, tool === 'surveyor' ? join(dir, `surveyor-${estate.key}-${rep}.db`) : await (await pg()).freshDatabase(`bench_${estate.key}_${rep}`));
        const check = matches(run, plan);
        process.stderr.write(`  ${tool.padEnd(8)} rep ${rep + 1}: ${(run.wallMs / 1000).toFixed(2)} s, ${run.peakMb.toFixed(0)} MB, ` +
          `${check.equal ? 'exact' : `found ${check.found}, missed ${check.missing}, extra ${check.extra}`}\n`);
        runs[tool].push(run);
      }
    }
    const rows: string[][] = [];
    const walls: Record<string, number> = {};
    for (const tool of tools) {
      const wall = median(runs[tool].map((r) => r.wallMs));
      walls[tool] = wall;
      const checks = runs[tool].map((r) => matches(r, plan));
      const exact = checks.filter((c) => c.equal).length;
      rows.push([
        estate.key, tool, `${(wall / 1000).toFixed(2)} s`, Math.round(probes / (wall / 1000)).toLocaleString('en-US'),
        `${median(runs[tool].map((r) => r.peakMb)).toFixed(0)} MB`, `${exact}/${checks.length} exact`,
      ]);
    }
    const ratio = walls.surveyor! / walls.nmap!;
    rows.push([estate.key, 'ratio', `surveyor/nmap = ${ratio.toFixed(3)}`, `(${(1 / ratio).toFixed(1)}x faster)`, '', '']);
    if (estate.postgres) {
      const pgRatio = walls['surveyor-pg']! / walls.nmap!;
      rows.push([estate.key, 'ratio', `surveyor-pg/nmap = ${pgRatio.toFixed(3)}`, `(${(1 / pgRatio).toFixed(1)}x faster)`, '', '']);
      rows.push([estate.key, 'ratio', `surveyor-pg/surveyor = ${(walls['surveyor-pg']! / walls.surveyor!).toFixed(3)}`, '(PostgreSQL / SQLite)', '', '']);
    }
    return rows;
  } finally {
    await running.stop();
    ns?.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, only: { type: 'string' }, 'fingerprint-cidr': { type: 'string' }, 'ssh-hosts': { type: 'string', default: '32' } } });
  const reps = Number(values.reps);
  const only = values.only ? values.only.split(',') : [...ESTATES.map((e) => e.key), 'fingerprint', 'ssh-enum', 'directory', 'rules', 'failover'];
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (low ports, a network namespace)');
  ensureTools();
  const version = spawnSync('nmap', ['--version']).stdout.toString().split('\n')[0];
  process.stderr.write(`bench: ${version}; node ${process.version}; ${reps} repetitions, alternating\n`);
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-bench-'));
  const rows: string[][] = [];
  // One throwaway PostgreSQL (fixtures/pg/server.ts, on 127.94.0.1) for the steps that store into it, started on first use.
  let postgres: Promise<TestPostgres> | undefined;
  const pg = () => (postgres ??= startPostgres({ budgetMs: 120_000 }));
  try {
    for (const estate of ESTATES.filter((e) => only.includes(e.key))) rows.push(...(await benchEstate(estate, reps, dir, pg)));
    // nmap -sV takes about half an hour for the 4,096-host estate: one repetition unless asked for more
    if (only.includes('fingerprint')) rows.push(...(await benchFingerprint(values.reps === '3' ? 1 : reps, values['fingerprint-cidr'])));
    if (only.includes('ssh-enum')) rows.push(...(await benchSshEnum(Number(values['ssh-hosts']), reps)));
    if (only.includes('directory')) rows.push(...(await benchDirectory(reps)));
    if (only.includes('rules')) {
      for (const db of ['sqlite', 'postgres'] as BenchDb[]) rows.push(...(await benchRules(db === 'postgres' ? await (await pg()).freshDatabase('bench_rules') : undefined)));
    }
    if (only.includes('failover')) rows.push(...(await benchFailover(await (await pg()).freshDatabase('bench_failover'), Math.max(reps, 5))));
    if (values.only?.split(',').includes('engine')) {
      process.stderr.write('\nengine: p-queue against the own scheduler, one thread, loopback /18, all closed\n');
      rows.push(...(await benchEngine()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await (await postgres?.catch(() => undefined))?.stop();
  }
  process.stdout.write('\n' + renderTable(['ESTATE', 'TOOL', 'MEDIAN WALL', 'PROBES/S', 'PEAK RSS', 'OPEN PORTS = TRUTH'], rows));
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
