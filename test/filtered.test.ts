/**
 * Filtered ports need a firewall that drops packets: each test creates its own network namespace (only `lo`
 * inside), drops the estate's silent hosts there with iptables, and runs the estate and surveyor inside it.
 * Nothing can leave the namespace, so a name lookup there fails without sending anything anywhere.
 */
import { ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createNamespace } from '../fixtures/estate/netns.js';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { jsonLines, openPortsOf, runCli, tempDir } from './helpers/cli.js';
import { namespaceTest } from './helpers/gate.js';

function namespace(t: ExecutionContext, tag: string) {
  const ns = createNamespace(`svt-${tag}-${process.pid % 10000}`);
  t.teardown(() => ns.destroy());
  return ns;
}

namespaceTest('silent hosts are reported filtered after the retries, open and closed ports exactly as the ground truth', async (t) => {
  const ns = namespace(t, 'filt');
  const estate = await startEstateProcess({ cidr: '127.30.0.0/24', seed: 5, density: 0.1, silentFraction: 0.25 }, ns.prefix);
  t.teardown(() => estate.stop());
  ns.dropHosts(estate.plan.silent);
  t.true(estate.plan.silent.length > 20);
  const db = join(tempDir(t), 's.db');
  const r = await runCli(
    ['scan', estate.plan.cidr, '--db', db, '--format', 'jsonl', '--states', 'filtered', '--timeout-ms', '250', '--retries', '1', '--no-fingerprint'],
    { prefix: ns.prefix },
  );
  t.is(r.code, 0, r.stderr);
  const objects = jsonLines(r.stdout);
  t.deepEqual(openPortsOf(objects), estate.plan.open);
  const filteredHosts = objects
    .filter((o) => (o.ports as Array<{ state: string }>).every((p) => p.state === 'filtered'))
    .map((o) => o.address as string)
    .sort();
  t.deepEqual(filteredHosts, [...estate.plan.silent].sort());
  for (const o of objects) {
    const ports = o.ports as Array<{ state: string }>;
    if (estate.plan.silent.includes(o.address as string)) t.is(ports.length, 15, 'every port of a silent host is filtered');
    else t.false(ports.some((p) => p.state === 'filtered'), `${o.address as string} answered, so nothing on it is filtered`);
  }
  const [scan] = jsonLines((await runCli(['scans', '--db', db, '--format', 'jsonl'])).stdout);
  const totals = scan!.totals as { filtered: number; open: number };
  t.is(totals.filtered, estate.plan.silent.length * 15);
  t.is(totals.open, estate.plan.openCount);
  t.true(r.stderr.includes(`(${(estate.plan.silent.length * 15).toLocaleString("en-US")} retries)`), "one retry per silent port");
});

namespaceTest('the per-host limit caps attempts against one silent host', async (t) => {
  const ns = namespace(t, 'phl');
  ns.dropHosts(['127.31.0.1']);
  const r = await runCli(
    ['scan', '127.31.0.1', '--ports', '1-20', '--per-host', '5', '--timeout-ms', '200', '--retries', '0',
      '--db', join(tempDir(t), 's.db'), '--format', 'jsonl', '--states', 'filtered'],
    { prefix: ns.prefix },
  );
  t.is(r.code, 0, r.stderr);
  const rtts = (jsonLines(r.stdout)[0]!.ports as Array<{ rttMs: number }>).map((p) => p.rttMs);
  t.is(rtts.length, 20);
  // With 5 at a time, the 20 ports go in 4 waves, so the whole sweep lasts at least 4 timeouts.
  const m = /probes\s+20 of 20 in ([\d.]+)s/.exec(r.stderr);
  t.truthy(m, r.stderr);
  t.true(Number(m![1]) >= 0.75, `took ${m![1]} s`);
});

namespaceTest('an unresolvable host name exits 2 naming it, and writes nothing', async (t) => {
  const ns = namespace(t, 'dns');
  const db = join(tempDir(t), 's.db');
  const r = await runCli(['scan', '127.0.0.1', 'nosuch.surveyor.test', '--db', db], { prefix: ns.prefix });
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /bad target "nosuch\.surveyor\.test": host name cannot be resolved \(E[A-Z_]+\)/);
  t.false(existsSync(db));
});
