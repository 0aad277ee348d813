/**
 * Credentialed enumeration of one host over SNMP (v2c or v3): the system scalars first (whether the agent answers
 * them decides the status), then each MIB group with bounded walks. Never throws for what the agent does: every
 * failure is a status with notes, and no note quotes a secret or net-snmp's own text.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { Credential } from '../../vault/credentials.js';
import { snmpSecurity, SnmpSecurity } from '../../vault/snmp.js';
import type { EnumerationRecord, Fact } from '../types.js';
import { describeDevice } from './device.js';
import { PhysicalEntity, readPhysical } from './entity.js';
import { readDevices, readProcesses, readSoftware, readStorage } from './host-resources.js';
import { readInterfaces } from './interfaces.js';
import { readAddresses } from './ip-addresses.js';
import { readSystem } from './system.js';
import { SNMP_DEFAULTS, SnmpSession, SnmpTransportOptions } from './session.js';
import type { Reading } from './table.js';
import type { WalkBounds } from './walk.js';

export interface SnmpEnumerateOptions extends SnmpTransportOptions {
  readonly credential: Credential;
  /** Bounds of every walk (rows, time). @default WALK_DEFAULTS */
  readonly walk?: WalkBounds;
}

/** Why a silent agent may be silent, by SNMP version: said with every timeout. */
function silenceNote(security: SnmpSecurity): string {
  return security.version === '2c'
    ? 'an SNMPv2c agent does not answer a community it does not accept, so a wrong community is also a timeout'
    : `an SNMPv3 agent answers a wrong authentication passphrase or an unknown user with a report (auth-failed)${security.priv ? ', but drops a request it cannot decrypt: a wrong privacy passphrase is a timeout' : ''}`;
}

/** The MIB groups walked after the system scalars, in order, by fact name; `physical` also feeds the device type. */
const GROUPS: ReadonlyArray<[string, (s: SnmpSession, b: WalkBounds) => Promise<Reading<unknown>>]> = [
  ['interfaces', readInterfaces], ['addresses', readAddresses], ['storage', readStorage], ['devices', readDevices],
  ['software', readSoftware], ['processes', readProcesses], ['physical', readPhysical],
];

/** A group's value with no rows: an empty list, or a package list with no package. */
const noRows = (v: unknown) => (Array.isArray(v) ? v : (v as { packages: unknown[] }).packages).length === 0;

export async function enumerateSnmp(o: SnmpEnumerateOptions): Promise<EnumerationRecord> {
  const started = performance.now();
  const port = o.port ?? SNMP_DEFAULTS.port;
  const base = { method: 'snmp' as const, port, credential: o.credential.name, accounts: [] };
  const done = (status: EnumerationRecord['status'], notes: string[], facts: Record<string, Fact> = {}): EnumerationRecord =>
    ({ ...base, status, notes, facts, elapsedMs: performance.now() - started });
  const security = snmpSecurity(o.credential);
  const session = SnmpSession.open(security, o);
  try {
    let system;
    try {
      system = await readSystem(session);
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      return done(err.status, [err.message, ...(err.status === 'timeout' ? [silenceNote(security)] : [])]);
    }
    const facts: Record<string, Fact> = { system: { source: system.source, value: system.system } };
    if (system.engine) facts.engine = { source: system.engineSource, value: system.engine };
    const notes: string[] = [];
    const absent: string[] = [];
    let incomplete = false;
    for (const [i, [key, read]] of GROUPS.entries()) {
      try {
        const reading = await read(session, o.walk ?? {});
        if (reading.cuts.length) {
          incomplete = true;
          notes.push(...reading.cuts.map((c) => `${key}: ${c}`));
        }
        if (noRows(reading.value) && !reading.cuts.length) absent.push(key);
        else facts[key] = { source: reading.source, value: reading.value };
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        incomplete = true;
        facts[key] = { source: key, error: `${err.status}: ${err.message}` };
        notes.push(`${key}: ${err.status}: ${err.message}`);
        // An agent that stopped answering would make every later group wait its whole timeout too.
        if (err.status === 'timeout') {
          const rest = GROUPS.slice(i + 1).map(([k]) => k);
          if (rest.length) notes.push(`not asked, the agent having stopped answering: ${rest.join(', ')}`);
          break;
        }
      }
    }
    if (absent.length) notes.push(`not offered by the agent (no rows): ${absent.join(', ')}`);
    if (session.malformed) notes.push(`${session.malformed} datagram(s) that were not SNMP messages were dropped`);
    const physical = (facts.physical?.value ?? []) as PhysicalEntity[];
    const device = describeDevice(system.system, physical);
    facts.device = { source: [system.source, ...(physical.length ? [facts.physical!.source] : [])].join('; '), value: device };
    return done(incomplete ? 'incomplete' : 'success', notes, facts);
  } finally {
    session.close();
  }
}
