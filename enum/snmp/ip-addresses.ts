/**
 * IP-MIB (RFC 4293): the host's addresses from ipAddressTable (IPv4 and IPv6, indexed by InetAddressType and
 * InetAddress, RFC 4001), or, from an agent without it, the deprecated IPv4-only ipAddrTable.
 */
import { arcs, isBelow } from './oid.js';
import { int, ipAddress, oid } from './values.js';
import type { SnmpSession } from './session.js';
import { cutsOf, Reading, readTable, tableSource, TableSpec } from './table.js';
import type { WalkBounds } from './walk.js';

export const IP_ADDRESS_TABLE: TableSpec<'ipAddressIfIndex' | 'ipAddressType' | 'ipAddressPrefix' | 'ipAddressOrigin' | 'ipAddressStatus'> = {
  name: 'IP-MIB ipAddressTable', entry: '1.3.6.1.2.1.4.34.1',
  columns: { ipAddressIfIndex: 3, ipAddressType: 4, ipAddressPrefix: 5, ipAddressOrigin: 6, ipAddressStatus: 7 },
};

export const IP_ADDR_TABLE: TableSpec<'ipAdEntAddr' | 'ipAdEntIfIndex' | 'ipAdEntNetMask'> = {
  name: 'IP-MIB ipAddrTable', entry: '1.3.6.1.2.1.4.20.1', columns: { ipAdEntAddr: 1, ipAdEntIfIndex: 2, ipAdEntNetMask: 3 },
};

/** ipAddressPrefixTable's entry: an ipAddressPrefix points to a row of it, whose last index is the length. */
const PREFIX_ENTRY = '1.3.6.1.2.1.4.32.1';

const TYPES: Readonly<Record<number, string>> = { 1: 'unicast', 2: 'anycast', 3: 'broadcast' };
const ORIGINS: Readonly<Record<number, string>> = { 1: 'other', 2: 'manual', 4: 'dhcp', 5: 'linklayer', 6: 'random' };
const STATUSES: Readonly<Record<number, string>> = {
  1: 'preferred', 2: 'deprecated', 3: 'invalid', 4: 'inaccessible', 5: 'unknown', 6: 'tentative', 7: 'duplicate', 8: 'optimistic',
};

export interface SnmpAddress {
  /** The address as text (IPv6 compressed), with `%zone` for a zoned one. */
  readonly address: string;
  readonly family: 4 | 6;
  /** The interface's ifIndex. */
  readonly ifIndex?: number;
  readonly prefixLength?: number;
  readonly type?: string;
  readonly origin?: string;
  readonly status?: string;
}

/** An InetAddressType and InetAddress from a table index: `1.4.192.0.2.1` (RFC 4001 3: length-prefixed octets). */
export function inetAddressOfIndex(index: string): { address: string; family: 4 | 6 } | undefined {
  const [type, length, ...rest] = arcs(index);
  if (length === undefined || rest.length !== length || rest.some((b) => !(b! >= 0 && b! <= 255))) return undefined;
  const bytes = rest as number[];
  const zone = (octets: number[]) => (octets.length === 4 ? `%${Buffer.from(octets).readUInt32BE(0)}` : '');
  if ((type === 1 && length === 4) || (type === 3 && length === 8)) return { address: bytes.slice(0, 4).join('.') + zone(bytes.slice(4)), family: 4 };
  if ((type === 2 && length === 16) || (type === 4 && length === 20)) return { address: ipv6Text(bytes.slice(0, 16)) + zone(bytes.slice(16)), family: 6 };
  return undefined;
}

/** RFC 5952 4: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
export function ipv6Text(bytes: readonly number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** A netmask's prefix length, when its ones are contiguous. */
function maskLength(mask: string | undefined): number | undefined {
  if (!mask) return undefined;
  const bits = mask.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

export async function readAddresses(session: SnmpSession, bounds: WalkBounds): Promise<Reading<SnmpAddress[]>> {
  const modern = await readTable(session, IP_ADDRESS_TABLE, bounds);
  if (modern.rows.length || modern.cut) {
    const value = modern.rows.flatMap((r): SnmpAddress[] => {
      const inet = inetAddressOfIndex(r.index);
      if (!inet) return [];
      const prefix = oid(r.cell('ipAddressPrefix'));
      const type = int(r.cell('ipAddressType'));
      const origin = int(r.cell('ipAddressOrigin'));
      const status = int(r.cell('ipAddressStatus'));
      return [{
        ...inet, ifIndex: int(r.cell('ipAddressIfIndex')),
        prefixLength: prefix && isBelow(PREFIX_ENTRY, prefix) ? arcs(prefix).at(-1) : undefined,
        type: type === undefined ? undefined : TYPES[type] ?? String(type),
        origin: origin === undefined ? undefined : ORIGINS[origin] ?? String(origin),
        status: status === undefined ? undefined : STATUSES[status] ?? String(status),
      }];
    });
    return { value, source: tableSource(IP_ADDRESS_TABLE), cuts: cutsOf([IP_ADDRESS_TABLE, modern]) };
  }
  const old = await readTable(session, IP_ADDR_TABLE, bounds);
  const value = old.rows.flatMap((r): SnmpAddress[] => {
    const address = ipAddress(r.cell('ipAdEntAddr'));
    return address ? [{ address, family: 4, ifIndex: int(r.cell('ipAdEntIfIndex')), prefixLength: maskLength(ipAddress(r.cell('ipAdEntNetMask'))) }] : [];
  });
  return { value, source: `${tableSource(IP_ADDRESS_TABLE)}, empty; ${tableSource(IP_ADDR_TABLE)}`, cuts: cutsOf([IP_ADDR_TABLE, old]) };
}
