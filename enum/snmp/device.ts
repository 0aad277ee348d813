/**
 * What an SNMP agent says the device is: its vendor (sysObjectID's enterprise), its OS (sysDescr, matched by the
 * patterns below), its device type (a sysDescr pattern, else ENTITY-MIB's chassis and ports, else the vendor's
 * usual kind), and the chassis model, serial number and firmware (ENTITY-MIB). Each answer keeps its evidence:
 * the object it came from and the value that decided it.
 */
import type { PhysicalEntity } from './entity.js';
import { SCALARS, SystemFacts } from './system.js';
import { vendorOf } from './vendors.js';

export interface DeviceOs {
  readonly family: string;
  readonly name?: string;
  readonly version?: string;
}

export interface DeviceFacts {
  /** sysName: the device's own name for itself. */
  readonly sysName?: string;
  readonly vendor?: string;
  readonly enterprise?: number;
  readonly deviceType?: string;
  readonly os?: DeviceOs;
  readonly model?: string;
  readonly serial?: string;
  readonly firmware?: string;
  /** For each field above that is set, the object and value it came from. */
  readonly evidence: Readonly<Partial<Record<'sysName' | 'vendor' | 'deviceType' | 'os' | 'model', string>>>;
}

interface OsPattern {
  readonly match: RegExp;
  /** From the match: the OS (the version from a capture), and a device type when the OS says it. */
  readonly os: (m: RegExpExecArray) => DeviceOs;
  readonly deviceType?: string;
}

/** sysDescr patterns, most specific first: what common agents put there (RFC 3418 asks for the OS and its version). */
const OS_PATTERNS: readonly OsPattern[] = [
  { match: /Cisco IOS XE Software.*?Version ([\w.()]+)/s, os: (m) => ({ family: 'IOS XE', name: 'Cisco IOS XE', version: m[1] }) },
  { match: /Cisco IOS XR Software.*?Version ([\w.()]+)/s, os: (m) => ({ family: 'IOS XR', name: 'Cisco IOS XR', version: m[1] }) },
  { match: /Cisco NX-OS.*?Version ([\w.()]+)/s, os: (m) => ({ family: 'NX-OS', name: 'Cisco NX-OS', version: m[1] }), deviceType: 'switch' },
  { match: /Cisco Adaptive Security Appliance Version ([\w.()]+)/, os: (m) => ({ family: 'ASA', name: 'Cisco ASA', version: m[1] }), deviceType: 'firewall' },
  { match: /Cisco (?:IOS|Internetwork Operating System) Software.*?Version ([\w.()]+)/s, os: (m) => ({ family: 'IOS', name: 'Cisco IOS', version: m[1] }) },
  { match: /\bJUNOS ([\w.-]+)/, os: (m) => ({ family: 'Junos', name: 'Junos OS', version: m[1] }) },
  { match: /Arista Networks EOS version ([\w.]+)/, os: (m) => ({ family: 'EOS', name: 'Arista EOS', version: m[1] }), deviceType: 'switch' },
  { match: /^RouterOS\b/, os: () => ({ family: 'RouterOS', name: 'MikroTik RouterOS' }), deviceType: 'router' },
  { match: /Huawei Versatile Routing Platform.*?Version ([\d.]+)/s, os: (m) => ({ family: 'VRP', name: 'Huawei VRP', version: m[1] }) },
  { match: /\bFortiGate\b|\bFortiOS\b/, os: () => ({ family: 'FortiOS', name: 'FortiOS' }), deviceType: 'firewall' },
  { match: /\bPAN-OS\b|^Palo Alto Networks/, os: () => ({ family: 'PAN-OS', name: 'PAN-OS' }), deviceType: 'firewall' },
  { match: /Software: Windows Version (\d+\.\d+) \(Build (\d+)/, os: (m) => ({ family: 'Windows', name: 'Windows', version: `${m[1]}.${m[2]}` }), deviceType: 'general purpose' },
  { match: /^Linux \S+ \S+/, os: () => ({ family: 'Linux' }) },
  { match: /^FreeBSD \S+ (\d+(?:\.\d+)*)/, os: (m) => ({ family: 'FreeBSD', name: 'FreeBSD', version: m[1] }) },
  { match: /^SunOS \S+ (\d+(?:\.\d+)*)/, os: (m) => ({ family: 'Solaris', name: 'SunOS', version: m[1] }) },
  { match: /^Darwin \S+ (\d+(?:\.\d+)*)/, os: (m) => ({ family: 'Darwin', name: 'Darwin', version: m[1] }) },
  { match: /JETDIRECT|HP ETHERNET MULTI-ENVIRONMENT/, os: () => ({ family: 'JetDirect', name: 'HP JetDirect' }), deviceType: 'printer' },
];

/** sysObjectIDs that name a kind of agent rather than a device: net-snmp's own on a general-purpose OS. */
const AGENT_OBJECT_IDS: ReadonlyArray<{ prefix: string; deviceType: string; what: string }> = [
  { prefix: '1.3.6.1.4.1.8072.3.2.', deviceType: 'general purpose', what: 'net-snmp\'s agent on a general-purpose OS (NET-SNMP-TC netSnmpAgentOIDs)' },
];

const quote = (s: string) => JSON.stringify(s.length > 160 ? `${s.slice(0, 157)}...` : s);

/** The device's identity from the system group and the physical inventory (empty when the agent offers none). */
export function describeDevice(system: SystemFacts, physical: readonly PhysicalEntity[] = []): DeviceFacts {
  const evidence: Partial<Record<keyof DeviceFacts['evidence'], string>> = {};
  const objectId = system.objectId ? `sysObjectID.0 (${SCALARS.sysObjectID}) = ${system.objectId}` : undefined;
  const vendor = system.enterprise === undefined ? undefined : vendorOf(system.enterprise);
  if (system.enterprise !== undefined) evidence.vendor = `${objectId}: enterprise ${system.enterprise}${vendor ? ` (${vendor.name})` : ''}`;
  if (system.name) evidence.sysName = `sysName.0 (${SCALARS.sysName}) = ${quote(system.name)}`;

  const descr = system.descr ?? '';
  const pattern = OS_PATTERNS.map((p) => ({ p, m: p.match.exec(descr) })).find((x) => x.m);
  const os = pattern ? pattern.p.os(pattern.m!) : undefined;
  if (os) evidence.os = `sysDescr.0 (${SCALARS.sysDescr}) = ${quote(descr)}`;

  const chassis = physical.find((e) => e.class === 'chassis' && (e.model || e.serial)) ?? physical.find((e) => e.class === 'chassis');
  const ports = physical.filter((e) => e.class === 'port').length;
  if (chassis?.model) evidence.model = `ENTITY-MIB entPhysicalModelName.${chassis.index} = ${quote(chassis.model)}`;

  let deviceType: string | undefined;
  const agent = system.objectId ? AGENT_OBJECT_IDS.find((a) => system.objectId!.startsWith(a.prefix)) : undefined;
  if (pattern?.p.deviceType) {
    deviceType = pattern.p.deviceType;
    evidence.deviceType = evidence.os;
  } else if (agent) {
    deviceType = agent.deviceType;
    evidence.deviceType = `${objectId}: ${agent.what}`;
  } else if (chassis && ports > 0) {
    deviceType = 'network device';
    evidence.deviceType = `ENTITY-MIB entPhysicalTable: a chassis (entPhysicalIndex ${chassis.index}${chassis.model ? `, ${quote(chassis.model)}` : ''}) with ${ports} port entities`;
  } else if (vendor?.deviceType) {
    deviceType = vendor.deviceType;
    evidence.deviceType = `${evidence.vendor}, whose devices are "${vendor.deviceType}" in surveyor's enterprise map`;
  }
  return {
    sysName: system.name, vendor: vendor?.name, enterprise: system.enterprise, deviceType, os,
    model: chassis?.model, serial: chassis?.serial, firmware: chassis?.firmwareRev ?? chassis?.softwareRev, evidence,
  };
}
