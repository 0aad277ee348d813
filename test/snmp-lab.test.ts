/**
 * SNMP enumeration against the lab's snmpd (Debian's net-snmp 5.9), over v2c and SNMPv3 authPriv (SHA-256/AES, and
 * AES-256 with each key extension: Debian's snmpd has both, as AES256 and AES256C), compared with what net-snmp's
 * own snmpwalk and snmpget say, run by this test (MIBS='', -On): the system group and engine ID, the interfaces,
 * addresses, storage, devices and processes, the installed software (equal to snmpwalk of hrSWInstalledName and to
 * the host's dpkg list, which the lab's dpkg-query gives snmpd, and shown by `report software`), and the asset's
 * OS and device type with their evidence. Wrong credentials, as SNMP allows them to be told: a wrong community is a
 * `timeout` (a v2c agent stays silent), a wrong v3 authentication passphrase or an unknown user is `auth-failed`
 * (the agent's usmStats report), a wrong privacy passphrase (or the other AES-256 variant) is a `timeout` (snmpd
 * drops what it cannot decrypt). No secret appears in any output or in the database.
 *
 * Interfaces and addresses are those of the machine the lab runs on, which other labs may change while this runs:
 * surveyor's must equal snmpwalk's taken just before or just after its scan.
 */
import test, { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { jsonLines, recordingCli, RunResult, tempDir } from './helpers/cli.js';
import { labTest } from './helpers/lab.js';
import { asNumber, asText, column, snmpget, snmpwalk, ToolAuth, ToolValue } from './helpers/snmpwalk.js';

type Fact = { source: string; value?: any; error?: string };
type Enumeration = { method: string; port: number; credential: string; status: string; notes: string[]; facts: Record<string, Fact> };
type FieldSource = { rule: string; port: number; credential?: string; scanId?: number; command?: string };
type AssetDoc = {
  address: string; names: Array<{ name: string; via: string }>;
  os?: { family?: string; name?: string; version?: string; deviceType?: string; sources: Record<string, FieldSource> };
  enumerations: Enumeration[];
};
type ScanDoc = { scan: { enumerations: { byStatus: Record<string, number>; hosts: number; hostsFailed: number; snmpOnly?: { asked: number; answered: number } } }; assets: Array<{ address: string; enumerations?: Array<{ credential: string; status: string; notes: string[] }> }> };

/** Every output of every command this file runs, to search for secrets. */
const outputs: string[] = [];
const run = recordingCli(outputs);
const cli = (dir: string, args: string[], input?: string): Promise<RunResult> => run(dir, args, { input });

const cleanups: Array<() => void> = [];
test.after.always(() => cleanups.forEach((fn) => fn()));
const dirOf = () => tempDir({ teardown: (fn) => cleanups.push(fn) });

const V2C = (info: ServerInfo): ToolAuth => ['-v2c', '-c', info.extra.community!];
const V3 = (info: ServerInfo): ToolAuth => ['-v3', '-l', 'authPriv', '-u', info.credentials.v3!.username, '-a', 'SHA-256', '-A', info.credentials.v3!.password!, '-x', 'AES', '-X', info.extra.v3PrivPassword!];

function secretsOf(info: ServerInfo): string[] {
  return [info.extra.community!, info.credentials.v3!.password!, info.extra.v3PrivPassword!, info.credentials.aes256b!.password!,
    info.extra.aes256bPrivPassword!, info.credentials.aes256r!.password!, info.extra.aes256rPrivPassword!, 'wrong-community-9', 'Wrong-Auth-Pass-9', 'Wrong-Priv-Pass-9'];
}

function assertNoSecrets(t: ExecutionContext, info: ServerInfo, dir: string): void {
  const stored = readFileSync(join(dir, 's.db')).toString('latin1');
  for (const secret of secretsOf(info)) {
    for (const text of [...outputs, stored]) t.false(text.includes(secret), 'a secret appeared in an output or the database');
  }
}

type SnmpCred = { name: string; community?: string; user?: string; auth?: string; authPass?: string; priv?: string; privPass?: string };

async function addCreds(t: ExecutionContext, dir: string, info: ServerInfo, creds: readonly SnmpCred[]): Promise<void> {
  for (const c of creds) {
    const args = c.community !== undefined
      ? ['--community-stdin']
      : ['--username', c.user!, '--auth', c.auth!, '--auth-stdin', ...(c.priv ? ['--priv', c.priv, '--priv-stdin'] : [])];
    const input = c.community !== undefined ? `${c.community}\n` : `${c.authPass}\n${c.privPass ? `${c.privPass}\n` : ''}`;
    const r = await cli(dir, ['creds', 'add', '--name', c.name, '--type', 'snmp', ...args, '--scope', `${info.address}/32`], input);
    t.is(r.code, 0, r.stderr);
  }
}

async function scan(dir: string, info: ServerInfo, creds: readonly string[], extra: string[] = []): Promise<{ result: RunResult; doc: ScanDoc }> {
  // Port 22 is closed on the snmp server's address: the agent is asked because the credential's scope holds it.
  const result = await cli(dir, ['scan', info.address, '-p', '22', ...creds.flatMap((c) => ['--creds', c]), '--format', 'json', ...extra]);
  return { result, doc: JSON.parse(result.stdout || '{}') as ScanDoc };
}

async function assetShow(dir: string, address: string): Promise<AssetDoc> {
  const r = await cli(dir, ['assets', 'show', address, '--format', 'json']);
  return JSON.parse(r.stdout) as AssetDoc;
}

/** What a test compares surveyor with: snmpwalk just before and just after (the host's interfaces may change). */
function snapshots<T>(read: () => T): { before: T; after: () => T } {
  return { before: read(), after: read };
}

function equalsASnapshot<T>(t: ExecutionContext, ours: T, snap: { before: T; after: () => T }, what: string): void {
  const after = snap.after();
  if (JSON.stringify(ours) === JSON.stringify(after)) t.pass();
  else t.deepEqual(ours, snap.before, `${what}: equal to neither snmpwalk before nor after the scan`);
}

type Snapshot = ReturnType<typeof snapshots<unknown>>;
let v2cRun: Promise<{ dir: string; scan: { result: RunResult; doc: ScanDoc }; asset: AssetDoc; interfaces: Snapshot; addresses: Snapshot; resources: Snapshot }> | undefined;
/** One v2c scan of the agent shared by the comparisons, with snmpwalk's views of the changing tables around it. */
function v2c(t: ExecutionContext, info: ServerInfo) {
  v2cRun ??= (async () => {
    const dir = dirOf();
    await addCreds(t, dir, info, [{ name: 'lab-v2c', community: info.extra.community! }]);
    const interfaces = snapshots(() => interfacesTruth(info));
    const addresses = snapshots(() => addressesTruth(info));
    const resources = snapshots(() => resourcesTruth(info));
    const result = await scan(dir, info, ['lab-v2c']);
    return { dir, scan: result, asset: await assetShow(dir, info.address), interfaces, addresses, resources };
  })();
  return v2cRun;
}

const snmpOf = (asset: AssetDoc, credential?: string): Enumeration =>
  asset.enumerations.find((e) => e.method === 'snmp' && (credential === undefined || e.credential === credential))!;

/** IF-MIB's ifAdminStatus and ifOperStatus values (RFC 2863). */
const IF_STATUS: Record<number, string> = { 1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' };

function interfacesTruth(info: ServerInfo): unknown {
  const ifTable = snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.2.2.1');
  const ifX = snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.31.1.1.1');
  const col = (walk: Map<string, ToolValue>, n: number) => column(walk, `${walk === ifTable ? '1.3.6.1.2.1.2.2.1' : '1.3.6.1.2.1.31.1.1.1'}.${n}`);
  const [descr, type, mtu, speed, mac, admin, oper] = [2, 3, 4, 5, 6, 7, 8].map((n) => col(ifTable, n));
  const [name, high] = [1, 15].map((n) => col(ifX, n));
  return [...descr!.keys()].map((i) => {
    const s = asNumber(speed!.get(i));
    const m = mac!.get(i);
    return {
      index: Number(i), name: asText(name!.get(i)) || asText(descr!.get(i)), descr: asText(descr!.get(i)), type: asNumber(type!.get(i)),
      mtu: asNumber(mtu!.get(i)), speedBps: s !== undefined && s < 4_294_967_295 ? s : asNumber(high!.get(i))! * 1e6,
      mac: m?.type === 'octets' && m.value.length ? [...m.value].map((b) => b.toString(16).padStart(2, '0')).join(':') : null,
      adminStatus: IF_STATUS[asNumber(admin!.get(i))!], operStatus: IF_STATUS[asNumber(oper!.get(i))!],
    };
  });
}

/** ipAddressTable's rows (RFC 4293), the address read from the index as RFC 4001 lays it out, as the URL parser writes it. */
function addressesTruth(info: ServerInfo): unknown {
  const walk = snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.4.34.1');
  const ifIndex = column(walk, '1.3.6.1.2.1.4.34.1.3');
  const type = column(walk, '1.3.6.1.2.1.4.34.1.4');
  const prefix = column(walk, '1.3.6.1.2.1.4.34.1.5');
  return [...ifIndex.keys()].map((index) => {
    const [kind, , ...bytes] = index.split('.').map(Number);
    const address = kind === 1 ? bytes.join('.') : new URL(`http://[${Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':')}]`).hostname.slice(1, -1);
    const p = prefix.get(index);
    return {
      address, ifIndex: asNumber(ifIndex.get(index)), type: ({ 1: 'unicast', 2: 'anycast', 3: 'broadcast' } as Record<number, string>)[asNumber(type.get(index))!],
      prefixLength: p?.type === 'oid' ? Number(p.value.split('.').at(-1)) : null,
    };
  }).sort((a, b) => (a.address < b.address ? -1 : 1));
}

/**
 * hrStorageTable's and hrDeviceTable's indexes and descriptions (file systems come and go with mounts, network
 * devices with the interfaces), and the indexes of hrProcessorTable (which a freshly started snmpd fills only
 * after its first load sample).
 */
function resourcesTruth(info: ServerInfo): unknown {
  return {
    storage: [...column(snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.25.2.3.1.3'), '1.3.6.1.2.1.25.2.3.1.3')].map(([i, v]) => [Number(i), asText(v)]),
    devices: [...column(snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.25.3.2.1.3'), '1.3.6.1.2.1.25.3.2.1.3')].map(([i, v]) => [Number(i), asText(v)]),
    processors: [...column(snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.25.3.3.1.2'), '1.3.6.1.2.1.25.3.3.1.2').keys()].map(Number),
  };
}

labTest('snmp', 'v2c: the agent is asked though no TCP port answered, and becomes an asset', async (t, info) => {
  const { scan: { result, doc }, asset } = await v2c(t, info);
  t.is(result.code, 0, result.stderr);
  t.deepEqual(doc.scan.enumerations, { byStatus: { success: 1 }, hosts: 1, hostsFailed: 0, snmpOnly: { asked: 1, answered: 1 } });
  t.is(doc.assets.length, 1);
  t.like(doc.assets[0]!.enumerations![0], { credential: 'lab-v2c', status: 'success' });
  t.like(snmpOf(asset), { port: 161, status: 'success' });
});

labTest('snmp', 'v2c: the system group and the engine ID equal snmpget', async (t, info) => {
  const { asset } = await v2c(t, info);
  const facts = snmpOf(asset).facts;
  const o = { descr: '1.3.6.1.2.1.1.1.0', objectId: '1.3.6.1.2.1.1.2.0', contact: '1.3.6.1.2.1.1.4.0', name: '1.3.6.1.2.1.1.5.0', location: '1.3.6.1.2.1.1.6.0', engine: '1.3.6.1.6.3.10.2.1.1.0' };
  const got = snmpget(V2C(info), info.address, Object.values(o));
  t.like(facts.system!.value, {
    descr: asText(got.get(o.descr)), objectId: got.get(o.objectId)!.value, contact: asText(got.get(o.contact)), name: asText(got.get(o.name)),
    location: asText(got.get(o.location)), enterprise: Number(String(got.get(o.objectId)!.value).split('.')[6]), vendor: 'net-snmp',
  });
  t.is(facts.engine!.value.id, (got.get(o.engine)!.value as Buffer).toString('hex'));
  t.is(facts.engine!.value.enterprise, 8072, 'net-snmp\'s engine IDs carry its enterprise number (RFC 3411 5)');
  t.regex(facts.system!.source, /1\.3\.6\.1\.2\.1\.1\.1\.0 \(sysDescr\.0\)/);
});

labTest('snmp', 'v2c: installed software equals snmpwalk of hrSWInstalledName and the host\'s dpkg list, and report software shows it', async (t, info) => {
  const { dir, asset } = await v2c(t, info);
  const software = snmpOf(asset).facts.software!;
  t.regex(software.source, /^walk 1\.3\.6\.1\.2\.1\.25\.6\.3\.1\./);
  const packages = software.value.packages as Array<{ name: string; version?: string; arch?: string; installedName: string; installed?: string }>;
  const walked = [...column(snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.25.6.3.1.2'), '1.3.6.1.2.1.25.6.3.1.2').values()].map(asText);
  t.deepEqual(packages.map((p) => p.installedName), walked);
  // The list snmpd reads: the lab's dpkg-query, run as snmpd runs it (name#version#section#priority#essential#arch#status#).
  const dpkg = execFileSync(join(info.dir, 'bin', 'dpkg-query'), ['--show'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('#'));
  t.deepEqual(packages.map((p) => [p.name, p.version, p.arch]), dpkg.map((f) => [f[0], f[1], f[5]]));
  // hrSWInstalledDate is a DateAndTime (RFC 2579); Debian's snmpd fills it with what it finds (0-1-1 or stranger).
  const dates = [...column(snmpwalk(V2C(info), info.address, '1.3.6.1.2.1.25.6.3.1.5'), '1.3.6.1.2.1.25.6.3.1.5').values()];
  t.deepEqual(packages.map((p) => (p.installed === undefined ? 0 : Number(p.installed.slice(0, 4)))), dates.map((d) => (d.value as Buffer).readUInt16BE(0)));
  const report = await cli(dir, ['report', 'software', '--format', 'json']);
  t.is(report.code, 0, report.stderr);
  const rows = (JSON.parse(report.stdout) as { rows: Array<{ package: string; version: string; arch: string; manager: string; address: string }> }).rows;
  t.deepEqual(rows.map((r) => [r.package, r.version, r.arch, r.manager, r.address]).sort(), dpkg.map((f) => [f[0], f[1], f[5], 'snmp', info.address]).sort());
});

labTest('snmp', 'v2c: interfaces equal snmpwalk of ifTable and ifXTable', async (t, info) => {
  const { asset, interfaces } = await v2c(t, info);
  const ours = (snmpOf(asset).facts.interfaces!.value as Array<Record<string, unknown>>).map((i) => ({
    index: i.index, name: i.name, descr: i.descr, type: i.type, mtu: i.mtu, speedBps: i.speedBps, mac: i.mac ?? null, adminStatus: i.adminStatus, operStatus: i.operStatus,
  }));
  t.true(ours.length > 0);
  equalsASnapshot(t, ours, interfaces, 'interfaces');
});

labTest('snmp', 'v2c: addresses equal snmpwalk of ipAddressTable', async (t, info) => {
  const { asset, addresses } = await v2c(t, info);
  const ours = (snmpOf(asset).facts.addresses!.value as Array<Record<string, unknown>>)
    .map((a) => ({ address: a.address, ifIndex: a.ifIndex, type: a.type, prefixLength: a.prefixLength ?? null }))
    .sort((a, b) => (String(a.address) < String(b.address) ? -1 : 1));
  t.true(ours.some((a) => a.address === '127.0.0.1' && a.prefixLength === 8));
  equalsASnapshot(t, ours, addresses, 'addresses');
});

labTest('snmp', 'v2c: storage and devices equal snmpwalk, and the running software holds snmpd itself (never its command line)', async (t, info) => {
  const { asset, resources } = await v2c(t, info);
  const facts = snmpOf(asset).facts;
  const ourDevices = (facts.devices!.value as Array<{ index: number; descr: string; type: string; loadPercent?: number }>);
  equalsASnapshot(t, {
    storage: (facts.storage!.value as Array<{ index: number; descr: string }>).map((s) => [s.index, s.descr]),
    devices: ourDevices.map((d) => [d.index, d.descr]),
    processors: ourDevices.filter((d) => d.loadPercent !== undefined).map((d) => d.index),
  }, resources, 'storage and devices');
  const pid = Number(readFileSync(join(info.dir, 'snmpd.pid'), 'utf8').trim());
  const processes = facts.processes!.value as Array<Record<string, unknown>>;
  const own = snmpget(V2C(info), info.address, [`1.3.6.1.2.1.25.4.2.1.2.${pid}`, `1.3.6.1.2.1.25.4.2.1.4.${pid}`]);
  t.deepEqual(processes.find((p) => p.pid === pid)?.name, 'snmpd');
  t.like(processes.find((p) => p.pid === pid), { name: asText(own.get(`1.3.6.1.2.1.25.4.2.1.2.${pid}`)), path: asText(own.get(`1.3.6.1.2.1.25.4.2.1.4.${pid}`)) });
  t.false(JSON.stringify(processes).includes('-smux'), 'hrSWRunParameters (snmpd\'s own arguments) was read');
  t.notRegex(facts.processes!.source, /hrSWRunParameters/);
});

labTest('snmp', 'v2c: the asset is Linux, a general-purpose device named by sysName, each with its evidence; ENTITY-MIB is noted as not offered', async (t, info) => {
  const { asset } = await v2c(t, info);
  const sysName = asText(snmpget(V2C(info), info.address, ['1.3.6.1.2.1.1.5.0']).get('1.3.6.1.2.1.1.5.0'))!;
  t.like(asset.os, { family: 'Linux', deviceType: 'general purpose' });
  t.like(asset.os!.sources.deviceType, { credential: 'lab-v2c', port: 161 });
  t.regex(asset.os!.sources.deviceType!.command!, /^sysObjectID\.0 \(1\.3\.6\.1\.2\.1\.1\.2\.0\) = 1\.3\.6\.1\.4\.1\.8072\./);
  t.regex(asset.os!.sources.family!.command!, /^sysDescr\.0 \(1\.3\.6\.1\.2\.1\.1\.1\.0\) = "Linux /);
  t.true(asset.names.some((n) => n.name === sysName && /sysName\.0/.test(n.via)));
  const e = snmpOf(asset);
  t.is(e.facts.physical, undefined);
  t.true(e.notes.some((n) => /not offered by the agent \(no rows\): .*physical/.test(n)));
});

labTest('snmp', 'v3 authPriv SHA-256/AES: the same agent (engine ID) and the same software as over v2c', async (t, info) => {
  const { asset: v2Asset } = await v2c(t, info);
  const dir = dirOf();
  const v3 = info.credentials.v3!;
  await addCreds(t, dir, info, [{ name: 'lab-v3', user: v3.username, auth: 'sha256', authPass: v3.password!, priv: 'aes', privPass: info.extra.v3PrivPassword! }]);
  const { result } = await scan(dir, info, ['lab-v3']);
  t.is(result.code, 0, result.stderr);
  const e = snmpOf(await assetShow(dir, info.address));
  t.is(e.status, 'success');
  t.is(e.facts.engine!.value.id, snmpOf(v2Asset).facts.engine!.value.id);
  const walked = [...column(snmpwalk(V3(info), info.address, '1.3.6.1.2.1.25.6.3.1.2'), '1.3.6.1.2.1.25.6.3.1.2').values()].map(asText);
  t.deepEqual(e.facts.software!.value.packages.map((p: { installedName: string }) => p.installedName), walked);
  assertNoSecrets(t, info, dir);
});

labTest('snmp', 'v3 AES-256: Blumenthal\'s and Reeder\'s key extensions each work against snmpd, and each is refused where the other is configured', async (t, info) => {
  const dir = dirOf();
  const b = info.credentials.aes256b!;
  const r = info.credentials.aes256r!;
  await addCreds(t, dir, info, [
    { name: 'aes256b', user: b.username, auth: 'sha', authPass: b.password!, priv: 'aes256b', privPass: info.extra.aes256bPrivPassword! },
    { name: 'aes256r', user: r.username, auth: 'sha', authPass: r.password!, priv: 'aes256r', privPass: info.extra.aes256rPrivPassword! },
    { name: 'r-as-b', user: r.username, auth: 'sha', authPass: r.password!, priv: 'aes256b', privPass: info.extra.aes256rPrivPassword! },
    { name: 'b-as-r', user: b.username, auth: 'sha', authPass: b.password!, priv: 'aes256r', privPass: info.extra.aes256bPrivPassword! },
  ]);
  const sysName = asText(snmpget(V2C(info), info.address, ['1.3.6.1.2.1.1.5.0']).get('1.3.6.1.2.1.1.5.0'));
  // Each wrong variant first: snmpd cannot decrypt it and drops it (a timeout), then the right one succeeds.
  for (const [wrong, right] of [['r-as-b', 'aes256r'], ['b-as-r', 'aes256b']] as const) {
    const { result, doc } = await scan(dir, info, [wrong, right], ['--snmp-timeout-ms', '500', '--snmp-retries', '0']);
    t.is(result.code, 0, result.stderr);
    t.deepEqual(doc.assets[0]!.enumerations!.map((e) => [e.credential, e.status]), [[wrong, 'timeout'], [right, 'success']]);
    const e = snmpOf(await assetShow(dir, info.address), right);
    t.is(e.facts.system!.value.name, sysName);
  }
  assertNoSecrets(t, info, dir);
});

labTest('snmp', 'wrong credentials: a wrong community and a wrong privacy passphrase time out, a wrong authentication passphrase and an unknown user are auth-failed', async (t, info) => {
  const dir = dirOf();
  const v3 = info.credentials.v3!;
  const priv = info.extra.v3PrivPassword!;
  await addCreds(t, dir, info, [
    { name: 'good-v2c', community: info.extra.community! },
    { name: 'bad-v2c', community: 'wrong-community-9' },
    { name: 'good-v3', user: v3.username, auth: 'sha256', authPass: v3.password!, priv: 'aes', privPass: priv },
    { name: 'bad-auth', user: v3.username, auth: 'sha256', authPass: 'Wrong-Auth-Pass-9', priv: 'aes', privPass: priv },
    { name: 'bad-priv', user: v3.username, auth: 'sha256', authPass: v3.password!, priv: 'aes', privPass: 'Wrong-Priv-Pass-9' },
    { name: 'no-user', user: 'nosuchuser', auth: 'sha256', authPass: v3.password!, priv: 'aes', privPass: priv },
  ]);
  const fast = ['--snmp-timeout-ms', '500', '--snmp-retries', '0'];

  // Alone, a wrong community is silence: the host answered nothing, so it is no asset; the summary counts the ask.
  const alone = await scan(dir, info, ['bad-v2c'], fast);
  t.is(alone.result.code, 0, alone.result.stderr);
  t.deepEqual(alone.doc.assets, []);
  t.deepEqual(alone.doc.scan.enumerations.snmpOnly, { asked: 1, answered: 0 });
  t.regex(alone.result.stderr, /asked over SNMP alone \(no open TCP port\): 1, 0 answered/);

  // Before a good credential, each failure is recorded with its status.
  for (const [bad, good, status, note] of [
    ['bad-v2c', 'good-v2c', 'timeout', /a wrong community is also a timeout/],
    ['bad-priv', 'good-v3', 'timeout', /a wrong privacy passphrase is a timeout/],
    ['bad-auth', 'good-v3', 'auth-failed', /usmStatsWrongDigests/],
    ['no-user', 'good-v3', 'auth-failed', /usmStatsUnknownUserNames/],
  ] as const) {
    const { result, doc } = await scan(dir, info, [bad, good], fast);
    t.is(result.code, 0, result.stderr);
    const [first, second] = doc.assets[0]!.enumerations!;
    t.like(first, { credential: bad, status });
    t.true(first!.notes.some((n) => note.test(n)), `${bad}: ${first!.notes.join('; ')}`);
    t.like(second, { credential: good, status: 'success' });
  }
  // A refusal alone: an agent answered, so the host is an asset, and the scan says its enumeration failed (exit 3).
  const refused = await scan(dir, info, ['bad-auth'], fast);
  t.is(refused.result.code, 3, refused.result.stderr);
  t.deepEqual(refused.doc.scan.enumerations, { byStatus: { 'auth-failed': 1 }, hosts: 1, hostsFailed: 1, snmpOnly: { asked: 1, answered: 1 } });
  assertNoSecrets(t, info, dir);
});

labTest('snmp', 'no secret in the outputs of the v2c scans, the credential list, or the database', async (t, info) => {
  const { dir } = await v2c(t, info);
  const list = await cli(dir, ['creds', 'list', '--format', 'json']);
  t.is(list.code, 0, list.stderr);
  t.like((JSON.parse(list.stdout) as { credentials: unknown[] }).credentials[0], { name: 'lab-v2c', type: 'snmp', username: '', auth: 'community' });
  const show = await cli(dir, ['assets', 'show', info.address, '--evidence']);
  t.is(show.code, 0, show.stderr);
  t.regex(show.stdout, /enumeration snmp\/161 with lab-v2c/);
  const listed = jsonLines((await cli(dir, ['assets', '--format', 'jsonl'])).stdout);
  t.is(listed.length, 1);
  assertNoSecrets(t, info, dir);
});
