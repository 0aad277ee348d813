/**
 * [MS-SRVS] Server Service Remote Protocol on \PIPE\srvsvc: the shares a host offers (NetrShareEnum, levels 1 and
 * 2) and what the server says it is (NetrServerGetInfo, level 101). Returns are NET_API_STATUS: Win32 and NERR
 * codes, and NTSTATUS values from servers that pass them through (enum/msrpc/win32.ts maps both).
 *
 * Level 2 adds each share's local path and its connection counts but needs administrator rights on Windows
 * ([MS-SRVS] 3.1.4.8: ERROR_ACCESS_DENIED otherwise); `listShares` asks for it first and falls back to level 1,
 * saying so. SHARE_INFO_2's shi2_passwd (a share-level password from LAN Manager days) is read off the wire and
 * dropped: it never reaches a result.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { SyntaxId } from '../dcerpc/pdu.js';
import { conformantArray, encode, struct, u32, union, unique, wstring } from '../dcerpc/ndr.js';
import { decodeResponse, type RpcCaller, WIN32, Win32StatusError } from './win32.js';

/** The interface to bind ([MS-SRVS] 1.9): srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188 version 3.0. */
export const SRVSVC_SYNTAX: SyntaxId = { uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', major: 3, minor: 0 };
/** The named pipe on IPC$ ([MS-SRVS] 2.1). */
export const SRVSVC_PIPE = 'srvsvc';

export const SRVSVC_OPNUM = { NetrShareEnum: 15, NetrServerGetInfo: 21 } as const;

/** MAX_PREFERRED_LENGTH ([MS-SRVS] 2.2.2.2): return every entry at once. */
export const MAX_PREFERRED_LENGTH = 0xffffffff;

// ---------------------------------------------------------------------------------------------------------------
// Share types ([MS-SRVS] 2.2.2.4)

export const STYPE = {
  STYPE_DISKTREE: 0x00000000,
  STYPE_PRINTQ: 0x00000001,
  STYPE_DEVICE: 0x00000002,
  STYPE_IPC: 0x00000003,
  STYPE_CLUSTER_FS: 0x02000000,
  STYPE_CLUSTER_SOFS: 0x04000000,
  STYPE_CLUSTER_DFS: 0x08000000,
  STYPE_TEMPORARY: 0x40000000,
  STYPE_SPECIAL: 0x80000000,
} as const;

const BASE_TYPES = ['disk', 'printer', 'device', 'ipc'] as const;
export type ShareKind = (typeof BASE_TYPES)[number] | 'unknown';
const BASE_WORDS = ['STYPE_DISKTREE', 'STYPE_PRINTQ', 'STYPE_DEVICE', 'STYPE_IPC'];
const FLAG_WORDS: Array<[number, string]> = [
  [STYPE.STYPE_CLUSTER_FS, 'STYPE_CLUSTER_FS'],
  [STYPE.STYPE_CLUSTER_SOFS, 'STYPE_CLUSTER_SOFS'],
  [STYPE.STYPE_CLUSTER_DFS, 'STYPE_CLUSTER_DFS'],
  [STYPE.STYPE_TEMPORARY, 'STYPE_TEMPORARY'],
  [STYPE.STYPE_SPECIAL, 'STYPE_SPECIAL'],
];

/** A shi*_type value in words: its base type (the low byte) and the flags set above it. */
export function shareTypeWords(type: number): { kind: ShareKind; special: boolean; temporary: boolean; words: string[] } {
  const t = type >>> 0;
  const base = t & 0xff;
  const words = [BASE_WORDS[base] ?? `STYPE_0x${base.toString(16).padStart(2, '0')}`];
  for (const [bit, word] of FLAG_WORDS) if ((t & bit) >>> 0 === bit) words.push(word);
  return { kind: BASE_TYPES[base] ?? 'unknown', special: (t & STYPE.STYPE_SPECIAL) !== 0, temporary: (t & STYPE.STYPE_TEMPORARY) !== 0, words };
}

// ---------------------------------------------------------------------------------------------------------------
// Server types ([MS-SRVS] 2.2.2.7 Software Type Flags) and platforms ([MS-DTYP] 2.3.12)

const SV_TYPE_WORDS: Array<[number, string]> = [
  [0x00000001, 'workstation'],
  [0x00000002, 'server'],
  [0x00000004, 'sql-server'],
  [0x00000008, 'domain-controller'],
  [0x00000010, 'backup-domain-controller'],
  [0x00000020, 'time-source'],
  [0x00000040, 'afp'],
  [0x00000080, 'novell'],
  [0x00000100, 'domain-member'],
  [0x00000200, 'print-server'],
  [0x00000400, 'dial-in-server'],
  [0x00000800, 'xenix-server'],
  [0x00001000, 'nt'],
  [0x00002000, 'windows-for-workgroups'],
  [0x00004000, 'file-and-print-for-netware'],
  [0x00008000, 'server-nt'],
  [0x00010000, 'potential-browser'],
  [0x00020000, 'backup-browser'],
  [0x00040000, 'master-browser'],
  [0x00080000, 'domain-master-browser'],
  [0x00100000, 'osf'],
  [0x00200000, 'vms'],
  [0x00400000, 'windows'],
  [0x00800000, 'dfs'],
  [0x01000000, 'cluster-nt'],
  [0x02000000, 'terminal-server'],
  [0x04000000, 'cluster-virtual-server-nt'],
  [0x10000000, 'dce'],
  [0x20000000, 'alternate-transport'],
  [0x40000000, 'local-list-only'],
  [0x80000000, 'domain-enum'],
];

/** The SV_TYPE bits of sv101_type as words, lowest bit first; a bit with no name as its hex value. */
export function serverTypeWords(type: number): string[] {
  const t = type >>> 0;
  const words: string[] = [];
  let known = 0;
  for (const [bit, word] of SV_TYPE_WORDS) {
    known = (known | bit) >>> 0;
    if ((t & bit) >>> 0 === bit) words.push(word);
  }
  for (let bit = 1; bit !== 0 && bit <= 0x80000000; bit = (bit << 1) >>> 0) {
    if ((t & bit) >>> 0 === bit && (known & bit) === 0) words.push(`0x${bit.toString(16).padStart(8, '0')}`);
  }
  return words;
}

const PLATFORMS: Record<number, string> = { 300: 'dos', 400: 'os2', 500: 'nt', 600: 'osf', 700: 'vms' };

// ---------------------------------------------------------------------------------------------------------------
// NDR types

const optionalString = unique(wstring);

/** [MS-SRVS] 2.2.4.23 SHARE_INFO_1. */
const SHARE_INFO_1 = struct({ netname: optionalString, type: u32, remark: optionalString });
/** [MS-SRVS] 2.2.4.24 SHARE_INFO_2. */
const SHARE_INFO_2 = struct({
  netname: optionalString,
  type: u32,
  remark: optionalString,
  permissions: u32,
  maxUses: u32,
  currentUses: u32,
  path: optionalString,
  passwd: optionalString,
});
/** [MS-SRVS] 2.2.4.33 SHARE_INFO_1_CONTAINER. */
const SHARE_INFO_1_CONTAINER = struct({ entriesRead: u32, buffer: unique(conformantArray(SHARE_INFO_1)) });
/** [MS-SRVS] 2.2.4.34 SHARE_INFO_2_CONTAINER. */
const SHARE_INFO_2_CONTAINER = struct({ entriesRead: u32, buffer: unique(conformantArray(SHARE_INFO_2)) });
/** [MS-SRVS] 2.2.3.6 SHARE_ENUM_UNION: [switch_type(DWORD)], each arm a pointer to a container. */
const SHARE_ENUM_UNION = union(u32, { 1: unique(SHARE_INFO_1_CONTAINER), 2: unique(SHARE_INFO_2_CONTAINER) });
/** [MS-SRVS] 2.2.4.38 SHARE_ENUM_STRUCT: Level, then the union switched on it (NDR sends the switch again). */
const SHARE_ENUM_STRUCT = struct({ level: u32, shareInfo: SHARE_ENUM_UNION });

/** [MS-DTYP] 2.3.12 SERVER_INFO_101. */
const SERVER_INFO_101 = struct({ platformId: u32, name: optionalString, versionMajor: u32, versionMinor: u32, type: u32, comment: optionalString });
/** [MS-SRVS] 2.2.3.7 SERVER_INFO: [switch_type(unsigned long)]; this client asks for level 101 only. */
const SERVER_INFO = union(u32, { 101: unique(SERVER_INFO_101) });

// ---------------------------------------------------------------------------------------------------------------
// NetrShareEnum (Opnum 15), [MS-SRVS] 3.1.4.8

export type ShareLevel = 1 | 2;

export interface Share {
  readonly name: string;
  /** shi*_type as sent. */
  readonly type: number;
  readonly kind: ShareKind;
  /** STYPE_SPECIAL: an administrative share (C$, ADMIN$, IPC$). */
  readonly special: boolean;
  readonly temporary: boolean;
  /** The type in the specification's words: STYPE_DISKTREE, STYPE_SPECIAL, ... */
  readonly typeWords: readonly string[];
  readonly remark: string | null;
  /** Level 2 only: the share's local path ("C:\", "/srv/data"). */
  readonly path?: string | null;
  /** Level 2 only: shi2_max_uses, 0xFFFFFFFF for unlimited. */
  readonly maxUses?: number;
  readonly currentUses?: number;
  readonly permissions?: number;
}

export interface ShareEnumPage {
  readonly level: ShareLevel;
  readonly shares: Share[];
  readonly totalEntries: number;
  /** The ResumeHandle to continue with, when the server returned one. */
  readonly resumeHandle: number | null;
  /** ERROR_MORE_DATA: the server has more entries after these. */
  readonly more: boolean;
}

export interface NetrShareEnumOptions {
  /** ServerName: an SRVSVC_HANDLE the server ignores once bound; impacket and Windows tools send one. @default '' */
  readonly serverName?: string | null;
  /** PreferedMaximumLength in octets. @default MAX_PREFERRED_LENGTH */
  readonly preferredMaximumLength?: number;
  /** ResumeHandle from the previous page. @default 0 */
  readonly resumeHandle?: number;
}

/** The request stub: ServerName, InfoStruct (Level and an empty container), PreferedMaximumLength, ResumeHandle. */
export function encodeNetrShareEnumRequest(level: ShareLevel, options: NetrShareEnumOptions = {}): Buffer {
  const empty = { entriesRead: 0, buffer: null };
  return encode(
    [optionalString, options.serverName === undefined ? '' : options.serverName],
    [SHARE_ENUM_STRUCT, { level, shareInfo: level === 1 ? { tag: 1, value: empty } : { tag: 2, value: empty } }],
    [u32, options.preferredMaximumLength ?? MAX_PREFERRED_LENGTH],
    [unique(u32), options.resumeHandle ?? 0],
  );
}

function malformed(message: string): ProbeError {
  return new ProbeError('protocol-error', `NetrShareEnum response: ${message}`);
}

function toShare(entry: { netname: string | null; type: number; remark: string | null }): Share {
  if (entry.netname === null) throw malformed('a share without a name');
  const t = shareTypeWords(entry.type);
  return { name: entry.netname, type: entry.type >>> 0, kind: t.kind, special: t.special, temporary: t.temporary, typeWords: t.words, remark: entry.remark };
}

/** [out] InfoStruct, TotalEntries, ResumeHandle, then NET_API_STATUS; ERROR_MORE_DATA carries a partial page. */
export function decodeNetrShareEnumResponse(stub: Buffer): ShareEnumPage {
  const { out, status } = decodeResponse(
    stub,
    'NetrShareEnum',
    'win32',
    (r) => ({ info: r.read(SHARE_ENUM_STRUCT), totalEntries: r.read(u32), resumeHandle: r.read(unique(u32)) }),
    [WIN32.ERROR_MORE_DATA],
  );
  const { info } = out;
  const arm = info.shareInfo;
  if (info.level !== arm.tag) throw malformed(`Level ${info.level} with a union arm for level ${arm.tag}`);
  const counted = <E>(container: { entriesRead: number; buffer: E[] | null } | null): E[] => {
    const entries = container?.buffer ?? [];
    if (container && container.entriesRead !== entries.length) throw malformed(`EntriesRead ${container.entriesRead} for ${entries.length} entries`);
    return entries;
  };
  const shares: Share[] =
    arm.tag === 2
      ? counted(arm.value).map((e) => ({ ...toShare(e), path: e.path, maxUses: e.maxUses, currentUses: e.currentUses, permissions: e.permissions }))
      : counted(arm.value).map(toShare);
  return { level: arm.tag, shares, totalEntries: out.totalEntries, resumeHandle: out.resumeHandle, more: status === WIN32.ERROR_MORE_DATA };
}

/** One NetrShareEnum call. */
export async function netrShareEnum(client: RpcCaller, level: ShareLevel, options: NetrShareEnumOptions = {}): Promise<ShareEnumPage> {
  return decodeNetrShareEnumResponse(await client.call(SRVSVC_OPNUM.NetrShareEnum, encodeNetrShareEnumRequest(level, options)));
}

export interface ListSharesOptions {
  /** 2 for paths (administrators), 1 for anyone, 'auto' for 2 and then 1 when 2 is refused. @default 'auto' */
  readonly level?: ShareLevel | 'auto';
  /** Most shares kept; more make the result `complete: false`. @default 10000 */
  readonly maxShares?: number;
  /** Most calls while the server keeps answering ERROR_MORE_DATA. @default 64 */
  readonly maxCalls?: number;
  readonly serverName?: string | null;
}

export interface ShareList {
  readonly level: ShareLevel;
  readonly shares: Share[];
  /** False when a bound stopped the enumeration before the server's last page. */
  readonly complete: boolean;
  /** Why the level is not the one asked for, when it is not. */
  readonly note?: string;
}

/** Every share, page after page (ResumeHandle), at level 2 when the credential may and level 1 otherwise. */
export async function listShares(client: RpcCaller, options: ListSharesOptions = {}): Promise<ShareList> {
  const wanted = options.level ?? 'auto';
  if (wanted !== 'auto') return enumerateAll(client, wanted, options);
  try {
    return await enumerateAll(client, 2, options);
  } catch (err) {
    if (!(err instanceof Win32StatusError) || err.status !== 'access-denied') throw err;
    const list = await enumerateAll(client, 1, options);
    return { ...list, note: `level 2 (paths, connection counts) refused with ${err.codeName}: it needs administrator rights; level 1 shown` };
  }
}

async function enumerateAll(client: RpcCaller, level: ShareLevel, options: ListSharesOptions): Promise<ShareList> {
  const maxShares = options.maxShares ?? 10_000;
  const maxCalls = options.maxCalls ?? 64;
  const shares: Share[] = [];
  let resumeHandle = 0;
  for (let calls = 1; ; calls++) {
    const page = await netrShareEnum(client, level, { serverName: options.serverName, resumeHandle });
    shares.push(...page.shares);
    if (shares.length > maxShares) return { level, shares: shares.slice(0, maxShares), complete: false };
    if (!page.more) return { level, shares, complete: true };
    if (page.shares.length === 0 || page.resumeHandle === null) throw malformed('ERROR_MORE_DATA with no entries or no ResumeHandle to continue from');
    if (calls >= maxCalls) return { level, shares, complete: false };
    resumeHandle = page.resumeHandle;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// NetrServerGetInfo (Opnum 21), [MS-SRVS] 3.1.4.17

export interface ServerInfo {
  readonly platformId: number;
  /** PLATFORM_ID_NT (500) is "nt". */
  readonly platform: string;
  readonly name: string | null;
  /** sv101_version_major with the server-type nibble masked off (MAJOR_VERSION_MASK, 0x0F). */
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** sv101_type as sent. */
  readonly type: number;
  /** The SV_TYPE bits in words: workstation, server, domain-controller, ... */
  readonly typeWords: readonly string[];
  readonly comment: string | null;
}

/** The request stub: ServerName and Level 101. */
export function encodeNetrServerGetInfoRequest(serverName: string | null = ''): Buffer {
  return encode([optionalString, serverName], [u32, 101]);
}

/** [out] InfoStruct (the SERVER_INFO union at level 101), then NET_API_STATUS. */
export function decodeNetrServerGetInfoResponse(stub: Buffer): ServerInfo {
  const { out } = decodeResponse(stub, 'NetrServerGetInfo', 'win32', (r) => r.read(SERVER_INFO));
  const info = out.value;
  if (!info) throw new ProbeError('protocol-error', 'NetrServerGetInfo response: a null SERVER_INFO_101');
  return {
    platformId: info.platformId,
    platform: PLATFORMS[info.platformId] ?? `platform ${info.platformId}`,
    name: info.name,
    versionMajor: info.versionMajor & 0x0f,
    versionMinor: info.versionMinor,
    type: info.type >>> 0,
    typeWords: serverTypeWords(info.type),
    comment: info.comment,
  };
}

/** NetrServerGetInfo at level 101: platform, name, version, server type bits and comment. */
export async function netrServerGetInfo(client: RpcCaller, serverName: string | null = ''): Promise<ServerInfo> {
  return decodeNetrServerGetInfoResponse(await client.call(SRVSVC_OPNUM.NetrServerGetInfo, encodeNetrServerGetInfoRequest(serverName)));
}
