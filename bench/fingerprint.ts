/**
 * `npm run bench -- --only fingerprint`: fingerprinting a speaking estate (fixtures/estate/speaking.ts, several
 * services per host) with surveyor and with `nmap -sT -sV --version-light`, alternating, in the same run. Reports
 * wall time and how often each tool's service names agree with the planted services and with each other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { SPEAKING_SERVICES } from '../fixtures/estate/speaking.js';

const BIN = fileURLToPath(new URL('../../bin/surveyor.js', import.meta.url));
const PORTS = Object.keys(SPEAKING_SERVICES).map(Number);

async function surveyor(cidr: string, dir: string, rep: number): Promise<{ ms: number; services: Map<string, string> }> {
  const r = await run([process.execPath, BIN, 'scan', cidr, '--ports', PORTS.join(','), '--db', join(dir, `fp-${rep}.db`), '--format', 'jsonl', '--no-progress']);
  const services = new Map<string, string>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { address: string; ports: Array<{ port: number; service?: string }> };
    for (const p of o.ports) services.set(`${o.address}:${p.port}`, p.service ?? 'unknown');
  }
  return { ms: r.ms, services };
}

async function nmap(cidr: string): Promise<{ ms: number; services: Map<string, string> }> {
  const r = await run(['nmap', '-sT', '-sV', '--version-light', '-n', '-Pn', '-T4', '-p', PORTS.join(','), '--open', '-oG', '-', cidr]);
  const services = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^Host: (\S+) .*Ports: (.*)$/.exec(line);
    if (!m) continue;
    for (const entry of m[2]!.split(/,\s*/)) {
      const [port, state, , , service] = entry.split('/');
      if (state === 'open') services.set(`${m[1]}:${port}`, service || 'unknown');
    }
  }
  return { ms: r.ms, services };
}

/** @param cidr the estate: 4,096 hosts by default; nmap -sV needs about 110 s per /24 of it on this machine */
export async function benchFingerprint(reps: number, cidr = '127.46.0.0/20'): Promise<string[][]> {
  const estate = await startEstateProcess({ cidr, seed: 5, density: 0.35, ports: PORTS }, [], 'speak');
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-fp-bench-'));
  try {
    const truth = new Map<string, string>();
    for (const [address, ports] of Object.entries(estate.plan.open)) for (const p of ports) truth.set(`${address}:${p}`, SPEAKING_SERVICES[p]!);
    process.stderr.write(`\nfingerprint: ${estate.plan.hosts} hosts, ${truth.size} services on ports ${PORTS.join(',')}\n`);
    const times: Record<'surveyor' | 'nmap', number[]> = { surveyor: [], nmap: [] };
    let last: Record<'surveyor' | 'nmap', Map<string, string>> = { surveyor: new Map(), nmap: new Map() };
    for (let rep = 0; rep < reps; rep++) {
      for (const tool of rep % 2 === 0 ? (['surveyor', 'nmap'] as const) : (['nmap', 'surveyor'] as const)) {
        const r = tool === 'surveyor' ? await surveyor(cidr, dir, rep) : await nmap(cidr);
        times[tool].push(r.ms);
        last[tool] = r.services;
        process.stderr.write(`  ${tool.padEnd(8)} rep ${rep + 1}: ${(r.ms / 1000).toFixed(2)} s, ${r.services.size} services\n`);
      }
    }
    // nmap marks a service it only guessed from the port number with "?" (its probes did not confirm it)
    const agree = (a: Map<string, string>, b: Map<string, string>, mapA = (s: string) => s) => {
      let same = 0;
      let guessed = 0;
      for (const [k, v] of b) {
        const mine = a.has(k) ? mapA(a.get(k)!) : undefined;
        if (mine === v) same++;
        else if (mine === `${v}?`) guessed++;
      }
      return `${same}/${b.size}${guessed ? ` (+${guessed} guessed from the port)` : ''}`;
    };
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const s = median(times.surveyor);
    const n = median(times.nmap);
    return [
      ['fingerprint', 'surveyor', `${(s / 1000).toFixed(2)} s`, '-', '-', `${agree(last.surveyor, truth)} services named right`],
      ['fingerprint', 'nmap -sV', `${(n / 1000).toFixed(2)} s`, '-', '-', `${agree(last.nmap, truth)} services named right`],
      ['fingerprint', 'ratio', `surveyor/nmap = ${(s / n).toFixed(3)}`, `(${(n / s).toFixed(1)}x faster)`, '', `nmap agrees with surveyor on ${agree(last.nmap, last.surveyor, (x) => x)}`],
    ];
  } finally {
    await estate.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
