import test from 'ava';
import { DeadlineList } from '../scanner/engine/deadline-list.js';
import { RttEstimator } from '../scanner/engine/rtt.js';
import { sweep } from '../scanner/engine/sweep.js';
import type { HostResult } from '../scanner/engine/types.js';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { buildTargetSet } from '../scanner/targets/target-set.js';

test('the RTT estimator follows RFC 6298 and stays inside its bounds', (t) => {
  const rtt = new RttEstimator(100, 1000);
  t.is(rtt.timeoutMs(1), 1000, 'no sample yet: the maximum');
  rtt.sample(40); // SRTT 40, RTTVAR 20 -> RTO 120
  t.is(rtt.timeoutMs(1), 120);
  t.is(rtt.timeoutMs(2), 240, 'a retry waits twice as long');
  t.is(rtt.timeoutMs(5), 1000, 'backoff stops at the maximum');
  rtt.sample(40); // RTTVAR 0.75*20 + 0 = 15, SRTT 40 -> 100
  t.is(rtt.timeoutMs(1), 100);
  for (let i = 0; i < 50; i++) rtt.sample(0.1);
  t.is(rtt.timeoutMs(1), 100, 'never below the minimum');
});

test('the deadline list unlinks from anywhere and keeps order', (t) => {
  type Item = { id: number; prev: Item | null; next: Item | null };
  const list = new DeadlineList<Item>();
  const items: Item[] = [1, 2, 3, 4].map((id) => ({ id, prev: null, next: null }));
  for (const i of items) list.append(i);
  list.remove(items[1]!);
  list.remove(items[0]!);
  list.remove(items[0]!); // twice is harmless
  const ids = [];
  for (let a = list.head; a; a = a.next) ids.push(a.id);
  t.deepEqual(ids, [3, 4]);
  list.remove(items[3]!);
  list.append(items[0]!);
  const again = [];
  for (let a = list.head; a; a = a.next) again.push(a.id);
  t.deepEqual(again, [3, 1]);
});

const cases = [['net.Socket', 'accept', '127.28.0.0/25'], ['tcp_wrap', 'accept', '127.28.1.0/25'], ['net.Socket', 'hold', '127.28.2.0/25']] as const;
for (const [connector, mode, cidr] of cases) {
  test(`the ${connector} connector against ${mode}-mode listeners finds the ground truth`, async (t) => {
    const estate = await startEstateProcess({ cidr, seed: 9, density: 0.1 }, [], mode);
    t.teardown(() => estate.stop());
    t.is(estate.mode, mode === 'hold' ? 'hold' : 'accept');
    const hosts: HostResult[] = [];
    const summary = await sweep(await buildTargetSet({ include: [estate.plan.cidr] }), {
      ports: estate.plan.ports, connector, onHost: (h) => hosts.push(h),
    });
    const found = Object.fromEntries(hosts.map((h) => [h.address, h.ports.map((p) => p.port)]));
    t.deepEqual(found, estate.plan.open);
    t.is(summary.counters.closed, 128 * 15 - estate.plan.openCount);
  });
}
