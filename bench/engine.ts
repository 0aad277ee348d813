/**
 * `npm run bench -- --only engine`: is p-queue fast enough for the hot path? The same raw connector, the same
 * targets (a loopback /18 on the 15 default ports, every port closed), on one thread: once scheduled by p-queue
 * (one queued promise per attempt), once by the sweeper's own scheduler. Prints attempts/s and heap growth.
 */
import PQueue from 'p-queue';
import { createConnector, Connection } from '../scanner/engine/connector.js';
import { sweep } from '../scanner/engine/sweep.js';
import { DEFAULT_PORTS } from '../scanner/ports.js';
import { addressesOf, buildTargetSet, TargetSet } from '../scanner/targets/target-set.js';

interface Result {
  readonly name: string;
  readonly ms: number;
  readonly attempts: number;
  readonly heapMb: number;
}

async function withPQueue(targets: TargetSet, concurrency: number): Promise<Result> {
  type A = Connection & { resolve: (status: number) => void };
  const connector = createConnector<A>((a, status) => a.resolve(status));
  const queue = new PQueue({ concurrency });
  const heap0 = process.memoryUsage().heapUsed;
  let peak = 0;
  const started = performance.now();
  let attempts = 0;
  for (const address of addressesOf(targets)) {
    for (const port of DEFAULT_PORTS) {
      // Keep the queue short, as a streaming producer must (a /16 would otherwise queue a million closures).
      if (queue.size > concurrency * 4) {
        peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
        await queue.onSizeLessThan(concurrency);
      }
      void queue.add(
        () =>
          new Promise<void>((resolve) => {
            const a: A = { conn: null, resolve: (status) => {
              if (status === 0) connector.reset(a);
              attempts++;
              resolve();
            } };
            connector.start(a, address, port, false);
          }),
      );
    }
  }
  await queue.onIdle();
  return { name: 'p-queue', ms: performance.now() - started, attempts, heapMb: peak / 2 ** 20 };
}

async function withSweeper(targets: TargetSet, concurrency: number): Promise<Result> {
  const heap0 = process.memoryUsage().heapUsed;
  let peak = 0;
  const summary = await sweep(targets, {
    ports: DEFAULT_PORTS, threads: 0, concurrency, progressMs: 50,
    onProgress: () => (peak = Math.max(peak, process.memoryUsage().heapUsed - heap0)),
  });
  return { name: 'own scheduler', ms: summary.elapsedMs, attempts: summary.counters.probesDone, heapMb: peak / 2 ** 20 };
}

export async function benchEngine(): Promise<string[][]> {
  const targets = await buildTargetSet({ include: ['127.45.0.0/18'] });
  const rows: string[][] = [];
  Error.stackTraceLimit = 0;
  for (const concurrency of [128, 1024]) {
    for (const run of [withPQueue, withSweeper, withPQueue, withSweeper]) {
      const r = await run(targets, concurrency);
      process.stderr.write(`  ${r.name.padEnd(14)} concurrency ${concurrency}: ${(r.ms / 1000).toFixed(2)} s, ${Math.round(r.attempts / (r.ms / 1000))}/s\n`);
      rows.push(['engine', `${r.name} @${concurrency}`, `${(r.ms / 1000).toFixed(2)} s`, Math.round(r.attempts / (r.ms / 1000)).toLocaleString('en-US'), `+${r.heapMb.toFixed(0)} MB heap`, '-']);
    }
  }
  return rows;
}
