/**
 * The [MS-DTYP] types every Windows interface passes, as NDR codecs: RPC_UNICODE_STRING (2.3.10), RPC_SID (2.4.2.3)
 * with the SID string form (2.4.2.1), context handles (C706's ndr_context_handle), FILETIME (2.3.3),
 * OLD_LARGE_INTEGER ([MS-SAMR] 2.2.2.2) and NTSTATUS (2.2.37, values from [MS-ERREF] 2.3.1).
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { type Codec, u32, unique, wcharArray } from './ndr.js';

function malformed(message: string): ProbeError {
  return new ProbeError('protocol-error', `NDR: ${message}`);
}

const nullableWchars = unique(wcharArray);

/**
 * RPC_UNICODE_STRING ([MS-DTYP] 2.3.10): Length and MaximumLength in octets, then a unique pointer to a
 * [size_is(MaximumLength/2), length_is(Length/2)] WCHAR array. null is the null pointer; the string itself is what
 * the array's actual_count says (the octet lengths are not trusted to index anything).
 */
export const rpcUnicodeString: Codec<string | null> = {
  align: 4,
  minSize: 8,
  write(w, v) {
    const octets = v === null ? 0 : Buffer.byteLength(v, 'utf16le');
    if (octets > 0xfffe) throw new RangeError(`string of ${octets} octets does not fit RPC_UNICODE_STRING's 16-bit Length`);
    w.align(4).u16(octets).u16(octets);
    nullableWchars.write(w, v);
  },
  read(r, into) {
    r.align(4).u16(); // Length
    r.u16(); // MaximumLength
    nullableWchars.read(r, into);
  },
};

/** [MS-DTYP] 2.4.2: the parts of a SID. */
export interface SidParts {
  readonly revision: number;
  /** IdentifierAuthority, a 48-bit value. */
  readonly authority: number;
  readonly subAuthorities: readonly number[];
}

/** [MS-DTYP] 2.4.2.1: "S-1-5-21-...", the authority in hex (0x...) when it needs more than 32 bits. */
export function formatSid(s: SidParts): string {
  const authority = s.authority < 2 ** 32 ? String(s.authority) : `0x${s.authority.toString(16).toUpperCase().padStart(12, '0')}`;
  return ['S', s.revision, authority, ...s.subAuthorities].join('-');
}

const SID_TEXT = /^S-1-(\d{1,15}|0x[0-9a-f]{12})((?:-\d{1,10}){0,15})$/i;

/** The parts of a SID string; anything that is not one is refused (a caller's bug, not a peer's). */
export function parseSid(text: string): SidParts {
  const m = SID_TEXT.exec(text);
  if (!m) throw new TypeError(`"${text}" is not a SID string (S-1-<authority>-<sub>..., at most 15 sub-authorities)`);
  const authority = Number(m[1]!);
  const subAuthorities = m[2]!.split('-').slice(1).map(Number);
  if (authority >= 2 ** 48 || subAuthorities.some((v) => v > 0xffffffff)) throw new TypeError(`"${text}" has a value out of range`);
  return { revision: 1, authority, subAuthorities };
}

/** The last sub-authority: the relative identifier. */
export function ridOf(sid: string): number {
  return Number(sid.slice(sid.lastIndexOf('-') + 1));
}

/**
 * RPC_SID ([MS-DTYP] 2.4.2.3) as its string. A conformant structure: the conformance of SubAuthority
 * (SubAuthorityCount) leads the structure (C706 14.3, structures containing a conformant array), then Revision, SubAuthorityCount, the 6-octet
 * big-endian IdentifierAuthority and the sub-authorities. On input the two counts must agree, the revision must be
 * 1 and there may be at most 15 sub-authorities.
 */
export const rpcSid: Codec<string> = {
  align: 4,
  minSize: 12,
  write(w, v) {
    const sid = parseSid(v);
    const authority = Buffer.alloc(6);
    authority.writeUIntBE(sid.authority, 0, 6);
    w.u32(sid.subAuthorities.length).u8(sid.revision).u8(sid.subAuthorities.length).bytes(authority);
    for (const s of sid.subAuthorities) w.u32(s);
  },
  read(r, into) {
    const conformance = r.u32();
    const revision = r.u8();
    const count = r.u8();
    if (revision !== 1) throw malformed(`SID revision ${revision}`);
    if (count !== conformance || count > 15) throw malformed(`SID with ${count} sub-authorities and conformance ${conformance}`);
    const authority = r.bytes(6).readUIntBE(0, 6);
    r.count(count, 4, 'SID sub-authorities');
    const subAuthorities = Array.from({ length: count }, () => r.u32());
    into(formatSid({ revision, authority, subAuthorities }));
  },
};

/** PRPC_SID: a unique pointer to an RPC_SID. */
export const prpcSid = unique(rpcSid);

/** A context handle (C706's ndr_context_handle): 4-octet attributes and a UUID, 20 octets, aligned to 4; opaque to the client. */
export const contextHandle: Codec<Buffer> = {
  align: 4,
  minSize: 20,
  write(w, v) {
    if (v.length !== 20) throw new RangeError(`context handle of ${v.length} octets, 20 expected`);
    w.align(4).bytes(v);
  },
  read: (r, into) => into(Buffer.from(r.align(4).bytes(20))),
};

/** Whether a context handle is the null handle (all zero): what a server returns when it opened nothing. */
export function isNullHandle(h: Buffer): boolean {
  return h.every((b) => b === 0);
}

/** FILETIME ([MS-DTYP] 2.3.3): two DWORDs, low then high, 100 ns intervals since 1601; aligned to 4, not 8. */
export const filetime: Codec<bigint> = {
  align: 4,
  minSize: 8,
  write(w, v) {
    w.u32(Number(v & 0xffffffffn)).u32(Number((v >> 32n) & 0xffffffffn));
  },
  read(r, into) {
    const low = r.u32();
    into((BigInt(r.u32()) << 32n) | BigInt(low));
  },
};

/** OLD_LARGE_INTEGER ([MS-SAMR] 2.2.2.2): LowPart (unsigned) then HighPart (signed), aligned to 4. */
export const oldLargeInteger: Codec<bigint> = {
  align: 4,
  minSize: 8,
  write(w, v) {
    w.u32(Number(BigInt.asUintN(32, v))).i32(Number(BigInt.asIntN(32, v >> 32n)));
  },
  read(r, into) {
    const low = r.u32();
    into((BigInt(r.i32()) << 32n) | BigInt(low));
  },
};

const FILETIME_EPOCH_MS = Date.UTC(1601, 0, 1);

/** A FILETIME as a Date; 0 and the largest values ("never") give null. */
export function filetimeToDate(ft: bigint): Date | null {
  if (ft <= 0n || ft >= 0x7fffffffffffffffn) return null;
  const d = new Date(Number(ft / 10_000n) + FILETIME_EPOCH_MS);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** NTSTATUS ([MS-DTYP] 2.2.37): a 32-bit value, read unsigned. */
export const ntstatus = u32;

/** The NTSTATUS values ([MS-ERREF] 2.3.1) the Windows interfaces return to an enumerator. */
export const NTSTATUS = {
  STATUS_SUCCESS: 0x00000000,
  STATUS_MORE_ENTRIES: 0x00000105,
  STATUS_SOME_NOT_MAPPED: 0x00000107,
  STATUS_NO_MORE_ENTRIES: 0x8000001a,
  STATUS_INVALID_INFO_CLASS: 0xc0000003,
  STATUS_INVALID_HANDLE: 0xc0000008,
  STATUS_INVALID_PARAMETER: 0xc000000d,
  STATUS_ACCESS_DENIED: 0xc0000022,
  STATUS_BUFFER_TOO_SMALL: 0xc0000023,
  STATUS_OBJECT_NAME_NOT_FOUND: 0xc0000034,
  STATUS_NO_SUCH_USER: 0xc0000064,
  STATUS_NONE_MAPPED: 0xc0000073,
  STATUS_NOT_SUPPORTED: 0xc00000bb,
  STATUS_NO_SUCH_DOMAIN: 0xc00000df,
  STATUS_NO_SUCH_ALIAS: 0xc0000151,
  STATUS_NO_SUCH_GROUP: 0xc0000066,
  STATUS_PIPE_NOT_AVAILABLE: 0xc00000ac,
  STATUS_NOT_IMPLEMENTED: 0xc0000002,
  STATUS_NO_SUCH_PRIVILEGE: 0xc0000060,
  STATUS_RPC_NT_CALL_FAILED: 0xc002001b,
} as const;

const NTSTATUS_NAMES = new Map<number, string>(Object.entries(NTSTATUS).map(([k, v]) => [v, k]));

/** The name of an NTSTATUS, or its hex form. */
export function ntstatusName(code: number): string {
  return NTSTATUS_NAMES.get(code >>> 0) ?? `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/** NT_SUCCESS: success and informational severities (the top bit clear). */
export function isNtSuccess(code: number): boolean {
  return (code >>> 0) < 0x80000000;
}
