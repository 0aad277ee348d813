/**
 * The scalars read with one GetRequest: SNMPv2-MIB's system group (RFC 3418 2), SNMP-FRAMEWORK-MIB's snmpEngine
 * group (RFC 3411 5), and HOST-RESOURCES-MIB's host uptime and memory size (RFC 2790). This is the first request
 * of an enumeration: whether the agent answers it decides the status.
 */
import { int, octets, oid, text, ticksToSeconds } from './values.js';
import type { SnmpSession, Varbind } from './session.js';
import { enterpriseOf } from './oid.js';
import { vendorOf } from './vendors.js';

export const SCALARS = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
  sysServices: '1.3.6.1.2.1.1.7.0',
  snmpEngineID: '1.3.6.1.6.3.10.2.1.1.0',
  snmpEngineBoots: '1.3.6.1.6.3.10.2.1.2.0',
  snmpEngineTime: '1.3.6.1.6.3.10.2.1.3.0',
  hrSystemUptime: '1.3.6.1.2.1.25.1.1.0',
  hrMemorySize: '1.3.6.1.2.1.25.2.2.0',
} as const;
type Scalar = keyof typeof SCALARS;

export interface SystemFacts {
  readonly descr?: string;
  readonly objectId?: string;
  /** The enterprise number of sysObjectID and the vendor the enterprise map names for it. */
  readonly enterprise?: number;
  readonly vendor?: string;
  readonly name?: string;
  readonly contact?: string;
  readonly location?: string;
  /** sysServices: the OSI layers the device serves, as RFC 3418 sums them (2 datalink, 4 internet, 8 end-to-end, 64 applications). */
  readonly services?: number;
  /** sysUpTime: since the agent (re)started, in seconds. */
  readonly agentUptimeSeconds?: number;
  /** hrSystemUptime: since the host booted, in seconds. */
  readonly hostUptimeSeconds?: number;
  /** hrMemorySize in bytes. */
  readonly memoryBytes?: number;
}

export interface EngineFacts {
  /** snmpEngineID in hex: the same on every address of one agent, so it identifies a device across addresses. */
  readonly id: string;
  /** RFC 3411 5 SnmpEngineID: the enterprise of the agent's maker, and how the rest was formed. */
  readonly enterprise?: number;
  readonly format?: string;
  readonly boots?: number;
  readonly timeSeconds?: number;
}

/** RFC 3411 5 SnmpEngineID, the format octet of the new (high bit set) form. */
const ENGINE_ID_FORMATS: Readonly<Record<number, string>> = { 1: 'ipv4', 2: 'ipv6', 3: 'mac', 4: 'text', 5: 'octets', 6: 'local' };

export function decodeEngineId(id: Buffer): EngineFacts {
  const hex = id.toString('hex');
  if (id.length < 5) return { id: hex };
  const first = id.readUInt32BE(0);
  // The old form (high bit clear, RFC 1910): the enterprise, then 8 octets of the maker's choosing.
  if (!(first & 0x8000_0000)) return { id: hex, enterprise: first, format: 'rfc1910' };
  const format = id[4]!;
  return { id: hex, enterprise: first & 0x7fff_ffff, format: ENGINE_ID_FORMATS[format] ?? (format >= 128 ? 'enterprise-specific' : `reserved ${format}`) };
}

export interface SystemRead {
  readonly system: SystemFacts;
  readonly engine?: EngineFacts;
  readonly source: string;
  readonly engineSource: string;
}

/** The source of the scalars read: `get 1.3.6.1.2.1.1.1.0 (sysDescr.0), ...`. */
export const SYSTEM_SOURCE = `get ${Object.entries(SCALARS).map(([name, o]) => `${o} (${name}.0)`).join(', ')}`;

/** One GetRequest of every scalar; throws the request's ProbeError when the agent does not answer it. */
export async function readSystem(session: SnmpSession): Promise<SystemRead> {
  const names = Object.keys(SCALARS) as Scalar[];
  const varbinds = await session.get(names.map((n) => SCALARS[n]));
  const byOid = new Map(varbinds.map((vb) => [vb.oid, vb]));
  const vb = (n: Scalar): Varbind | undefined => byOid.get(SCALARS[n]);
  const objectId = oid(vb('sysObjectID'));
  const enterprise = objectId ? enterpriseOf(objectId) : undefined;
  const memoryKiB = int(vb('hrMemorySize'));
  const system: SystemFacts = {
    descr: text(vb('sysDescr')), objectId, enterprise, vendor: enterprise === undefined ? undefined : vendorOf(enterprise)?.name,
    name: text(vb('sysName')) || undefined, contact: text(vb('sysContact')) || undefined, location: text(vb('sysLocation')) || undefined,
    services: int(vb('sysServices')), agentUptimeSeconds: ticksToSeconds(int(vb('sysUpTime'))),
    hostUptimeSeconds: ticksToSeconds(int(vb('hrSystemUptime'))), memoryBytes: memoryKiB === undefined ? undefined : memoryKiB * 1024,
  };
  // An agent without SNMP-FRAMEWORK-MIB in its view still told its engine ID to SNMPv3's discovery.
  const served = octets(vb('snmpEngineID'));
  const engineId = served?.length ? served : session.discoveredEngineId;
  const engine = engineId
    ? { ...decodeEngineId(engineId), boots: int(vb('snmpEngineBoots')), timeSeconds: int(vb('snmpEngineTime')) }
    : undefined;
  const engineSource = served?.length || !engineId ? SYSTEM_SOURCE : 'SNMPv3 discovery: msgAuthoritativeEngineID (RFC 3414 4)';
  return { system, engine, source: SYSTEM_SOURCE, engineSource };
}
