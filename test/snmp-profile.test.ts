/**
 * What an SNMP agent said reaches the asset, on both databases: the `device` fact of the latest usable (success or
 * incomplete) SNMP enumeration sets the OS (from sysDescr) and device type (sysObjectID, ENTITY-MIB) above the
 * fingerprint's guess from banners, each with its evidence (credential, scan, object), and adds sysName to the
 * names; an SSH enumeration's os-release then outranks the OS but keeps the device type; `report software` takes
 * SSH's package list over an agent's of the same scan. Expected values are read from the stored enumeration
 * directly (better-sqlite3 or pg), not through the store.
 */
import { openStore } from '../store/open-store.js';
import type { HostObservation, NewScan, Store } from '../store/store.js';
import type { EnumerationRecord } from '../enum/types.js';
import { describeDevice, DeviceFacts } from '../enum/snmp/device.js';
import type { HostProfile } from '../profiles/fingerprint.js';
import { type Dialect, eachDialect } from './helpers/dialects.js';

const ADDRESS = '127.132.1.7';
const totals = { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 };
const scan = (): NewScan => ({ startedAt: new Date().toISOString(), targets: [ADDRESS], exclusions: [], ports: [22], options: {}, hostsTotal: 1, probesTotal: 1 });

const SOURCE = 'get 1.3.6.1.2.1.1.1.0 (sysDescr.0), 1.3.6.1.2.1.1.2.0 (sysObjectID.0)';
const CISCO = describeDevice({ descr: 'Cisco IOS Software, C2960X Software, Version 15.2(7)E4, RELEASE SOFTWARE', objectId: '1.3.6.1.4.1.9.1.1208', enterprise: 9, name: 'Edge-SW1' });
const LINUX = describeDevice({ descr: 'Linux web 6.1.0-18-amd64 #1 SMP x86_64', objectId: '1.3.6.1.4.1.8072.3.2.10', enterprise: 8072, name: 'web' });

const snmpEnum = (credential: string, device: DeviceFacts, status: EnumerationRecord['status'] = 'success', packages: string[] = []): EnumerationRecord => ({
  method: 'snmp', port: 161, credential, status, notes: [], elapsedMs: 3, accounts: [],
  facts: status === 'timeout' ? {} : {
    device: { source: SOURCE, value: device },
    software: { source: 'walk 1.3.6.1.2.1.25.6.3.1.{2,4,5}', value: { manager: 'snmp', packages: packages.map((name) => ({ name, installedName: name })) } },
  },
});
const sshEnum = (packages: string[]): EnumerationRecord => ({
  method: 'ssh', port: 22, credential: 'ssh-a', status: 'success', notes: [], elapsedMs: 3, accounts: [],
  facts: {
    os: { source: 'cat /etc/os-release', value: { name: 'Debian GNU/Linux', version: '12', kernel: 'Linux', hostname: 'web' } },
    software: { source: 'dpkg-query', value: { manager: 'dpkg', packages: packages.map((name) => ({ name, version: '1' })) } },
  },
});

const guess = (family: string): HostProfile => ({
  address: ADDRESS, services: [], hostnames: [],
  os: { family, name: family, deviceType: 'general purpose', confidence: 85, sources: { family: { rule: 'services.rules:18', port: 22 }, deviceType: { rule: 'services.rules:18', port: 22 } } },
});

async function record(store: Store, host: Partial<HostObservation>): Promise<number> {
  const id = await store.createScan(scan());
  await store.recordHosts(id, [{ address: ADDRESS, hostnames: [], ports: [], seenAt: new Date().toISOString(), ...host }], totals);
  await store.finishScan(id, 'completed', totals, new Date().toISOString());
  return id;
}

async function fresh(t: Parameters<Parameters<typeof eachDialect>[1]>[0], d: Dialect): Promise<{ store: Store; location: string }> {
  const location = await d.fresh(t);
  const store = await openStore(location, { create: true });
  t.teardown(() => store.close());
  return { store, location };
}

async function storedDevice(d: Dialect, location: string): Promise<{ scanId: number; credential: string; value: DeviceFacts }> {
  const rows = await d.raw<{ scan_id: number; credential: string; facts: string }>(location,
    `SELECT scan_id, credential, facts FROM scan_enumerations WHERE method = 'snmp' AND status IN ('success', 'incomplete') ORDER BY scan_id DESC, credential`);
  return { scanId: rows[0]!.scan_id, credential: rows[0]!.credential, value: (JSON.parse(rows[0]!.facts) as { device: { value: DeviceFacts } }).device.value };
}

eachDialect('snmp device: the agent\'s OS and device type outrank the banner\'s guess, with evidence, and sysName is a name', async (t, d) => {
  const { store, location } = await fresh(t, d);
  await record(store, { profile: guess('Linux'), enumerations: [snmpEnum('snmp-a', CISCO)] });
  const truth = await storedDevice(d, location);
  const [asset] = await store.listAssets([ADDRESS]);
  t.like(asset!.os, { family: truth.value.os!.family, name: truth.value.os!.name, version: truth.value.os!.version, deviceType: truth.value.deviceType, confidence: 95 });
  t.deepEqual(asset!.os!.sources.deviceType, { rule: `snmp enumeration with credential snmp-a (scan ${truth.scanId})`, port: 161, credential: 'snmp-a', scanId: truth.scanId, command: truth.value.evidence.deviceType });
  t.is(asset!.os!.sources.version!.command, truth.value.evidence.os);
  t.deepEqual(asset!.names.map((n) => n.name), [truth.value.sysName!.toLowerCase()]);
  t.deepEqual(asset!.hostnames, ['edge-sw1']);
});

eachDialect('snmp device: an incomplete enumeration counts, a timeout does not; the latest usable one wins', async (t, d) => {
  const { store } = await fresh(t, d);
  await record(store, { enumerations: [snmpEnum('snmp-a', CISCO, 'incomplete')] });
  t.is((await store.listAssets([ADDRESS]))[0]!.os?.family, 'IOS');
  await record(store, { enumerations: [snmpEnum('snmp-a', LINUX, 'timeout')] });
  t.is((await store.listAssets([ADDRESS]))[0]!.os?.family, 'IOS');
  await record(store, { enumerations: [snmpEnum('snmp-b', LINUX)] });
  t.like((await store.listAssets([ADDRESS]))[0]!.os, { family: 'Linux', deviceType: 'general purpose' });
});

eachDialect('snmp device under ssh: os-release outranks the agent\'s OS and keeps its device type; report software takes the SSH list', async (t, d) => {
  const { store } = await fresh(t, d);
  await record(store, { enumerations: [snmpEnum('snmp-a', LINUX, 'success', ['from-snmp']), sshEnum(['from-ssh'])] });
  const [asset] = await store.listAssets([ADDRESS]);
  t.like(asset!.os, { family: 'Linux', name: 'Debian GNU/Linux', version: '12', deviceType: 'general purpose', confidence: 100 });
  t.is(asset!.os!.sources.name!.credential, 'ssh-a');
  t.is(asset!.os!.sources.deviceType!.credential, 'snmp-a');
  t.deepEqual((await store.listSoftware()).map((p) => [p.name, p.manager]), [['from-ssh', 'dpkg']]);
  await record(store, { enumerations: [snmpEnum('snmp-a', LINUX, 'success', ['from-snmp'])] });
  t.deepEqual((await store.listSoftware()).map((p) => [p.name, p.manager]), [['from-snmp', 'snmp']], 'a later scan by the agent alone');
});
