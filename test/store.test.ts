import test from 'ava';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { MIGRATIONS } from '../store/migrations.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import type { NewScan } from '../store/store.js';
import { tempDir } from './helpers/cli.js';

const scan = (targets: string[]): NewScan => ({
  startedAt: new Date().toISOString(), targets, exclusions: [], ports: [22, 80], options: { timeoutMs: 1000 }, hostsTotal: 4, probesTotal: 8,
});
const totals = { probesDone: 8, hostsDone: 4, open: 2, closed: 6, filtered: 0 };

function rawQuery(path: string, sql: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path);
    db.all(sql, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows))));
  });
}

test('migrations are applied once and recorded, in WAL mode', async (t) => {
  const path = join(tempDir(t), 's.db');
  await (await openStore(path, { create: true })).close();
  await (await openStore(path, { create: true })).close();
  t.deepEqual(await rawQuery(path, 'SELECT version FROM schema_migrations ORDER BY version'), MIGRATIONS.map((m) => ({ version: m.version })));
  t.deepEqual(await rawQuery(path, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
});

test('scans, assets and ports round-trip; a rescan keeps first-seen and shows its own ports', async (t) => {
  const path = join(tempDir(t), 's.db');
  const store = await openStore(path, { create: true });
  t.teardown(() => store.close());
  const first = await store.createScan(scan(['127.0.0.0/30']));
  await store.recordHosts(first, [
    { address: '127.0.0.10', hostnames: [], ports: [{ port: 22, state: 'open', rttMs: 0.2, attempts: 1 }], seenAt: '2026-01-01T00:00:00.000Z' },
    { address: '127.0.0.9', hostnames: ['db.lab.test'], ports: [{ port: 80, state: 'open', rttMs: 0.3, attempts: 2 }], seenAt: '2026-01-01T00:00:00.000Z' },
  ], totals);
  await store.finishScan(first, 'completed', totals, '2026-01-01T00:00:01.000Z');
  const second = await store.createScan(scan(['127.0.0.10']));
  await store.recordHosts(second, [
    { address: '127.0.0.10', hostnames: [], ports: [{ port: 80, state: 'open', rttMs: 0.1, attempts: 1 }], seenAt: '2026-02-01T00:00:00.000Z' },
  ], totals);
  await store.finishScan(second, 'interrupted', totals, '2026-02-01T00:00:01.000Z');

  const assets = await store.listAssets();
  t.deepEqual(assets.map((a) => a.address), ['127.0.0.9', '127.0.0.10'], 'numeric address order');
  const ten = assets[1]!;
  t.is(ten.firstSeen, '2026-01-01T00:00:00.000Z');
  t.is(ten.lastSeen, '2026-02-01T00:00:00.000Z');
  t.deepEqual(ten.ports.map((p) => [p.port, p.scanId]), [[80, second]]);
  t.deepEqual(assets[0]!.hostnames, ['db.lab.test']);
  const scans = await store.listScans();
  t.deepEqual(scans.map((s) => [s.id, s.status]), [[first, 'completed'], [second, 'interrupted']]);
  t.deepEqual(scans[0]!.totals, totals);
  t.deepEqual(scans[0]!.targets, ['127.0.0.0/30']);
});

test('a failing batch leaves nothing half-written', async (t) => {
  const path = join(tempDir(t), 's.db');
  const store = await openStore(path, { create: true });
  t.teardown(() => store.close());
  const id = await store.createScan(scan(['127.0.0.1']));
  const bad = { address: '127.0.0.2', hostnames: [], ports: [{ port: 70000, state: 'open' as const, rttMs: 1, attempts: 1 }], seenAt: 'x' };
  const good = { address: '127.0.0.1', hostnames: [], ports: [{ port: 22, state: 'open' as const, rttMs: 1, attempts: 1 }], seenAt: 'x' };
  await t.throwsAsync(store.recordHosts(id, [good, bad], totals));
  t.deepEqual(await store.listAssets(), []);
  t.is((await store.getScan(id))!.totals.probesDone, 0);
});

test('a database from a newer surveyor is refused, not damaged', async (t) => {
  const path = join(tempDir(t), 's.db');
  await (await openStore(path, { create: true })).close();
  await rawQuery(path, "INSERT INTO schema_migrations VALUES (999, 'future', 'now')");
  await t.throwsAsync(openStore(path, { create: true }), { message: /schema 999, newer than this surveyor knows/ });
});

test('the database location comes from --db, then SURVEYOR_DB, then ./surveyor.db', (t) => {
  t.is(resolveDbLocation('a.db', { SURVEYOR_DB: 'b.db' }), 'a.db');
  t.is(resolveDbLocation(undefined, { SURVEYOR_DB: 'b.db' }), 'b.db');
  t.is(resolveDbLocation(undefined, {}), './surveyor.db');
});
