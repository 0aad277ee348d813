/**
 * The SNMP readers that need no agent: OID order, RFC 2579 DateAndTime and PhysAddress, RFC 4001 addresses from
 * table indexes (IPv6 text checked against Node's URL parser, which writes RFC 5952 form), Debian's package
 * names, RFC 3411 engine IDs, the device type and OS from sysDescr and sysObjectID, and the credential's protocols.
 */
import test from 'ava';
import snmp from 'net-snmp';
import { compareOids, enterpriseOf } from '../enum/snmp/oid.js';
import { dateAndTime, physAddress, text } from '../enum/snmp/values.js';
import { inetAddressOfIndex, ipv6Text } from '../enum/snmp/ip-addresses.js';
import { splitDebianName } from '../enum/snmp/host-resources.js';
import { decodeEngineId, SystemFacts } from '../enum/snmp/system.js';
import { describeDevice } from '../enum/snmp/device.js';
import { vendorOf } from '../enum/snmp/vendors.js';
import type { Varbind } from '../enum/snmp/session.js';
import { parseSnmpAuthLabel, SNMP_AUTH_PROTOCOLS, SNMP_PRIV_PROTOCOLS, snmpAuthLabel } from '../vault/snmp-protocols.js';
import { snmpSecurity } from '../vault/snmp.js';
import { Credential, Secret } from '../vault/credentials.js';
import { InputError } from '../scanner/errors.js';

const octets = (bytes: number[] | Buffer): Varbind => ({ oid: '1.3', type: snmp.ObjectType.OctetString, value: Buffer.from(bytes) });

test('OIDs order arc by arc as numbers, not as text', (t) => {
  t.true(compareOids('1.3.6.1.2', '1.3.6.1.10') < 0);
  t.true(compareOids('1.3.6.1.2.1', '1.3.6.1.2') > 0);
  t.is(compareOids('1.3.6', '1.3.6'), 0);
  t.is(enterpriseOf('1.3.6.1.4.1.9.1.1208'), 9);
  t.is(enterpriseOf('1.3.6.1.2.1.1'), undefined);
});

test('DateAndTime: a zoned one in UTC, one without a zone as local time, unknown or malformed ones as nothing', (t) => {
  t.is(dateAndTime(octets([0x07, 0xe8, 3, 14, 10, 20, 30, 5, 0x2d, 5, 30])), '2024-03-14T15:50:30.500Z');
  t.is(dateAndTime(octets([0x07, 0xe7, 12, 1, 8, 0, 0, 0])), '2023-12-01T08:00:00');
  for (const bad of [[0, 0, 1, 1, 0, 0, 0, 0], [0x07, 0xe8, 13, 1, 0, 0, 0, 0], [0x07, 0xe8, 1, 1, 0, 0, 0], [0x07, 0xe8, 1, 1, 0, 0, 0, 0, 0x3f, 0, 0]]) {
    t.is(dateAndTime(octets(bad)), undefined, JSON.stringify(bad));
  }
});

test('PhysAddress and text: MACs in colon hex, empty as nothing; text as UTF-8, else Latin-1, without trailing NULs', (t) => {
  t.is(physAddress(octets([0x02, 0xfc, 0, 0, 0, 1])), '02:fc:00:00:00:01');
  t.is(physAddress(octets([])), undefined);
  t.is(text(octets(Buffer.from('r\u00e9seau\0\0'))), 'r\u00e9seau');
  t.is(text(octets([0x72, 0xe9, 0x73])), 'r\u00e9s');
  t.is(text({ oid: '1.3', type: snmp.ObjectType.NoSuchInstance, value: null }), undefined);
});

test('InetAddress from a table index (RFC 4001), IPv6 in RFC 5952 form as the URL parser writes it', (t) => {
  t.deepEqual(inetAddressOfIndex('1.4.192.0.2.1'), { address: '192.0.2.1', family: 4 });
  t.deepEqual(inetAddressOfIndex('3.8.169.254.1.2.0.0.0.3'), { address: '169.254.1.2%3', family: 4 });
  t.is(inetAddressOfIndex('1.4.192.0.2'), undefined);
  t.is(inetAddressOfIndex('2.16.1.2.3'), undefined);
  const samples = [
    [0, 0, 0, 0, 0, 0, 0, 1], [0xfe80, 0, 0, 0, 0xfc00, 0xff, 0xfe00, 1], [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], [0x2001, 0xdb8, 0, 1, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0, 1, 0], [0x2001, 0xdb8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xffff],
  ];
  for (let i = 0; i < 200; i++) samples.push(Array.from({ length: 8 }, () => (Math.random() < 0.5 ? 0 : Math.floor(Math.random() * 0x10000))));
  for (const groups of samples) {
    const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
    const url = new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]`).hostname.slice(1, -1);
    t.is(ipv6Text(bytes), url);
    t.deepEqual(inetAddressOfIndex(`2.16.${bytes.join('.')}`), { address: url, family: 6 });
  }
});

test('Debian\'s name_version_arch splits exactly; other agents\' names stay whole', (t) => {
  t.deepEqual(splitDebianName('openssh-server_1:9.2p1-2+deb12u3_amd64'), { name: 'openssh-server', version: '1:9.2p1-2+deb12u3', arch: 'amd64' });
  t.deepEqual(splitDebianName('libc6_2.36-9+deb12u4_amd64'), { name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64' });
  for (const whole of ['openssh-server-9.2p1', 'bash-5.2.15-3.el9', 'Microsoft Visual C++ 2019 X64 Minimum Runtime - 14.29.30133', 'a_b_c_d']) t.is(splitDebianName(whole), undefined);
});

test('engine IDs (RFC 3411 5): the enterprise and the format of the new form, the enterprise of the old', (t) => {
  t.deepEqual(decodeEngineId(Buffer.from('80001f8880d4e0073344ea0b6b00000000', 'hex')), { id: '80001f8880d4e0073344ea0b6b00000000', enterprise: 8072, format: 'enterprise-specific' });
  t.like(decodeEngineId(Buffer.from('800000090300000c29aabbcc', 'hex')), { enterprise: 9, format: 'mac' });
  t.like(decodeEngineId(Buffer.from('0000000901020304050607', 'hex')), { enterprise: 9, format: 'rfc1910' });
  t.deepEqual(decodeEngineId(Buffer.from('8000', 'hex')), { id: '8000' });
});

const system = (descr: string, objectId: string): SystemFacts => ({ descr, objectId, enterprise: enterpriseOf(objectId), vendor: vendorOf(enterpriseOf(objectId)!)?.name });

test('device type and OS: sysDescr patterns first, then net-snmp\'s agent OIDs, ENTITY-MIB, and the vendor; each with its evidence', (t) => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)', '1.3.6.1.4.1.9.1.1208',
      { vendor: 'Cisco', deviceType: 'network device', os: { family: 'IOS', name: 'Cisco IOS', version: '15.2(7)E4' } }],
    ['Cisco Adaptive Security Appliance Version 9.12(4)', '1.3.6.1.4.1.9.1.2313', { deviceType: 'firewall', os: { family: 'ASA', name: 'Cisco ASA', version: '9.12(4)' } }],
    ['Juniper Networks, Inc. ex4300-48t Ethernet Switch, kernel JUNOS 18.4R2.7, Build date: 2019-06-27', '1.3.6.1.4.1.2636.1.1.1.2.63',
      { vendor: 'Juniper Networks', deviceType: 'network device', os: { family: 'Junos', version: '18.4R2.7' } }],
    ['Arista Networks EOS version 4.24.1F running on an Arista Networks DCS-7050SX-64', '1.3.6.1.4.1.30065.1.3011.7050.3741.64', { deviceType: 'switch', os: { family: 'EOS', version: '4.24.1F' } }],
    ['RouterOS RB4011iGS+', '1.3.6.1.4.1.14988.1', { vendor: 'MikroTik', deviceType: 'router', os: { family: 'RouterOS' } }],
    ['Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)', '1.3.6.1.4.1.311.1.1.3.1.2',
      { vendor: 'Microsoft', deviceType: 'general purpose', os: { family: 'Windows', version: '6.3.17763' } }],
    ['Linux labhost 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64', '1.3.6.1.4.1.8072.3.2.10', { vendor: 'net-snmp', deviceType: 'general purpose', os: { family: 'Linux' } }],
    ['HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23900', '1.3.6.1.4.1.11.2.3.9.1', { vendor: 'Hewlett-Packard', deviceType: 'printer' }],
    ['Smart-UPS 1500', '1.3.6.1.4.1.318.1.3.27', { vendor: 'APC', deviceType: 'power device', os: undefined }],
    ['', '1.3.6.1.4.1.99999.1', { vendor: undefined, deviceType: undefined, os: undefined }],
  ];
  for (const [descr, objectId, expected] of cases) {
    const d = describeDevice(system(descr, objectId));
    t.like(d, expected as never, descr);
    if (d.deviceType) t.truthy(d.evidence.deviceType, descr);
    if (d.os) t.true(d.evidence.os!.startsWith('sysDescr.0 (1.3.6.1.2.1.1.1.0) = '), descr);
    if ('os' in expected && expected.os === undefined) t.is(d.os, undefined, descr);
  }
  t.is(describeDevice(system('', '1.3.6.1.4.1.99999.1')).evidence.vendor, 'sysObjectID.0 (1.3.6.1.2.1.1.2.0) = 1.3.6.1.4.1.99999.1: enterprise 99999');
});

test('ENTITY-MIB: a chassis holding ports is a network device, and gives the model, serial and firmware', (t) => {
  const d = describeDevice(system('', '1.3.6.1.4.1.99999.1'), [
    { index: 1, class: 'chassis', model: 'X-24', serial: 'S1', softwareRev: '2.1' },
    { index: 2, class: 'port', containedIn: 1 }, { index: 3, class: 'port', containedIn: 1 },
  ]);
  t.like(d, { deviceType: 'network device', model: 'X-24', serial: 'S1', firmware: '2.1' });
  t.is(d.evidence.deviceType, 'ENTITY-MIB entPhysicalTable: a chassis (entPhysicalIndex 1, "X-24") with 2 port entities');
  t.is(describeDevice(system('', '1.3.6.1.4.1.99999.1'), [{ index: 1, class: 'chassis' }]).deviceType, undefined, 'no port: no claim');
});

test('every enterprise in the map has a vendor name, and every device type is one of a fixed few', (t) => {
  const types = new Set(['network device', 'router', 'switch', 'firewall', 'load balancer', 'printer', 'storage', 'power device', 'general purpose']);
  for (const n of [9, 11, 311, 2636, 30065, 12356, 25461, 318]) {
    const v = vendorOf(n);
    t.truthy(v?.name, String(n));
    if (v?.deviceType) t.true(types.has(v.deviceType), v.deviceType);
  }
});

test('an snmp credential\'s protocols round-trip through its auth label, and an altered label is refused', (t) => {
  t.deepEqual(parseSnmpAuthLabel(snmpAuthLabel()), {});
  for (const auth of SNMP_AUTH_PROTOCOLS) {
    t.deepEqual(parseSnmpAuthLabel(snmpAuthLabel(auth)), { auth, priv: undefined });
    for (const priv of SNMP_PRIV_PROTOCOLS) t.deepEqual(parseSnmpAuthLabel(snmpAuthLabel(auth, priv)), { auth, priv });
  }
  for (const bad of ['password', 'sha256/rot13', 'sha1', 'sha/aes/des', '']) t.is(parseSnmpAuthLabel(bad), undefined, bad);
  const stored = { name: 'x', type: 'snmp' as const, username: 'u', elevate: null, scope: ['any'], keyId: 'k', createdAt: '', updatedAt: '' };
  const withAuth = (auth: string, secrets: Credential['secrets']): Credential => ({ ...stored, auth: auth as Credential['auth'], secrets });
  t.like(snmpSecurity(withAuth('sha256/aes', { password: new Secret('a'), privacy: new Secret('p') })), { version: '3', user: 'u', auth: 'sha256', priv: 'aes' });
  t.like(snmpSecurity(withAuth('community', { password: new Secret('c') })), { version: '2c' });
  t.throws(() => snmpSecurity(withAuth('sha256/aes', { password: new Secret('a') })), { instanceOf: InputError, message: /not a usable snmp credential/ });
  t.throws(() => snmpSecurity(withAuth('key', { password: new Secret('a') })), { instanceOf: InputError });
});
