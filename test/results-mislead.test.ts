/**
 * Issue 20, "results that mislead": a missing or never-scanned database must not read as a clean result, `assets
 * diff` compares the right scans by default and calls a host new only where the earlier scan looked, and the
 * inventory keeps ports a later scan did not look at. Addresses 127.101.x.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { diffAssets } from '../app/assets.js';
import { openStore } from '../store/open-store.js';
import type { HostObservation, NewScan, Store } from '../store/store.js';
import { jsonLines, runCli, tempDir } from './helpers/cli.js';
import { REPORTS } from '../app/reports.js';

const totals = { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 };

async function freshStore(t: ExecutionContext): Promise<{ store: Store; db: string }> {
  const db = join(tempDir(t), 's.db');
  const store = await openStore(db, { create: true });
  t.teardown(() => store.close());
  return { store, db };
}

/** Records a finished scan through the Store API: what it looked at and the open ports it saw per address. */
async function record(store: Store, scan: Partial<NewScan> & { targets: string[] }, seen: Record<string, number[]>): Promise<number> {
  const at = new Date().toISOString();
  const id = await store.createScan({ startedAt: at, exclusions: [], ports: [22, 80], options: {}, hostsTotal: 4, probesTotal: 8, ...scan });
  const hosts: HostObservation[] = Object.entries(seen).map(([address, ports]) => ({
    address, hostnames: [], seenAt: at, ports: ports.map((port) => ({ port, state: 'open' as const, rttMs: 0.1, attempts: 1 })),
  }));
  if (hosts.length) await store.recordHosts(id, hosts, totals);
  await store.finishScan(id, 'completed', totals, at);
  return id;
}

/** The changes the diff should find, computed from what each scan saw, with every address covered by both. */
function expectedChanges(before: Record<string, number[]>, after: Record<string, number[]>): string[] {
  const out: string[] = [];
  for (const address of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[address] ?? [];
    const a = after[address] ?? [];
    if (!b.length) out.push(`${address} host-new`);
    else if (!a.length) out.push(`${address} host-gone`);
    else {
      for (const p of a) if (!b.includes(p)) out.push(`${address} port-opened ${p}`);
      for (const p of b) if (!a.includes(p)) out.push(`${address} port-closed ${p}`);
    }
  }
  return out.sort();
}

const keys = (changes: ReadonlyArray<{ address: string; kind: string; port?: number }>) =>
  changes.map((c) => `${c.address} ${c.kind}${c.port ? ` ${c.port}` : ''}`).sort();

/**
 * The default baseline used to be the finished scan just before the latest, whatever it was: a directory scan (no
 * ports, so every host "host-new") or a scan of other addresses. Now: the last two network scans of the same targets.
 */
test('assets diff defaults to the last two network scans of the same addresses, never a directory scan', async (t) => {
  const { store, db } = await freshStore(t);
  const range = ['127.101.0.0/29'];
  const one = { '127.101.0.1': [22], '127.101.0.2': [22, 80] };
  const two = { '127.101.0.1': [22, 80], '127.101.0.3': [22] };
  const first = await record(store, { targets: range }, one);
  await record(store, { targets: ['127.101.9.9'] }, { '127.101.9.9': [22] });
  const second = await record(store, { targets: range }, two);
  await record(store, { kind: 'directory', targets: ['ldap://127.101.0.1:389'], ports: [389] }, {});

  const diff = await diffAssets(store);
  t.deepEqual([diff.from, diff.to], [first, second]);
  t.deepEqual(keys(diff.changes), expectedChanges(one, two));
  t.true(diff.changes.length > 0);

  // the same through the CLI
  await store.close();
  const r = await runCli(['assets', 'diff', '--db', db, '--format', 'json']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { from: number; to: number; changes: Array<{ address: string; kind: string; port?: number }> };
  t.deepEqual([doc.from, doc.to], [first, second]);
  t.deepEqual(keys(doc.changes), expectedChanges(one, two));
});

/** A host the earlier scan did not look at used to be `host-new` even when earlier scans had seen it. */
test('assets diff calls a host new only where the earlier scan covered it and did not see it', async (t) => {
  const { store } = await freshStore(t);
  await record(store, { targets: ['127.101.1.0/29'] }, { '127.101.1.1': [22], '127.101.1.2': [22] });
  const narrow = await record(store, { targets: ['127.101.1.1'] }, { '127.101.1.1': [22] });
  const wide = await record(store, { targets: ['127.101.1.0/29'] }, { '127.101.1.1': [22], '127.101.1.2': [22], '127.101.1.5': [80] });
  const diff = await diffAssets(store, { from: narrow, to: wide });
  // .2 was outside the narrow scan (seen by the first one): not new; .5 too: not new either
  t.deepEqual(keys(diff.changes), []);
  // against a scan that covered both, .5 is new and .2 is not
  const diffWide = await diffAssets(store, { from: 1, to: wide });
  t.deepEqual(keys(diffWide.changes), ['127.101.1.5 host-new']);
});

test('assets diff refuses a directory scan given by number (exit 2, naming it)', async (t) => {
  const { store, db } = await freshStore(t);
  await record(store, { targets: ['127.101.2.1'] }, { '127.101.2.1': [22] });
  const dir = await record(store, { kind: 'directory', targets: ['ldap://127.101.2.1:389'], ports: [389] }, {});
  await store.close();
  const r = await runCli(['assets', 'diff', '--from', String(dir), '--to', '1', '--db', db]);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`scan ${dir} is a directory scan.*--from ${dir}`));
});

/**
 * "A mistyped database is a clean bill of health": every reading command refuses a missing database (exit 2,
 * nothing created; this held already and the first test keeps it so); on a surveyor database with no scan, assets,
 * accounts and reports used to print a bare empty result: now they say so on stderr, and a JSON report says so in
 * `noScanRecorded` (exit 0: the store is valid, just empty).
 */
const READING = [
  ['assets'], ['assets', 'show', '127.101.3.1'], ['assets', 'diff'], ['scans'], ['accounts'], ['creds', 'list'], ['hostkeys', 'list'],
  ['workgroups', 'list'], ['rules', 'list'], ['rules', 'runs'], ['rules', 'show', '1'], ['directory', 'computers'],
  ...REPORTS.map((r) => ['report', r]),
];

test('every reading command refuses a missing database with exit 2 and creates nothing', async (t) => {
  const db = join(tempDir(t), 'typo.db');
  for (const argv of READING) {
    const r = await runCli([...argv, '--db', db]);
    t.is(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /no surveyor database at .*typo\.db/, argv.join(' '));
    t.false(existsSync(db), `${argv.join(' ')} created the database`);
  }
});

test('a surveyor database with no scan: reports, assets and accounts say so instead of a bare empty result', async (t) => {
  const { store, db } = await freshStore(t);
  await store.close();
  for (const argv of [['assets'], ['assets', '--format', 'json'], ['accounts'], ['report', 'unmanaged'], ['report', 'stale', '--format', 'csv']]) {
    const r = await runCli([...argv, '--db', db]);
    t.is(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /no scan has been recorded in .*s\.db/, argv.join(' '));
  }
  const json = await runCli(['report', 'unmanaged', '--format', 'json', '--db', db]);
  t.is(json.code, 0);
  t.is((JSON.parse(json.stdout) as { noScanRecorded: boolean }).noScanRecorded, true);
  const html = await runCli(['report', 'unmanaged', '--format', 'html', '--db', db]);
  t.regex(html.stdout, /No scan has been recorded in this database/);

  // once a scan is recorded the note goes away and the field says false
  const again = await openStore(db);
  await record(again, { targets: ['127.101.4.1'] }, {});
  await again.close();
  const after = await runCli(['report', 'unmanaged', '--format', 'json', '--db', db]);
  t.is(after.code, 0);
  t.notRegex(after.stderr, /no scan has been recorded/);
  t.is((JSON.parse(after.stdout) as { noScanRecorded: boolean }).noScanRecorded, false);
});

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** "The inventory forgets": after a scan of port 80 alone, `assets` dropped the 443 that no scan saw closing. */
test('assets keeps a port a later scan did not look at, last seen by the scan that saw it', async (t) => {
  const address = '127.101.0.7';
  const servers = await Promise.all([80, 443].map((p) => listen(address, p)));
  t.teardown(() => { for (const s of servers) s.close(); });
  const db = join(tempDir(t), 's.db');
  const scan = async (ports: string) => {
    const r = await runCli(['scan', address, '--ports', ports, '--db', db, '--no-fingerprint', '--format', 'jsonl']);
    t.is(r.code, 0, r.stderr);
    return jsonLines(r.stdout);
  };
  const first = await scan('80,443');
  t.deepEqual((first[0]!.ports as Array<{ port: number }>).map((p) => p.port), [80, 443], 'both listeners answered the first scan');
  await scan('80');
  const scans = JSON.parse((await runCli(['scans', '--db', db, '--format', 'json'])).stdout) as { scans: Array<{ id: number; finishedAt: string }> };
  const [one, two] = scans.scans;

  const r = await runCli(['assets', '--db', db, '--format', 'jsonl']);
  t.is(r.code, 0, r.stderr);
  const [asset] = jsonLines(r.stdout);
  t.is(asset!.address, address);
  t.deepEqual((asset!.ports as Array<{ port: number; state: string; scanId: number; lastSeen: string }>).map((p) => [p.port, p.state, p.scanId, p.lastSeen]), [
    [80, 'open', two!.id, two!.finishedAt],
    [443, 'open', one!.id, one!.finishedAt],
  ]);
  const show = await runCli(['assets', 'show', address, '--db', db]);
  t.regex(show.stdout, new RegExp(`443/tcp\\s+open.*last seen by scan ${one!.id}`));
});
