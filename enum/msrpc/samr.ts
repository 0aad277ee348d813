/**
 * SAMR, the Security Account Manager Remote Protocol ([MS-SAMR]) over \PIPE\samr: the local users of a Windows
 * machine (or a domain's, on a DC) with their account control flags and logon facts, its groups, and the members
 * of its aliases, BUILTIN\Administrators above all. One request/response per opnum, structures declared with the
 * NDR combinators of enum/dcerpc/ndr.ts, each with its section; `enumerateSam` runs the whole walk.
 *
 * Nothing secret is kept: the password hashes a UserAllInformation answer may carry (LmOwfPassword,
 * NtOwfPassword, [MS-SAMR] 2.2.6.6) are read past and dropped by the decoder.
 */
import type { RpcClient } from '../dcerpc/client.js';
import type { SyntaxId } from '../dcerpc/pdu.js';
import { contextHandle, filetimeToDate, oldLargeInteger, prpcSid, rpcSid, rpcUnicodeString } from '../dcerpc/dtyp.js';
import {
  type Codec, conformantArray, conformantBytes, conformantVaryingArray, conformantVaryingBytes, encode, enum16, NdrReader, struct, u16, u32, u8,
  union, unique, wstring,
} from '../dcerpc/ndr.js';
import { bindPipe, type PipeBindOptions } from '../dcerpc/smb-pipe.js';
import type { Smb2Client } from '../smb2/client.js';
import { checkStatus, invoke, MAX_ENUMERATION_PAGES, NtStatusError, STATUS } from './common.js';
import { ProbeError } from '../../probes/core/outcome.js';

/** [MS-SAMR] 1.9 the interface: 12345778-1234-ABCD-EF00-0123456789AC version 1.0. */
export const SAMR_SYNTAX: SyntaxId = { uuid: '12345778-1234-abcd-ef00-0123456789ac', major: 1, minor: 0 };
export const SAMR_PIPE = 'samr';

/** [MS-SAMR] 3.1.5 opnums of the operations used here. */
export const SAMR_OPNUM = {
  SamrCloseHandle: 1,
  SamrLookupDomainInSamServer: 5,
  SamrEnumerateDomainsInSamServer: 6,
  SamrOpenDomain: 7,
  SamrEnumerateGroupsInDomain: 11,
  SamrEnumerateUsersInDomain: 13,
  SamrEnumerateAliasesInDomain: 15,
  SamrOpenGroup: 19,
  SamrGetMembersInGroup: 25,
  SamrOpenAlias: 27,
  SamrGetMembersInAlias: 33,
  SamrOpenUser: 34,
  SamrQueryInformationUser2: 47,
  SamrConnect2: 57,
  SamrConnect5: 64,
} as const;

/** [MS-SAMR] 2.2.1.3 server, 2.2.1.4 domain, 2.2.1.7 user, 2.2.1.6 alias access rights: only reading ones. */
export const SAM_ACCESS = {
  server: { CONNECT: 0x0001, ENUMERATE_DOMAINS: 0x0010, LOOKUP_DOMAIN: 0x0020 },
  domain: { READ_PASSWORD_PARAMETERS: 0x0001, READ_OTHER_PARAMETERS: 0x0004, LIST_ACCOUNTS: 0x0100, LOOKUP: 0x0200 },
  user: { READ_GENERAL: 0x0001, READ_PREFERENCES: 0x0002, READ_LOGON: 0x0004, READ_ACCOUNT: 0x0010 },
  group: { LIST_MEMBERS: 0x0010 },
  alias: { LIST_MEMBERS: 0x0004 },
} as const;

const SERVER_READ = SAM_ACCESS.server.CONNECT | SAM_ACCESS.server.ENUMERATE_DOMAINS | SAM_ACCESS.server.LOOKUP_DOMAIN;
const DOMAIN_READ = SAM_ACCESS.domain.LIST_ACCOUNTS | SAM_ACCESS.domain.LOOKUP | SAM_ACCESS.domain.READ_OTHER_PARAMETERS;
/** 3.1.5.5.5: UserAllInformation needs these four. */
const USER_READ = SAM_ACCESS.user.READ_GENERAL | SAM_ACCESS.user.READ_PREFERENCES | SAM_ACCESS.user.READ_LOGON | SAM_ACCESS.user.READ_ACCOUNT;

/** [MS-SAMR] 2.2.1.12 USER_ACCOUNT Codes (UserAccountControl). */
export const USER_ACCOUNT = {
  DISABLED: 0x00000001,
  HOME_DIRECTORY_REQUIRED: 0x00000002,
  PASSWORD_NOT_REQUIRED: 0x00000004,
  TEMP_DUPLICATE_ACCOUNT: 0x00000008,
  NORMAL_ACCOUNT: 0x00000010,
  MNS_LOGON_ACCOUNT: 0x00000020,
  INTERDOMAIN_TRUST_ACCOUNT: 0x00000040,
  WORKSTATION_TRUST_ACCOUNT: 0x00000080,
  SERVER_TRUST_ACCOUNT: 0x00000100,
  DONT_EXPIRE_PASSWORD: 0x00000200,
  ACCOUNT_AUTO_LOCKED: 0x00000400,
  ENCRYPTED_TEXT_PASSWORD_ALLOWED: 0x00000800,
  SMARTCARD_REQUIRED: 0x00001000,
  TRUSTED_FOR_DELEGATION: 0x00002000,
  NOT_DELEGATED: 0x00004000,
  USE_DES_KEY_ONLY: 0x00008000,
  DONT_REQUIRE_PREAUTH: 0x00010000,
  PASSWORD_EXPIRED: 0x00020000,
  TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION: 0x00040000,
  NO_AUTH_DATA_REQUIRED: 0x00080000,
  PARTIAL_SECRETS_ACCOUNT: 0x00100000,
  USE_AES_KEYS: 0x00200000,
} as const;

/** [MS-SAMR] 2.2.6.28 USER_INFORMATION_CLASS UserAllInformation. */
const USER_ALL_INFORMATION_CLASS = 21;

/** [MS-SAMR] 2.2.1.14 the RIDs of the BUILTIN aliases an enumeration reports by name. */
export const BUILTIN_ALIAS = { ADMINISTRATORS: 544, USERS: 545, GUESTS: 546, BACKUP_OPERATORS: 551, REMOTE_DESKTOP_USERS: 555, REMOTE_MANAGEMENT_USERS: 580 } as const;
export const BUILTIN_DOMAIN_SID = 'S-1-5-32';
/** Their names, for an alias the server opens but does not list (Samba lists only aliases mapped to a Unix group). */
const BUILTIN_ALIAS_NAMES: Readonly<Record<number, string>> = {
  544: 'Administrators', 545: 'Users', 546: 'Guests', 551: 'Backup Operators', 555: 'Remote Desktop Users', 580: 'Remote Management Users',
};
/** The BUILTIN aliases whose members a walk always asks for, listed or not. */
export const PRIVILEGED_BUILTIN_ALIASES: readonly number[] = [BUILTIN_ALIAS.ADMINISTRATORS, BUILTIN_ALIAS.BACKUP_OPERATORS, BUILTIN_ALIAS.REMOTE_DESKTOP_USERS];

// ---------------------------------------------------------------------------------------------------------------
// Structures

/** A value read and dropped: secrets the protocol may carry and this client must not keep. Written, it is `empty`. */
function dropped<T>(codec: Codec<T>, empty: T): Codec<null> {
  return {
    align: codec.align,
    minSize: codec.minSize,
    write: (w) => codec.write(w, empty),
    read(r, into) {
      codec.read(r, () => undefined);
      into(null);
    },
  };
}

/** [MS-SAMR] 2.2.3.9 SAMPR_RID_ENUMERATION. */
const RID_ENUMERATION = struct({ relativeId: u32, name: rpcUnicodeString });
/** [MS-SAMR] 2.2.3.10 SAMPR_ENUMERATION_BUFFER, behind its [out] unique pointer. */
const ENUMERATION_BUFFER = unique(struct({ entriesRead: u32, buffer: unique(conformantArray(RID_ENUMERATION)) }));
/** [MS-SAMR] 2.2.3.15 SAMPR_REVISION_INFO_V1 in 2.2.3.16 SAMPR_REVISION_INFO (the switch is a ULONG). */
const REVISION_INFO = union(u32, { 1: struct({ revision: u32, supportedFeatures: u32 }) });
/** [MS-SAMR] 2.2.3.5 SAMPR_SID_INFORMATION in 2.2.3.6 SAMPR_PSID_ARRAY_OUT. */
const PSID_ARRAY_OUT = struct({ count: u32, sids: unique(conformantArray(struct({ sid: prpcSid }))) });
/** [MS-SAMR] 2.2.2.3 RPC_SHORT_BLOB (the OWF passwords): read past, never kept. */
const SHORT_BLOB_DROPPED = dropped(struct({ length: u16, maximumLength: u16, buffer: unique(conformantVaryingArray(u16)) }), { length: 0, maximumLength: 0, buffer: null });
/** [MS-SAMR] 2.2.7.14 SAMPR_GET_MEMBERS_BUFFER, behind its [out] unique pointer. */
const GET_MEMBERS_BUFFER = unique(struct({ memberCount: u32, members: unique(conformantArray(u32)), attributes: unique(conformantArray(u32)) }));
/** [MS-SAMR] 2.2.3.11 SAMPR_SR_SECURITY_DESCRIPTOR. */
const SR_SECURITY_DESCRIPTOR = struct({ length: u32, securityDescriptor: unique(conformantBytes) });
/** [MS-SAMR] 2.2.7.5 SAMPR_LOGON_HOURS. */
const LOGON_HOURS = struct({ unitsPerWeek: u16, logonHours: unique(conformantVaryingBytes) });

/** [MS-SAMR] 2.2.6.6 SAMPR_USER_ALL_INFORMATION. */
const USER_ALL_INFORMATION = struct({
  lastLogon: oldLargeInteger,
  lastLogoff: oldLargeInteger,
  passwordLastSet: oldLargeInteger,
  accountExpires: oldLargeInteger,
  passwordCanChange: oldLargeInteger,
  passwordMustChange: oldLargeInteger,
  userName: rpcUnicodeString,
  fullName: rpcUnicodeString,
  homeDirectory: rpcUnicodeString,
  homeDirectoryDrive: rpcUnicodeString,
  scriptPath: rpcUnicodeString,
  profilePath: rpcUnicodeString,
  adminComment: rpcUnicodeString,
  workStations: rpcUnicodeString,
  userComment: rpcUnicodeString,
  parameters: rpcUnicodeString,
  lmOwfPassword: SHORT_BLOB_DROPPED,
  ntOwfPassword: SHORT_BLOB_DROPPED,
  privateData: dropped(rpcUnicodeString, null),
  securityDescriptor: SR_SECURITY_DESCRIPTOR,
  userId: u32,
  primaryGroupId: u32,
  userAccountControl: u32,
  whichFields: u32,
  logonHours: LOGON_HOURS,
  badPasswordCount: u16,
  logonCount: u16,
  countryCode: u16,
  codePage: u16,
  lmPasswordPresent: u8,
  ntPasswordPresent: u8,
  passwordExpired: u8,
  privateDataSensitive: u8,
});
/** [MS-SAMR] 2.2.6.29 SAMPR_USER_INFO_BUFFER (switched by USER_INFORMATION_CLASS, an enum: 16 bits), only the arm used. */
const USER_INFO_BUFFER = unique(union(enum16, { [USER_ALL_INFORMATION_CLASS]: USER_ALL_INFORMATION }));

// ---------------------------------------------------------------------------------------------------------------
// Operations

/** A SAMR context handle (server, domain, user, alias). */
export type SamHandle = Buffer;

export interface RidName {
  readonly rid: number;
  readonly name: string;
}

const handleAndStatus = (r: NdrReader) => ({ handle: r.read(contextHandle), status: r.read(u32) });

/**
 * The response of each operation: its [out] parameters in order, then the NTSTATUS. Exported with the structures
 * for the fuzz targets (fuzz/samr-lsa.ts).
 */
export const SAMR_RESPONSES = {
  /** SamrConnect2, SamrOpenDomain, SamrOpenUser, SamrOpenAlias, SamrCloseHandle. */
  handle: handleAndStatus,
  SamrConnect5: (r: NdrReader) => ({ outVersion: r.read(u32), revision: r.read(REVISION_INFO), ...handleAndStatus(r) }),
  /** SamrEnumerateDomainsInSamServer, SamrEnumerate{Users,Groups,Aliases}InDomain. */
  enumeration: (r: NdrReader) => ({ context: r.read(u32), buffer: r.read(ENUMERATION_BUFFER), count: r.read(u32), status: r.read(u32) }),
  SamrLookupDomainInSamServer: (r: NdrReader) => ({ sid: r.read(prpcSid), status: r.read(u32) }),
  SamrGetMembersInAlias: (r: NdrReader) => ({ members: r.read(PSID_ARRAY_OUT), status: r.read(u32) }),
  SamrGetMembersInGroup: (r: NdrReader) => ({ members: r.read(GET_MEMBERS_BUFFER), status: r.read(u32) }),
  SamrQueryInformationUser2: (r: NdrReader) => ({ buffer: r.read(USER_INFO_BUFFER), status: r.read(u32) }),
} as const;
export const SAMR_TYPES = { REVISION_INFO, ENUMERATION_BUFFER, PSID_ARRAY_OUT, GET_MEMBERS_BUFFER, USER_INFO_BUFFER, USER_ALL_INFORMATION_CLASS } as const;

/** [MS-SAMR] 3.1.5.1.1 SamrConnect5 (Opnum 64), revision 3. */
export async function samrConnect5(rpc: RpcClient, serverName: string, access = SERVER_READ): Promise<SamHandle> {
  const request = encode([unique(wstring), serverName], [u32, access], [u32, 1], [REVISION_INFO, { tag: 1, value: { revision: 3, supportedFeatures: 0 } }]);
  const out = await invoke(rpc, SAMR_OPNUM.SamrConnect5, 'SamrConnect5', request, SAMR_RESPONSES.SamrConnect5);
  checkStatus(out.status, 'SamrConnect5');
  return out.handle;
}

/** [MS-SAMR] 3.1.5.1.3 SamrConnect2 (Opnum 57): for servers that do not know SamrConnect5. */
export async function samrConnect2(rpc: RpcClient, serverName: string, access = SERVER_READ): Promise<SamHandle> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrConnect2, 'SamrConnect2', encode([unique(wstring), serverName], [u32, access]), handleAndStatus);
  checkStatus(out.status, 'SamrConnect2');
  return out.handle;
}

/** [MS-SAMR] 3.1.5.13.1 SamrCloseHandle (Opnum 1). */
export async function samrCloseHandle(rpc: RpcClient, handle: SamHandle): Promise<void> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrCloseHandle, 'SamrCloseHandle', encode([contextHandle, handle]), handleAndStatus);
  checkStatus(out.status, 'SamrCloseHandle');
}

/**
 * The pages of an enumeration with a resume handle ([MS-SAMR] 3.1.5.2.1 and the three below): STATUS_MORE_ENTRIES
 * asks for the next page from the returned EnumerationContext, STATUS_SUCCESS ends.
 */
async function enumeratePages(
  rpc: RpcClient, opnum: number, operation: string, handle: SamHandle, before: Array<[Codec<any>, unknown]>, preferredMaximumLength: number,
): Promise<RidName[]> {
  const out: RidName[] = [];
  let context = 0;
  for (let page = 0; ; page++) {
    if (page >= MAX_ENUMERATION_PAGES) throw new ProbeError('protocol-error', `${operation}: still more entries after ${MAX_ENUMERATION_PAGES} pages`);
    const request = encode([contextHandle, handle], [u32, context], ...before, [u32, preferredMaximumLength]);
    const r = await invoke(rpc, opnum, operation, request, SAMR_RESPONSES.enumeration);
    checkStatus(r.status, operation, [STATUS.STATUS_SUCCESS, STATUS.STATUS_MORE_ENTRIES]);
    const entries = r.buffer?.buffer ?? [];
    for (const e of entries) out.push({ rid: e.relativeId, name: e.name ?? '' });
    if (r.status === STATUS.STATUS_SUCCESS) return out;
    if (entries.length === 0 && r.context === context) throw new ProbeError('protocol-error', `${operation}: more entries announced, none given, and the resume handle did not move`);
    context = r.context;
  }
}

/** [MS-SAMR] 3.1.5.2.1 SamrEnumerateDomainsInSamServer (Opnum 6): the domains the server hosts ("LABSMB", "Builtin"). */
export function samrEnumerateDomains(rpc: RpcClient, server: SamHandle, preferredMaximumLength = 0xffff): Promise<RidName[]> {
  return enumeratePages(rpc, SAMR_OPNUM.SamrEnumerateDomainsInSamServer, 'SamrEnumerateDomainsInSamServer', server, [], preferredMaximumLength);
}

/** [MS-SAMR] 3.1.5.11.1 SamrLookupDomainInSamServer (Opnum 5): a domain's SID by name. */
export async function samrLookupDomain(rpc: RpcClient, server: SamHandle, name: string): Promise<string> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrLookupDomainInSamServer, 'SamrLookupDomainInSamServer', encode([contextHandle, server], [rpcUnicodeString, name]), SAMR_RESPONSES.SamrLookupDomainInSamServer);
  checkStatus(out.status, 'SamrLookupDomainInSamServer');
  if (!out.sid) throw new ProbeError('protocol-error', `SamrLookupDomainInSamServer: no SID for domain ${name}`);
  return out.sid;
}

/** [MS-SAMR] 3.1.5.1.5 SamrOpenDomain (Opnum 7). */
export async function samrOpenDomain(rpc: RpcClient, server: SamHandle, domainSid: string, access = DOMAIN_READ): Promise<SamHandle> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrOpenDomain, 'SamrOpenDomain', encode([contextHandle, server], [u32, access], [rpcSid, domainSid]), handleAndStatus);
  checkStatus(out.status, 'SamrOpenDomain');
  return out.handle;
}

/**
 * [MS-SAMR] 3.1.5.2.5 SamrEnumerateUsersInDomain (Opnum 13). `accountControl` filters by UserAccountControl
 * bits (0: every user).
 */
export function samrEnumerateUsers(rpc: RpcClient, domain: SamHandle, accountControl = 0, preferredMaximumLength = 0xffff): Promise<RidName[]> {
  return enumeratePages(rpc, SAMR_OPNUM.SamrEnumerateUsersInDomain, 'SamrEnumerateUsersInDomain', domain, [[u32, accountControl]], preferredMaximumLength);
}

/** [MS-SAMR] 3.1.5.2.3 SamrEnumerateGroupsInDomain (Opnum 11). */
export function samrEnumerateGroups(rpc: RpcClient, domain: SamHandle, preferredMaximumLength = 0xffff): Promise<RidName[]> {
  return enumeratePages(rpc, SAMR_OPNUM.SamrEnumerateGroupsInDomain, 'SamrEnumerateGroupsInDomain', domain, [], preferredMaximumLength);
}

/** [MS-SAMR] 3.1.5.2.4 SamrEnumerateAliasesInDomain (Opnum 15). */
export function samrEnumerateAliases(rpc: RpcClient, domain: SamHandle, preferredMaximumLength = 0xffff): Promise<RidName[]> {
  return enumeratePages(rpc, SAMR_OPNUM.SamrEnumerateAliasesInDomain, 'SamrEnumerateAliasesInDomain', domain, [], preferredMaximumLength);
}

/** [MS-SAMR] 3.1.5.1.9 SamrOpenUser (Opnum 34). */
export async function samrOpenUser(rpc: RpcClient, domain: SamHandle, rid: number, access = USER_READ): Promise<SamHandle> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrOpenUser, 'SamrOpenUser', encode([contextHandle, domain], [u32, access], [u32, rid]), handleAndStatus);
  checkStatus(out.status, 'SamrOpenUser');
  return out.handle;
}

/** [MS-SAMR] 3.1.5.1.8 SamrOpenAlias (Opnum 27). */
export async function samrOpenAlias(rpc: RpcClient, domain: SamHandle, rid: number, access: number = SAM_ACCESS.alias.LIST_MEMBERS): Promise<SamHandle> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrOpenAlias, 'SamrOpenAlias', encode([contextHandle, domain], [u32, access], [u32, rid]), handleAndStatus);
  checkStatus(out.status, 'SamrOpenAlias');
  return out.handle;
}

/** [MS-SAMR] 3.1.5.1.7 SamrOpenGroup (Opnum 19). */
export async function samrOpenGroup(rpc: RpcClient, domain: SamHandle, rid: number, access: number = SAM_ACCESS.group.LIST_MEMBERS): Promise<SamHandle> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrOpenGroup, 'SamrOpenGroup', encode([contextHandle, domain], [u32, access], [u32, rid]), handleAndStatus);
  checkStatus(out.status, 'SamrOpenGroup');
  return out.handle;
}

/** [MS-SAMR] 3.1.5.8.3 SamrGetMembersInGroup (Opnum 25): the members' RIDs, in the group's own domain. */
export async function samrGetMembersInGroup(rpc: RpcClient, group: SamHandle): Promise<number[]> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrGetMembersInGroup, 'SamrGetMembersInGroup', encode([contextHandle, group]), SAMR_RESPONSES.SamrGetMembersInGroup);
  checkStatus(out.status, 'SamrGetMembersInGroup');
  const members = out.members?.members ?? [];
  if (members.length !== (out.members?.memberCount ?? 0)) throw new ProbeError('protocol-error', `SamrGetMembersInGroup: MemberCount ${out.members?.memberCount} with ${members.length} RIDs`);
  return members;
}

/** [MS-SAMR] 3.1.5.6.2 SamrGetMembersInAlias (Opnum 33): the member SIDs, as strings. */
export async function samrGetMembersInAlias(rpc: RpcClient, alias: SamHandle): Promise<string[]> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrGetMembersInAlias, 'SamrGetMembersInAlias', encode([contextHandle, alias]), SAMR_RESPONSES.SamrGetMembersInAlias);
  checkStatus(out.status, 'SamrGetMembersInAlias');
  const sids = out.members.sids ?? [];
  if (sids.length !== out.members.count) throw new ProbeError('protocol-error', `SamrGetMembersInAlias: Count ${out.members.count} with ${sids.length} SIDs`);
  return sids.map((s) => s.sid).filter((s): s is string => s !== null);
}

/** What UserAllInformation says about an account, secrets left out. */
export interface SamUserInformation {
  readonly rid: number;
  readonly name: string;
  readonly fullName: string;
  readonly adminComment: string;
  readonly userComment: string;
  readonly homeDirectory: string;
  readonly profilePath: string;
  readonly scriptPath: string;
  readonly workstations: string;
  readonly primaryGroupId: number;
  /** [MS-SAMR] 2.2.1.12 bits; see `accountFlags`. */
  readonly userAccountControl: number;
  readonly lastLogon: Date | null;
  readonly lastLogoff: Date | null;
  readonly passwordLastSet: Date | null;
  readonly accountExpires: Date | null;
  readonly passwordCanChange: Date | null;
  readonly passwordMustChange: Date | null;
  readonly badPasswordCount: number;
  readonly logonCount: number;
  /** The server says the password has expired (PasswordExpired). */
  readonly passwordExpired: boolean;
}

const text = (s: string | null) => s ?? '';

/** [MS-SAMR] 3.1.5.5.5 SamrQueryInformationUser2 (Opnum 47) at UserAllInformation (21). */
export async function samrQueryUserAll(rpc: RpcClient, user: SamHandle): Promise<SamUserInformation> {
  const out = await invoke(rpc, SAMR_OPNUM.SamrQueryInformationUser2, 'SamrQueryInformationUser2', encode([contextHandle, user], [enum16, USER_ALL_INFORMATION_CLASS]), SAMR_RESPONSES.SamrQueryInformationUser2);
  checkStatus(out.status, 'SamrQueryInformationUser2');
  if (!out.buffer || out.buffer.tag !== USER_ALL_INFORMATION_CLASS) throw new ProbeError('protocol-error', 'SamrQueryInformationUser2: no UserAllInformation in the answer');
  const u = out.buffer.value;
  return {
    rid: u.userId,
    name: text(u.userName),
    fullName: text(u.fullName),
    adminComment: text(u.adminComment),
    userComment: text(u.userComment),
    homeDirectory: text(u.homeDirectory),
    profilePath: text(u.profilePath),
    scriptPath: text(u.scriptPath),
    workstations: text(u.workStations),
    primaryGroupId: u.primaryGroupId,
    userAccountControl: u.userAccountControl,
    lastLogon: filetimeToDate(u.lastLogon),
    lastLogoff: filetimeToDate(u.lastLogoff),
    passwordLastSet: filetimeToDate(u.passwordLastSet),
    accountExpires: filetimeToDate(u.accountExpires),
    passwordCanChange: filetimeToDate(u.passwordCanChange),
    passwordMustChange: filetimeToDate(u.passwordMustChange),
    badPasswordCount: u.badPasswordCount,
    logonCount: u.logonCount,
    passwordExpired: u.passwordExpired !== 0,
  };
}

/** The UserAccountControl bits a privileged-access review asks about. */
export interface AccountFlags {
  readonly disabled: boolean;
  readonly locked: boolean;
  readonly passwordNeverExpires: boolean;
  readonly passwordNotRequired: boolean;
  readonly passwordExpired: boolean;
  readonly normalAccount: boolean;
  readonly trustAccount: boolean;
}

export function accountFlags(uac: number): AccountFlags {
  const has = (bit: number) => (uac & bit) !== 0;
  return {
    disabled: has(USER_ACCOUNT.DISABLED),
    locked: has(USER_ACCOUNT.ACCOUNT_AUTO_LOCKED),
    passwordNeverExpires: has(USER_ACCOUNT.DONT_EXPIRE_PASSWORD),
    passwordNotRequired: has(USER_ACCOUNT.PASSWORD_NOT_REQUIRED),
    passwordExpired: has(USER_ACCOUNT.PASSWORD_EXPIRED),
    normalAccount: has(USER_ACCOUNT.NORMAL_ACCOUNT),
    trustAccount: has(USER_ACCOUNT.WORKSTATION_TRUST_ACCOUNT | USER_ACCOUNT.SERVER_TRUST_ACCOUNT | USER_ACCOUNT.INTERDOMAIN_TRUST_ACCOUNT),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The walk

export interface SamUser {
  readonly rid: number;
  readonly sid: string;
  readonly name: string;
  /** Null when the details could not be read (see `problems`). */
  readonly details: (SamUserInformation & { readonly flags: AccountFlags }) | null;
}

export interface SamAlias {
  readonly domainSid: string;
  readonly rid: number;
  readonly sid: string;
  readonly name: string;
  /** Member SIDs as the server returns them; null when they could not be read (see `problems`). */
  readonly members: readonly string[] | null;
}

/** Something a walk could not read, kept beside what it could: never a silent gap. */
export interface SamProblem {
  readonly operation: string;
  readonly target: string;
  readonly status: string;
  readonly message: string;
}

export interface SamInventory {
  /** Every domain the server hosts, with its SID. */
  readonly domains: ReadonlyArray<{ readonly name: string; readonly sid: string }>;
  /** The machine's (or DC's) account domain: the one that is not Builtin. */
  readonly accountDomain: { readonly name: string; readonly sid: string };
  readonly users: readonly SamUser[];
  /** The account domain's groups with their members' RIDs (null when they could not be read, see `problems`). */
  readonly groups: ReadonlyArray<RidName & { readonly sid: string; readonly members: readonly number[] | null }>;
  /** The aliases of the Builtin domain and of the account domain, with their members. */
  readonly aliases: readonly SamAlias[];
  readonly problems: readonly SamProblem[];
}

export interface EnumerateSamOptions {
  /** The server name sent in SamrConnect5. @default '' (the server itself) */
  readonly serverName?: string;
  /** PreferedMaximumLength of each enumeration page, in bytes. @default 65535 */
  readonly pageBytes?: number;
  /** Bind options (DCE/RPC authentication, transceive) when `enumerateSam` opens the pipe itself. */
  readonly bind?: PipeBindOptions;
}

/**
 * Opens \PIPE\samr on a logged-on SMB2 client, walks SAMR, closes the pipe. Access denied at the start (Windows
 * 10 1607 and later restrict SAMR to administrators: RestrictRemoteSam) comes out as an NtStatusError with status
 * `access-denied`; later refusals for one user or alias are recorded in `problems`.
 */
export async function enumerateSam(smb: Smb2Client, options: EnumerateSamOptions = {}): Promise<SamInventory> {
  const rpc = await bindPipe(smb, SAMR_PIPE, SAMR_SYNTAX, options.bind);
  try {
    return await enumerateSamOver(rpc, options);
  } finally {
    await rpc.close();
  }
}

const isRefusal = (err: unknown): err is NtStatusError => err instanceof NtStatusError;

/** The SAMR walk over an RpcClient already bound to SAMR. */
export async function enumerateSamOver(rpc: RpcClient, options: EnumerateSamOptions = {}): Promise<SamInventory> {
  const pageBytes = options.pageBytes ?? 0xffff;
  const problems: SamProblem[] = [];
  const note = (operation: string, target: string, err: NtStatusError) => problems.push({ operation, target, status: err.statusName, message: err.message });
  const handles: SamHandle[] = [];
  const open = async (h: Promise<SamHandle>) => {
    const handle = await h;
    handles.push(handle);
    return handle;
  };
  try {
    let server: SamHandle;
    try {
      server = await open(samrConnect5(rpc, options.serverName ?? ''));
    } catch (err) {
      // A server without SamrConnect5 faults with rpc_s_procnum_out_of_range (unsupported); Connect2 is older.
      if (!(err instanceof ProbeError) || err.status !== 'unsupported') throw err;
      server = await open(samrConnect2(rpc, options.serverName ?? ''));
    }
    const domainNames = await samrEnumerateDomains(rpc, server, pageBytes);
    const domains: Array<{ name: string; sid: string }> = [];
    for (const d of domainNames) domains.push({ name: d.name, sid: await samrLookupDomain(rpc, server, d.name) });
    const account = domains.find((d) => d.sid !== BUILTIN_DOMAIN_SID);
    if (!account) throw new ProbeError('protocol-error', 'SAMR lists no account domain besides Builtin');
    const builtin = domains.find((d) => d.sid === BUILTIN_DOMAIN_SID) ?? { name: 'Builtin', sid: BUILTIN_DOMAIN_SID };

    const accountHandle = await open(samrOpenDomain(rpc, server, account.sid));
    const users: SamUser[] = [];
    for (const u of await samrEnumerateUsers(rpc, accountHandle, 0, pageBytes)) {
      let details: SamUser['details'] = null;
      try {
        const userHandle = await samrOpenUser(rpc, accountHandle, u.rid);
        try {
          const info = await samrQueryUserAll(rpc, userHandle);
          details = { ...info, flags: accountFlags(info.userAccountControl) };
        } finally {
          await samrCloseHandle(rpc, userHandle);
        }
      } catch (err) {
        if (!isRefusal(err)) throw err;
        note('SamrQueryInformationUser2', `${account.name}\\${u.name}`, err);
      }
      users.push({ rid: u.rid, sid: `${account.sid}-${u.rid}`, name: u.name, details });
    }
    const groups: Array<RidName & { sid: string; members: number[] | null }> = [];
    for (const g of await samrEnumerateGroups(rpc, accountHandle, pageBytes)) {
      let members: number[] | null = null;
      try {
        const groupHandle = await samrOpenGroup(rpc, accountHandle, g.rid);
        try {
          members = await samrGetMembersInGroup(rpc, groupHandle);
        } finally {
          await samrCloseHandle(rpc, groupHandle);
        }
      } catch (err) {
        if (!isRefusal(err)) throw err;
        note('SamrGetMembersInGroup', `${account.name}\\${g.name}`, err);
      }
      groups.push({ ...g, sid: `${account.sid}-${g.rid}`, members });
    }

    const aliases: SamAlias[] = [];
    const builtinHandle = await open(samrOpenDomain(rpc, server, builtin.sid));
    for (const [domain, handle] of [[builtin, builtinHandle], [account, accountHandle]] as const) {
      const listed = await samrEnumerateAliases(rpc, handle, pageBytes);
      const unlisted = domain === builtin ? PRIVILEGED_BUILTIN_ALIASES.filter((rid) => !listed.some((a) => a.rid === rid)) : [];
      for (const a of [...listed, ...unlisted.map((rid) => ({ rid, name: BUILTIN_ALIAS_NAMES[rid]!, probe: true }))]) {
        let members: string[] | null = null;
        try {
          const aliasHandle = await samrOpenAlias(rpc, handle, a.rid);
          try {
            members = await samrGetMembersInAlias(rpc, aliasHandle);
          } finally {
            await samrCloseHandle(rpc, aliasHandle);
          }
        } catch (err) {
          if (!isRefusal(err)) throw err;
          // A well-known alias that this server does not have is simply absent.
          if ('probe' in a && err.ntStatus === STATUS.STATUS_NO_SUCH_ALIAS) continue;
          note('SamrGetMembersInAlias', `${domain.name}\\${a.name}`, err);
        }
        aliases.push({ domainSid: domain.sid, rid: a.rid, sid: `${domain.sid}-${a.rid}`, name: a.name, members });
      }
    }
    return { domains, accountDomain: account, users, groups, aliases, problems };
  } finally {
    for (const h of handles.reverse()) {
      try {
        await samrCloseHandle(rpc, h);
      } catch {
        // A handle on a broken connection is gone with it.
      }
    }
  }
}

/** One account that holds an alias's rights, and the chain of groups it holds them through. */
export interface AliasMember {
  readonly sid: string;
  /** The alias first, then each group between it and the account: ["S-1-5-32-544", "...-512", "...-1105"]. */
  readonly path: readonly string[];
  /** The account is a group of the account domain that the walk expanded (its members follow as their own entries). */
  readonly isGroup: boolean;
}

/**
 * Every member of an alias, directly or through the account domain's groups nested in it (a domain group in a
 * DC's BUILTIN\Administrators, a group in that group, ...), each with its path. Members from other domains (a
 * domain group in a member server's Administrators) stay as SIDs: their members are that domain's to tell.
 * Cycles are cut; each account comes once, by its shortest path.
 */
export function aliasMembers(inventory: SamInventory, aliasSid: string): AliasMember[] {
  const alias = inventory.aliases.find((a) => a.sid === aliasSid);
  if (!alias?.members) return [];
  const groups = new Map(inventory.groups.map((g) => [g.sid, g]));
  const out: AliasMember[] = [];
  const seen = new Set<string>();
  let level = alias.members.map((sid) => ({ sid, path: [aliasSid] }));
  while (level.length) {
    const next: typeof level = [];
    for (const { sid, path } of level) {
      if (seen.has(sid)) continue;
      seen.add(sid);
      const group = groups.get(sid);
      out.push({ sid, path, isGroup: group !== undefined });
      for (const rid of group?.members ?? []) next.push({ sid: `${inventory.accountDomain.sid}-${rid}`, path: [...path, sid] });
    }
    level = next;
  }
  return out;
}
