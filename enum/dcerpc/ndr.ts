/**
 * NDR 2.0 (C706 chapter 14) in the little-endian representation: a writer and a reader with alignment, the
 * primitives, and codecs that compose (structures, pointers, arrays, strings, unions) so that an interface module
 * declares its types as data:
 *
 *   const RID_ENUMERATION = struct({ relativeId: u32, name: rpcUnicodeString });
 *   const ENUMERATION_BUFFER = struct({ entriesRead: u32, buffer: unique(conformantArray(RID_ENUMERATION)) });
 *
 * Pointers follow C706 14.3.10: an embedded pointer is a 4-octet referent ID in place, and its pointee is written
 * after the top-level construct that contains it, in the order the pointers occur, each pointee followed by the
 * pointees it embeds (depth first, as MIDL and Samba's pidl lay them out). Every top-level construct (an operation's
 * parameter) goes through `NdrWriter.write` / `NdrReader.read`, which mark where that deferral ends. A top-level
 * [ref] pointer has no wire form: write or read its pointee's codec.
 *
 * Readers bound everything by the octets present: a count is refused before any allocation when its elements
 * cannot fit in what is left, and pointer nesting has a depth limit, so hostile input costs time linear in its size.
 */
import { ProbeError } from '../../probes/core/outcome.js';

/**
 * A type's NDR representation. `read` hands the value to `into`, at once for inline data and after the enclosing
 * top-level construct for a pointee: structures and arrays pass setters for their members, so deferred pointees
 * land in the right place without a second pass.
 */
export interface Codec<T> {
  /** Alignment of the representation (C706 14.2.2): the largest alignment among its inline parts. */
  readonly align: number;
  /** Fewest octets the inline part takes: bounds conformant counts against the input. */
  readonly minSize: number;
  write(w: NdrWriter, value: T): void;
  read(r: NdrReader, into: (value: T) => void): void;
}

export type ValueOf<C> = C extends Codec<infer T> ? T : never;

function malformed(message: string): ProbeError {
  return new ProbeError('protocol-error', `NDR: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Writer

/** Referent IDs start where Windows starts them; any non-zero unique value is valid (C706 14.3.10). */
const FIRST_REFERENT = 0x00020000;

export class NdrWriter {
  private buf = Buffer.alloc(256);
  private length = 0;
  private pending: Array<() => void> | null = null;
  private nextReferent = FIRST_REFERENT;
  private readonly fullIds = new Map<unknown, number>();

  get offset(): number {
    return this.length;
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Zero octets up to the next multiple of `n` from the start of the stream (C706 14.2.2). */
  align(n: number): this {
    const pad = (n - (this.length % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
    return this;
  }

  u8(v: number): this {
    this.room(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
    return this;
  }

  u16(v: number): this {
    this.align(2).room(2);
    this.buf.writeUInt16LE(v, this.length);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.align(4).room(4);
    this.buf.writeUInt32LE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }

  i32(v: number): this {
    this.align(4).room(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
    return this;
  }

  u64(v: bigint): this {
    this.align(8).room(8);
    this.buf.writeBigUInt64LE(v, this.length);
    this.length += 8;
    return this;
  }

  i64(v: bigint): this {
    this.align(8).room(8);
    this.buf.writeBigInt64LE(v, this.length);
    this.length += 8;
    return this;
  }

  /** Octets as they are, unaligned. */
  bytes(b: Buffer): this {
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
    return this;
  }

  /** A fresh referent ID for a non-null pointer. */
  referent(): number {
    const id = this.nextReferent;
    this.nextReferent = (this.nextReferent + 4) >>> 0 || FIRST_REFERENT;
    return id;
  }

  /** The referent ID of a full pointer to `value`, and whether the pointee was already queued (an alias). */
  fullReferent(value: unknown): { id: number; seen: boolean } {
    const known = this.fullIds.get(value);
    if (known !== undefined) return { id: known, seen: true };
    const id = this.referent();
    this.fullIds.set(value, id);
    return { id, seen: false };
  }

  /** Queues a pointee to be written after the current top-level construct. */
  defer(job: () => void): void {
    if (!this.pending) throw new Error('NDR pointer written outside NdrWriter.write');
    this.pending.push(job);
  }

  private construct(job: () => void): void {
    const list: Array<() => void> = [];
    this.pending = list;
    try {
      job();
    } finally {
      this.pending = null;
    }
    for (const next of list) this.construct(next);
  }

  /** Writes one top-level construct, then the pointees it deferred. */
  write<T>(codec: Codec<T>, value: T): this {
    if (this.pending) {
      codec.write(this, value);
      return this;
    }
    this.construct(() => codec.write(this, value));
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reader

export interface NdrReaderOptions {
  /** Deepest chain of pointers within pointees. @default 64 */
  readonly maxDepth?: number;
}

export class NdrReader {
  private at = 0;
  private pending: Array<() => void> | null = null;
  private depth = 0;
  private readonly maxDepth: number;
  private readonly full = new Map<number, { value?: { v: unknown }; waiters: Array<(v: unknown) => void> }>();

  constructor(
    private readonly buf: Buffer,
    options: NdrReaderOptions = {},
  ) {
    this.maxDepth = options.maxDepth ?? 64;
  }

  get offset(): number {
    return this.at;
  }

  get remaining(): number {
    return Math.max(0, this.buf.length - this.at);
  }

  private take(n: number, what: string): number {
    if (n > this.buf.length - this.at) throw malformed(`${what} needs ${n} octets at ${this.at}, ${this.remaining} left`);
    const at = this.at;
    this.at += n;
    return at;
  }

  align(n: number): this {
    this.at += (n - (this.at % n)) % n;
    return this;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1, 'u8'));
  }

  u16(): number {
    return this.buf.readUInt16LE(this.align(2).take(2, 'u16'));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.align(4).take(4, 'u32'));
  }

  i32(): number {
    return this.buf.readInt32LE(this.align(4).take(4, 'i32'));
  }

  u64(): bigint {
    return this.buf.readBigUInt64LE(this.align(8).take(8, 'u64'));
  }

  i64(): bigint {
    return this.buf.readBigInt64LE(this.align(8).take(8, 'i64'));
  }

  bytes(n: number): Buffer {
    const at = this.take(n, `${n}-octet block`);
    return this.buf.subarray(at, at + n);
  }

  /** Refuses a count whose elements (of at least `minSize` octets each) cannot fit in what is left. */
  count(n: number, minSize: number, what: string): number {
    if (n * Math.max(1, minSize) > this.remaining) throw malformed(`${what} of ${n} elements cannot fit in ${this.remaining} octets`);
    return n;
  }

  /** Queues a pointee to be read after the current top-level construct. */
  defer(job: () => void): void {
    if (!this.pending) throw new Error('NDR pointer read outside NdrReader.read');
    this.pending.push(job);
  }

  /** A full pointer's pointee: undefined the first time `id` is seen (read it), else a way to share the first. */
  alias(id: number): ((into: (v: unknown) => void) => void) | undefined {
    const known = this.full.get(id);
    if (!known) {
      this.full.set(id, { waiters: [] });
      return undefined;
    }
    return (into) => {
      if (known.value) into(known.value.v);
      else known.waiters.push(into);
    };
  }

  /** Records the pointee of full pointer `id` for its aliases. */
  resolved(id: number, v: unknown): void {
    const entry = this.full.get(id);
    if (!entry) return;
    entry.value = { v };
    for (const waiter of entry.waiters.splice(0)) waiter(v);
  }

  private construct(job: () => void): void {
    if (++this.depth > this.maxDepth) throw malformed(`pointers nest deeper than ${this.maxDepth}`);
    const list: Array<() => void> = [];
    this.pending = list;
    try {
      job();
    } finally {
      this.pending = null;
    }
    for (const next of list) this.construct(next);
    this.depth--;
  }

  /** Reads one top-level construct and the pointees it deferred. */
  read<T>(codec: Codec<T>): T {
    if (this.pending) throw new Error('NdrReader.read is for top-level values: inside a codec, call codec.read');
    let out: { v: T } | undefined;
    this.construct(() => codec.read(this, (v) => (out = { v })));
    if (!out) throw malformed('value left unresolved');
    return out.v;
  }

  /** Refuses octets after the last construct (padding to 8 is tolerated). */
  end(): void {
    if (this.buf.length - this.at >= 8) throw malformed(`${this.buf.length - this.at} octets after the last value`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Primitives (C706 14.2)

function primitive<T>(align: number, write: (w: NdrWriter, v: T) => void, read: (r: NdrReader) => T): Codec<T> {
  return { align, minSize: align, write, read: (r, into) => into(read(r)) };
}

export const u8 = primitive<number>(1, (w, v) => w.u8(v), (r) => r.u8());
export const u16 = primitive<number>(2, (w, v) => w.u16(v), (r) => r.u16());
export const u32 = primitive<number>(4, (w, v) => w.u32(v), (r) => r.u32());
export const i32 = primitive<number>(4, (w, v) => w.i32(v), (r) => r.i32());
/** unsigned hyper. */
export const u64 = primitive<bigint>(8, (w, v) => w.u64(v), (r) => r.u64());
/** hyper (signed); also LARGE_INTEGER ([MS-DTYP] 2.3.5). */
export const hyper = primitive<bigint>(8, (w, v) => w.i64(v), (r) => r.i64());
/** C706 14.2 (enumerated types): an enumeration is a 16-bit unsigned value on the wire. */
export const enum16 = primitive<number>(
  2,
  (w, v) => {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fff) throw new RangeError(`enum value ${v} does not fit NDR's 16 bits`);
    w.u16(v);
  },
  (r) => r.u16(),
);
/** [v1_enum]: an enumeration sent as 32 bits. */
export const enum32 = u32;
/** C706 14.2 (booleans): one octet, zero false and anything else true. */
export const boolean8 = primitive<boolean>(1, (w, v) => w.u8(v ? 1 : 0), (r) => r.u8() !== 0);
/** [MS-DTYP] 2.2.3 BOOL: a 32-bit integer. */
export const bool32 = primitive<boolean>(4, (w, v) => w.u32(v ? 1 : 0), (r) => r.u32() !== 0);

/** A fixed number of octets (byte[n]), unaligned. */
export function fixedBytes(n: number): Codec<Buffer> {
  return {
    align: 1,
    minSize: n,
    write(w, v) {
      if (v.length !== n) throw new RangeError(`${v.length} octets given for a ${n}-octet field`);
      w.bytes(v);
    },
    read: (r, into) => into(Buffer.from(r.bytes(n))),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Structures and unions

type Fields = Record<string, Codec<any>>;
export type StructValue<F extends Fields> = { [K in keyof F]: ValueOf<F[K]> };

/**
 * A structure (C706 14.3, structures): members in order, the whole aligned to its most-aligned member. A conformant array
 * must not be a member by value (its conformance would move to the front of the structure): reach it through a pointer,
 * which is how the Windows interfaces declare theirs, or write the structure by hand as `rpcSid` does.
 */
export function struct<F extends Fields>(fields: F): Codec<StructValue<F>> {
  const entries = Object.entries(fields);
  const align = Math.max(1, ...entries.map(([, c]) => c.align));
  const minSize = entries.reduce((n, [, c]) => n + c.minSize, 0);
  return {
    align,
    minSize,
    write(w, v) {
      w.align(align);
      for (const [k, c] of entries) c.write(w, (v as Record<string, unknown>)[k]);
    },
    read(r, into) {
      r.align(align);
      // Every key present from the start, in declaration order, even while a pointee is still to come.
      const out: Record<string, unknown> = Object.fromEntries(entries.map(([k]) => [k, undefined]));
      for (const [k, c] of entries) c.read(r, (x) => (out[k] = x));
      into(out as StructValue<F>);
    },
  };
}

type Arms = Record<number, Codec<any>>;
export type UnionValue<A extends Arms> = { [K in keyof A & number]: { tag: K; value: ValueOf<A[K]> } }[keyof A & number];

export interface UnionOptions {
  /**
   * [ms_union] ([MS-RPCE] 2.2.4.5): the selected arm is aligned to the largest alignment of all arms, not its own.
   * @default false
   */
  readonly msUnion?: boolean;
}

/**
 * A discriminated union (C706 14.3.8): the discriminant, then the selected arm. NDR sends the discriminant for
 * encapsulated unions and for [switch_is] unions alike, so one codec serves both; `discriminant` is its type
 * (u16 for an enum switch, u32 for a DWORD). An unknown tag on input is refused.
 */
export function union<A extends Arms>(discriminant: Codec<number>, arms: A, options: UnionOptions = {}): Codec<UnionValue<A>> {
  const armAlign = Math.max(1, ...Object.values(arms).map((c) => c.align));
  const align = Math.max(discriminant.align, armAlign);
  const armFor = (tag: number): Codec<unknown> | undefined => (Object.hasOwn(arms, tag) ? arms[tag] : undefined);
  return {
    align,
    minSize: discriminant.minSize,
    write(w, v) {
      const arm = armFor(v.tag);
      if (!arm) throw new RangeError(`union has no arm for tag ${v.tag}`);
      discriminant.write(w, v.tag);
      if (options.msUnion) w.align(armAlign);
      arm.write(w, v.value);
    },
    read(r, into) {
      let tag = -1;
      discriminant.read(r, (t) => (tag = t));
      const arm = armFor(tag);
      if (!arm) throw malformed(`union tag ${tag} has no arm`);
      if (options.msUnion) r.align(armAlign);
      const out = { tag, value: undefined as unknown };
      arm.read(r, (x) => (out.value = x));
      into(out as UnionValue<A>);
    },
  };
}

/** A value with no wire form: an empty union arm ([case(n)] ;). */
export const empty: Codec<null> = { align: 1, minSize: 0, write: () => undefined, read: (_r, into) => into(null) };

// ---------------------------------------------------------------------------------------------------------------
// Pointers (C706 14.3.10)

/** [unique] pointer: referent ID 0 for null, else the ID and the pointee deferred. */
export function unique<T>(pointee: Codec<T>): Codec<T | null> {
  return {
    align: 4,
    minSize: 4,
    write(w, v) {
      if (v === null || v === undefined) {
        w.u32(0);
        return;
      }
      w.u32(w.referent());
      w.defer(() => pointee.write(w, v));
    },
    read(r, into) {
      if (r.u32() === 0) into(null);
      else r.defer(() => pointee.read(r, into));
    },
  };
}

/** Embedded [ref] pointer: a non-null referent ID and the pointee deferred. */
export function ref<T>(pointee: Codec<T>): Codec<T> {
  return {
    align: 4,
    minSize: 4,
    write(w, v) {
      if (v === null || v === undefined) throw new TypeError('a [ref] pointer cannot be null');
      w.u32(w.referent());
      w.defer(() => pointee.write(w, v));
    },
    read(r, into) {
      if (r.u32() === 0) throw malformed('null [ref] pointer');
      r.defer(() => pointee.read(r, into));
    },
  };
}

/** [ptr] full pointer: aliases (the same object, or the same referent ID on input) share one pointee. */
export function full<T>(pointee: Codec<T>): Codec<T | null> {
  return {
    align: 4,
    minSize: 4,
    write(w, v) {
      if (v === null || v === undefined) {
        w.u32(0);
        return;
      }
      const { id, seen } = w.fullReferent(v);
      w.u32(id);
      if (!seen) w.defer(() => pointee.write(w, v));
    },
    read(r, into) {
      const id = r.u32();
      if (id === 0) {
        into(null);
        return;
      }
      const alias = r.alias(id);
      if (alias) {
        alias(into as (v: unknown) => void);
        return;
      }
      r.defer(() =>
        pointee.read(r, (v) => {
          r.resolved(id, v);
          into(v);
        }),
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Arrays (C706 14.3.3)

function elements<T>(r: NdrReader, elem: Codec<T>, n: number, into: (v: T[]) => void): void {
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) elem.read(r, (x) => (out[i] = x));
  into(out);
}

function readVariance(r: NdrReader, max: number, what: string): number {
  const offset = r.u32();
  const actual = r.u32();
  if (offset > max || actual > max - offset) throw malformed(`${what}: offset ${offset} + actual_count ${actual} exceeds ${max}`);
  return actual;
}

/** [size_is] conformant array: max_count, then the elements. */
export function conformantArray<T>(elem: Codec<T>): Codec<T[]> {
  return {
    align: Math.max(4, elem.align),
    minSize: 4,
    write(w, v) {
      w.u32(v.length);
      for (const x of v) elem.write(w, x);
    },
    read(r, into) {
      const n = r.count(r.u32(), elem.minSize, 'conformant array');
      elements(r, elem, n, into);
    },
  };
}

/** A fixed-size array with [length_is]: offset and actual_count, then the elements sent. */
export function varyingArray<T>(elem: Codec<T>, size: number): Codec<T[]> {
  return {
    align: Math.max(4, elem.align),
    minSize: 8,
    write(w, v) {
      if (v.length > size) throw new RangeError(`${v.length} elements given for a varying array of ${size}`);
      w.u32(0).u32(v.length);
      for (const x of v) elem.write(w, x);
    },
    read(r, into) {
      const n = r.count(readVariance(r, size, 'varying array'), elem.minSize, 'varying array');
      elements(r, elem, n, into);
    },
  };
}

/** [size_is, length_is] conformant varying array: max_count, offset, actual_count, then the elements sent. */
export function conformantVaryingArray<T>(elem: Codec<T>): Codec<T[]> {
  return {
    align: Math.max(4, elem.align),
    minSize: 12,
    write(w, v) {
      w.u32(v.length).u32(0).u32(v.length);
      for (const x of v) elem.write(w, x);
    },
    read(r, into) {
      const max = r.u32();
      const n = r.count(readVariance(r, max, 'conformant varying array'), elem.minSize, 'conformant varying array');
      elements(r, elem, n, into);
    },
  };
}

/** A fixed-size array (C706 14.3.3.1). */
export function fixedArray<T>(elem: Codec<T>, size: number): Codec<T[]> {
  return {
    align: elem.align,
    minSize: elem.minSize * size,
    write(w, v) {
      if (v.length !== size) throw new RangeError(`${v.length} elements given for an array of ${size}`);
      for (const x of v) elem.write(w, x);
    },
    read(r, into) {
      r.count(size, elem.minSize, 'fixed array');
      elements(r, elem, size, into);
    },
  };
}

/** [size_is] byte array as a Buffer. */
export const conformantBytes: Codec<Buffer> = {
  align: 4,
  minSize: 4,
  write: (w, v) => w.u32(v.length).bytes(v),
  read: (r, into) => into(Buffer.from(r.bytes(r.count(r.u32(), 1, 'byte array')))),
};

/** [size_is, length_is] byte array as a Buffer (the octets sent). */
export const conformantVaryingBytes: Codec<Buffer> = {
  align: 4,
  minSize: 12,
  write: (w, v) => w.u32(v.length).u32(0).u32(v.length).bytes(v),
  read(r, into) {
    const max = r.u32();
    into(Buffer.from(r.bytes(readVariance(r, max, 'byte array'))));
  },
};

/** UTF-16LE code units as a string; NDR's wchar_t is a 16-bit unit ([MS-DTYP] 2.2.60 WCHAR). */
function readWchars(r: NdrReader, n: number): string {
  return r.bytes(r.count(n, 2, 'wchar array') * 2).toString('utf16le');
}

/** [size_is, length_is] wchar array as a string, without a terminator (the buffer of RPC_UNICODE_STRING). */
export const wcharArray: Codec<string> = {
  align: 4,
  minSize: 12,
  write(w, v) {
    const units = Buffer.from(v, 'utf16le');
    w.u32(units.length / 2).u32(0).u32(units.length / 2).bytes(units);
  },
  read(r, into) {
    const max = r.u32();
    into(readWchars(r, readVariance(r, max, 'wchar array')));
  },
};

/**
 * [string] wchar_t*: a conformant varying array whose counts include the terminating NUL (C706 14.3.4). A missing
 * terminator is tolerated on input; everything from the first NUL on is dropped.
 */
export const wstring: Codec<string> = {
  align: 4,
  minSize: 12,
  write(w, v) {
    const units = Buffer.from(`${v}\0`, 'utf16le');
    w.u32(units.length / 2).u32(0).u32(units.length / 2).bytes(units);
  },
  read(r, into) {
    const max = r.u32();
    const s = readWchars(r, readVariance(r, max, 'string'));
    const nul = s.indexOf('\0');
    into(nul < 0 ? s : s.slice(0, nul));
  },
};

/** Serializes top-level values, in order, as one stub. */
export function encode(...params: Array<[Codec<any>, unknown]>): Buffer {
  const w = new NdrWriter();
  for (const [codec, value] of params) w.write(codec, value);
  return w.finish();
}
