/**
 * Bounds-checked pieces every SMB2 decoder shares. A hostile or broken peer's bytes end in
 * ProbeError('protocol-error'), never in a RangeError from Buffer.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { HEADER_SIZE } from './constants.js';

export function malformed(message: string): ProbeError {
  return new ProbeError('protocol-error', message);
}

/** Throws unless `buf` holds at least `length` bytes. */
export function need(buf: Buffer, length: number, what: string): void {
  if (buf.length < length) throw malformed(`${what} is truncated (${buf.length} of ${length} bytes)`);
}

/**
 * The `length` bytes at `offset`, an offset from the start of the SMB2 header as every [MS-SMB2] buffer offset is.
 * A non-empty buffer must lie after the header and inside the message.
 */
export function region(message: Buffer, offset: number, length: number, what: string): Buffer {
  if (length === 0) return Buffer.alloc(0);
  if (offset < HEADER_SIZE || offset + length > message.length) {
    throw malformed(`${what} (offset ${offset}, ${length} bytes) lies outside the ${message.length}-byte message`);
  }
  return message.subarray(offset, offset + length);
}

/** Rounds up to a multiple of 8, the alignment of negotiate contexts and error contexts. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Appends zero bytes up to a multiple of 8. */
export function pad8(b: Buffer): Buffer {
  return b.length % 8 === 0 ? b : Buffer.concat([b, Buffer.alloc(8 - (b.length % 8))]);
}

const FILETIME_UNIX_EPOCH = 116444736000000000n;
const MAX_DATE_MS = 8.64e15;

/** A FILETIME ([MS-DTYP] 2.3.3, 100 ns since 1601) as a Date, or null when zero or beyond what a Date holds. */
export function fileTime(ticks: bigint): Date | null {
  if (ticks === 0n) return null;
  const ms = Number((ticks - FILETIME_UNIX_EPOCH) / 10000n);
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms) : null;
}

/** Checks that an outgoing field fits; a caller's mistake, so a RangeError naming the field. */
export function fits(value: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${field} must be an integer from 0 to ${max}, got ${value}`);
  return value;
}

/** A 16-byte GUID given as bytes, in wire order. */
export function guidBytes(guid: Buffer, field: string): Buffer {
  if (guid.length !== 16) throw new RangeError(`${field} must be 16 bytes, got ${guid.length}`);
  return guid;
}
