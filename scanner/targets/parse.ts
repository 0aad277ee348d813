/**
 * Target syntax: IPv4/IPv6 addresses, CIDR blocks, ranges (`127.0.0.1-20`, `127.0.0.1-127.0.1.5`, `::1-::5`),
 * nmap's IPv4 octet patterns (`127.0-1.0.1-254`, `127.0.3-5,7.1`, `127.0.0.*`: each octet a list of numbers and
 * ranges, the address set their product), host names (resolved to every address) and `@file` lists. Parsing is pure and synchronous apart from name
 * resolution, which happens in `resolve.ts`; this module only classifies and validates tokens.
 */
import { badToken } from '../errors.js';
import { formatBytes, readBoundedText, TooLargeError } from '../io/bounded-read.js';
import { bitsOf, Family, looksLikeAddress, MAX_V4, parseAddress, ParsedAddress } from './ip.js';
import type { Interval } from './interval-set.js';

export type TargetSpec =
  | { kind: 'block'; token: string; family: Family; interval: Interval; where?: string }
  /** An octet pattern: sorted, disjoint intervals (one per run of consecutive addresses, not one per address). */
  | { kind: 'octets'; token: string; family: 4; intervals: readonly Interval[]; where?: string }
  | { kind: 'name'; token: string; name: string; where?: string };

/** Splits command-line arguments into tokens, expanding `@file` lists (one target a line, `#` comments). */
export function tokenize(args: readonly string[], kind = 'target'): Array<{ token: string; where?: string }> {
  const out: Array<{ token: string; where?: string }> = [];
  for (const arg of args) {
    for (const piece of splitTargets(arg)) {
      if (piece.startsWith('@')) for (const t of readListFile(piece.slice(1), kind)) out.push(t);
      else out.push({ token: piece });
    }
  }
  return out;
}

/** The largest target or exclusion file read (a /16 written one address a line is about 1 MiB). @default 64 MiB */
export const MAX_LIST_FILE_BYTES = 64 * 1024 * 1024;

export function readListFile(path: string, kind = 'target'): Array<{ token: string; where: string }> {
  if (path === '') throw badToken(kind, '@', 'a file name must follow "@"');
  let text: string;
  try {
    text = readBoundedText(path, MAX_LIST_FILE_BYTES);
  } catch (err) {
    if (err instanceof TooLargeError) throw badToken(`${kind} file`, path, `is larger than ${formatBytes(MAX_LIST_FILE_BYTES)} (give CIDR blocks or ranges instead of one address a line)`);
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw badToken(`${kind} file`, path, `cannot be read (${code})`);
  }
  const out: Array<{ token: string; where: string }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const content = line.replace(/#.*/, '').trim();
    for (const token of splitTargets(content)) {
      if (token.startsWith('@')) throw badToken(kind, token, 'nested @file lists are not allowed', `${path}:${i + 1}`);
      out.push({ token, where: `${path}:${i + 1}` });
    }
  });
  return out;
}

/**
 * Splits a target list at white space and commas, except a comma inside an nmap octet pattern: in `127.0.0.1-3,7`
 * and `127.0.3-5,7.1` what follows the comma is more octets (less than a whole address), so it stays with the token.
 */
export function splitTargets(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/)) {
    for (const piece of word.split(',')) {
      if (piece === '') continue;
      const last = out[out.length - 1];
      if (last !== undefined && OCTET_PATTERN_PART.test(last) && last.includes('.') && /^[\d*-]+(\.[\d*-]+){0,2}$/.test(piece)) out[out.length - 1] = `${last},${piece}`;
      else out.push(piece);
    }
  }
  return out;
}

const OCTET_PATTERN_PART = /^[\d*,-]+(\.[\d*,-]+){0,3}$/;
const OCTET_PATTERN = /^[\d*,-]+(\.[\d*,-]+){3}$/;

/** The addresses of a block or an octet pattern, as intervals. */
export function intervalsOf(spec: Exclude<TargetSpec, { kind: 'name' }>): readonly Interval[] {
  return spec.kind === 'block' ? [spec.interval] : spec.intervals;
}

/** An octet pattern expands to at most this many intervals (`0-255.0-255.0-255.1-254` would be 16 million). */
export const MAX_PATTERN_INTERVALS = 1 << 20;

function parseOctets(token: string, where: string | undefined, kind: string): TargetSpec {
  const octets = token.split('.').map((text, i) => parseOctet(token, text, i + 1, where, kind));
  // Trailing octets that take every value fold into the intervals of the last one that does not.
  let k = 3;
  while (k >= 0 && octets[k]!.length === 1 && octets[k]![0]!.lo === 0 && octets[k]![0]!.hi === 255) k--;
  if (k < 0) return { kind: 'octets', token, family: 4, intervals: [{ lo: 0n, hi: MAX_V4 }], where };
  let count = octets[k]!.length;
  for (let i = 0; i < k; i++) count *= octets[i]!.reduce((n, r) => n + r.hi - r.lo + 1, 0);
  if (count > MAX_PATTERN_INTERVALS) {
    throw badToken(kind, token, `expands to ${count} separate ranges, more than ${MAX_PATTERN_INTERVALS}: write it as CIDR blocks`, where);
  }
  const span = 1n << BigInt(8 * (3 - k));
  const intervals: Interval[] = [];
  const expand = (i: number, prefix: bigint): void => {
    for (const r of octets[i]!) {
      if (i === k) {
        intervals.push({ lo: (prefix * 256n + BigInt(r.lo)) * span, hi: (prefix * 256n + BigInt(r.hi)) * span + span - 1n });
        continue;
      }
      for (let v = r.lo; v <= r.hi; v++) expand(i + 1, prefix * 256n + BigInt(v));
    }
  };
  expand(0, 0n);
  return { kind: 'octets', token, family: 4, intervals, where };
}

/** One octet of a pattern: `*`, or a comma list of numbers and ranges (`1-3,7`), as sorted disjoint ranges. */
function parseOctet(token: string, text: string, position: number, where: string | undefined, kind: string): Array<{ lo: number; hi: number }> {
  const bad = (why: string) => badToken(kind, token, `octet ${position} "${text}": ${why}`, where);
  const value = (t: string): number => {
    if (!/^\d+$/.test(t)) throw bad(t === '' ? 'empty item in the list' : `"${t}" is not a number from 0 to 255`);
    if (t.length > 1 && t.startsWith('0')) throw bad(`${t} has a leading zero (ambiguous: octal or decimal?)`);
    if (Number(t) > 255) throw bad(`${t} is out of range 0-255`);
    return Number(t);
  };
  const ranges: Array<{ lo: number; hi: number }> = [];
  for (const item of text.split(',')) {
    if (item === '*') {
      ranges.push({ lo: 0, hi: 255 });
      continue;
    }
    const dash = item.indexOf('-');
    if (dash < 0) {
      const v = value(item);
      ranges.push({ lo: v, hi: v });
      continue;
    }
    const [loText, hiText] = [item.slice(0, dash), item.slice(dash + 1)];
    // nmap reads `-5` as 0-5 and `5-` as 5-255; an open end is more often a slip, so it is named, not guessed.
    if (loText === '' || hiText === '') throw bad(`the range has no ${loText === '' ? 'start' : 'end'} (write ${loText || '0'}-${hiText || '255'})`);
    const [lo, hi] = [value(loText), value(hiText)];
    if (hi < lo) throw bad('empty range: the end comes before the start');
    ranges.push({ lo, hi });
  }
  ranges.sort((a, b) => a.lo - b.lo);
  const merged: Array<{ lo: number; hi: number }> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
    else merged.push({ ...r });
  }
  return merged;
}

function address(token: string, text: string, where: string | undefined, kind: string): ParsedAddress {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw badToken(kind, token, parsed.reason, where);
  return parsed.address;
}

/** `kind` names the token in errors: `bad target "..."`, `bad scope "..."`. */
export function parseToken(token: string, where?: string, kind = 'target'): TargetSpec {
  const slash = token.indexOf('/');
  if (slash >= 0) return parseCidr(token, slash, where, kind);
  const text = token.startsWith('[') && token.endsWith(']') ? token.slice(1, -1) : token;
  // A plain address or a range in the last octet (`127.0.0.1-20`) keeps its own messages; the rest are patterns.
  if (OCTET_PATTERN.test(text) && !/^\d+\.\d+\.\d+\.\d+(-\d*)?$/.test(text)) return parseOctets(text, where, kind);
  const dash = text.indexOf('-');
  if (dash > 0 && isRangeStart(text.slice(0, dash))) return parseRange(token, text, dash, where, kind);
  if (looksLikeAddress(text)) {
    const a = address(token, text, where, kind);
    return { kind: 'block', token, family: a.family, interval: { lo: a.value, hi: a.value }, where };
  }
  return { kind: 'name', token, name: validateHostName(token, where, kind), where };
}

/** A range starts with a whole address; `1-2-3.example.com` stays a host name. */
function isRangeStart(text: string): boolean {
  return text.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(text);
}

function parseCidr(token: string, slash: number, where: string | undefined, kind: string): TargetSpec {
  const base = address(token, token.slice(0, slash), where, kind);
  const prefixText = token.slice(slash + 1);
  const bits = bitsOf(base.family);
  if (!/^\d{1,3}$/.test(prefixText)) throw badToken(kind, token, `prefix length "${prefixText}" is not a number`, where);
  const prefix = Number(prefixText);
  if (prefix > bits) throw badToken(kind, token, `prefix length ${prefix} is out of range 0-${bits}`, where);
  const hostBits = BigInt(bits - prefix);
  const lo = (base.value >> hostBits) << hostBits;
  return { kind: 'block', token, family: base.family, interval: { lo, hi: lo + (1n << hostBits) - 1n }, where };
}

function parseRange(token: string, text: string, dash: number, where: string | undefined, kind: string): TargetSpec {
  const start = address(token, text.slice(0, dash), where, kind);
  const endText = text.slice(dash + 1);
  if (endText === '') throw badToken(kind, token, 'the range has no end', where);
  let end: bigint;
  if (start.family === 4 && /^\d+$/.test(endText)) {
    // `127.0.0.1-20`: the end replaces the last octet
    const last = Number(endText);
    if (last > 255) throw badToken(kind, token, `range end ${endText} is out of range 0-255`, where);
    end = (start.value & ~255n & MAX_V4) | BigInt(last);
  } else if (start.family === 6 && /^[0-9a-fA-F]{1,4}$/.test(endText)) {
    end = (start.value & ~0xffffn) | BigInt(parseInt(endText, 16));
  } else {
    const e = address(token, endText, where, kind);
    if (e.family !== start.family) throw badToken(kind, token, 'the range mixes IPv4 and IPv6', where);
    end = e.value;
  }
  if (end < start.value) throw badToken(kind, token, 'empty range: the end comes before the start', where);
  return { kind: 'block', token, family: start.family, interval: { lo: start.value, hi: end }, where };
}

/** RFC 1123 host name syntax (labels of letters, digits and inner hyphens; 253 characters at most). */
export function validateHostName(token: string, where?: string, kind = 'target'): string {
  const name = token.endsWith('.') ? token.slice(0, -1) : token;
  if (name.length === 0) throw badToken(kind, token, 'empty host name', where);
  if (name.length > 253) throw badToken(kind, token, 'a host name is at most 253 characters', where);
  for (const label of name.split('.')) {
    if (label === '') throw badToken(kind, token, 'empty label in host name (two dots in a row, or a leading dot)', where);
    if (label.length > 63) throw badToken(kind, token, `label "${label.slice(0, 20)}..." is longer than 63 characters`, where);
    if (!/^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(label)) {
      throw badToken(kind, token, `label "${label}" has characters a host name cannot hold`, where);
    }
  }
  return name.toLowerCase();
}
