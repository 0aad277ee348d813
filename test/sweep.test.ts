import test from 'ava';
import { createServer, Server } from 'node:net';
import { sweep } from '../scanner/engine/sweep.js';
import type { HostResult } from '../scanner/engine/types.js';
import { buildTargetSet } from '../scanner/targets/target-set.js';

async function listen(t: { teardown(fn: () => void): void }, host: string): Promise<number> {
  const server: Server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.teardown(() => server.close());
  return (server.address() as { port: number }).port;
}

/** A port on `host` that nothing listens on: bound then closed. */
async function closedPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

for (const threads of [0, 2]) {
  test(`open and closed ports are told apart on every host (${threads} threads)`, async (t) => {
    const openA = await listen(t, '127.24.0.1');
    const openB = await listen(t, '127.24.0.3');
    const shut = await closedPort('127.24.0.1');
    const ports = [openA, openB, shut].sort((a, b) => a - b);
    const targets = await buildTargetSet({ include: ['127.24.0.0/30'] });
    const hosts: HostResult[] = [];
    const summary = await sweep(targets, { ports, threads, reportStates: ['closed'], onHost: (h) => hosts.push(h) });
    t.false(summary.interrupted);
    t.is(summary.counters.probesDone, 12);
    t.is(summary.counters.hostsDone, 4);
    t.is(summary.counters.open, 2);
    t.is(summary.counters.closed, 10);
    const byAddress = new Map(hosts.map((h) => [h.address, h]));
    t.is(byAddress.size, 4);
    const stateOf = (a: string, p: number) => byAddress.get(a)!.ports.find((r) => r.port === p)?.state;
    t.is(stateOf('127.24.0.1', openA), 'open');
    t.is(stateOf('127.24.0.3', openB), 'open');
    t.is(stateOf('127.24.0.1', openB), 'closed');
    t.is(stateOf('127.24.0.1', shut), 'closed');
    for (const h of hosts) {
      t.true(h.complete);
      for (const p of h.ports) {
        t.true(p.rttMs >= 0 && p.rttMs < 1000);
        t.is(p.attempts, 1);
      }
    }
  });
}

test('only open ports are reported unless other states are asked for', async (t) => {
  const open = await listen(t, '127.24.1.1');
  const targets = await buildTargetSet({ include: ['127.24.1.0/29'] });
  const hosts: HostResult[] = [];
  const summary = await sweep(targets, { ports: [open, 1], onHost: (h) => hosts.push(h) });
  t.deepEqual(hosts.map((h) => [h.address, h.ports.map((p) => [p.port, p.state])]), [['127.24.1.1', [[open, 'open']]]]);
  t.is(summary.counters.closed, 15);
});

test('IPv6 loopback is swept like IPv4', async (t) => {
  const open = await listen(t, '::1');
  const hosts: HostResult[] = [];
  await sweep(await buildTargetSet({ include: ['::1'] }), { ports: [open], onHost: (h) => hosts.push(h) });
  t.deepEqual(hosts.map((h) => [h.address, h.ports[0]!.state]), [['::1', 'open']]);
});

test('an abort signal stops the sweep and reports it interrupted with partial totals', async (t) => {
  const targets = await buildTargetSet({ include: ['127.25.0.0/20'] });
  const abort = new AbortController();
  const summary = await sweep(targets, {
    ports: [22, 80], ratePerSec: 2000, threads: 2, signal: abort.signal, progressMs: 20,
    onProgress: (c) => c.probesDone >= 100 && abort.abort(),
  });
  t.true(summary.interrupted);
  t.true(summary.counters.probesDone > 0);
  t.true(summary.counters.probesDone < 8192);
});

test('the rate limit bounds attempts per second', async (t) => {
  const targets = await buildTargetSet({ include: ['127.25.1.0/26'] });
  const summary = await sweep(targets, { ports: [1, 2, 3, 4], ratePerSec: 400, threads: 0 });
  t.is(summary.counters.probesDone, 256);
  // 256 attempts at 400/s need at least (256 - burst of 20) / 400 s.
  t.true(summary.elapsedMs >= ((256 - 20) / 400) * 1000 - 20, `took ${summary.elapsedMs} ms`);
});

test('tuning outside its limits is refused, naming the option', async (t) => {
  const targets = await buildTargetSet({ include: ['127.0.0.1'] });
  await t.throwsAsync(sweep(targets, { ports: [22], concurrency: 0 }), { message: /bad concurrency 0: must be an integer from 1 to 10000/ });
  await t.throwsAsync(sweep(targets, { ports: [22], retries: 11 }), { message: /bad retries 11/ });
  await t.throwsAsync(sweep(targets, { ports: [] }), { message: /no ports/ });
});
