/**
 * Target syntax: IPv4/IPv6 addresses, CIDR blocks, ranges (`127.0.0.1-20`, `127.0.0.1-127.0.1.5`, `::1-::5`),
 * host names (resolved to every address) and `@file` lists. Parsing is pure and synchronous apart from name
 * resolution, which happens in `resolve.ts`; this module only classifies and validates tokens.
 */
import { badToken } from '../errors.js';
import { formatBytes, readBoundedText, TooLargeError } from '../io/bounded-read.js';
import { bitsOf, Family, looksLikeAddress, MAX_V4, parseAddress, ParsedAddress } from './ip.js';
import type { Interval } from './interval-set.js';

export type TargetSpec =
  | { kind: 'block'; token: string; family: Family; interval: Interval; where?: string }
  | { kind: 'name'; token: string; name: string; where?: string };

/** Splits command-line arguments into tokens, expanding `@file` lists (one target a line, `#` comments). */
export function tokenize(args: readonly string[], kind = 'target'): Array<{ token: string; where?: string }> {
  const out: Array<{ token: string; where?: string }> = [];
  for (const arg of args) {
    for (const piece of arg.split(/[\s,]+/)) {
      if (piece === '') continue;
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
    for (const token of content.split(/[\s,]+/)) {
      if (token === '') continue;
      if (token.startsWith('@')) throw badToken(kind, token, 'nested @file lists are not allowed', `${path}:${i + 1}`);
      out.push({ token, where: `${path}:${i + 1}` });
    }
  });
  return out;
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
