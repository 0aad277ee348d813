/**
 * Credentialed facts reach the asset (issue 20): the OS and host name an SSH enumeration read on the host itself
 * become the asset's OS and first name, above the fingerprint's guess from banners, each with its evidence (the
 * credential, the scan and the command), so `assets show --evidence` names them and the reports' ASSET column is the
 * host's own name, not `-`. On both databases. The expected values are read from the stored enumeration directly
 * (better-sqlite3 or pg), not through the store; on the code before this change the asset kept the banner's guess
 * and no name, so the enumerated cases here failed. The lab case compares with the host's own /etc/os-release and
 * name (the lab's sshd runs on this host).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { openStore } from '../store/open-store.js';
import type { HostObservation, NewScan, Store } from '../store/store.js';
import type { EnumerationRecord } from '../enum/types.js';
import type { OsProfile } from '../model/service.js';
import type { HostProfile } from '../profiles/fingerprint.js';
import { buildReport } from '../app/reports.js';
import { dirEnv, runCli, tempDir } from './helpers/cli.js';
import { type Dialect, eachDialect } from './helpers/dialects.js';
import { labTest } from './helpers/lab.js';

const ADDRESS = '127.102.0.7';
const totals = { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 };
const scan = (): NewScan => ({
  startedAt: new Date().toISOString(), targets: [ADDRESS], exclusions: [], ports: [22], options: {}, hostsTotal: 1, probesTotal: 1,
});

/** What banners suggested: the fingerprint's OS, from a rule on port 22. */
const guess = (os: Partial<OsProfile>): HostProfile => ({
  address: ADDRESS, services: [], hostnames: [{ name: 'cert.example.test', via: 'TLS certificate (port 443)' }],
  os: { confidence: 85, sources: { family: { rule: 'services.rules:18', port: 22 }, name: { rule: 'services.rules:18', port: 22 } }, ...os },
});

const OS_SOURCE = 'sh -c "cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release"; sh -c "uname -s; uname -n; uname -r; uname -m; hostname -f 2>/dev/null || true"';
const sshEnum = (credential: string, os: Record<string, string>, status: EnumerationRecord['status'] = 'success'): EnumerationRecord => ({
  method: 'ssh', port: 22, credential, status, notes: [], elapsedMs: 3, accounts: status === 'success' ? [{
    kind: 'local', key: 'root', name: 'root', uid: '0', privileged: true, reasons: ['uid 0'], details: {}, source: 'getent passwd',
  }] : [],
  facts: status === 'success' ? {
    os: { source: OS_SOURCE, value: os },
    software: { source: 'dpkg-query', value: { manager: 'dpkg', packages: [{ name: 'sudo', version: '1.9' }] } },
  } : {},
});
const DEBIAN = { name: 'Debian GNU/Linux', version: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernel: 'Linux', hostname: 'web', fqdn: 'web.lab.test' };

async function record(store: Store, host: Partial<HostObservation>): Promise<number> {
  const id = await store.createScan(scan());
  await store.recordHosts(id, [{ address: ADDRESS, hostnames: [], ports: [{ port: 22, state: 'open', rttMs: 0.1, attempts: 1 }], seenAt: new Date().toISOString(), ...host }], totals);
  await store.finishScan(id, 'completed', totals, new Date().toISOString());
  return id;
}

async function fresh(t: Parameters<Parameters<typeof eachDialect>[1]>[0], d: Dialect): Promise<{ store: Store; location: string }> {
  const location = await d.fresh(t);
  const store = await openStore(location, { create: true });
  t.teardown(() => store.close());
  return { store, location };
}

/** The `os` fact of the latest successful SSH enumeration, read from the database directly. */
async function storedOsFact(d: Dialect, location: string): Promise<{ scanId: number; credential: string; source: string; value: typeof DEBIAN }> {
  const rows = await d.raw<{ scan_id: number; credential: string; facts: string }>(location,
    `SELECT scan_id, credential, facts FROM scan_enumerations WHERE status = 'success' AND method = 'ssh' ORDER BY scan_id DESC, credential`);
  const { os } = JSON.parse(rows[0]!.facts) as { os: { source: string; value: typeof DEBIAN } };
  return { scanId: rows[0]!.scan_id, credential: rows[0]!.credential, ...os };
}

eachDialect('credentialed facts: the enumeration\'s OS and names outrank the banner\'s guess, with their evidence', async (t, d) => {
  const { store, location } = await fresh(t, d);
  await record(store, {
    profile: guess({ family: 'Linux', name: 'Debian', version: '11', deviceType: 'general purpose' }),
    enumerations: [sshEnum('lab-b', DEBIAN), sshEnum('lab-a', DEBIAN)],
  });
  const truth = await storedOsFact(d, location);
  const [asset] = await store.listAssets([ADDRESS]);
  t.like(asset!.os, { family: truth.value.kernel, name: truth.value.name, version: truth.value.version, description: truth.value.prettyName, confidence: 100 });
  t.is(asset!.os!.deviceType, 'general purpose', 'a guess that agrees keeps what the enumeration does not say');
  for (const field of ['family', 'name', 'version', 'description']) {
    t.like(asset!.os!.sources[field], { credential: truth.credential, scanId: truth.scanId, command: truth.source, port: 22 }, field);
  }
  t.deepEqual(asset!.hostnames, [truth.value.fqdn, truth.value.hostname, 'cert.example.test']);
  t.is(asset!.names[0]!.via, `ssh enumeration with credential ${truth.credential} (scan ${truth.scanId}): hostname -f`);
  t.is(truth.credential, 'lab-a', 'of two credentials in one scan, the first by name');

  // The scan's own record keeps the fingerprint's guess: history says what each scan saw.
  const hostRows = await d.raw<{ os: string }>(location, 'SELECT os FROM scan_hosts');
  t.like(JSON.parse(hostRows[0]!.os), { name: 'Debian', version: '11' });

  // The reports' ASSET column is the host's own name.
  const report = await buildReport(store, 'unmanaged');
  t.deepEqual(report.rows.map((r) => [r.asset, r.account]), [[truth.value.fqdn, 'root']]);

  // assets show names the credential, and the command under --evidence.
  const shown = await runCli(['assets', 'show', ADDRESS, '--evidence', '--db', location]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, new RegExp(`os +${truth.value.name} +<- ssh enumeration with credential ${truth.credential} \\(scan ${truth.scanId}\\) \\(port 22\\)`));
  t.regex(shown.stdout, new RegExp(`release +${truth.value.prettyName.replace(/[()]/g, '\\$&')} `));
  t.true(shown.stdout.includes(`<- ${truth.source}`), shown.stdout);
  t.true(shown.stdout.includes(`name     ${truth.value.fqdn}  <- ssh enumeration with credential ${truth.credential}`), shown.stdout);
  const json = JSON.parse((await runCli(['assets', 'show', ADDRESS, '--format', 'json', '--db', location])).stdout) as { os: OsProfile };
  t.is(json.os.sources.name!.credential, truth.credential);
});

eachDialect('credentialed facts: a guess of another OS is dropped; a later failed or credential-less scan keeps the last success', async (t, d) => {
  const { store, location } = await fresh(t, d);
  await record(store, { profile: guess({ family: 'Windows', deviceType: 'general purpose' }), enumerations: [sshEnum('lab', DEBIAN)] });
  const [first] = await store.listAssets();
  t.like(first!.os, { family: 'Linux', name: DEBIAN.name });
  t.is(first!.os!.deviceType, undefined, 'nothing of the contradicted guess is kept');
  t.deepEqual(Object.keys(first!.os!.sources).sort(), ['description', 'family', 'name', 'version']);

  await record(store, { profile: guess({ family: 'Linux', name: 'Debian', version: '11' }), enumerations: [sshEnum('bad', {}, 'auth-failed')] });
  await record(store, { profile: guess({ family: 'Linux', name: 'Debian', version: '11' }) });
  const truth = await storedOsFact(d, location);
  const [later] = await store.listAssets();
  t.like(later!.os, { name: truth.value.name, version: truth.value.version });
  t.is(later!.os!.sources.name!.scanId, truth.scanId);
  t.is(later!.hostnames[0], truth.value.fqdn);

  // A newer successful enumeration is the one that counts.
  const upgraded = { ...DEBIAN, version: '13', prettyName: 'Debian GNU/Linux 13 (trixie)', hostname: 'web2', fqdn: '' };
  await record(store, { enumerations: [sshEnum('lab', upgraded)] });
  const newest = await storedOsFact(d, location);
  const [now] = await store.listAssets([ADDRESS]);
  t.like(now!.os, { version: newest.value.version, description: newest.value.prettyName });
  t.is(now!.os!.sources.version!.scanId, newest.scanId);
  t.is(now!.hostnames[0], newest.value.hostname, 'no FQDN: the short name, from uname -n');
  t.true(now!.names[0]!.via.endsWith('uname -n'));
});

test('credentialed facts: an asset never enumerated is as the fingerprint left it', async (t) => {
  const { SQLITE } = await import('./helpers/dialects.js');
  const { store } = await fresh(t, SQLITE);
  await record(store, { profile: guess({ family: 'Linux', name: 'Debian', version: '11' }) });
  const [asset] = await store.listAssets();
  t.like(asset!.os, { name: 'Debian', version: '11', confidence: 85 });
  t.deepEqual(asset!.hostnames, ['cert.example.test']);
});

labTest('ssh', 'credentialed facts: the asset\'s OS and the reports\' ASSET column are the host\'s own (os-release, its name)', async (t, info) => {
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const admin = info.credentials.admin!;
  const added = await runCli(['creds', 'add', '--name', 'lab-admin', '--type', 'ssh', '--username', admin.username, '--password-stdin', '--elevate', 'sudo',
    '--scope', `${info.address}/32`], { env, input: `${admin.password}\n` });
  t.is(added.code, 0, added.stderr);
  const scanned = await runCli(['scan', info.address, '--ports', String(info.ports.ssh ?? 22), '--creds', 'lab-admin', '--no-progress', '--format', 'json'], { env });
  t.is(scanned.code, 0, scanned.stderr);

  // Ground truth from the host itself: os-release read here, and its name (hostname -f when it has a domain).
  const release = Object.fromEntries(readFileSync('/etc/os-release', 'utf8').split('\n').map((l) => /^(\w+)=(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1], m[2]!.replace(/^"(.*)"$/, '$1')]));
  let fqdn = '';
  try {
    fqdn = execFileSync('hostname', ['-f'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch { /* no resolvable FQDN: the short name is the host's name */ }
  const name = fqdn.includes('.') ? fqdn : hostname();

  const shown = await runCli(['assets', 'show', info.address, '--format', 'json'], { env });
  t.is(shown.code, 0, shown.stderr);
  const asset = JSON.parse(shown.stdout) as { os: OsProfile; names: Array<{ name: string; via: string }> };
  t.is(asset.os.description, release.PRETTY_NAME);
  t.is(asset.os.name, release.NAME);
  t.is(asset.os.sources.description!.credential, 'lab-admin');
  t.is(asset.names[0]!.name, name);
  t.regex(asset.names[0]!.via, /credential lab-admin/);

  const evidence = await runCli(['assets', 'show', info.address, '--evidence'], { env });
  t.true(evidence.stdout.includes(`release  ${release.PRETTY_NAME}  <- ssh enumeration with credential lab-admin`), evidence.stdout);
  t.regex(evidence.stdout, /<- (sudo -n )?sh -c "cat \/etc\/os-release/);

  const report = await runCli(['report', 'unmanaged', '--format', 'json'], { env });
  t.is(report.code, 0, report.stderr);
  const rows = (JSON.parse(report.stdout) as { rows: Array<{ asset: string | null; address: string }> }).rows.filter((r) => r.address === info.address);
  t.true(rows.length > 0, 'the lab host has privileged accounts');
  for (const r of rows) t.is(r.asset, name);
});
