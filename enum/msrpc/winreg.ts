/**
 * [MS-RRP] Windows Remote Registry Protocol on \PIPE\winreg: open HKEY_LOCAL_MACHINE, open subkeys, enumerate
 * subkeys and values, read values, close. Returns are error_status_t: Win32 codes (ERROR_FILE_NOT_FOUND for a key
 * or value that does not exist, ERROR_MORE_DATA for a buffer too small, ERROR_NO_MORE_ITEMS at the end of an
 * enumeration).
 *
 * The [in] strings that lend the server room for an answer (BaseRegEnumKey's lpNameIn and lpClassIn, lpValueNameIn,
 * lpData) are sent as Windows sends them: a MaximumLength (or size_is) with an empty array behind it (3.1.5.10,
 * 3.1.5.11, 3.1.5.17).
 * ndr.ts writes arrays whose max_count equals their actual_count, so those two shapes are written here by hand.
 *
 * The helpers at the end (installedSoftware, osVersion, hardware) read what an asset profile needs from HKLM. A key
 * or value that is missing or refused is reported in the result, never thrown; only a broken connection or a
 * malformed answer ends them. Every enumeration is bounded (keys, values, octets per value).
 *
 * The Remote Registry service is stopped by default on client Windows: binding \PIPE\winreg then fails with
 * STATUS_PIPE_NOT_AVAILABLE at the SMB layer, before anything here runs (see svcctl.ts for starting it).
 */
import type { ProbeStatus } from '../../model/evidence.js';
import { ProbeError } from '../../probes/core/outcome.js';
import { contextHandle, filetime, isNullHandle } from '../dcerpc/dtyp.js';
import type { SyntaxId } from '../dcerpc/pdu.js';
import { type Codec, conformantVaryingBytes, encode, u16, u32, unique, wcharArray } from '../dcerpc/ndr.js';
import { decodeResponse, finallyClose, isNotFound, type RpcCaller, trailingStatus, WIN32, Win32StatusError } from './win32.js';

/** The interface to bind ([MS-RRP] 2.1): winreg 338cd001-2244-31f1-aaaa-900038001003 version 1.0. */
export const WINREG_SYNTAX: SyntaxId = { uuid: '338cd001-2244-31f1-aaaa-900038001003', major: 1, minor: 0 };
/** The named pipe on IPC$ ([MS-RRP] 2.1). */
export const WINREG_PIPE = 'winreg';

export const WINREG_OPNUM = {
  OpenLocalMachine: 2,
  BaseRegCloseKey: 5,
  BaseRegEnumKey: 9,
  BaseRegEnumValue: 10,
  BaseRegOpenKey: 15,
  BaseRegQueryInfoKey: 16,
  BaseRegQueryValue: 17,
} as const;

/** REGSAM access rights ([MS-RRP] 2.2.3). */
export const REGSAM = {
  KEY_QUERY_VALUE: 0x00000001,
  KEY_ENUMERATE_SUB_KEYS: 0x00000008,
  KEY_NOTIFY: 0x00000010,
  KEY_WOW64_64KEY: 0x00000100,
  KEY_WOW64_32KEY: 0x00000200,
  /** READ_CONTROL | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY. */
  KEY_READ: 0x00020019,
  MAXIMUM_ALLOWED: 0x02000000,
} as const;

/** Value types ([MS-RRP] 3.1.1.5). */
export const REG_TYPE = {
  REG_NONE: 0,
  REG_SZ: 1,
  REG_EXPAND_SZ: 2,
  REG_BINARY: 3,
  REG_DWORD: 4,
  REG_DWORD_BIG_ENDIAN: 5,
  REG_LINK: 6,
  REG_MULTI_SZ: 7,
  REG_RESOURCE_LIST: 8,
  REG_FULL_RESOURCE_DESCRIPTOR: 9,
  REG_RESOURCE_REQUIREMENTS_LIST: 10,
  REG_QWORD: 11,
} as const;

const REG_TYPE_NAMES = new Map<number, string>(Object.entries(REG_TYPE).map(([k, v]) => [v, k]));

export function regTypeName(type: number): string {
  return REG_TYPE_NAMES.get(type >>> 0) ?? `type ${type >>> 0}`;
}

// ---------------------------------------------------------------------------------------------------------------
// NDR types

const wchars = unique(wcharArray);

function cutAtNul(s: string | null): string | null {
  if (s === null) return null;
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/**
 * [MS-RRP] 2.2.4 RRP_UNICODE_STRING: RPC_UNICODE_STRING ([MS-DTYP] 2.3.10) whose text is NUL-terminated, the NUL
 * counted in Length and in the array's counts. On input the text stops at the first NUL (answers to
 * lpClassOut and lpValueNameOut may come as plain RPC_UNICODE_STRINGs, without one).
 */
export const rrpUnicodeString: Codec<string | null> = {
  align: 4,
  minSize: 8,
  write(w, v) {
    const text = v === null ? null : `${v}\0`;
    const octets = text === null ? 0 : Buffer.byteLength(text, 'utf16le');
    if (octets > 0xfffe) throw new RangeError(`string of ${octets} octets does not fit RRP_UNICODE_STRING's 16-bit Length`);
    w.align(4).u16(octets).u16(octets);
    wchars.write(w, text);
  },
  read(r, into) {
    r.align(4).u16(); // Length
    r.u16(); // MaximumLength
    wchars.read(r, (s) => into(cutAtNul(s)));
  },
};

/**
 * An [in] RRP_UNICODE_STRING that lends the server room for its answer: Length 0, MaximumLength `octets`, and a
 * [size_is(MaximumLength/2), length_is(Length/2)] array with that capacity and nothing in it. The value is the
 * capacity in octets (even, at most 0xFFFE).
 */
const stringRoom: Codec<number> = {
  align: 4,
  minSize: 8,
  write(w, octets) {
    if (!Number.isInteger(octets) || octets < 0 || octets > 0xfffe || octets % 2) throw new RangeError(`string room of ${octets} octets: an even count up to 65534`);
    w.align(4).u16(0).u16(octets);
    w.u32(w.referent());
    w.defer(() => w.u32(octets / 2).u32(0).u32(0));
  },
  read(r, into) {
    r.align(4).u16();
    const max = r.u16();
    wchars.read(r, () => into(max));
  },
};

/** An [in] [size_is(n), length_is(0)] byte array: `n` octets of room, none sent (lpData of 3.1.5.11, 3.1.5.17). */
const byteRoom: Codec<number> = {
  align: 4,
  minSize: 12,
  write(w, n) {
    w.u32(n).u32(0).u32(0);
  },
  read(r, into) {
    const max = r.u32();
    conformantVaryingBytes.read(r, () => into(max));
  },
};

const optionalU32 = unique(u32);
const optionalBytes = unique(conformantVaryingBytes);

// ---------------------------------------------------------------------------------------------------------------
// Errors and results

function malformed(operation: string, message: string): ProbeError {
  return new ProbeError('protocol-error', `${operation} response: ${message}`);
}

/** A value larger than the caller allows: the read stops, the size is known. */
export class ValueTooLargeError extends ProbeError {
  constructor(
    readonly valueName: string,
    readonly neededOctets: number,
    readonly limitOctets: number,
  ) {
    super('incomplete', `registry value "${valueName}" needs ${neededOctets} octets, more than the ${limitOctets} allowed`);
    this.name = 'ValueTooLargeError';
  }
}

function handleFrom(operation: string, stub: Buffer): Buffer {
  const { out } = decodeResponse(stub, operation, 'win32', (r) => r.read(contextHandle));
  if (isNullHandle(out)) throw malformed(operation, 'success with a null handle');
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// OpenLocalMachine (Opnum 2), [MS-RRP] 3.1.5.3

/** ServerName (a [unique] WCHAR pointer, sent NULL as 3.1.5.3 says) and samDesired. */
export function encodeOpenLocalMachineRequest(samDesired: number = REGSAM.MAXIMUM_ALLOWED): Buffer {
  return encode([unique(u16), null], [u32, samDesired]);
}

/** [out] phKey, then error_status_t. */
export function decodeOpenLocalMachineResponse(stub: Buffer): Buffer {
  return handleFrom('OpenLocalMachine', stub);
}

/** A handle to HKEY_LOCAL_MACHINE. */
export async function openLocalMachine(client: RpcCaller, samDesired: number = REGSAM.MAXIMUM_ALLOWED): Promise<Buffer> {
  return decodeOpenLocalMachineResponse(await client.call(WINREG_OPNUM.OpenLocalMachine, encodeOpenLocalMachineRequest(samDesired)));
}

// ---------------------------------------------------------------------------------------------------------------
// BaseRegOpenKey (Opnum 15), [MS-RRP] 3.1.5.15

export interface OpenKeyOptions {
  /** @default REGSAM.KEY_READ */
  readonly samDesired?: number;
  /** dwOptions: 0, or REG_OPTION_BACKUP_RESTORE (4) / REG_OPTION_OPEN_LINK (8). @default 0 */
  readonly options?: number;
}

/** hKey, lpSubKey (a path below hKey, "SOFTWARE\Microsoft\..."), dwOptions, samDesired. */
export function encodeBaseRegOpenKeyRequest(key: Buffer, subKey: string, options: OpenKeyOptions = {}): Buffer {
  return encode([contextHandle, key], [rrpUnicodeString, subKey], [u32, options.options ?? 0], [u32, options.samDesired ?? REGSAM.KEY_READ]);
}

/** [out] phkResult, then error_status_t. */
export function decodeBaseRegOpenKeyResponse(stub: Buffer): Buffer {
  return handleFrom('BaseRegOpenKey', stub);
}

export async function baseRegOpenKey(client: RpcCaller, key: Buffer, subKey: string, options: OpenKeyOptions = {}): Promise<Buffer> {
  return decodeBaseRegOpenKeyResponse(await client.call(WINREG_OPNUM.BaseRegOpenKey, encodeBaseRegOpenKeyRequest(key, subKey, options)));
}

// ---------------------------------------------------------------------------------------------------------------
// BaseRegCloseKey (Opnum 5), [MS-RRP] 3.1.5.6

export function encodeBaseRegCloseKeyRequest(key: Buffer): Buffer {
  return encode([contextHandle, key]);
}

/** [in, out] hKey (zeroed by the server), then error_status_t. */
export function decodeBaseRegCloseKeyResponse(stub: Buffer): void {
  decodeResponse(stub, 'BaseRegCloseKey', 'win32', (r) => r.read(contextHandle));
}

export async function baseRegCloseKey(client: RpcCaller, key: Buffer): Promise<void> {
  decodeBaseRegCloseKeyResponse(await client.call(WINREG_OPNUM.BaseRegCloseKey, encodeBaseRegCloseKeyRequest(key)));
}

// ---------------------------------------------------------------------------------------------------------------
// BaseRegQueryInfoKey (Opnum 16), [MS-RRP] 3.1.5.16

export interface KeyInfo {
  readonly className: string | null;
  readonly subKeys: number;
  readonly maxSubKeyLength: number;
  readonly maxClassLength: number;
  readonly values: number;
  readonly maxValueNameLength: number;
  readonly maxValueLength: number;
  readonly securityDescriptorLength: number;
  /** FILETIME, 100 ns since 1601. */
  readonly lastWriteTime: bigint;
}

/**
 * hKey and lpClassIn: an RRP_UNICODE_STRING with a NULL buffer. Samba's IDL makes it a [string] whose terminator its
 * parser checks, so an empty array lent as room is refused there; the NULL string is what Samba's own client sends
 * (to Windows as well).
 */
export function encodeBaseRegQueryInfoKeyRequest(key: Buffer): Buffer {
  return encode([contextHandle, key], [rrpUnicodeString, null]);
}

/** [out] lpClassOut, seven DWORD counts and lengths, lpftLastWriteTime, then error_status_t. */
export function decodeBaseRegQueryInfoKeyResponse(stub: Buffer): KeyInfo {
  return decodeResponse(stub, 'BaseRegQueryInfoKey', 'win32', (r) => ({
    className: r.read(rrpUnicodeString),
    subKeys: r.read(u32),
    maxSubKeyLength: r.read(u32),
    maxClassLength: r.read(u32),
    values: r.read(u32),
    maxValueNameLength: r.read(u32),
    maxValueLength: r.read(u32),
    securityDescriptorLength: r.read(u32),
    lastWriteTime: r.read(filetime),
  })).out;
}

export async function baseRegQueryInfoKey(client: RpcCaller, key: Buffer): Promise<KeyInfo> {
  return decodeBaseRegQueryInfoKeyResponse(await client.call(WINREG_OPNUM.BaseRegQueryInfoKey, encodeBaseRegQueryInfoKeyRequest(key)));
}

// ---------------------------------------------------------------------------------------------------------------
// BaseRegEnumKey (Opnum 9), [MS-RRP] 3.1.5.10

export interface SubKey {
  readonly name: string;
  readonly className: string | null;
  readonly lastWriteTime: bigint | null;
}

/** Room for a key name: 255 characters and the NUL ([MS-RRP] 3.1.1.1), as Windows' own client lends. */
const KEY_NAME_ROOM_OCTETS = 512;
/** Room for a class, as Windows' own client lends (the largest even RPC_UNICODE_STRING). */
const KEY_CLASS_ROOM_OCTETS = 0xfffe;

/** hKey, dwIndex, lpNameIn (room), lpClassIn (room), lpftLastWriteTime (a pointer to 0). */
export function encodeBaseRegEnumKeyRequest(key: Buffer, index: number): Buffer {
  return encode([contextHandle, key], [u32, index], [stringRoom, KEY_NAME_ROOM_OCTETS], [unique(stringRoom), KEY_CLASS_ROOM_OCTETS], [unique(filetime), 0n]);
}

/** [out] lpNameOut, lplpClassOut, lpftLastWriteTime, then error_status_t; null at ERROR_NO_MORE_ITEMS. */
export function decodeBaseRegEnumKeyResponse(stub: Buffer): SubKey | null {
  if (trailingStatus(stub, 'BaseRegEnumKey') === WIN32.ERROR_NO_MORE_ITEMS) return null;
  const { out } = decodeResponse(stub, 'BaseRegEnumKey', 'win32', (r) => ({
    name: r.read(rrpUnicodeString),
    className: r.read(unique(rrpUnicodeString)),
    lastWriteTime: r.read(unique(filetime)),
  }));
  if (out.name === null) throw malformed('BaseRegEnumKey', 'a subkey without a name');
  return { name: out.name, className: out.className, lastWriteTime: out.lastWriteTime };
}

/** The subkey at `index`, or null past the last one. */
export async function baseRegEnumKey(client: RpcCaller, key: Buffer, index: number): Promise<SubKey | null> {
  return decodeBaseRegEnumKeyResponse(await client.call(WINREG_OPNUM.BaseRegEnumKey, encodeBaseRegEnumKeyRequest(key, index)));
}

// ---------------------------------------------------------------------------------------------------------------
// Value data

/** Value data decoded by type: text, a list of texts, a number, a 64-bit number, or the octets as they came. */
export type RegData =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: string[] }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bigint'; readonly value: bigint }
  | { readonly kind: 'binary'; readonly value: Buffer };

export interface RegValue {
  readonly name: string;
  readonly type: number;
  /** REG_SZ, REG_DWORD, ... */
  readonly typeName: string;
  readonly data: RegData;
}

function utf16(data: Buffer): string {
  return data.subarray(0, data.length - (data.length % 2)).toString('utf16le');
}

/**
 * Decodes value data by its type ([MS-RRP] 3.1.1.5): REG_SZ, REG_EXPAND_SZ and REG_LINK as text up to the first
 * NUL; REG_MULTI_SZ ([MS-RRP] 2.2.5) as the strings before the empty one that ends the list; REG_DWORD (little- or
 * big-endian) and REG_QWORD as numbers when they have exactly 4 or 8 octets; anything else, and a number of the
 * wrong size, as binary.
 */
export function decodeRegData(type: number, data: Buffer): RegData {
  switch (type >>> 0) {
    case REG_TYPE.REG_SZ:
    case REG_TYPE.REG_EXPAND_SZ:
    case REG_TYPE.REG_LINK:
      return { kind: 'string', value: cutAtNul(utf16(data))! };
    case REG_TYPE.REG_MULTI_SZ: {
      const strings: string[] = [];
      for (const s of utf16(data).split('\0')) {
        if (s === '') break;
        strings.push(s);
      }
      return { kind: 'strings', value: strings };
    }
    case REG_TYPE.REG_DWORD:
      if (data.length === 4) return { kind: 'number', value: data.readUInt32LE(0) };
      break;
    case REG_TYPE.REG_DWORD_BIG_ENDIAN:
      if (data.length === 4) return { kind: 'number', value: data.readUInt32BE(0) };
      break;
    case REG_TYPE.REG_QWORD:
      if (data.length === 8) return { kind: 'bigint', value: data.readBigUInt64LE(0) };
      break;
  }
  return { kind: 'binary', value: Buffer.from(data) };
}

/** A value as display text: strings joined with ", ", numbers in decimal, binary as null. */
export function regText(value: RegValue | undefined): string | null {
  if (!value) return null;
  const d = value.data;
  if (d.kind === 'string') return d.value;
  if (d.kind === 'strings') return d.value.join(', ');
  if (d.kind === 'number' || d.kind === 'bigint') return String(d.value);
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// BaseRegEnumValue (Opnum 10), [MS-RRP] 3.1.5.11, and BaseRegQueryValue (Opnum 17), [MS-RRP] 3.1.5.17

/** What one value call answered: the data, a buffer too small (with the size the server asks for), or the end. */
export type ValueAnswer =
  | { readonly kind: 'value'; readonly name: string | null; readonly type: number; readonly data: Buffer }
  | { readonly kind: 'more-data'; readonly neededOctets: number | null }
  | { readonly kind: 'end' };

/** hKey, dwIndex, lpValueNameIn (room), lpType, lpData (room), lpcbData, lpcbLen. */
export function encodeBaseRegEnumValueRequest(key: Buffer, index: number, nameOctets: number, dataOctets: number): Buffer {
  return encode(
    [contextHandle, key],
    [u32, index],
    [stringRoom, nameOctets],
    [optionalU32, 0],
    [unique(byteRoom), dataOctets],
    [optionalU32, dataOctets],
    [optionalU32, 0],
  );
}

function valueOut(operation: string, lpType: number | null, lpData: Buffer | null, lpcbData: number | null, status: number): Omit<Extract<ValueAnswer, { kind: 'value' }>, 'name'> | Extract<ValueAnswer, { kind: 'more-data' }> {
  if (status === WIN32.ERROR_MORE_DATA) return { kind: 'more-data', neededOctets: lpcbData };
  if (lpType === null) throw malformed(operation, 'success without lpType');
  return { kind: 'value', type: lpType, data: lpData ? Buffer.from(lpData) : Buffer.alloc(0) };
}

/** [out] lpValueNameOut, lpType, lpData, lpcbData, lpcbLen, then error_status_t. */
export function decodeBaseRegEnumValueResponse(stub: Buffer): ValueAnswer {
  const operation = 'BaseRegEnumValue';
  if (trailingStatus(stub, operation) === WIN32.ERROR_NO_MORE_ITEMS) return { kind: 'end' };
  const { out, status } = decodeResponse(
    stub,
    operation,
    'win32',
    (r) => ({ name: r.read(rrpUnicodeString), type: r.read(optionalU32), data: r.read(optionalBytes), cbData: r.read(optionalU32), cbLen: r.read(optionalU32) }),
    [WIN32.ERROR_MORE_DATA],
  );
  const answer = valueOut(operation, out.type, out.data, out.cbData, status);
  if (answer.kind === 'more-data') return answer;
  if (out.name === null) throw malformed(operation, 'a value without a name');
  return { ...answer, name: out.name };
}

/** hKey, lpValueName, lpType, lpData (room), lpcbData, lpcbLen. */
export function encodeBaseRegQueryValueRequest(key: Buffer, valueName: string, dataOctets: number): Buffer {
  return encode([contextHandle, key], [rrpUnicodeString, valueName], [optionalU32, 0], [unique(byteRoom), dataOctets], [optionalU32, dataOctets], [optionalU32, 0]);
}

/** [out] lpType, lpData, lpcbData, lpcbLen, then error_status_t (ERROR_FILE_NOT_FOUND for a missing value). */
export function decodeBaseRegQueryValueResponse(stub: Buffer): ValueAnswer {
  const operation = 'BaseRegQueryValue';
  const { out, status } = decodeResponse(
    stub,
    operation,
    'win32',
    (r) => ({ type: r.read(optionalU32), data: r.read(optionalBytes), cbData: r.read(optionalU32), cbLen: r.read(optionalU32) }),
    [WIN32.ERROR_MORE_DATA],
  );
  const answer = valueOut(operation, out.type, out.data, out.cbData, status);
  return answer.kind === 'more-data' ? answer : { ...answer, name: null };
}

export interface ValueReadOptions {
  /** Octets lent for the data on the first try. @default 1024 */
  readonly initialOctets?: number;
  /** Largest value read; a larger one throws ValueTooLargeError. @default 65536 */
  readonly maxOctets?: number;
}

/** Room for a value name on the first try of an enumeration (16,383 characters is the largest; 3.1.1.1). */
const VALUE_NAME_ROOM_OCTETS = 512;
const VALUE_NAME_ROOM_MAX = 0xfffe;

/** Next room to lend after ERROR_MORE_DATA: what the server asked for, or four times as much when it said nothing. */
function grow(current: number, needed: number | null, limit: number, name: string): number {
  if (needed !== null && needed > limit) throw new ValueTooLargeError(name, needed, limit);
  if (current >= limit) throw new ValueTooLargeError(name, needed ?? current + 1, limit);
  return Math.min(needed !== null && needed > current ? needed : current * 4, limit);
}

/**
 * The value named `valueName` (the empty name is the key's default value), retrying with the size the server asks
 * for. ERROR_FILE_NOT_FOUND throws Win32StatusError (isNotFound).
 */
export async function baseRegQueryValue(client: RpcCaller, key: Buffer, valueName: string, options: ValueReadOptions = {}): Promise<RegValue> {
  const limit = options.maxOctets ?? 65_536;
  let room = Math.min(options.initialOctets ?? 1024, limit);
  for (let attempt = 0; attempt < 4; attempt++) {
    const answer = decodeBaseRegQueryValueResponse(await client.call(WINREG_OPNUM.BaseRegQueryValue, encodeBaseRegQueryValueRequest(key, valueName, room)));
    if (answer.kind === 'value') return { name: valueName, type: answer.type, typeName: regTypeName(answer.type), data: decodeRegData(answer.type, answer.data) };
    if (answer.kind === 'more-data') room = grow(room, answer.neededOctets, limit, valueName);
  }
  throw new ProbeError('protocol-error', `BaseRegQueryValue: "${valueName}" still too large after 4 tries`);
}

/** The value at `index` of a key, or null past the last one; retries ERROR_MORE_DATA with more room for both name and data. */
export async function baseRegEnumValue(client: RpcCaller, key: Buffer, index: number, options: ValueReadOptions = {}): Promise<RegValue | null> {
  const limit = options.maxOctets ?? 65_536;
  let dataRoom = Math.min(options.initialOctets ?? 1024, limit);
  let nameRoom = VALUE_NAME_ROOM_OCTETS;
  for (let attempt = 0; attempt < 4; attempt++) {
    const answer = decodeBaseRegEnumValueResponse(await client.call(WINREG_OPNUM.BaseRegEnumValue, encodeBaseRegEnumValueRequest(key, index, nameRoom, dataRoom)));
    if (answer.kind === 'end') return null;
    if (answer.kind === 'value') return { name: answer.name!, type: answer.type, typeName: regTypeName(answer.type), data: decodeRegData(answer.type, answer.data) };
    // ERROR_MORE_DATA is for the name or for the data (3.1.5.11): a server asking for no more data means the name.
    if (answer.neededOctets !== null && answer.neededOctets > dataRoom) dataRoom = grow(dataRoom, answer.neededOctets, limit, `#${index}`);
    else if (nameRoom < VALUE_NAME_ROOM_MAX) nameRoom = VALUE_NAME_ROOM_MAX;
    else dataRoom = grow(dataRoom, null, limit, `#${index}`);
  }
  throw new ProbeError('protocol-error', `BaseRegEnumValue: value #${index} still too large after 4 tries`);
}

// ---------------------------------------------------------------------------------------------------------------
// Walking keys

/** A key or value that could not be read; the rest of the result stands. */
export interface RegistryProblem {
  /** The key path below HKLM. */
  readonly path: string;
  readonly value?: string;
  readonly reason: 'not-found' | Exclude<ProbeStatus, 'success'>;
  /** The server's status or the limit that stopped the read, in words. */
  readonly detail: string;
}

export interface RegistryLimits {
  /** Most subkeys read under one enumerated key. @default 4096 */
  readonly maxKeys?: number;
  /** Most values read from one key by `enumerateValues`. @default 1024 */
  readonly maxValues?: number;
  /** Largest value read, in octets. @default 65536 */
  readonly maxValueOctets?: number;
}

/** Whether an error is one to report and go on from: the server answered, it just said no. */
function reportable(err: unknown): err is Win32StatusError | ValueTooLargeError {
  return err instanceof Win32StatusError || err instanceof ValueTooLargeError;
}

function problemOf(err: Win32StatusError | ValueTooLargeError, path: string, value?: string): RegistryProblem {
  const reason = isNotFound(err) ? 'not-found' : err.status;
  const detail = err instanceof Win32StatusError ? err.codeName : err.message;
  return value === undefined ? { path, reason, detail } : { path, value, reason, detail };
}

/** Opens `path` below `parent`, runs `job` with the handle, and closes it. */
export async function withKey<T>(client: RpcCaller, parent: Buffer, path: string, job: (key: Buffer) => Promise<T>, options: OpenKeyOptions = {}): Promise<T> {
  const key = await baseRegOpenKey(client, parent, path, options);
  return finallyClose(() => job(key), () => baseRegCloseKey(client, key));
}

/** Runs `job` with a handle to HKLM, closed afterwards. */
export async function withLocalMachine<T>(client: RpcCaller, job: (hklm: Buffer) => Promise<T>): Promise<T> {
  const hklm = await openLocalMachine(client);
  return finallyClose(() => job(hklm), () => baseRegCloseKey(client, hklm));
}

/** The names of a key's subkeys, at most `maxKeys`; `complete` is false when the bound stopped the walk. */
export async function enumerateSubKeys(client: RpcCaller, key: Buffer, maxKeys = 4096): Promise<{ names: string[]; complete: boolean }> {
  const names: string[] = [];
  for (let index = 0; ; index++) {
    const sub = await baseRegEnumKey(client, key, index);
    if (sub === null) return { names, complete: true };
    if (names.length >= maxKeys) return { names, complete: false };
    names.push(sub.name);
  }
}

/**
 * Every value of a key, at most `maxValues`, with its data as stored. Some keys hold secrets in plain values
 * (Winlogon's DefaultPassword, autologon and service credentials): point this only at keys whose data may be
 * kept and shown; the helpers below read named values only.
 */
export async function enumerateValues(client: RpcCaller, key: Buffer, limits: RegistryLimits = {}): Promise<{ values: RegValue[]; complete: boolean }> {
  const maxValues = limits.maxValues ?? 1024;
  const values: RegValue[] = [];
  for (let index = 0; ; index++) {
    const value = await baseRegEnumValue(client, key, index, { maxOctets: limits.maxValueOctets });
    if (value === null) return { values, complete: true };
    if (values.length >= maxValues) return { values, complete: false };
    values.push(value);
  }
}

/**
 * Reads the named values of the key at `path` (below `parent`). A missing value goes into `report.missing`; the key
 * itself missing or refused, or a value refused or too large, into `report.problems`. `opened` says whether the key
 * could be opened at all.
 */
async function readNamed(
  client: RpcCaller,
  parent: Buffer,
  path: string,
  names: readonly string[],
  limits: RegistryLimits,
  report: { missing: string[]; problems: RegistryProblem[] },
): Promise<{ values: Map<string, RegValue>; opened: boolean }> {
  const values = new Map<string, RegValue>();
  let key: Buffer;
  try {
    key = await baseRegOpenKey(client, parent, path);
  } catch (err) {
    if (!reportable(err)) throw err;
    report.problems.push(problemOf(err, path));
    for (const name of names) report.missing.push(`${path}\\${name}`);
    return { values, opened: false };
  }
  await finallyClose(async () => {
    for (const name of names) {
      try {
        values.set(name, await baseRegQueryValue(client, key, name, { maxOctets: limits.maxValueOctets }));
      } catch (err) {
        if (!reportable(err)) throw err;
        if (isNotFound(err)) report.missing.push(`${path}\\${name}`);
        else report.problems.push(problemOf(err, path, name));
      }
    }
  }, () => baseRegCloseKey(client, key));
  return { values, opened: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Installed software

/** The Uninstall keys: the native (64-bit on x64) view, and the 32-bit programs' WOW6432Node view. */
export const UNINSTALL_KEYS = [
  { view: 'native', path: 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall' },
  { view: 'wow64-32', path: 'SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall' },
] as const;

export interface InstalledProgram {
  /** Which Uninstall key it was under. */
  readonly view: (typeof UNINSTALL_KEYS)[number]['view'];
  /** The subkey name (a product code GUID or a name). */
  readonly key: string;
  readonly displayName: string | null;
  readonly displayVersion: string | null;
  readonly publisher: string | null;
  /** InstallDate as stored, usually YYYYMMDD. */
  readonly installDate: string | null;
}

export interface SoftwareInventory {
  readonly programs: InstalledProgram[];
  /** Uninstall keys or program keys that could not be read (a 32-bit Windows has no WOW6432Node: not-found). */
  readonly problems: RegistryProblem[];
  /** False when maxKeys stopped an Uninstall key's enumeration. */
  readonly complete: boolean;
}

const PROGRAM_VALUES = ['DisplayName', 'DisplayVersion', 'Publisher', 'InstallDate'] as const;

/** Programs from both Uninstall keys, with DisplayName, DisplayVersion, Publisher and InstallDate. */
export async function installedSoftware(client: RpcCaller, limits: RegistryLimits = {}): Promise<SoftwareInventory> {
  const programs: InstalledProgram[] = [];
  const problems: RegistryProblem[] = [];
  let complete = true;
  await withLocalMachine(client, async (hklm) => {
    for (const { view, path } of UNINSTALL_KEYS) {
      let names: string[];
      try {
        const listed = await withKey(client, hklm, path, (key) => enumerateSubKeys(client, key, limits.maxKeys), { samDesired: REGSAM.KEY_READ });
        names = listed.names;
        if (!listed.complete) {
          complete = false;
          problems.push({ path, reason: 'incomplete', detail: `more than ${limits.maxKeys ?? 4096} subkeys; the rest were not read` });
        }
      } catch (err) {
        if (!reportable(err)) throw err;
        problems.push(problemOf(err, path));
        continue;
      }
      for (const name of names) {
        // A program without some of the four values is normal (updates, drivers): absent values are null, not problems.
        const { values, opened } = await readNamed(client, hklm, `${path}\\${name}`, PROGRAM_VALUES, limits, { missing: [], problems });
        if (!opened) continue;
        programs.push({
          view,
          key: name,
          displayName: regText(values.get('DisplayName')),
          displayVersion: regText(values.get('DisplayVersion')),
          publisher: regText(values.get('Publisher')),
          installDate: regText(values.get('InstallDate')),
        });
      }
    }
  });
  return { programs, problems, complete };
}

// ---------------------------------------------------------------------------------------------------------------
// Operating system version

export const CURRENT_VERSION_KEY = 'SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';

export interface OsVersion {
  readonly productName: string | null;
  /** "6.3" on every Windows since 8.1; the major and minor numbers below are the real ones on 10 and later. */
  readonly currentVersion: string | null;
  readonly majorVersion: number | null;
  readonly minorVersion: number | null;
  /** CurrentBuild, or CurrentBuildNumber when CurrentBuild is absent. */
  readonly currentBuild: string | null;
  /** UBR: the update build revision (the ".2965" of 19045.2965). */
  readonly ubr: number | null;
  readonly editionId: string | null;
  /** "22H2" on Windows 10 20H2 and later. */
  readonly displayVersion: string | null;
  readonly releaseId: string | null;
  /** "Client", "Server", "Server Core". */
  readonly installationType: string | null;
  /** Value paths that do not exist. */
  readonly missing: string[];
  readonly problems: RegistryProblem[];
}

const VERSION_VALUES = [
  'ProductName',
  'CurrentVersion',
  'CurrentMajorVersionNumber',
  'CurrentMinorVersionNumber',
  'CurrentBuild',
  'CurrentBuildNumber',
  'UBR',
  'EditionID',
  'DisplayVersion',
  'ReleaseId',
  'InstallationType',
] as const;

function regNumber(value: RegValue | undefined): number | null {
  if (!value) return null;
  if (value.data.kind === 'number') return value.data.value;
  const text = regText(value);
  return text !== null && /^\d{1,10}$/.test(text) ? Number(text) : null;
}

/** The OS product, version, build and edition from HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion. */
export async function osVersion(client: RpcCaller, limits: RegistryLimits = {}): Promise<OsVersion> {
  const report = { missing: [] as string[], problems: [] as RegistryProblem[] };
  const { values: v } = await withLocalMachine(client, (hklm) => readNamed(client, hklm, CURRENT_VERSION_KEY, VERSION_VALUES, limits, report));
  return {
    productName: regText(v.get('ProductName')),
    currentVersion: regText(v.get('CurrentVersion')),
    majorVersion: regNumber(v.get('CurrentMajorVersionNumber')),
    minorVersion: regNumber(v.get('CurrentMinorVersionNumber')),
    currentBuild: regText(v.get('CurrentBuild')) ?? regText(v.get('CurrentBuildNumber')),
    ubr: regNumber(v.get('UBR')),
    editionId: regText(v.get('EditionID')),
    displayVersion: regText(v.get('DisplayVersion')),
    releaseId: regText(v.get('ReleaseId')),
    installationType: regText(v.get('InstallationType')),
    ...report,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Hardware

export const HARDWARE_KEY = 'HARDWARE\\DESCRIPTION\\System';

export interface HardwareInfo {
  readonly processorName: string | null;
  readonly processorIdentifier: string | null;
  readonly processorVendor: string | null;
  readonly processorMhz: number | null;
  /** Subkeys of CentralProcessor: logical processors. */
  readonly processorCount: number | null;
  readonly systemBiosVersion: string[];
  readonly systemBiosDate: string | null;
  readonly videoBiosVersion: string[];
  readonly systemManufacturer: string | null;
  readonly systemProductName: string | null;
  readonly biosVendor: string | null;
  readonly biosVersion: string | null;
  readonly biosReleaseDate: string | null;
  readonly missing: string[];
  readonly problems: RegistryProblem[];
}

function regStrings(value: RegValue | undefined): string[] {
  if (!value) return [];
  if (value.data.kind === 'strings') return value.data.value;
  const text = regText(value);
  return text === null ? [] : [text];
}

/** Processor, BIOS and system identity from HKLM\HARDWARE\DESCRIPTION\System and its BIOS and CentralProcessor keys. */
export async function hardware(client: RpcCaller, limits: RegistryLimits = {}): Promise<HardwareInfo> {
  const report = { missing: [] as string[], problems: [] as RegistryProblem[] };
  return withLocalMachine(client, async (hklm) => {
    const { values: system } = await readNamed(client, hklm, HARDWARE_KEY, ['SystemBiosVersion', 'SystemBiosDate', 'VideoBiosVersion'], limits, report);
    const { values: bios } = await readNamed(client, hklm, `${HARDWARE_KEY}\\BIOS`, ['SystemManufacturer', 'SystemProductName', 'BIOSVendor', 'BIOSVersion', 'BIOSReleaseDate'], limits, report);
    const { values: cpu } = await readNamed(client, hklm, `${HARDWARE_KEY}\\CentralProcessor\\0`, ['ProcessorNameString', 'Identifier', 'VendorIdentifier', '~MHz'], limits, report);
    let processorCount: number | null = null;
    const cpus = `${HARDWARE_KEY}\\CentralProcessor`;
    try {
      const listed = await withKey(client, hklm, cpus, (key) => enumerateSubKeys(client, key, limits.maxKeys ?? 4096));
      processorCount = listed.names.length;
      if (!listed.complete) report.problems.push({ path: cpus, reason: 'incomplete', detail: `more than ${limits.maxKeys ?? 4096} processors; counted that many` });
    } catch (err) {
      if (!reportable(err)) throw err;
      report.problems.push(problemOf(err, cpus));
    }
    return {
      processorName: regText(cpu.get('ProcessorNameString'))?.trim() ?? null,
      processorIdentifier: regText(cpu.get('Identifier')),
      processorVendor: regText(cpu.get('VendorIdentifier')),
      processorMhz: regNumber(cpu.get('~MHz')),
      processorCount,
      systemBiosVersion: regStrings(system.get('SystemBiosVersion')),
      systemBiosDate: regText(system.get('SystemBiosDate')),
      videoBiosVersion: regStrings(system.get('VideoBiosVersion')),
      systemManufacturer: regText(bios.get('SystemManufacturer')),
      systemProductName: regText(bios.get('SystemProductName')),
      biosVendor: regText(bios.get('BIOSVendor')),
      biosVersion: regText(bios.get('BIOSVersion')),
      biosReleaseDate: regText(bios.get('BIOSReleaseDate')),
      ...report,
    };
  });
}
