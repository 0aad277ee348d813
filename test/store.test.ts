/**
 * The store, case by case, on both databases (helpers/dialects.ts: each case is declared once per dialect, as
 * `sqlite: ...` and `postgres: ...`). Ground truth is read from the database directly (better-sqlite3 or pg), not
 * through the store, where a case checks what was written rather than what the store gives back.
 */
import test from 'ava';
import { MIGRATIONS } from '../store/migrations.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import type { HostObservation, NewScan, Store } from '../store/store.js';
import type { PortResult } from '../scanner/engine/types.js';
import type { Change, ManagedState } from '../model/onboarding.js';
import type { AccountObservation, EnumerationRecord } from '../enum/types.js';
import { type Dialect, eachDialect } from './helpers/dialects.js';

const scan = (targets: string[]): NewScan => ({
  startedAt: new Date().toISOString(), targets, exclusions: [], ports: [22, 80], options: { timeoutMs: 1000 }, hostsTotal: 4, probesTotal: 8,
});
const totals = { probesDone: 8, hostsDone: 4, open: 2, closed: 6, filtered: 0 };
const T0 = '2026-01-01T00:00:00.000Z';

async function fresh(t: Parameters<Parameters<typeof eachDialect>[1]>[0], d: Dialect): Promise<{ store: Store; location: string }> {
  const location = await d.fresh(t);
  const store = await openStore(location, { create: true });
  t.teardown(() => store.close());
  return { store, location };
}

const account = (name: string, privileged: boolean, extra: Partial<AccountObservation> = {}): AccountObservation => ({
  kind: 'local', key: name, name, uid: String(name.length), privileged, reasons: privileged ? ['uid 0 (getent passwd)'] : [],
  enabled: true, details: { shell: '/bin/bash', fingerprint: `fp-${name}` }, source: 'getent passwd', ...extra,
});
const enumeration = (accounts: AccountObservation[], extra: Partial<EnumerationRecord> = {}): EnumerationRecord => ({
  method: 'ssh', port: 22, credential: 'lab', status: 'success', notes: [], elapsedMs: 12.5, accounts,
  facts: { software: { source: 'dpkg-query', value: { manager: 'dpkg', packages: [{ name: 'sudo', version: '1.9', arch: 'amd64' }] } } },
  ...extra,
});
const host = (address: string, extra: Partial<HostObservation> = {}): HostObservation => ({
  address, hostnames: [], ports: [{ port: 22, state: 'open', rttMs: 0.25, attempts: 1 }], seenAt: T0, ...extra,
});

eachDialect('migrations are applied once and recorded; the database is surveyor\'s from then on', async (t, d) => {
  const location = await d.fresh(t);
  await (await openStore(location, { create: true })).close();
  await (await openStore(location, { create: true })).close();
  const rows = await d.raw<{ version: number; name: string }>(location, 'SELECT version, name FROM schema_migrations ORDER BY version');
  t.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  if (d.name === 'sqlite') t.deepEqual(await d.raw(location, 'PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
  // A reading command opens it without changing anything.
  await (await openStore(location)).close();
  t.is((await d.raw(location, 'SELECT version FROM schema_migrations')).length, MIGRATIONS.length);
});

eachDialect('scans, assets and ports round-trip; a rescan keeps first-seen and shows its own ports', async (t, d) => {
  const { store } = await fresh(t, d);
  const first = await store.createScan(scan(['127.0.0.0/30']));
  await store.recordHosts(first, [
    { address: '127.0.0.10', hostnames: [], ports: [{ port: 22, state: 'open', rttMs: 0.2, attempts: 1 }], seenAt: '2026-01-01T00:00:00.000Z' },
    { address: '127.0.0.9', hostnames: ['db.lab.test'], ports: [{ port: 80, state: 'open', rttMs: 0.3, attempts: 2 }], seenAt: '2026-01-01T00:00:00.000Z' },
  ], totals);
  await store.finishScan(first, 'completed', totals, '2026-01-01T00:00:01.000Z');
  const second = await store.createScan(scan(['127.0.0.10']));
  await store.recordHosts(second, [
    { address: '127.0.0.10', hostnames: [], ports: [{ port: 80, state: 'open', rttMs: 0.1, attempts: 1 }], seenAt: '2026-02-01T00:00:00.000Z' },
  ], totals, ['127.0.0.10-127.0.0.10']);
  await store.finishScan(second, 'interrupted', totals, '2026-02-01T00:00:01.000Z', { note: 'SIGINT' });

  const assets = await store.listAssets();
  t.deepEqual(assets.map((a) => a.address), ['127.0.0.9', '127.0.0.10'], 'numeric address order');
  const ten = assets[1]!;
  t.is(ten.firstSeen, '2026-01-01T00:00:00.000Z');
  t.is(ten.lastSeen, '2026-02-01T00:00:00.000Z');
  t.deepEqual(ten.ports.map((p) => [p.port, p.scanId, p.rttMs]), [[80, second, 0.1]]);
  t.deepEqual(assets[0]!.hostnames, ['db.lab.test']);
  t.deepEqual((await store.listAssets(['127.0.0.9'])).map((a) => a.address), ['127.0.0.9'], 'narrowed to the addresses asked for');
  const scans = await store.listScans();
  t.deepEqual(scans.map((s) => [s.id, s.status]), [[first, 'completed'], [second, 'interrupted']]);
  t.deepEqual(scans[0]!.totals, totals);
  t.deepEqual(scans[0]!.targets, ['127.0.0.0/30']);
  t.is(scans[0]!.swept, null, 'a completed scan covered its targets');
  t.deepEqual(scans[1]!.swept, ['127.0.0.10-127.0.0.10']);
  t.is(scans[1]!.note, 'SIGINT');
  t.is(scans[1]!.owner?.pid, process.pid);
  const snap = await store.snapshot(second);
  t.deepEqual([...snap!.hosts.keys()], ['127.0.0.10']);
  t.deepEqual([...snap!.hosts.get('127.0.0.10')!.ports.keys()], [80]);
});

eachDialect('a batch naming one host, port, name or account twice keeps the last, as one statement after another would', async (t, d) => {
  const { store, location } = await fresh(t, d);
  const id = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(id, [
    host('127.0.0.1', { hostnames: ['a.test', 'a.test'], ports: [{ port: 22, state: 'closed', rttMs: 1, attempts: 1 }, { port: 22, state: 'open', rttMs: 2, attempts: 1 }] }),
    host('127.0.0.1', { hostnames: ['a.test'], enumerations: [enumeration([account('root', false), account('root', true)])] }),
  ], totals);
  const [asset] = await store.listAssets();
  t.deepEqual(asset!.hostnames, ['a.test']);
  t.deepEqual(asset!.ports.map((p) => [p.port, p.state]), [[22, 'open']]);
  const accounts = await store.listAccounts();
  t.deepEqual(accounts.map((a) => [a.name, a.privileged]), [['root', true]]);
  t.is((await d.raw(location, 'SELECT * FROM assets')).length, 1);
});

eachDialect('a failing batch leaves nothing half-written', async (t, d) => {
  const { store, location } = await fresh(t, d);
  const id = await store.createScan(scan(['127.0.0.1']));
  const bad = { address: '127.0.0.2', hostnames: [], ports: [{ port: 70000, state: 'open' as const, rttMs: 1, attempts: 1 }], seenAt: 'x' };
  const good = { address: '127.0.0.1', hostnames: [], ports: [{ port: 22, state: 'open' as const, rttMs: 1, attempts: 1 }], seenAt: 'x' };
  await t.throwsAsync(store.recordHosts(id, [good, bad], totals));
  t.deepEqual(await store.listAssets(), []);
  t.deepEqual(await d.raw(location, 'SELECT * FROM assets'), []);
  t.is((await store.getScan(id))!.totals.probesDone, 0);
});

eachDialect('a database from a newer surveyor is refused, not damaged', async (t, d) => {
  const location = await d.fresh(t);
  await (await openStore(location, { create: true })).close();
  await d.raw(location, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')");
  await t.throwsAsync(openStore(location, { create: true }), { message: /schema 999, newer than this surveyor knows/ });
  t.is((await d.raw(location, 'SELECT * FROM schema_migrations')).length, MIGRATIONS.length + 1);
});

eachDialect('another application\'s database is refused and left as it was; an empty one is not read as an estate', async (t, d) => {
  const empty = await d.fresh(t);
  await t.throwsAsync(openStore(empty), { message: /no surveyor database at/ });
  const other = await d.fresh(t);
  await d.raw(other, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)');
  await d.raw(other, 'INSERT INTO orders (id, total) VALUES (1, 42)');
  await t.throwsAsync(openStore(other, { create: true }), { message: /another application's (SQLite|PostgreSQL) database \(tables: orders\)/ });
  // Rails keeps a schema_migrations table too: it is not taken for surveyor's.
  await d.raw(other, 'CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)');
  await d.raw(other, "INSERT INTO schema_migrations (version) VALUES ('20240101000000')");
  await t.throwsAsync(openStore(other, { create: true }), { message: /another application's database \(its schema_migrations table is not surveyor's\)/ });
  t.deepEqual(await d.raw(other, 'SELECT id, total FROM orders'), [{ id: 1, total: 42 }]);
  const tables = d.name === 'sqlite'
    ? await d.raw<{ name: string }>(other, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    : await d.raw<{ name: string }>(other, 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1');
  t.deepEqual(tables.map((r) => r.name), ['orders', 'schema_migrations'], 'no surveyor table was added');
});

eachDialect('credentials are stored sealed: added, refused twice, replaced, listed, removed', async (t, d) => {
  const { store, location } = await fresh(t, d);
  const cred = { name: 'lab', type: 'ssh' as const, username: 'root', auth: 'password' as const, elevate: null, scope: ['127.0.0.0/8'], keyId: 'k1', sealed: 'v1.sealed-bytes', createdAt: T0, updatedAt: T0 };
  t.is(await store.saveCredential(cred, false), 'added');
  await t.throwsAsync(store.saveCredential(cred, false), { message: /credential "lab" already exists/ });
  t.is(await store.saveCredential({ ...cred, sealed: 'v1.other', updatedAt: '2026-02-01T00:00:00.000Z', elevate: 'sudo' }, true), 'replaced');
  const got = await store.getCredential('lab');
  t.like(got, { sealed: 'v1.other', elevate: 'sudo', createdAt: T0, updatedAt: '2026-02-01T00:00:00.000Z' });
  t.deepEqual(got!.scope, ['127.0.0.0/8']);
  t.deepEqual((await store.listCredentials()).map((c) => c.name), ['lab']);
  t.deepEqual(await d.raw(location, 'SELECT sealed FROM credentials'), [{ sealed: 'v1.other' }]);
  t.true(await store.removeCredential('lab'));
  t.false(await store.removeCredential('lab'));
  t.deepEqual(await store.listCredentials(), []);
});

eachDialect('host keys: pinned on first sight, a changed key only offered, accepted on request', async (t, d) => {
  const { store } = await fresh(t, d);
  await store.pinHostKey('127.0.0.5', 22, 'ssh-ed25519', 'SHA256:first', T0);
  await store.pinHostKey('127.0.0.5', 22, 'ssh-ed25519', 'SHA256:second', '2026-01-02T00:00:00.000Z');
  t.like(await store.getHostKey('127.0.0.5', 22), { sha256: 'SHA256:first', lastSeen: T0 });
  await store.offerHostKey('127.0.0.5', 22, 'ssh-ed25519', 'SHA256:second', '2026-01-03T00:00:00.000Z');
  t.like((await store.listHostKeys())[0], { offered: { sha256: 'SHA256:second', algorithm: 'ssh-ed25519', at: '2026-01-03T00:00:00.000Z' } });
  const changes = await store.acceptHostKeys('127.0.0.5');
  t.deepEqual(changes.map((c) => [c.before.sha256, c.after.sha256]), [['SHA256:first', 'SHA256:second']]);
  const after = await store.getHostKey('127.0.0.5', 22);
  t.is(after!.sha256, 'SHA256:second');
  t.is(after!.offered, undefined);
});

eachDialect('accounts and enumerations: privileged filter, gone accounts, latest enumeration, software', async (t, d) => {
  const { store } = await fresh(t, d);
  const s1 = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(s1, [host('127.0.0.1', { enumerations: [enumeration([account('root', true), account('alice', false), account('old', false)])] })], totals);
  await store.finishScan(s1, 'completed', totals, T0);
  const s2 = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(s2, [host('127.0.0.1', { seenAt: '2026-02-01T00:00:00.000Z', enumerations: [enumeration([account('root', true), account('alice', false)])] })], totals);
  await store.finishScan(s2, 'completed', totals, '2026-02-01T00:00:00.000Z');

  t.deepEqual((await store.listAccounts()).map((a) => a.name), ['alice', 'root'], 'the account the latest enumeration no longer saw is gone');
  const all = await store.listAccounts({ includeGone: true });
  t.deepEqual(all.map((a) => [a.name, a.current]), [['alice', true], ['old', false], ['root', true]]);
  const root = all.find((a) => a.name === 'root')!;
  t.like(root, { privileged: true, enabled: true, firstSeen: T0, lastSeen: '2026-02-01T00:00:00.000Z', lastScanId: s2, method: 'ssh', credential: 'lab' });
  t.deepEqual(root.reasons, ['uid 0 (getent passwd)']);
  t.deepEqual(root.details, { shell: '/bin/bash', fingerprint: 'fp-root' });
  t.deepEqual((await store.listAccounts({ privileged: true })).map((a) => a.name), ['root']);
  t.deepEqual((await store.listAccounts({ address: '127.0.0.2' })), []);
  t.deepEqual((await store.listAccounts({ assetIds: [root.assetId] })).length, 2);
  const latest = await store.latestEnumerations('127.0.0.1');
  t.deepEqual(latest.map((e) => [e.scanId, e.method, e.status, e.accounts.length]), [[s2, 'ssh', 'success', 2]]);
  t.deepEqual(latest[0]!.facts, enumeration([]).facts);
  t.deepEqual((await store.listSoftware()).map((p) => [p.address, p.name, p.version, p.manager, p.scanId]), [['127.0.0.1', 'sudo', '1.9', 'dpkg', s2]]);
  t.deepEqual(await store.listSoftware([root.assetId + 1000]), []);
});

eachDialect('a directory scan: the server, its accounts and its computers, on new and known assets', async (t, d) => {
  const { store } = await fresh(t, d);
  const net = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(net, [host('127.0.0.1', { seenAt: '2026-03-01T00:00:00.000Z' })], totals);
  const dir = await store.createScan({ ...scan(['ldap://127.0.0.10']), kind: 'directory' });
  await store.recordDirectory(dir, {
    address: '127.0.0.10', hostnames: ['dc1.lab.test'], seenAt: T0, domain: 'lab.test',
    enumeration: enumeration([account('Administrator', true, { kind: 'domain', key: 'S-1-5-21-500' })], { method: 'ldap', port: 389, facts: {} }),
    computers: [
      { key: 'g1', dn: 'CN=WEB1,DC=lab,DC=test', name: 'WEB1', dnsHostName: 'web1.lab.test', enabled: true, address: '127.0.0.1' },
      { key: 'g2', dn: 'CN=GONE,DC=lab,DC=test', name: 'GONE', enabled: false },
    ],
  });
  const computers = await store.listDirectoryComputers('lab.test');
  t.deepEqual(computers.map((c) => [c.name, c.enabled, c.address ?? null]), [['GONE', false, null], ['WEB1', true, '127.0.0.1']]);
  const assets = await store.listAssets();
  t.deepEqual(assets.map((a) => [a.address, a.scanned]), [['127.0.0.1', true], ['127.0.0.10', false]]);
  t.is(assets[0]!.lastSeen, '2026-03-01T00:00:00.000Z', 'a directory sighting older than the sweep does not move last-seen back');
  t.deepEqual(assets[0]!.directory?.map((c) => c.name), ['WEB1']);
  t.deepEqual(assets[0]!.names.map((n) => [n.name, n.via]), [['web1.lab.test', 'directory lab.test']]);
  t.deepEqual((await store.listAccounts()).map((a) => [a.address, a.kind, a.name]), [['127.0.0.10', 'domain', 'Administrator']]);
});

eachDialect('Smart Rules: workgroups, rule sets, a run with its journal, a replan against a moved journal, undo', async (t, d) => {
  const { store } = await fresh(t, d);
  await store.addWorkgroup('wg', 'site-a', null, T0);
  await t.throwsAsync(store.addWorkgroup('wg', 'site-b', null, T0), { message: /workgroup "wg" exists already/ });
  const set1 = await store.saveRuleSet('rules.yaml', 'schema: 1', 'abc', T0);
  const set2 = await store.saveRuleSet('rules.yaml', 'schema: 1\n', 'def', T0);
  t.true(set2 > set1);
  t.like(await store.activeRuleSet(), { id: set2, sha256: 'def' });

  const s = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(s, [host('127.0.0.1', { enumerations: [enumeration([account('root', true), account('alice', false)])] })], totals);
  const [alice, root] = await store.listAccounts();
  const state: ManagedState = { workgroup: 'wg', policy: 'std', changeFrequencyDays: 30, changeTime: '23:30', rule: 'onboard', ruleVersion: 'v1' };
  const run = (source: string) => ({ startedAt: T0, finishedAt: T0, source, trigger: 'command', scope: null, rules: [{ name: 'onboard', kind: 'account', version: 'v1' }], summary: { onboarded: 1 } });
  const onboardRoot: Change[] = [
    { action: 'onboard', accountId: root!.id, label: 'root', after: state },
    { action: 'add', label: '127.0.0.1', membership: { subject: 'asset', subjectId: root!.assetId, kind: 'group', name: 'linux', rule: 'onboard', detail: null } },
  ];
  const head0 = await store.journalHead();
  const first = await store.writeRuleRun(run('r1'), onboardRoot);
  t.true(await store.journalHead() > head0);
  t.deepEqual((await store.listWorkgroups()).map((w) => [w.name, w.managed]), [['wg', 1]]);
  t.deepEqual((await store.listManaged()).map((m) => [m.accountId, m.workgroup, m.runId]), [[root!.id, 'wg', first]]);
  t.deepEqual((await store.listMemberships('group')).map((m) => [m.label, m.name]), [['127.0.0.1', 'linux']]);
  const journal = await store.runJournal(first);
  t.deepEqual(journal.map((c) => c.action), ['onboard', 'add']);

  // A run planned before `first` was written is planned again from the stored state, under the write lock.
  let replanned = 0;
  const second = await store.writeRuleRun(run('r2'), onboardRoot, {
    journalHead: head0,
    replan: (current) => {
      replanned++;
      t.true(current.managed.has(root!.id));
      return { run: run('r2 replanned'), changes: [{ action: 'onboard', accountId: alice!.id, label: 'alice', after: state }] };
    },
  });
  t.is(replanned, 1);
  t.like(await store.getRuleRun(second), { source: 'r2 replanned', changes: 1, undoneBy: null });
  const onboarding = await store.onboardingState([root!.assetId]);
  t.deepEqual([...onboarding.managed.keys()].sort((x, y) => x - y), [alice!.id, root!.id].sort((x, y) => x - y));
  t.is(onboarding.memberships.size, 1);

  const undo = await store.writeRuleRun({ ...run('undo of run 2'), trigger: 'undo', undoes: second }, [{ action: 'offboard', accountId: alice!.id, label: 'alice', before: state }]);
  t.like(await store.getRuleRun(second), { undoneBy: undo });
  await t.throwsAsync(store.writeRuleRun({ ...run('again'), undoes: second }, []), { message: /run 2 was undone meanwhile|was undone meanwhile/ });
  await store.appendChanges(first, [{ action: 'add', label: 'root', membership: { subject: 'account', subjectId: root!.id, kind: 'notified', name: 'onboard', rule: 'onboard', detail: 'http://127.0.0.1/hook' } }], T0);
  t.deepEqual((await store.runJournal(first)).map((c) => c.action), ['onboard', 'add', 'add']);
  t.deepEqual((await store.listRuleRuns()).map((r) => r.id), [first, second, undo]);
  t.deepEqual((await store.listManaged()).map((m) => m.accountId), [root!.id]);
});

eachDialect('scans left running by a process that is gone are marked interrupted on the next open, keeping their rows', async (t, d) => {
  const { store, location } = await fresh(t, d);
  const id = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(id, [host('127.0.0.1')], totals);
  await d.raw(location, `UPDATE scans SET owner = $1 WHERE id = $2`, [JSON.stringify({ host: (await import('node:os')).hostname(), pid: 2 ** 22 + 17, startTicks: 1 }), id]);
  const again = await openStore(location);
  t.teardown(() => again.close());
  const got = await again.getScan(id);
  t.is(got!.status, 'interrupted');
  t.regex(got!.note!, /its process \d+ on .* is gone/);
  t.deepEqual((await again.listAssets()).map((a) => a.address), ['127.0.0.1']);
});

eachDialect('several nodes at once: opening a new database migrates it once; overlapping batches and rule runs take turns', async (t, d) => {
  const location = await d.fresh(t);
  const stores = await Promise.all([1, 2, 3].map(() => openStore(location, { create: true })));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  t.deepEqual((await d.raw<{ version: number }>(location, 'SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version), MIGRATIONS.map((m) => m.version));

  // Three scans write the same 300 hosts at once, in different orders: no lost write, no deadlock.
  const addresses = Array.from({ length: 300 }, (_, i) => `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  const scans = await Promise.all(stores.map((s) => s.createScan(scan(['127.0.0.0/23']))));
  await Promise.all(stores.map((s, n) => {
    const order = n === 1 ? [...addresses].reverse() : addresses;
    const batches = [order.slice(0, 150), order.slice(150)];
    return batches.reduce((p, batch) => p.then(() => s.recordHosts(scans[n]!, batch.map((a) => host(a, { enumerations: [enumeration([account('root', true)])] })), totals)), Promise.resolve());
  }));
  t.is((await d.raw<{ n: number }>(location, 'SELECT count(*) AS n FROM assets'))[0]!.n, 300);
  t.is((await d.raw<{ n: number }>(location, 'SELECT count(*) AS n FROM accounts'))[0]!.n, 300);
  t.is((await d.raw<{ n: number }>(location, 'SELECT count(*) AS n FROM scan_ports'))[0]!.n, 900);

  // Two rule runs planned against the same journal head: the second is planned again, so nothing is onboarded twice.
  const [a, b] = stores;
  await a!.addWorkgroup('wg', 'site', null, T0);
  // Whichever batch was written last, the newest scan's view is the current one: every account is current.
  const accounts = await a!.listAccounts();
  t.is(accounts.length, 300);
  t.true((await a!.listAssets()).every((x) => x.lastScanId === Math.max(...scans)));
  const head = await a!.journalHead();
  const state: ManagedState = { workgroup: 'wg', policy: 'p', changeFrequencyDays: 1, changeTime: '00:00', rule: 'r', ruleVersion: 'v' };
  const plan = (store: Store, source: string) => {
    const onboard = (ids: number[]): Change[] => ids.map((id) => ({ action: 'onboard', accountId: id, label: String(id), after: state }));
    const run = { startedAt: T0, finishedAt: T0, source, trigger: 'command', scope: null, rules: [], summary: {} };
    return store.writeRuleRun(run, onboard(accounts.map((x) => x.id)), {
      journalHead: head,
      replan: (current) => ({ run: { ...run, source: `${source} (replanned)` }, changes: onboard(accounts.map((x) => x.id).filter((id) => !current.managed.has(id))) }),
    });
  };
  const runs = await Promise.all([plan(a!, 'one'), plan(b!, 'two')]);
  const recorded = await Promise.all(runs.map((id) => a!.getRuleRun(id)));
  t.deepEqual(recorded.map((r) => r!.changes).sort((x, y) => x - y), [0, 300], 'one run onboarded all, the other, replanned, nothing');
  t.true(recorded.some((r) => r!.source.endsWith('(replanned)')));
  t.is((await d.raw<{ n: number }>(location, 'SELECT count(*) AS n FROM managed_accounts'))[0]!.n, 300);
});

test('the database location comes from --db, then SURVEYOR_DB, then ./surveyor.db', (t) => {
  t.is(resolveDbLocation('a.db', { SURVEYOR_DB: 'b.db' }), 'a.db');
  t.is(resolveDbLocation(undefined, { SURVEYOR_DB: 'b.db' }), 'b.db');
  t.is(resolveDbLocation(undefined, {}), './surveyor.db');
});

/**
 * Issue 20, "the inventory forgets": a scan of port 80 alone used to drop the host's 443 from the inventory (ports came
 * only from the asset's last scan). Every port keeps its last known state with the scan that last saw it; a later
 * scan changes only the ports it looked at (one that looked at 443 and has no row for it found it not open).
 */
eachDialect('the inventory keeps every port\'s last known state; a later scan changes only what it looked at', async (t, d) => {
  const { store, location } = await fresh(t, d);
  const address = '127.0.0.7';
  const open = (port: number) => ({ port, state: 'open' as const, rttMs: 0.2, attempts: 1 });
  const https = { port: 443, protocol: 'tcp' as const, service: 'https' as never, product: 'nginx', confidence: 90, sources: {}, outcomes: [] };
  const run = async (ports: number[], seen: PortResult[], finishedAt: string, profile?: HostObservation['profile']) => {
    const id = await store.createScan({ ...scan([address]), ports });
    await store.recordHosts(id, [host(address, { ports: seen, seenAt: finishedAt, profile })], totals);
    await store.finishScan(id, 'completed', totals, finishedAt);
    return id;
  };
  const first = await run([80, 443], [open(80), open(443)], '2026-01-01T00:00:00.000Z', { address, services: [https], hostnames: [] });
  const second = await run([80], [open(80)], '2026-02-01T00:00:00.000Z');
  // the ground truth, read directly: the second scan has no row for 443, the first has it open
  const rows = await d.raw<{ scan_id: number; port: number }>(location, 'SELECT scan_id, port FROM scan_ports ORDER BY scan_id, port');
  t.deepEqual(rows.map((r) => [r.scan_id, r.port]), [[first, 80], [first, 443], [second, 80]]);
  let [asset] = await store.listAssets();
  t.is(asset!.lastScanId, second);
  t.deepEqual(asset!.ports.map((p) => [p.port, p.state, p.scanId, p.lastSeen]), [
    [80, 'open', second, '2026-02-01T00:00:00.000Z'],
    [443, 'open', first, '2026-01-01T00:00:00.000Z'],
  ]);
  t.is(asset!.ports[1]!.service?.product, 'nginx', 'the port keeps the service its scan found');
  t.deepEqual((await store.listAssets([address]))[0]!.ports.map((p) => p.port), [80, 443], 'the same when narrowed to the address');

  // a scan that looked at 443 and did not find it open (closed ports are not stored by default) ends it
  const third = await run([80, 443], [open(80)], '2026-03-01T00:00:00.000Z');
  [asset] = await store.listAssets();
  t.deepEqual(asset!.ports.map((p) => [p.port, p.scanId]), [[80, third]]);
  // a scan asked to report closed ports stores the state it saw, which is then the port's state
  const fourth = await run([443], [{ port: 443, state: 'closed', rttMs: 0.1, attempts: 1 }], '2026-04-01T00:00:00.000Z');
  [asset] = await store.listAssets();
  t.deepEqual(asset!.ports.map((p) => [p.port, p.state, p.scanId]), [[80, 'open', third], [443, 'closed', fourth]]);
});

/** Unknown is not never: a recorded "never" and an unknown last logon are stored and read back apart. */
eachDialect('a last logon recorded as never and an unknown one round-trip apart', async (t, d) => {
  const { store, location } = await fresh(t, d);
  const id = await store.createScan(scan(['127.0.0.1']));
  await store.recordHosts(id, [host('127.0.0.1', { enumerations: [enumeration([
    account('never', false, { neverLoggedOn: true }), account('unknown', false), account('seen', false, { lastLogon: T0 }),
  ])] })], totals);
  const got = Object.fromEntries((await store.listAccounts()).map((a) => [a.name, [a.lastLogon, a.neverLoggedOn]]));
  t.deepEqual(got, { never: [null, true], unknown: [null, false], seen: [T0, false] });
  const raw = await d.raw<{ name: string; last_logon: string | null }>(location, 'SELECT name, last_logon FROM accounts ORDER BY name');
  t.deepEqual(raw.map((r) => [r.name, r.last_logon]), [['never', 'never'], ['seen', T0], ['unknown', null]]);
  const [e] = await store.latestEnumerations('127.0.0.1');
  t.deepEqual(e!.accounts.filter((a) => a.neverLoggedOn).map((a) => a.name), ['never']);
});
