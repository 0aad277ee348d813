import test from 'ava';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEstateProcess } from '../fixtures/estate/process.js';
import { fileState, jsonLines, openPortsOf, runCli, tempDir } from './helpers/cli.js';

test('bad targets, ports and options exit 2, name the bad token, and leave the database untouched', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'surveyor.db');
  const first = await runCli(['scan', '127.0.0.1', '--ports', '1', '--db', db, '--format', 'jsonl']);
  t.is(first.code, 0, first.stderr);
  const before = fileState(db);
  const cases: Array<[string[], RegExp]> = [
    [['127.0.0.300'], /bad target "127\.0\.0\.300": octet 300 is out of range 0-255/],
    [['10.0.0.0/33'], /bad target "10\.0\.0\.0\/33": prefix length 33 is out of range 0-32/],
    [['a..b'], /bad target "a\.\.b": empty label/],
    [['127.0.0.9-1'], /bad target "127\.0\.0\.9-1": empty range/],
    [['127.0.0.1', '--ports', '22,0'], /bad port "0": port 0 is out of range 1-65535/],
    [['127.0.0.1', '--ports', 'ssh'], /bad port "ssh"/],
    [['127.0.0.0/8'], /16777216 addresses, more than --max-hosts 65536/],
    [['127.0.0.1', '--timeout-ms', 'soon'], /bad --timeout-ms "soon"/],
    [['127.0.0.1', '--format', 'yaml'], /bad --format "yaml": expected one of table, jsonl, json, csv, xml/],
    [['127.0.0.1', '--bogus'], /unknown option "--bogus"/],
    [['127.0.0.1', '--states', 'open,weird'], /bad --states/],
    [[], /no targets given/],
    [[`@${join(dir, 'missing.txt')}`], /cannot be read \(ENOENT\)/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['scan', ...args, '--db', db]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.stdout, '', args.join(' '));
    t.is(fileState(db), before, `database changed by: ${args.join(' ')}`);
  }
  const fresh = join(dir, 'never.db');
  const r = await runCli(['scan', '127.0.0.300', '--db', fresh]);
  t.is(r.code, 2);
  t.false(existsSync(fresh), 'a bad command creates no database');
});

test('a scan of a generated estate finds exactly the ground-truth open ports, and stores them', async (t) => {
  const estate = await startEstateProcess({ cidr: '127.26.0.0/22', seed: 7, density: 0.04 });
  t.teardown(() => estate.stop());
  t.true(estate.plan.openCount > 100);
  const db = join(tempDir(t), 'surveyor.db');
  const r = await runCli(['scan', estate.plan.cidr, '--db', db, '--format', 'jsonl', '--no-fingerprint']);
  t.is(r.code, 0, r.stderr);
  const objects = jsonLines(r.stdout);
  for (const o of objects) {
    t.is(o.schema, 1);
    t.deepEqual(o.hostnames, []);
    for (const p of o.ports as Array<Record<string, unknown>>) {
      t.is(p.protocol, 'tcp');
      t.is(typeof p.rttMs, 'number');
    }
  }
  t.deepEqual(openPortsOf(objects), estate.plan.open);
  t.regex(r.stderr, /completed/);

  const stored = await runCli(['assets', '--db', db, '--format', 'jsonl']);
  t.is(stored.code, 0, stored.stderr);
  t.deepEqual(openPortsOf(jsonLines(stored.stdout)), estate.plan.open);
  const scans = await runCli(['scans', '--db', db, '--format', 'jsonl']);
  const [record] = jsonLines(scans.stdout);
  t.is(record!.status, 'completed');
  t.is((record!.totals as { open: number }).open, estate.plan.openCount);
  t.is((record!.totals as { probesDone: number }).probesDone, 1024 * 15);
});

test('json, csv and table formats carry the same findings; --output writes to a file', async (t) => {
  const estate = await startEstateProcess({ cidr: '127.26.8.0/26', seed: 3, density: 0.1 });
  t.teardown(() => estate.stop());
  const dir = tempDir(t);
  const db = join(dir, 'surveyor.db');
  const json = await runCli(['scan', estate.plan.cidr, '--db', db, '--format', 'json', '--no-fingerprint']);
  const doc = JSON.parse(json.stdout) as { schema: number; scan: { id: number }; assets: Array<Record<string, unknown>> };
  t.is(doc.schema, 1);
  t.deepEqual(openPortsOf(doc.assets), estate.plan.open);

  const out = join(dir, 'out.csv');
  const csv = await runCli(['scan', estate.plan.cidr, '--db', db, '--format', 'csv', '--output', out, '--no-fingerprint']);
  t.is(csv.code, 0, csv.stderr);
  t.is(csv.stdout, '');
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  t.is(lines[0], 'address,hostnames,port,protocol,state,rtt_ms,service,product,version');
  const fromCsv: Record<string, number[]> = {};
  for (const line of lines.slice(1)) {
    const [address, , port, protocol, state] = line.split(',');
    t.is(protocol, 'tcp');
    t.is(state, 'open');
    (fromCsv[address!] ??= []).push(Number(port));
  }
  t.deepEqual(fromCsv, estate.plan.open);

  const table = await runCli(['scan', estate.plan.cidr, '--db', db, '--no-fingerprint']);
  const rows = table.stdout.trim().split('\n');
  t.regex(rows[0]!, /^ADDRESS\s+HOSTNAMES\s+PORT\s+STATE\s+SERVICE\s+PRODUCT\s+RTT_MS$/);
  t.is(rows.length - 1, estate.plan.openCount);
  t.regex(table.stderr, /SUMMARY/);
});

test('host names and @file targets reach the output with their names', async (t) => {
  const estate = await startEstateProcess({ cidr: '127.0.0.1/32', seed: 1, density: 1, ports: [18022] });
  t.teardown(() => estate.stop());
  const dir = tempDir(t);
  const list = join(dir, 'targets.txt');
  writeFileSync(list, '# loopback by name\nlocalhost\n');
  const r = await runCli(['scan', `@${list}`, '--ports', '18022', '--db', join(dir, 's.db'), '--format', 'jsonl', '--no-fingerprint']);
  t.is(r.code, 0, r.stderr);
  const objects = jsonLines(r.stdout);
  const v4 = objects.find((o) => o.address === '127.0.0.1');
  t.truthy(v4, r.stdout);
  t.deepEqual(v4!.hostnames, ['localhost']);
});

test('SIGINT stops a scan cleanly: what was found is stored and the scan is marked interrupted', async (t) => {
  const estate = await startEstateProcess({ cidr: '127.27.0.0/20', seed: 11, density: 0.05 });
  t.teardown(() => estate.stop());
  const dir = tempDir(t);
  const db = join(dir, 'surveyor.db');
  let printed = 0;
  let signalled = false;
  // The signal goes 1 s after the first host is printed: on a loaded machine the process may take seconds to start,
  // and a SIGINT before it has set its handlers would test Node's default, not surveyor.
  let child: import('node:child_process').ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  const r = await runCli(['scan', estate.plan.cidr, '--db', db, '--format', 'jsonl', '--rate', '4000', '--no-fingerprint'], {
    onSpawn: (c) => {
      child = c;
      c.on('exit', () => clearTimeout(timer));
    },
    onStdout: (chunk) => {
      printed += chunk.split('\n').length - 1;
      timer ??= setTimeout(() => {
        signalled = true;
        child!.kill('SIGINT');
      }, 1000);
    },
  });
  t.true(signalled, 'the scan ended before it could be interrupted');
  t.is(r.code, 130, r.stderr);
  t.regex(r.stderr, /SIGINT: stopping/);
  const printedObjects = jsonLines(r.stdout);
  t.true(printedObjects.length > 0, 'something was found before the interrupt');
  const stored = jsonLines((await runCli(['assets', '--db', db, '--format', 'jsonl'])).stdout);
  t.deepEqual(openPortsOf(stored), openPortsOf(printedObjects), 'everything printed is stored');
  // every stored open port is a real one
  for (const [address, ports] of Object.entries(openPortsOf(stored))) {
    for (const p of ports) t.true(estate.plan.open[address]?.includes(p), `${address}:${p}`);
  }
  const [scan] = jsonLines((await runCli(['scans', '--db', db, '--format', 'jsonl'])).stdout);
  t.is(scan!.status, 'interrupted');
  t.true((scan!.totals as { probesDone: number }).probesDone < 4096 * 15);
  // the interrupted database stays usable
  copyFileSync(db, join(dir, 'copy.db'));
  const again = await runCli(['scan', '127.0.0.1', '--ports', '1', '--db', db, '--format', 'jsonl']);
  t.is(again.code, 0, again.stderr);
});

test('--reverse-dns names a host from the hosts file (no DNS query leaves for loopback)', async (t) => {
  const estate = await startEstateProcess({ cidr: '127.0.0.1/32', seed: 1, density: 1, ports: [18023] });
  t.teardown(() => estate.stop());
  const r = await runCli(['scan', '127.0.0.1', '--ports', '18023', '--no-fingerprint', '--reverse-dns', '--db', join(tempDir(t), 's.db'), '--format', 'jsonl']);
  t.is(r.code, 0, r.stderr);
  const [asset] = jsonLines(r.stdout);
  t.true((asset!.hostnames as string[]).includes('localhost'), JSON.stringify(asset));
});
