/**
 * Reading the values of varbinds as the MIBs define them: DisplayString and SnmpAdminString text, MAC addresses,
 * DateAndTime (RFC 2579), TimeTicks. A value of the wrong type reads as undefined, never as a guess.
 */
import snmp from 'net-snmp';
import { isException, Varbind } from './session.js';

/** The longest text kept from one value (DisplayString is at most 255 octets; an agent may send more). */
export const MAX_TEXT_CHARS = 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** An OCTET STRING as text: UTF-8 when it is valid UTF-8, else Latin-1; trailing NULs dropped. */
export function text(vb: Varbind | undefined): string | undefined {
  if (!vb || isException(vb) || !Buffer.isBuffer(vb.value)) return undefined;
  let end = vb.value.length;
  while (end > 0 && vb.value[end - 1] === 0) end--;
  const bytes = vb.value.subarray(0, end);
  let s: string;
  try {
    s = utf8.decode(bytes);
  } catch {
    s = bytes.toString('latin1');
  }
  return s.length > MAX_TEXT_CHARS ? s.slice(0, MAX_TEXT_CHARS) : s;
}

export function octets(vb: Varbind | undefined): Buffer | undefined {
  return vb && !isException(vb) && Buffer.isBuffer(vb.value) ? vb.value : undefined;
}

/** An INTEGER, Gauge32, Counter32 or TimeTicks. */
export function int(vb: Varbind | undefined): number | undefined {
  return vb && !isException(vb) && typeof vb.value === 'number' ? vb.value : undefined;
}

/** An OBJECT IDENTIFIER. */
export function oid(vb: Varbind | undefined): string | undefined {
  return vb && vb.type === snmp.ObjectType.OID && typeof vb.value === 'string' ? vb.value : undefined;
}

/** An IpAddress (SNMPv2-SMI), dotted. */
export function ipAddress(vb: Varbind | undefined): string | undefined {
  return vb && vb.type === snmp.ObjectType.IpAddress && typeof vb.value === 'string' ? vb.value : undefined;
}

/** A PhysAddress (RFC 2579) as colon-separated hex; empty (no address, e.g. loopback) reads as undefined. */
export function physAddress(vb: Varbind | undefined): string | undefined {
  const b = octets(vb);
  return b && b.length ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(':') : undefined;
}

/**
 * A DateAndTime (RFC 2579): year (2 octets), month, day, hour, minutes, seconds, deci-seconds, and optionally the
 * direction, hours and minutes from UTC. With the offset, an ISO time in UTC; without, the agent's local time
 * (no zone). A zero year or month or day means unknown (Debian's snmpd sends 0-1-1 for every package).
 */
export function dateAndTime(vb: Varbind | undefined): string | undefined {
  const b = octets(vb);
  if (!b || (b.length !== 8 && b.length !== 11)) return undefined;
  const year = b.readUInt16BE(0);
  const [month, day, hour, minute, second, deci] = [b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!];
  if (!year || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || deci > 9) return undefined;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const local = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(Math.min(second, 59))}`;
  if (b.length === 8) return local;
  const sign = String.fromCharCode(b[8]!);
  if ((sign !== '+' && sign !== '-') || b[9]! > 13 || b[10]! > 59) return undefined;
  const offsetMs = (sign === '+' ? 1 : -1) * (b[9]! * 60 + b[10]!) * 60_000;
  return new Date(Date.parse(`${local}.${deci}00Z`) - offsetMs).toISOString();
}

/** TimeTicks (hundredths of a second) as whole seconds. */
export function ticksToSeconds(ticks: number | undefined): number | undefined {
  return ticks === undefined ? undefined : Math.floor(ticks / 100);
}
