/**
 * SNMP enumeration against agents the test builds, for what Debian's snmpd cannot show:
 * - ENTITY-MIB physical inventory (snmpd has none): an agent made with net-snmp's own agent API (snmp.createAgent)
 *   on 127.132.0.1:161, posing as a Cisco switch, with an SNMPv3 user on AES-256 with Reeder's key extension
 *   (aes256r; the lab's snmpd test covers both AES-256 variants against snmpd too) and one with Blumenthal's. What
 *   surveyor reads is compared with what net-snmp's C snmpwalk reads from that agent (-x AES-256-C), and the
 *   device type it derives is what a Smart Rule then selects on.
 * - Agents that break the walk's rules (fixtures/snmp/hostile-agent.ts): OIDs that repeat or go backwards, a table
 *   that never ends, one answered slowly forever, datagrams that are not SNMP. Every walk stays bounded in rows and
 *   in time, and says why it stopped.
 * Binding udp/161 needs root: outside CI, without it, the first test skips and says so.
 */
import test, { ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { enumerateSnmp } from '../enum/snmp/enumerate.js';
import { Credential, Secret } from '../vault/credentials.js';
import { HostileBehaviour, startHostileAgent } from '../fixtures/snmp/hostile-agent.js';
import { recordingCli, tempDir } from './helpers/cli.js';
import { asNumber, asText, column, snmpwalkAsync, ToolAuth } from './helpers/snmpwalk.js';

const AGENT = { address: '127.132.0.1', engineId: '8000000903000c29aabbcc' };
const USERS = {
  aes256r: { name: 'agent-r', auth: 'Agent-Auth-R-1', priv: 'Agent-Priv-R-1' },
  aes256b: { name: 'agent-b', auth: 'Agent-Auth-B-1', priv: 'Agent-Priv-B-1' },
} as const;
const SECRETS = Object.values(USERS).flatMap((u) => [u.auth, u.priv]);

const SYS_DESCR = 'Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)\r\n'
  + 'Technical Support: http://www.cisco.com/techsupport\r\nCopyright (c) 1986-2021 by Cisco Systems, Inc.';

/** DateAndTime (RFC 2579) octets: 2024-03-14 10:20:30.0 at UTC+1:00, and one with no zone. */
const DATE_WITH_ZONE = Buffer.from([0x07, 0xe8, 3, 14, 10, 20, 30, 0, 0x2b, 1, 0]);
const DATE_LOCAL = Buffer.from([0x07, 0xe7, 12, 1, 8, 0, 0, 0]);

function startAgent(): Promise<{ close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const agent = snmp.createAgent({ port: 161, address: AGENT.address, transport: 'udp4', engineID: AGENT.engineId }, (err: Error | null) => {
      if (err && (err as NodeJS.ErrnoException).code) reject(err);
    });
    const auth = agent.getAuthorizer();
    for (const [priv, u] of Object.entries(USERS)) {
      auth.addUser({
        name: u.name, level: snmp.SecurityLevel.authPriv, authProtocol: snmp.AuthProtocols.sha, authKey: u.auth,
        privProtocol: snmp.PrivProtocols[priv as keyof typeof USERS], privKey: u.priv,
      });
    }
    const mib = agent.getMib();
    const scalar = (name: string, oid: string, type: number, value: unknown) => {
      mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid, scalarType: type, maxAccess: snmp.MaxAccess['read-only'] });
      mib.setScalarValue(name, value);
    };
    scalar('sysDescr', '1.3.6.1.2.1.1.1', snmp.ObjectType.OctetString, SYS_DESCR);
    scalar('sysObjectID', '1.3.6.1.2.1.1.2', snmp.ObjectType.OID, '1.3.6.1.4.1.9.1.1208');
    scalar('sysUpTime', '1.3.6.1.2.1.1.3', snmp.ObjectType.TimeTicks, 123_456);
    scalar('sysContact', '1.3.6.1.2.1.1.4', snmp.ObjectType.OctetString, 'netops@lab.test');
    scalar('sysName', '1.3.6.1.2.1.1.5', snmp.ObjectType.OctetString, 'edge-sw1.lab.test');
    scalar('sysLocation', '1.3.6.1.2.1.1.6', snmp.ObjectType.OctetString, 'rack 4');
    scalar('sysServices', '1.3.6.1.2.1.1.7', snmp.ObjectType.Integer, 6);
    const column = (number: number, name: string, type: number) => ({ number, name, type, maxAccess: snmp.MaxAccess[number === 1 ? 'not-accessible' : 'read-only'] });
    const O = snmp.ObjectType;
    mib.registerProvider({
      name: 'entPhysicalTable', type: snmp.MibProviderType.Table, oid: '1.3.6.1.2.1.47.1.1.1.1', maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: [
        column(1, 'entPhysicalIndex', O.Integer), column(2, 'entPhysicalDescr', O.OctetString), column(3, 'entPhysicalVendorType', O.OID),
        column(4, 'entPhysicalContainedIn', O.Integer), column(5, 'entPhysicalClass', O.Integer), column(7, 'entPhysicalName', O.OctetString),
        column(8, 'entPhysicalHardwareRev', O.OctetString), column(9, 'entPhysicalFirmwareRev', O.OctetString), column(10, 'entPhysicalSoftwareRev', O.OctetString),
        column(11, 'entPhysicalSerialNum', O.OctetString), column(12, 'entPhysicalMfgName', O.OctetString), column(13, 'entPhysicalModelName', O.OctetString),
        column(16, 'entPhysicalIsFRU', O.Integer),
      ],
      tableIndex: [{ columnName: 'entPhysicalIndex' }],
    });
    // index, descr, vendor type, contained in, class (RFC 6933 PhysicalClass: 3 chassis, 6 power supply, 7 fan, 10 port),
    // name, hardware, firmware and software revisions, serial, maker, model, FRU (1 true, 2 false)
    const rows: unknown[][] = [
      [1, 'Cisco Catalyst 2960-X 24 GigE PoE', '1.3.6.1.4.1.9.12.3.1.3.1208', 0, 3, '1', 'V05', '', '15.2(7)E4', 'FOC1234X0AB', 'Cisco Systems, Inc.', 'WS-C2960X-24PS-L', 2],
      [1001, 'Switch 1 - Power Supply 0', '1.3.6.1.4.1.9.12.3.1.6.1', 1, 6, 'PS 0', '', '', '', 'LIT12345678', 'Cisco Systems, Inc.', 'PWR-C2-640WAC', 1],
      [1002, 'Switch 1 - Fan 1', '0.0', 1, 7, 'Fan 1', '', '', '', '', '', '', 2],
      ...[1, 2, 3, 4].map((p) => [1100 + p, `GigabitEthernet1/0/${p}`, '1.3.6.1.4.1.9.12.3.1.10.150', 1, 10, `Gi1/0/${p}`, '', '', '', '', '', '', 2]),
    ];
    for (const row of rows) mib.addTableRow('entPhysicalTable', row);
    mib.registerProvider({
      name: 'hrSWInstalledTable', type: snmp.MibProviderType.Table, oid: '1.3.6.1.2.1.25.6.3.1', maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: [column(1, 'hrSWInstalledIndex', O.Integer), column(2, 'hrSWInstalledName', O.OctetString), column(4, 'hrSWInstalledType', O.Integer), column(5, 'hrSWInstalledDate', O.OctetString)],
      tableIndex: [{ columnName: 'hrSWInstalledIndex' }],
    });
    mib.addTableRow('hrSWInstalledTable', [1, 'c2960x-universalk9-mz.152-7.E4', 2, DATE_WITH_ZONE]);
    mib.addTableRow('hrSWInstalledTable', [2, 'poe-firmware 1.4', 4, DATE_LOCAL]);
    mib.addTableRow('hrSWInstalledTable', [3, 'no-date-tool', 4, Buffer.from([0, 0, 1, 1, 0, 0, 0, 0])]);
    resolve({ close: () => new Promise<void>((done) => agent.close(() => done())) });
  });
}

const isRoot = process.getuid?.() === 0;
function rootTest(title: string, body: (t: ExecutionContext) => Promise<void>): void {
  if (isRoot) test.serial(title, body);
  else if (process.env.CI === 'true') test(title, (t) => t.fail('CI must run this test, but it needs root (udp/161)'));
  else test.skip(`${title} (skipped: binding udp/161 needs root)`, () => {});
}

const outputs: string[] = [];
const cli = recordingCli(outputs);

const RULES = `schema: 1
rules:
  - name: network devices
    kind: asset
    when: { field: deviceType, op: in, value: [network device, router, switch, firewall] }
    then: [ { group: network-devices } ]
  - name: cisco ios
    kind: asset
    when: { all: [ { field: os.family, op: eq, value: IOS }, { field: os.version, op: versionGte, value: "15.2" } ] }
    then: [ { tag: ios } ]
  - name: general purpose
    kind: asset
    when: { field: deviceType, op: eq, value: general purpose }
    then: [ { group: servers } ]
`;

const toolAuth = (variant: keyof typeof USERS): ToolAuth => {
  const u = USERS[variant];
  return ['-v3', '-l', 'authPriv', '-u', u.name, '-a', 'SHA', '-A', u.auth, '-x', variant === 'aes256r' ? 'AES-256-C' : 'AES-256', '-X', u.priv];
};

type Enumeration = { credential: string; status: string; notes: string[]; facts: Record<string, { source: string; value?: any }> };

rootTest('ENTITY-MIB over SNMPv3 AES-256 (Reeder): the physical inventory equals snmpwalk\'s, the device type comes from it, and a rule selects it', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  const dir = tempDir(t);
  for (const [variant, u] of Object.entries(USERS)) {
    const add = await cli(dir, ['creds', 'add', '--name', variant, '--type', 'snmp', '--username', u.name, '--auth', 'sha', '--auth-stdin', '--priv', variant, '--priv-stdin', '--scope', AGENT.address], { input: `${u.auth}\n${u.priv}\n` });
    t.is(add.code, 0, add.stderr);
  }
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, RULES);
  const scan = await cli(dir, ['scan', AGENT.address, '-p', '22', '--creds', 'aes256r', '--no-rules', '--format', 'json']);
  t.is(scan.code, 0, scan.stderr);
  const show = await cli(dir, ['assets', 'show', AGENT.address, '--format', 'json']);
  const asset = JSON.parse(show.stdout) as { names: Array<{ name: string }>; os: Record<string, any>; enumerations: Enumeration[] };
  const e = asset.enumerations.find((x) => x.credential === 'aes256r')!;
  t.is(e.status, 'success', e.notes.join('; '));

  // What net-snmp's C tools read from the same agent with the same user.
  const walk = await snmpwalkAsync(toolAuth('aes256r'), `${AGENT.address}:161`, '1.3.6.1.2.1.47.1.1.1.1');
  const col = (n: number) => column(walk, `1.3.6.1.2.1.47.1.1.1.1.${n}`);
  const expected = [...col(2).keys()].map((i) => ({
    index: Number(i), descr: asText(col(2).get(i)) || undefined, class: asNumber(col(5).get(i)), containedIn: asNumber(col(4).get(i)),
    name: asText(col(7).get(i)) || undefined, model: asText(col(13).get(i)) || undefined, serial: asText(col(11).get(i)) || undefined,
    softwareRev: asText(col(10).get(i)) || undefined, hardwareRev: asText(col(8).get(i)) || undefined,
  }));
  const CLASS: Record<string, number> = { chassis: 3, powerSupply: 6, fan: 7, port: 10 };
  const ours = (e.facts.physical!.value as Array<Record<string, any>>).map((p) => ({
    index: p.index, descr: p.descr, class: CLASS[p.class], containedIn: p.containedIn, name: p.name, model: p.model, serial: p.serial,
    softwareRev: p.softwareRev, hardwareRev: p.hardwareRev,
  }));
  t.deepEqual(JSON.parse(JSON.stringify(ours)), JSON.parse(JSON.stringify(expected)));
  t.regex(e.facts.physical!.source, /^walk 1\.3\.6\.1\.2\.1\.47\.1\.1\.1\.1\./);

  // The device: vendor from sysObjectID, OS from sysDescr, model and serial from the chassis, type from ENTITY-MIB.
  const chassis = expected.find((p) => p.class === 3)!;
  t.like(e.facts.device!.value, { vendor: 'Cisco', enterprise: 9, model: chassis.model, serial: chassis.serial, firmware: chassis.softwareRev, deviceType: 'network device' });
  t.like(asset.os, { family: 'IOS', name: 'Cisco IOS', version: '15.2(7)E4', deviceType: 'network device' });
  t.regex(asset.os.sources.deviceType.command, /^ENTITY-MIB entPhysicalTable: a chassis \(entPhysicalIndex 1, "WS-C2960X-24PS-L"\) with 4 port entities$/);
  t.regex(asset.os.sources.version.command, /^sysDescr\.0 \(1\.3\.6\.1\.2\.1\.1\.1\.0\) = "Cisco IOS Software, C2960X/);
  t.true(asset.names.some((n) => n.name === 'edge-sw1.lab.test'));
  // The engine ID: this agent serves no SNMP-FRAMEWORK-MIB, so it is the one SNMPv3 discovery gave.
  t.is(e.facts.engine!.value.id, AGENT.engineId);
  t.is(e.facts.engine!.value.enterprise, 9);
  t.regex(e.facts.engine!.source, /RFC 3414 4/);

  // Installed software with its dates (RFC 2579 DateAndTime): UTC from a zoned one, local time from one without.
  const names = [...column(await snmpwalkAsync(toolAuth('aes256r'), `${AGENT.address}:161`, '1.3.6.1.2.1.25.6.3.1.2'), '1.3.6.1.2.1.25.6.3.1.2').values()].map(asText);
  t.deepEqual(e.facts.software!.value.packages.map((p: { installedName: string; installed?: string }) => [p.installedName, p.installed]), [
    [names[0], new Date(Date.UTC(2024, 2, 14, 10, 20, 30) - 60 * 60_000).toISOString()],
    [names[1], '2023-12-01T08:00:00'],
    [names[2], undefined],
  ]);

  // Smart Rules select the device by the SNMP-derived fields, and not as a server.
  const applied = await cli(dir, ['rules', 'apply', rulesFile, '--format', 'json']);
  t.is(applied.code, 0, applied.stderr);
  const changes = (JSON.parse(applied.stdout) as { changes: Array<{ action: string; label: string; membership: { rule: string; kind: string; name: string } }> }).changes;
  t.deepEqual(changes.map((c) => [c.action, c.label, c.membership.rule, c.membership.kind, c.membership.name]), [
    ['add', AGENT.address, 'network devices', 'group', 'network-devices'],
    ['add', AGENT.address, 'cisco ios', 'tag', 'ios'],
  ]);
  for (const secret of SECRETS) for (const out of outputs) t.false(out.includes(secret), 'a secret appeared in an output');
});

rootTest('AES-256 with Blumenthal\'s key extension works against the agent too, and each variant is refused by the other\'s user', async (t) => {
  const agent = await startAgent();
  t.teardown(() => agent.close());
  const credential = (variant: keyof typeof USERS, as: keyof typeof USERS): Credential => ({
    name: `${variant}-as-${as}`, type: 'snmp', username: USERS[variant].name, auth: `sha/${as}`, elevate: null, scope: ['any'], keyId: 'test',
    createdAt: '', updatedAt: '', secrets: { password: new Secret(USERS[variant].auth), privacy: new Secret(USERS[variant].priv) },
  });
  for (const [variant, as, status] of [['aes256b', 'aes256b', 'success'], ['aes256r', 'aes256r', 'success'], ['aes256b', 'aes256r', 'timeout'], ['aes256r', 'aes256b', 'timeout']] as const) {
    const r = await enumerateSnmp({ address: AGENT.address, credential: credential(variant, as), timeoutMs: 500, retries: 0 });
    t.is(r.status, status, `${variant} user with ${as}: ${r.notes.join('; ')}`);
    if (status === 'success') t.is(r.facts.system!.value && (r.facts.system!.value as { name: string }).name, 'edge-sw1.lab.test');
  }
});

// ------------------------------------------------------------------------------------------ hostile agents

const v2c = (name: string): Credential => ({
  name, type: 'snmp', username: '', auth: 'community', elevate: null, scope: ['any'], keyId: 'test', createdAt: '', updatedAt: '',
  secrets: { password: new Secret('hostile-community') },
});

let nextAddress = 2;
async function hostile(t: ExecutionContext, behaviour: HostileBehaviour, walk: { maxRows?: number; timeoutMs?: number }, delayMs?: number) {
  const agent = await startHostileAgent(`127.132.0.${nextAddress++}`, behaviour, delayMs);
  t.teardown(() => agent.close());
  const record = await enumerateSnmp({ address: agent.address, port: agent.port, credential: v2c(behaviour), timeoutMs: 1000, retries: 0, walk });
  return { agent, record };
}

/** The tables an enumeration walks (ipAddrTable only when ipAddressTable is empty). */
const TABLE_WALKS = 10;

for (const behaviour of ['repeat', 'backwards'] as const) {
  test(`a ${behaviour === 'repeat' ? 'looping' : 'backwards'} agent: every walk stops at the first OID that does not increase`, async (t) => {
    const { agent, record } = await hostile(t, behaviour, { maxRows: 100_000, timeoutMs: 60_000 });
    t.is(record.status, 'incomplete');
    const cut = record.notes.filter((n) => /\(not increasing\)$/.test(n));
    t.true(cut.length >= 7, record.notes.join('\n'));
    t.true(agent.walkRequests <= TABLE_WALKS, `${agent.walkRequests} requests`);
    for (const fact of Object.values(record.facts)) if (Array.isArray(fact.value)) t.true(fact.value.length <= 2);
  });
}

test('an endless table: every walk stops at its row limit', async (t) => {
  const maxRows = 60;
  const { agent, record } = await hostile(t, 'endless', { maxRows, timeoutMs: 60_000 });
  t.is(record.status, 'incomplete');
  t.true(record.notes.some((n) => n.includes(`the walk's row limit (${maxRows}) was reached`)), record.notes.join('\n'));
  const lists = Object.entries(record.facts).filter(([k]) => !['system', 'engine', 'device'].includes(k))
    .map(([, f]) => (Array.isArray(f.value) ? f.value : (f.value as { packages: unknown[] }).packages));
  for (const list of lists) t.true(list.length <= maxRows);
  t.true(lists.some((l) => l.length === maxRows));
  // Each request brings at least one new row of each column still walked.
  t.true(agent.walkRequests <= TABLE_WALKS * maxRows, `${agent.walkRequests} requests`);
});

test('an endless table answered slowly: every walk stops at its time limit', async (t) => {
  const { record } = await hostile(t, 'slow', { maxRows: 1_000_000, timeoutMs: 200 }, 20);
  t.is(record.status, 'incomplete');
  t.true(record.notes.filter((n) => n.includes('the walk\'s time limit (200 ms) ran out')).length >= 7, record.notes.join('\n'));
});

test('an agent that stops answering after the system group: the first walk times out and nothing more is asked', async (t) => {
  const { agent, record } = await hostile(t, 'mute', { maxRows: 100, timeoutMs: 60_000 });
  t.is(record.status, 'incomplete');
  t.is(agent.walkRequests, 1, 'one unanswered request (no retries), then nothing');
  t.like(record.facts.interfaces, { error: 'timeout: no answer on udp/' + agent.port + ' (1 attempt of 1000 ms)' });
  t.true(record.notes.includes('not asked, the agent having stopped answering: addresses, storage, devices, software, processes, physical'), record.notes.join('\n'));
});

test('datagrams that are not SNMP are dropped, counted, and do not end the process', async (t) => {
  const { record } = await hostile(t, 'garbage', { maxRows: 5, timeoutMs: 60_000 });
  t.is(record.status, 'incomplete');
  t.true(record.notes.some((n) => /^\d+ datagram\(s\) that were not SNMP messages were dropped$/.test(n)), record.notes.join('\n'));
});
