/**
 * Address math for IPv4 and IPv6. Addresses are bigints so one interval type serves both families;
 * parsers return a reason instead of throwing so the caller can name the bad token in its own words.
 */
export type Family = 4 | 6;

export interface ParsedAddress {
  readonly family: Family;
  readonly value: bigint;
}

export type ParseResult = { ok: true; address: ParsedAddress } | { ok: false; reason: string };

export const MAX_V4 = (1n << 32n) - 1n;

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

const fail = (reason: string): ParseResult => ({ ok: false, reason });

export function parseIPv4(text: string): ParseResult {
  const parts = text.split('.');
  if (parts.length !== 4) return fail(`an IPv4 address has 4 dotted octets, found ${parts.length}`);
  let value = 0n;
  for (const part of parts) {
    if (part === '') return fail('empty octet');
    if (!/^\d+$/.test(part)) return fail(`octet "${part}" is not a decimal number`);
    if (part.length > 1 && part.startsWith('0')) return fail(`octet "${part}" has a leading zero (ambiguous: octal or decimal?)`);
    const octet = Number(part);
    if (octet > 255) return fail(`octet ${part} is out of range 0-255`);
    value = (value << 8n) | BigInt(octet);
  }
  return { ok: true, address: { family: 4, value } };
}

export function parseIPv6(input: string): ParseResult {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes('%')) return fail('zone indices (%...) are not supported in targets');
  const halves = text.split('::');
  if (halves.length > 2) return fail('"::" may appear only once');
  const groupsOf = (part: string): number[] | string => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4.ok) return `embedded IPv4 "${piece}": ${v4.reason}`;
        const n = Number(v4.address.value);
        out.push(n >>> 16, n & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return `group "${piece}" is not 1-4 hex digits`;
      out.push(parseInt(piece, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  if (typeof head === 'string') return fail(head);
  let groups: number[];
  if (halves.length === 2) {
    const tail = groupsOf(halves[1]!);
    if (typeof tail === 'string') return fail(tail);
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return fail('too many groups around "::"');
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
    if (groups.length !== 8) return fail(`an IPv6 address has 8 groups, found ${groups.length}`);
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return { ok: true, address: { family: 6, value } };
}

/** Parses either family; the text decides which parser's reason is reported. */
export function parseAddress(text: string): ParseResult {
  if (text.includes(':')) return parseIPv6(text);
  return parseIPv4(text);
}

/** True when the text is shaped like an IP literal (digits and dots, or contains a colon). */
export function looksLikeAddress(text: string): boolean {
  return text.includes(':') || /^[\d.]+$/.test(text);
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 canonical text: lower case, longest run of two or more zero groups compressed. */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatAddress(address: ParsedAddress): string {
  return address.family === 4 ? formatIPv4(Number(address.value)) : formatIPv6(address.value);
}

/** Numeric order for IPv4 (then IPv6 by text), so 127.0.0.10 follows 127.0.0.9. */
export function compareAddresses(a: string, b: string): number {
  const ka = addressKey(a);
  const kb = addressKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A string that sorts as compareAddresses orders (IPv4 before IPv6, octets numerically). */
export function addressKey(address: string): string {
  if (address.includes(':')) return `6${address}`;
  return `4${address.split('.').map((o) => o.padStart(3, '0')).join('.')}`;
}
