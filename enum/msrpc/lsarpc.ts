/**
 * LSARPC over \PIPE\lsarpc: the policy's domains ([MS-LSAD]), SID and name translation ([MS-LSAT]) and the accounts
 * holding a user right ([MS-LSAD] 3.1.4.8.6). One request/response per opnum, structures declared with the NDR
 * combinators, each with its section. A SID that does not translate is kept as it is (STATUS_SOME_NOT_MAPPED,
 * STATUS_NONE_MAPPED): an orphaned member of a local group is a finding, not a gap.
 */
import type { RpcClient } from '../dcerpc/client.js';
import type { SyntaxId } from '../dcerpc/pdu.js';
import { contextHandle, prpcSid, rpcUnicodeString } from '../dcerpc/dtyp.js';
import { conformantArray, encode, enum16, i32, type NdrReader, struct, u32, u8, union, unique, wstring } from '../dcerpc/ndr.js';
import { bindPipe, type PipeBindOptions } from '../dcerpc/smb-pipe.js';
import type { Smb2Client } from '../smb2/client.js';
import { ProbeError } from '../../probes/core/outcome.js';
import { checkStatus, invoke, NtStatusError, STATUS, statusName } from './common.js';

/** [MS-LSAT] 1.9 / [MS-LSAD] 1.9: 12345778-1234-ABCD-EF00-0123456789AB version 0.0. */
export const LSARPC_SYNTAX: SyntaxId = { uuid: '12345778-1234-abcd-ef00-0123456789ab', major: 0, minor: 0 };
export const LSARPC_PIPE = 'lsarpc';

/** [MS-LSAD] 3.1.4 / [MS-LSAT] 3.1.4 opnums used here. */
export const LSA_OPNUM = {
  LsarClose: 0,
  LsarQueryInformationPolicy: 7,
  LsarLookupNames: 14,
  LsarLookupSids: 15,
  LsarEnumerateAccountsWithUserRight: 35,
  LsarOpenPolicy2: 44,
} as const;

/** [MS-LSAD] 2.2.1.1.2 policy access rights used here. */
export const POLICY_ACCESS = { VIEW_LOCAL_INFORMATION: 0x00000001, LOOKUP_NAMES: 0x00000800 } as const;

/** [MS-LSAD] 2.2.4.1 POLICY_INFORMATION_CLASS values used here. */
export const POLICY_INFORMATION_CLASS = { PolicyPrimaryDomainInformation: 3, PolicyAccountDomainInformation: 5 } as const;

/** [MS-LSAT] 2.2.13 SID_NAME_USE. */
export const SID_NAME_USE = {
  1: 'user', 2: 'group', 3: 'domain', 4: 'alias', 5: 'well-known-group', 6: 'deleted-account', 7: 'invalid', 8: 'unknown', 9: 'computer', 10: 'label',
} as const satisfies Record<number, string>;
export type SidType = (typeof SID_NAME_USE)[keyof typeof SID_NAME_USE];

/** [MS-LSAT] 2.2.16 LSAP_LOOKUP_LEVEL LsapLookupWksta: the local machine's view, then its domain's. */
const LOOKUP_WKSTA = 1;

/** The user rights ([MS-LSAD] 3.1.1.2.1) whose holders matter to a privileged-access review. */
export const LOGON_RIGHTS = ['SeServiceLogonRight', 'SeBatchLogonRight', 'SeRemoteInteractiveLogonRight', 'SeInteractiveLogonRight', 'SeNetworkLogonRight'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Structures

/** [MS-LSAD] 2.2.2.4 LSAPR_OBJECT_ATTRIBUTES, sent empty as 3.1.4.4.1 asks (only Length is looked at: 24 here, its size). */
const OBJECT_ATTRIBUTES = struct({
  length: u32,
  rootDirectory: unique(u8),
  objectName: unique(wstring),
  attributes: u32,
  securityDescriptor: unique(u8),
  securityQualityOfService: unique(u8),
});
/** [MS-LSAD] 2.2.4.5 LSAPR_POLICY_ACCOUNT_DOM_INFO and 2.2.4.4 LSAPR_POLICY_PRIMARY_DOM_INFO: a name and a SID. */
const DOMAIN_INFO = struct({ name: rpcUnicodeString, sid: prpcSid });
/** [MS-LSAD] 2.2.4.2 LSAPR_POLICY_INFORMATION, only the arms used, behind its [out] unique pointer. */
const POLICY_INFORMATION = unique(union(enum16, {
  [POLICY_INFORMATION_CLASS.PolicyPrimaryDomainInformation]: DOMAIN_INFO,
  [POLICY_INFORMATION_CLASS.PolicyAccountDomainInformation]: DOMAIN_INFO,
}));
/** [MS-LSAT] 2.2.17 LSAPR_SID_INFORMATION in 2.2.18 LSAPR_SID_ENUM_BUFFER. */
const SID_ENUM_BUFFER = struct({ entries: u32, sidInfo: unique(conformantArray(struct({ sid: prpcSid }))) });
/** [MS-LSAT] 2.2.11 LSAPR_TRUST_INFORMATION in 2.2.12 LSAPR_REFERENCED_DOMAIN_LIST. */
const REFERENCED_DOMAIN_LIST = unique(struct({ entries: u32, domains: unique(conformantArray(DOMAIN_INFO)), maxEntries: u32 }));
/** [MS-LSAT] 2.2.19 LSAPR_TRANSLATED_NAME in 2.2.20 LSAPR_TRANSLATED_NAMES. */
const TRANSLATED_NAMES = struct({ entries: u32, names: unique(conformantArray(struct({ use: enum16, name: rpcUnicodeString, domainIndex: i32 }))) });
/** [MS-LSAT] 2.2.14 LSA_TRANSLATED_SID in 2.2.15 LSAPR_TRANSLATED_SIDS. */
const TRANSLATED_SIDS = struct({ entries: u32, sids: unique(conformantArray(struct({ use: enum16, relativeId: u32, domainIndex: i32 }))) });
/** [MS-LSAD] 2.2.5.1 LSAPR_ACCOUNT_INFORMATION in 2.2.5.2 LSAPR_ACCOUNT_ENUM_BUFFER. */
const ACCOUNT_ENUM_BUFFER = struct({ entriesRead: u32, information: unique(conformantArray(struct({ sid: prpcSid }))) });

const handleAndStatus = (r: NdrReader) => ({ handle: r.read(contextHandle), status: r.read(u32) });

/**
 * The response of each operation: its [out] parameters in order, then the NTSTATUS. Exported with the structures
 * for the fuzz targets (fuzz/samr-lsa.ts).
 */
export const LSA_RESPONSES = {
  /** LsarOpenPolicy2, LsarClose. */
  handle: handleAndStatus,
  LsarQueryInformationPolicy: (r: NdrReader) => ({ info: r.read(POLICY_INFORMATION), status: r.read(u32) }),
  LsarLookupSids: (r: NdrReader) => ({ domains: r.read(REFERENCED_DOMAIN_LIST), names: r.read(TRANSLATED_NAMES), mapped: r.read(u32), status: r.read(u32) }),
  LsarLookupNames: (r: NdrReader) => ({ domains: r.read(REFERENCED_DOMAIN_LIST), sids: r.read(TRANSLATED_SIDS), mapped: r.read(u32), status: r.read(u32) }),
  LsarEnumerateAccountsWithUserRight: (r: NdrReader) => ({ buffer: r.read(ACCOUNT_ENUM_BUFFER), status: r.read(u32) }),
} as const;
export const LSA_TYPES = { POLICY_INFORMATION, REFERENCED_DOMAIN_LIST, TRANSLATED_NAMES, TRANSLATED_SIDS, ACCOUNT_ENUM_BUFFER } as const;

// ---------------------------------------------------------------------------------------------------------------
// Operations

export type PolicyHandle = Buffer;

/** [MS-LSAD] 3.1.4.4.1 LsarOpenPolicy2 (Opnum 44). */
export async function lsarOpenPolicy2(rpc: RpcClient, systemName = '', access = POLICY_ACCESS.VIEW_LOCAL_INFORMATION | POLICY_ACCESS.LOOKUP_NAMES): Promise<PolicyHandle> {
  const attributes = { length: 24, rootDirectory: null, objectName: null, attributes: 0, securityDescriptor: null, securityQualityOfService: null };
  const request = encode([unique(wstring), systemName || null], [OBJECT_ATTRIBUTES, attributes], [u32, access]);
  const out = await invoke(rpc, LSA_OPNUM.LsarOpenPolicy2, 'LsarOpenPolicy2', request, LSA_RESPONSES.handle);
  checkStatus(out.status, 'LsarOpenPolicy2');
  return out.handle;
}

/** [MS-LSAD] 3.1.4.9.4 LsarClose (Opnum 0). */
export async function lsarClose(rpc: RpcClient, handle: PolicyHandle): Promise<void> {
  const out = await invoke(rpc, LSA_OPNUM.LsarClose, 'LsarClose', encode([contextHandle, handle]), LSA_RESPONSES.handle);
  checkStatus(out.status, 'LsarClose');
}

export interface DomainInformation {
  readonly name: string;
  /** Null for PolicyPrimaryDomainInformation of a machine in a workgroup. */
  readonly sid: string | null;
}

/**
 * [MS-LSAD] 3.1.4.4.4 LsarQueryInformationPolicy (Opnum 7) at PolicyAccountDomainInformation (the machine's own
 * account domain) or PolicyPrimaryDomainInformation (the domain or workgroup it belongs to).
 */
export async function lsarQueryDomainInformation(rpc: RpcClient, policy: PolicyHandle, which: 'account' | 'primary'): Promise<DomainInformation> {
  const level = which === 'account' ? POLICY_INFORMATION_CLASS.PolicyAccountDomainInformation : POLICY_INFORMATION_CLASS.PolicyPrimaryDomainInformation;
  const out = await invoke(rpc, LSA_OPNUM.LsarQueryInformationPolicy, 'LsarQueryInformationPolicy', encode([contextHandle, policy], [enum16, level]), LSA_RESPONSES.LsarQueryInformationPolicy);
  checkStatus(out.status, 'LsarQueryInformationPolicy');
  if (!out.info || out.info.tag !== level) throw new ProbeError('protocol-error', `LsarQueryInformationPolicy: no answer at level ${level}`);
  return { name: out.info.value.name ?? '', sid: out.info.value.sid };
}

/** One SID's translation; `name` null when it did not map. */
export interface TranslatedSid {
  readonly sid: string;
  readonly type: SidType;
  /** The account's name without its domain; null when unmapped (an orphaned SID). */
  readonly name: string | null;
  readonly domain: string | null;
  /** `DOMAIN\name`, or the SID itself when unmapped. */
  readonly display: string;
}

function sidTypeOf(use: number): SidType {
  return (SID_NAME_USE as Record<number, SidType>)[use] ?? 'unknown';
}

/**
 * [MS-LSAT] 3.1.4.11 LsarLookupSids (Opnum 15) at LsapLookupWksta. Every SID comes back, mapped or not:
 * STATUS_SOME_NOT_MAPPED and STATUS_NONE_MAPPED are answers, not failures.
 */
export async function lsarLookupSids(rpc: RpcClient, policy: PolicyHandle, sids: readonly string[]): Promise<TranslatedSid[]> {
  if (sids.length === 0) return [];
  const enumBuffer = { entries: sids.length, sidInfo: sids.map((sid) => ({ sid })) };
  const request = encode([contextHandle, policy], [SID_ENUM_BUFFER, enumBuffer], [TRANSLATED_NAMES, { entries: 0, names: null }], [enum16, LOOKUP_WKSTA], [u32, 0]);
  const out = await invoke(rpc, LSA_OPNUM.LsarLookupSids, 'LsarLookupSids', request, LSA_RESPONSES.LsarLookupSids);
  if (out.status === STATUS.STATUS_NONE_MAPPED) {
    return sids.map((sid) => ({ sid, type: 'unknown', name: null, domain: null, display: sid }));
  }
  checkStatus(out.status, 'LsarLookupSids', [STATUS.STATUS_SUCCESS, STATUS.STATUS_SOME_NOT_MAPPED]);
  const names = out.names.names ?? [];
  if (names.length !== sids.length) throw new ProbeError('protocol-error', `LsarLookupSids: ${names.length} names for ${sids.length} SIDs`);
  const domains = out.domains?.domains ?? [];
  return names.map((n, i) => {
    const sid = sids[i]!;
    const type = sidTypeOf(n.use);
    const domain = n.domainIndex >= 0 && n.domainIndex < domains.length ? (domains[n.domainIndex]!.name ?? null) : null;
    const unmapped = type === 'unknown' || type === 'invalid' || n.name === null;
    // An unmapped SID comes back with its own text as the name on some servers: only a mapped type names it.
    const name = unmapped ? null : n.name;
    return { sid, type, name, domain: unmapped ? null : domain, display: name === null ? sid : domain ? `${domain}\\${name}` : name };
  });
}

/** One name's translation; `sid` null when it did not map. */
export interface TranslatedName {
  readonly name: string;
  readonly type: SidType;
  readonly sid: string | null;
  readonly domain: string | null;
}

/** [MS-LSAT] 3.1.4.10 LsarLookupNames (Opnum 14) at LsapLookupWksta; unmapped names come back with a null SID. */
export async function lsarLookupNames(rpc: RpcClient, policy: PolicyHandle, names: readonly string[]): Promise<TranslatedName[]> {
  if (names.length === 0) return [];
  if (names.length > 1000) throw new RangeError('LsarLookupNames takes at most 1000 names ([MS-LSAT] 3.1.4.10: range(0,1000))');
  const request = encode([contextHandle, policy], [u32, names.length], [conformantArray(rpcUnicodeString), [...names]], [TRANSLATED_SIDS, { entries: 0, sids: null }], [enum16, LOOKUP_WKSTA], [u32, 0]);
  const out = await invoke(rpc, LSA_OPNUM.LsarLookupNames, 'LsarLookupNames', request, LSA_RESPONSES.LsarLookupNames);
  if (out.status === STATUS.STATUS_NONE_MAPPED) return names.map((name) => ({ name, type: 'unknown', sid: null, domain: null }));
  checkStatus(out.status, 'LsarLookupNames', [STATUS.STATUS_SUCCESS, STATUS.STATUS_SOME_NOT_MAPPED]);
  const translated = out.sids.sids ?? [];
  if (translated.length !== names.length) throw new ProbeError('protocol-error', `LsarLookupNames: ${translated.length} SIDs for ${names.length} names`);
  const domains = out.domains?.domains ?? [];
  return translated.map((t, i) => {
    const type = sidTypeOf(t.use);
    const domain = t.domainIndex >= 0 && t.domainIndex < domains.length ? domains[t.domainIndex]! : null;
    // [MS-LSAT] 2.2.14: the SID is the referenced domain's SID plus RelativeId; a domain's own entry has no RID.
    let sid: string | null = null;
    if (domain?.sid && type !== 'unknown' && type !== 'invalid') sid = type === 'domain' ? domain.sid : `${domain.sid}-${t.relativeId}`;
    return { name: names[i]!, type, sid, domain: domain?.name ?? null };
  });
}

/** The holders of one user right, or why there is no list. */
export type RightHolders =
  | { readonly right: string; readonly outcome: 'listed'; readonly sids: readonly string[] }
  /** STATUS_NO_MORE_ENTRIES (Windows), or success with no entries (Samba): the server says no account holds the right. */
  | { readonly right: string; readonly outcome: 'none-held'; readonly status: string }
  /** STATUS_NO_SUCH_PRIVILEGE, STATUS_NOT_SUPPORTED, an access refusal: the server would not say. */
  | { readonly right: string; readonly outcome: 'not-available'; readonly status: string; readonly probeStatus: string };

/** [MS-LSAD] 3.1.4.8.6 LsarEnumerateAccountsWithUserRight (Opnum 35). */
export async function lsarEnumerateAccountsWithUserRight(rpc: RpcClient, policy: PolicyHandle, right: string): Promise<RightHolders> {
  const out = await invoke(rpc, LSA_OPNUM.LsarEnumerateAccountsWithUserRight, 'LsarEnumerateAccountsWithUserRight',
    encode([contextHandle, policy], [unique(rpcUnicodeString), right]), LSA_RESPONSES.LsarEnumerateAccountsWithUserRight);
  if (out.status === STATUS.STATUS_NO_MORE_ENTRIES) return { right, outcome: 'none-held', status: statusName(out.status) };
  if (out.status !== STATUS.STATUS_SUCCESS) {
    const err = new NtStatusError(out.status, 'LsarEnumerateAccountsWithUserRight');
    if (err.status === 'protocol-error' && out.status !== STATUS.STATUS_NO_SUCH_PRIVILEGE) throw err;
    return { right, outcome: 'not-available', status: err.statusName, probeStatus: out.status === STATUS.STATUS_NO_SUCH_PRIVILEGE ? 'unsupported' : err.status };
  }
  const sids = (out.buffer.information ?? []).map((i) => i.sid).filter((s): s is string => s !== null);
  if (sids.length === 0) return { right, outcome: 'none-held', status: statusName(out.status) };
  return { right, outcome: 'listed', sids };
}

// ---------------------------------------------------------------------------------------------------------------
// The walk

export interface LsaInventory {
  readonly accountDomain: DomainInformation;
  readonly primaryDomain: DomainInformation;
  /** Every SID asked about, translated or kept raw. */
  readonly translations: readonly TranslatedSid[];
  readonly rights: readonly RightHolders[];
}

export interface EnumerateLsaOptions {
  /** SIDs to translate (the members of local groups, the holders of rights are added). @default none */
  readonly sids?: readonly string[];
  /** @default LOGON_RIGHTS */
  readonly rights?: readonly string[];
  readonly bind?: PipeBindOptions;
}

/** Opens \PIPE\lsarpc, reads the domains, the holders of the logon rights, and translates every SID seen. */
export async function enumerateLsa(smb: Smb2Client, options: EnumerateLsaOptions = {}): Promise<LsaInventory> {
  const rpc = await bindPipe(smb, LSARPC_PIPE, LSARPC_SYNTAX, options.bind);
  try {
    return await enumerateLsaOver(rpc, options);
  } finally {
    await rpc.close();
  }
}

/** The LSA walk over an RpcClient already bound to LSARPC. */
export async function enumerateLsaOver(rpc: RpcClient, options: EnumerateLsaOptions = {}): Promise<LsaInventory> {
  const policy = await lsarOpenPolicy2(rpc);
  try {
    const accountDomain = await lsarQueryDomainInformation(rpc, policy, 'account');
    const primaryDomain = await lsarQueryDomainInformation(rpc, policy, 'primary');
    const rights: RightHolders[] = [];
    for (const right of options.rights ?? LOGON_RIGHTS) rights.push(await lsarEnumerateAccountsWithUserRight(rpc, policy, right));
    const sids = [...new Set([...(options.sids ?? []), ...rights.flatMap((r) => (r.outcome === 'listed' ? r.sids : []))])];
    const translations: TranslatedSid[] = [];
    for (let i = 0; i < sids.length; i += 1000) translations.push(...(await lsarLookupSids(rpc, policy, sids.slice(i, i + 1000))));
    return { accountDomain, primaryDomain, translations, rights };
  } finally {
    try {
      await lsarClose(rpc, policy);
    } catch {
      // a policy handle on a broken connection is gone with it
    }
  }
}

/** For readers of an inventory: the member list of an alias as names where they mapped, raw SIDs where not. */
export function displayNames(sids: readonly string[], translations: readonly TranslatedSid[]): string[] {
  const bySid = new Map(translations.map((t) => [t.sid, t.display]));
  return sids.map((s) => bySid.get(s) ?? s);
}

