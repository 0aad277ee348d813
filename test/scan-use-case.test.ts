/**
 * The scan use case called directly, as a worker or the web page will call it: no CLI, no child process. The
 * ground truth is the listeners this test opens on loopback addresses of its own (127.96.0.1 and .2), and a port
 * it opened and closed again.
 */
import test from 'ava';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { openStore } from '../store/open-store.js';
import { prepareScan, runScan, ScanEvent } from '../app/scan.js';
import { tempDir } from './helpers/cli.js';

const HOST_A = '127.96.0.1';
const HOST_B = '127.96.0.2';

function listen(address: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, address, () => resolve(server));
  });
}

const portOf = (s: Server) => (s.address() as { port: number }).port;

/** Three listeners (two on A, one on B) and a port of A that was bound, then closed. */
async function estate(t: { teardown: (f: () => void) => void }) {
  const a1 = await listen(HOST_A);
  const a2 = await listen(HOST_A);
  const b1 = await listen(HOST_B);
  for (const s of [a1, a2, b1]) t.teardown(() => s.close());
  const gone = await listen(HOST_A);
  const closedPort = portOf(gone);
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  const open = new Map([[HOST_A, [portOf(a1), portOf(a2)].sort((x, y) => x - y)], [HOST_B, [portOf(b1)]]]);
  const ports = [...new Set([portOf(a1), portOf(a2), portOf(b1), closedPort])].sort((x, y) => x - y);
  return { open, ports, closedPort };
}

test('runScan without the CLI: the events and the stored rows are the listeners the test opened', async (t) => {
  const { open, ports, closedPort } = await estate(t);
  const store = await openStore(join(tempDir(t), 'scan.db'), { create: true });
  t.teardown(() => store.close());
  const prepared = await prepareScan({
    targets: [`${HOST_A}-${HOST_B}`],
    sweep: { ports, timeoutMs: 2000, threads: 0, reportStates: ['closed'] },
    fingerprint: false,
    rules: 'none',
  });
  t.is(prepared.hostsTotal, 2);
  t.is(prepared.probesTotal, 2 * ports.length);

  const events: ScanEvent[] = [];
  const result = await runScan(store, prepared, { onEvent: (e) => events.push(e) });

  // The events: started first, then progress and one host event per address, the end of the sweep, done last.
  const types = events.map((e) => e.type);
  t.is(types[0], 'started');
  t.is(types.at(-1), 'done');
  t.true(types.includes('progress'), types.join(' '));
  t.true(types.indexOf('swept') < types.indexOf('done'));
  t.false(types.includes('stopping'));
  const started = events[0] as Extract<ScanEvent, { type: 'started' }>;
  t.is(started.scanId, result.scanId);
  t.deepEqual(started.ports, ports);
  t.is(started.probesTotal, 2 * ports.length);
  const lastProgress = events.filter((e): e is Extract<ScanEvent, { type: 'progress' }> => e.type === 'progress').at(-1)!;
  t.is(lastProgress.counters.probesDone, 2 * ports.length);
  const hosts = events.filter((e): e is Extract<ScanEvent, { type: 'host' }> => e.type === 'host').map((e) => e.host);
  t.deepEqual(hosts.map((h) => h.address).sort(), [HOST_A, HOST_B]);
  for (const host of hosts) {
    t.true(host.complete);
    t.deepEqual(host.ports.filter((p) => p.state === 'open').map((p) => p.port).sort((x, y) => x - y), open.get(host.address));
    t.deepEqual(host.ports.filter((p) => p.state !== 'open').map((p) => p.state), host.ports.filter((p) => p.state !== 'open').map(() => 'closed'));
  }
  t.is(hosts.find((h) => h.address === HOST_A)!.ports.find((p) => p.port === closedPort)?.state, 'closed');
  const done = events.at(-1) as Extract<ScanEvent, { type: 'done' }>;
  t.is(done.summary.status, 'completed');
  t.is(done.summary.stopReason, null);
  t.is(done.summary.counters.open, 3);
  t.is(done.summary.counters.closed, 2 * ports.length - 3);
  t.is(done.summary.counters.hostsDone, 2);

  // The rows, read back through the Store.
  const scan = await store.getScan(result.scanId);
  t.is(scan?.status, 'completed');
  t.deepEqual(scan?.targets, [`${HOST_A}-${HOST_B}`]);
  t.deepEqual(scan?.ports, ports);
  t.is(scan?.totals.open, 3);
  t.is(scan?.totals.probesDone, 2 * ports.length);
  t.is(scan?.swept, null);
  const assets = await store.listAssets();
  t.deepEqual(assets.map((a) => a.address).sort(), [HOST_A, HOST_B]);
  for (const asset of assets) {
    t.deepEqual(asset.ports.filter((p) => p.state === 'open').map((p) => p.port).sort((x, y) => x - y), open.get(asset.address), asset.address);
    t.is(asset.lastScanId, result.scanId);
  }
  t.false(assets.find((a) => a.address === HOST_A)!.ports.some((p) => p.port === closedPort && p.state === 'open'));
});

test('runScan stopped through its signal ends interrupted, stores that, and keeps the reason as the note', async (t) => {
  const { ports } = await estate(t);
  const store = await openStore(join(tempDir(t), 'scan.db'), { create: true });
  t.teardown(() => store.close());
  const prepared = await prepareScan({ targets: [HOST_A, HOST_B], sweep: { ports, threads: 0 }, fingerprint: false, rules: 'none' });
  const stop = new AbortController();
  const events: ScanEvent[] = [];
  const result = await runScan(store, prepared, {
    signal: stop.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'started') stop.abort('stopped by the test');
    },
  });
  t.is(result.status, 'interrupted');
  t.is(result.stopReason, 'stopped by the test');
  t.deepEqual(events.filter((e) => e.type === 'stopping'), [{ type: 'stopping', reason: 'stopped by the test' }]);
  t.is(events.at(-1)?.type, 'done');
  const scan = await store.getScan(result.scanId);
  t.is(scan?.status, 'interrupted');
  t.is(scan?.note, 'stopped by the test');
  t.not(scan?.finishedAt, null);
});

test('prepareScan refuses bad input before any store is opened', async (t) => {
  await t.throwsAsync(prepareScan({ targets: ['127.96.0.300'], sweep: { ports: [1] } }), { message: /127\.96\.0\.300/ });
  await t.throwsAsync(prepareScan({ targets: [HOST_A], sweep: { ports: [1], timeoutMs: 0 } }), { message: /timeoutMs/ });
});
