/**
 * The progress line and the scan's stderr (issue 20, "Progress and output"): the line fits the terminal's width
 * with rate and ETA, fingerprinting has its own phase once the sweep ends, a large scan prints no
 * MaxListenersExceededWarning, and `--stats-every` prints progress lines when stderr is not a terminal. Traffic
 * goes only to 127.104.x.x, to listeners this file opens.
 */
import test from 'ava';
import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { runProbe } from '../probes/core/probe.js';
import { probe } from '../probes/registry.js';
import { formatDuration, formatProgress, ProgressState } from '../cli/progress.js';
import { jsonLines, runCli, tempDir } from './helpers/cli.js';

const counters = { probesDone: 30_000, hostsDone: 2_000, open: 17, closed: 29_983, filtered: 0, retries: 0 };
/** 20 s into a sweep of 65,536 probes, 30,000 done. */
const sweeping: ProgressState = { nowMs: 21_000, startedMs: 1_000, hostsTotal: 4_096, probesTotal: 65_536, counters };

test('the progress line fits every width and shows rate and ETA at 80 columns', (t) => {
  const seconds = (sweeping.nowMs - sweeping.startedMs) / 1000;
  const rate = counters.probesDone / seconds;
  const eta = `ETA ${formatDuration((sweeping.probesTotal - counters.probesDone) / rate)}`;
  for (const columns of [20, 40, 60, 80, 100, 120, 200]) {
    const line = formatProgress(sweeping, columns);
    t.true(line.length <= columns - 1, `${columns}: ${line.length} characters: ${line}`);
    t.true(line.startsWith('sweep') || line.startsWith('['), `${columns}: ${line}`);
    if (columns >= 40) t.true(line.includes(eta), `${columns}: no "${eta}" in: ${line}`);
    if (columns >= 80) t.true(line.includes(`${Math.round(rate).toLocaleString('en-US')} probes/s`), `${columns}: ${line}`);
  }
  // The whole line, for a log: every piece, no bar.
  const whole = formatProgress(sweeping, Infinity);
  t.true(whole.includes(`probes ${counters.probesDone.toLocaleString('en-US')}/65,536`), whole);
  t.false(whole.includes('['), whole);
});

test('after the sweep, fingerprinting leads the line with its own count and ETA, not "100%" and "ETA 0.0s"', (t) => {
  // The sweep ended at 21 s; 10 of 40 hosts fingerprinted since the first was queued at 11 s; now is 31 s.
  const state: ProgressState = { ...sweeping, nowMs: 31_000, sweptMs: 21_000, counters: { ...counters, probesDone: 65_536, hostsDone: 4_096 }, fingerprint: { queued: 40, done: 10, startedMs: 11_000 } };
  const rate = 10 / 20;
  for (const columns of [60, 80, 120]) {
    const line = formatProgress(state, columns);
    t.true(line.length <= columns - 1, line);
    t.regex(line, /fingerprint 25%/, line);
    t.true(line.includes('hosts 10/40'), line);
    t.true(line.includes(`ETA ${formatDuration(30 / rate)}`), line);
    t.false(line.includes('100%'), line);
  }
  // Then enumeration: fingerprints done, 3 of 8 hosts enumerated.
  const enumerating = formatProgress({ ...state, fingerprint: { queued: 40, done: 40, startedMs: 11_000 }, enumerate: { queued: 8, done: 3, startedMs: 21_000 } }, 120);
  t.regex(enumerating, /enumerate 37%.*hosts 3\/8/, enumerating);
  t.regex(enumerating, /fingerprint 40\/40/, enumerating);
});

function listen(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Silent: every probe waits out its budget, so many run at once.
    const server = createServer((socket) => socket.on('error', () => {}));
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

async function silentHosts(t: { teardown: (f: () => void) => void }, count: number): Promise<{ addresses: string[]; port: number }> {
  const first = await listen('127.104.1.1', 0);
  const servers = [first];
  const port = (first.address() as { port: number }).port;
  for (let i = 2; i <= count; i++) servers.push(await listen(`127.104.1.${i}`, port));
  t.teardown(() => servers.forEach((s) => s.close()));
  return { addresses: servers.map((_, i) => `127.104.1.${i + 1}`), port };
}

test('probes running at once add no listener to the signal they share (the scan\'s stop signal)', async (t) => {
  const { addresses, port } = await silentHosts(t, 30);
  const shared = new AbortController();
  let most = 0;
  const probes = addresses.map((a) => runProbe(probe('banner'), a, port, { timeoutMs: 400, signal: shared.signal }));
  const sample = setInterval(() => (most = Math.max(most, getEventListeners(shared.signal, 'abort').length)), 5);
  most = Math.max(most, getEventListeners(shared.signal, 'abort').length);
  await Promise.all(probes);
  clearInterval(sample);
  t.is(most, 0);
  // The shared signal still stops them: a probe with a minute's budget ends once it is aborted (or ava's timeout fails the test).
  const again = new AbortController();
  const running = runProbe(probe('banner'), addresses[0]!, port, { timeoutMs: 60_000, signal: again.signal });
  setTimeout(() => again.abort(), 50);
  t.not((await running).status, 'success');
});

test('a scan of a /20 with 40 slow hosts prints no MaxListenersExceededWarning (with Node 20\'s limit of 10 restored)', async (t) => {
  const { addresses, port } = await silentHosts(t, 40);
  const dir = tempDir(t);
  // Node 22 lifted the limit on an AbortController's signal; Node 20 warned past 10 listeners. Put it back.
  const preload = join(dir, 'limit.mjs');
  writeFileSync(preload, [
    "import { setMaxListeners } from 'node:events';",
    'const Base = globalThis.AbortController;',
    'globalThis.AbortController = class extends Base { constructor() { super(); setMaxListeners(10, this.signal); } };',
  ].join('\n'));
  const r = await runCli(['scan', '127.104.0.0/20', '--ports', String(port), '--probe-timeout-ms', '300', '--db', join(dir, 's.db'), '--format', 'jsonl', '--no-rules'],
    { env: { NODE_OPTIONS: `--import ${preload}` } });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(jsonLines(r.stdout).map((o) => o.address).sort(), [...addresses].sort());
  t.false(/MaxListenersExceeded|memory leak/.test(r.stderr), r.stderr);
});

test('--stats-every prints progress lines when stderr is not a terminal; without it, none', async (t) => {
  const dir = tempDir(t);
  // 4,096 closed ports at 1,500 a second: close to three seconds.
  const args = ['scan', '127.104.16.0/20', '--ports', '1', '--rate', '1500', '--no-fingerprint', '--no-rules', '--format', 'jsonl'];
  const r = await runCli([...args, '--db', join(dir, 'a.db'), '--stats-every', '500ms']);
  t.is(r.code, 0, r.stderr);
  const stats = r.stderr.split('\n').filter((l) => l.startsWith('stats: '));
  t.true(stats.length >= 1, r.stderr);
  for (const line of stats) t.regex(line, /^stats: [\d.]+s elapsed {2}(sweep \d+% {2}hosts [\d,]+\/4,096|fingerprint|sweep 100%)/, line);
  t.false(r.stderr.includes('\r'), 'no carriage returns in a log');

  const quiet = await runCli([...args, '--db', join(dir, 'b.db')]);
  t.is(quiet.code, 0, quiet.stderr);
  t.false(quiet.stderr.includes('stats: '), quiet.stderr);

  for (const bad of ['soon', '5x', '0s', '-1s']) {
    const b = await runCli([...args, '--db', join(dir, 'c.db'), `--stats-every=${bad}`]);
    t.is(b.code, 2, `${bad}: ${b.stderr}`);
    t.true(b.stderr.includes(`bad --stats-every "${bad}"`), b.stderr);
  }
});
