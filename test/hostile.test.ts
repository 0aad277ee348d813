/**
 * Probes against servers that lie (fixtures/hostile/serve.ts, run as its own process): every probe ends within its
 * budget with a failure status (or, for the broken TLS server, evidence of what it saw), memory stays bounded, and
 * a scan that meets all of them goes on to the end.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProbe } from '../probes/core/probe.js';
import { PROBES } from '../probes/registry.js';
import { BEHAVIOURS, Behaviour, EXTRA_PORT } from '../fixtures/hostile/serve.js';
import { jsonLines, runCli, tempDir } from './helpers/cli.js';

const SERVE = fileURLToPath(new URL('../fixtures/hostile/serve.js', import.meta.url));
const BUDGET_MS = 1500;
const root = process.getuid?.() === 0;

async function startHostile(t: import('ava').ExecutionContext): Promise<Record<Behaviour, string>> {
  const child = spawn(process.execPath, [SERVE, '127.29.0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as Record<Behaviour, string>);
    });
    child.once('exit', (code) => reject(new Error(`hostile servers exited with ${code}`)));
  });
}

const gate = root ? test.serial : process.env.CI === 'true' ? test.serial : test.skip;

gate('every probe against every hostile server: a failure status within its budget, bounded memory', async (t) => {
  if (!root) return t.fail('CI must run this test, but it needs root (low ports)');
  t.timeout(180_000);
  const addresses = await startHostile(t);
  const heapBefore = process.memoryUsage().heapUsed;
  const results: string[] = [];
  // One behaviour at a time: a flood from one server must not delay the timers of probes measured against another.
  for (const kind of BEHAVIOURS) await Promise.all(Object.entries(PROBES).map(async ([name, probe]) => {
    const outcome = await runProbe(probe, addresses[kind], EXTRA_PORT, { timeoutMs: BUDGET_MS });
    results.push(`${kind}/${name}: ${outcome.status}`);
    // A bound for a hang (the endless and slow servers would hold an unbounded probe forever), not a measurement.
    t.true(outcome.elapsedMs <= BUDGET_MS + 10_000, `${kind}/${name} took ${outcome.elapsedMs} ms`);
    if (kind === 'badtls' && (name === 'tls' || name === 'https')) {
      // the TLS handshake works; what the certificate says is evidence, not a reason to fail
      const tls = outcome.evidence.find((e) => e.kind === 'tls');
      if (tls && tls.kind === 'tls') t.true(tls.selfSigned && tls.subject.includes('not-this-host.invalid'));
      return;
    }
    if (name === 'banner' && outcome.status === 'success') {
      // the empty probe reports whatever was said, escaped and capped
      const banner = outcome.evidence.find((e) => e.kind === 'banner');
      t.true(banner !== undefined && banner.kind === 'banner' && banner.text.length <= 512 * 4, `${kind}/banner kept too much`);
      return;
    }
    t.not(outcome.status, 'success', `${kind}/${name} should not succeed: ${JSON.stringify(outcome.evidence).slice(0, 200)}`);
    t.true(['protocol-error', 'timeout', 'no-match', 'unsupported', 'access-denied'].includes(outcome.status), `${kind}/${name}: ${outcome.status} ${outcome.error}`);
  }));
  t.log(`${results.length} probe runs`);
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  t.true(grownMb < 64, `heap grew ${grownMb.toFixed(1)} MB meeting a 100 MB banner and an endless stream`);
});

gate('a fingerprinting scan over all hostile servers finishes and reports every host', async (t) => {
  if (!root) return t.fail('CI must run this test, but it needs root (low ports)');
  t.timeout(180_000);
  const addresses = await startHostile(t);
  const r = await runCli(['scan', '127.29.0.1-8', '--db', join(tempDir(t), 's.db'), '--format', 'jsonl', '--probe-timeout-ms', String(BUDGET_MS)]);
  t.is(r.code, 0, r.stderr);
  const assets = jsonLines(r.stdout);
  t.deepEqual(assets.map((a) => a.address as string).sort(), Object.values(addresses).sort());
  for (const a of assets) t.is((a.ports as unknown[]).length, 15, `${a.address as string}: every default port open`);
});
