import test from 'ava';
import { join } from 'node:path';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { diffScans } from '../profiles/diff.js';
import type { ScanRecord, ScanSnapshot } from '../store/store.js';
import { jsonLines, runCli, tempDir } from './helpers/cli.js';

test('assets diff between two scans of a changed estate equals the difference of the ground truths', async (t) => {
  const db = join(tempDir(t), 's.db');
  const cidr = '127.32.0.0/26';
  const first = await startEstateProcess({ cidr, seed: 21, density: 0.08 });
  const one = await runCli(['scan', cidr, '--db', db, '--no-fingerprint', '--format', 'jsonl']);
  await first.stop();
  t.is(one.code, 0, one.stderr);
  const second = await startEstateProcess({ cidr, seed: 22, density: 0.08 });
  t.teardown(() => second.stop());
  const two = await runCli(['scan', cidr, '--db', db, '--no-fingerprint', '--format', 'jsonl']);
  t.is(two.code, 0, two.stderr);
  // an unrelated scan in between must not count as the later scan
  const other = await runCli(['scan', '127.33.0.1', '--ports', '1', '--db', db, '--no-fingerprint']);
  t.is(other.code, 0);

  const r = await runCli(['assets', 'diff', '--from', '1', '--to', '2', '--db', db, '--format', 'jsonl']);
  t.is(r.code, 0, r.stderr);
  const changes = jsonLines(r.stdout).map((c) => `${c.address as string} ${c.kind as string}${c.port ? ` ${c.port as number}` : ''}`).sort();
  const a = first.plan.open;
  const b = second.plan.open;
  const expected: string[] = [];
  for (const address of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const before = a[address] ?? [];
    const after = b[address] ?? [];
    if (!before.length) expected.push(`${address} host-new`);
    else if (!after.length) expected.push(`${address} host-gone`);
    else {
      for (const p of after) if (!before.includes(p)) expected.push(`${address} port-opened ${p}`);
      for (const p of before) if (!after.includes(p)) expected.push(`${address} port-closed ${p}`);
    }
  }
  t.true(expected.length > 10);
  t.deepEqual(changes, expected.sort());

  const latest = await runCli(['assets', 'diff', '--db', db]);
  t.regex(latest.stdout, /changes from scan 2 to scan 3/);
  t.regex(latest.stdout, /no changes/, 'scan 3 covered another range: nothing here counts as gone');
  const bad = await runCli(['assets', 'diff', '--from', '99', '--db', db]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /no scan 99/);
});

const scan = (id: number, targets: string[], ports: number[]): ScanRecord => ({
  kind: 'network', id, targets, exclusions: [], ports, startedAt: '', finishedAt: '', status: 'completed', options: {}, hostsTotal: 1, probesTotal: 1,
  totals: { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 }, owner: null, heartbeatAt: null, note: null, swept: null,
});

test('service and OS changes are reported; absence outside the later scan coverage is not', (t) => {
  const from: ScanSnapshot = {
    scan: scan(1, ['127.0.0.0/24'], [22, 80]),
    hosts: new Map([
      ['127.0.0.5', { ports: new Map([[22, { service: 'ssh', product: 'OpenSSH', version: '8.4p1' }], [80, { service: 'http', product: 'nginx', version: '1.18.0' }]]), os: { name: 'Debian', version: '11' }, names: [] }],
    ]),
  };
  const to: ScanSnapshot = {
    scan: scan(2, ['127.0.0.5'], [22]),
    hosts: new Map([
      ['127.0.0.5', { ports: new Map([[22, { service: 'ssh', product: 'OpenSSH', version: '9.2p1' }]]), os: { name: 'Debian', version: '12' }, names: [] }],
    ]),
  };
  t.deepEqual(diffScans(from, to), [
    { address: '127.0.0.5', kind: 'service-changed', port: 22, before: 'ssh OpenSSH 8.4p1', after: 'ssh OpenSSH 9.2p1' },
    { address: '127.0.0.5', kind: 'os-changed', before: 'Debian 11', after: 'Debian 12' },
  ], 'port 80 was not scanned the second time, so it is not reported closed');
});
