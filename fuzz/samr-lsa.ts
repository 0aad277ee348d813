/**
 * Fuzz targets for SAMR and LSARPC (enum/msrpc/samr.ts, lsarpc.ts): every response decoder, seeded with answers
 * encoded from the same structure declarations (the spec's shapes with plausible values) and then mutated as
 * DCE/RPC stubs are (fuzz/harness.ts). test/samr-lsa-fuzz.test.ts runs each; so does npm run fuzz.
 */
import { contextHandle, prpcSid } from '../enum/dcerpc/dtyp.js';
import { type Codec, encode, NdrReader, u32 } from '../enum/dcerpc/ndr.js';
import { LSA_RESPONSES, LSA_TYPES } from '../enum/msrpc/lsarpc.js';
import { SAMR_RESPONSES, SAMR_TYPES } from '../enum/msrpc/samr.js';
import { DCERPC } from './dcerpc.js';
import { type FuzzTarget, withMutation } from './harness.js';

const HANDLE = Buffer.from('0000000011223344556677889900aabbccddeeff', 'hex');
const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';
const ok = (...params: Array<[Codec<any>, unknown]>) => encode(...params, [u32, 0]);
const blank = { length: 0, maximumLength: 0, buffer: null };

const USER_ALL = {
  lastLogon: 133_500_000_000_000_000n, lastLogoff: 0n, passwordLastSet: 133_400_000_000_000_000n, accountExpires: 0x7fffffffffffffffn,
  passwordCanChange: 133_400_000_000_000_000n, passwordMustChange: 0x7fffffffffffffffn,
  userName: 'alice', fullName: 'Alice Example', homeDirectory: '\\\\HOST\\alice', homeDirectoryDrive: 'H:', scriptPath: null, profilePath: null,
  adminComment: 'ops', workStations: null, userComment: null, parameters: null,
  lmOwfPassword: blank, ntOwfPassword: blank, privateData: null,
  securityDescriptor: { length: 4, securityDescriptor: Buffer.from([1, 0, 4, 0x80]) },
  userId: 1000, primaryGroupId: 513, userAccountControl: 0x210, whichFields: 0x00ffffff,
  logonHours: { unitsPerWeek: 168, logonHours: Buffer.alloc(21, 0xff) },
  badPasswordCount: 1, logonCount: 42, countryCode: 0, codePage: 0, lmPasswordPresent: 0, ntPasswordPresent: 1, passwordExpired: 0, privateDataSensitive: 0,
};

function target(name: string, decode: (r: NdrReader) => unknown, seeds: Buffer[]): FuzzTarget {
  return {
    name,
    seeds,
    run(input) {
      const r = new NdrReader(input);
      const out = decode(r);
      r.end();
      return out;
    },
  };
}

export const SAMR_LSA_FUZZ_TARGETS: FuzzTarget[] = withMutation(DCERPC, [
  target('samr handle response', SAMR_RESPONSES.handle, [ok([contextHandle, HANDLE])]),
  target('samr SamrConnect5 response', SAMR_RESPONSES.SamrConnect5, [
    ok([u32, 1], [SAMR_TYPES.REVISION_INFO, { tag: 1, value: { revision: 3, supportedFeatures: 0 } }], [contextHandle, HANDLE]),
  ]),
  target('samr enumeration response', SAMR_RESPONSES.enumeration, [
    encode([u32, 3], [SAMR_TYPES.ENUMERATION_BUFFER, { entriesRead: 3, buffer: [{ relativeId: 500, name: 'Administrator' }, { relativeId: 501, name: 'Guest' }, { relativeId: 1000, name: '' }] }], [u32, 3], [u32, 0x105]),
    ok([u32, 0], [SAMR_TYPES.ENUMERATION_BUFFER, null], [u32, 0]),
  ]),
  target('samr SamrLookupDomainInSamServer response', SAMR_RESPONSES.SamrLookupDomainInSamServer, [ok([prpcSid, DOMAIN])]),
  target('samr SamrGetMembersInAlias response', SAMR_RESPONSES.SamrGetMembersInAlias, [
    ok([SAMR_TYPES.PSID_ARRAY_OUT, { count: 3, sids: [{ sid: `${DOMAIN}-500` }, { sid: 'S-1-5-32-545' }, { sid: `${DOMAIN}-1107` }] }]),
  ]),
  target('samr SamrGetMembersInGroup response', SAMR_RESPONSES.SamrGetMembersInGroup, [
    ok([SAMR_TYPES.GET_MEMBERS_BUFFER, { memberCount: 2, members: [500, 1105], attributes: [7, 7] }]),
    ok([SAMR_TYPES.GET_MEMBERS_BUFFER, { memberCount: 0, members: null, attributes: null }]),
  ]),
  target('samr SamrQueryInformationUser2 response', SAMR_RESPONSES.SamrQueryInformationUser2, [
    ok([SAMR_TYPES.USER_INFO_BUFFER, { tag: SAMR_TYPES.USER_ALL_INFORMATION_CLASS, value: USER_ALL }]),
  ]),
  target('lsa handle response', LSA_RESPONSES.handle, [ok([contextHandle, HANDLE])]),
  target('lsa LsarQueryInformationPolicy response', LSA_RESPONSES.LsarQueryInformationPolicy, [
    ok([LSA_TYPES.POLICY_INFORMATION, { tag: 5, value: { name: 'HOST', sid: DOMAIN } }]),
    ok([LSA_TYPES.POLICY_INFORMATION, { tag: 3, value: { name: 'WORKGROUP', sid: null } }]),
  ]),
  target('lsa LsarLookupSids response', LSA_RESPONSES.LsarLookupSids, [
    encode(
      [LSA_TYPES.REFERENCED_DOMAIN_LIST, { entries: 2, domains: [{ name: 'HOST', sid: DOMAIN }, { name: 'BUILTIN', sid: 'S-1-5-32' }], maxEntries: 32 }],
      [LSA_TYPES.TRANSLATED_NAMES, { entries: 3, names: [{ use: 1, name: 'alice', domainIndex: 0 }, { use: 4, name: 'Administrators', domainIndex: 1 }, { use: 8, name: null, domainIndex: -1 }] }],
      [u32, 2], [u32, 0x107],
    ),
  ]),
  target('lsa LsarLookupNames response', LSA_RESPONSES.LsarLookupNames, [
    encode(
      [LSA_TYPES.REFERENCED_DOMAIN_LIST, { entries: 1, domains: [{ name: 'HOST', sid: DOMAIN }], maxEntries: 32 }],
      [LSA_TYPES.TRANSLATED_SIDS, { entries: 2, sids: [{ use: 1, relativeId: 1000, domainIndex: 0 }, { use: 8, relativeId: 0, domainIndex: -1 }] }],
      [u32, 1], [u32, 0x107],
    ),
  ]),
  target('lsa LsarEnumerateAccountsWithUserRight response', LSA_RESPONSES.LsarEnumerateAccountsWithUserRight, [
    ok([LSA_TYPES.ACCOUNT_ENUM_BUFFER, { entriesRead: 2, information: [{ sid: `${DOMAIN}-1107` }, { sid: 'S-1-5-20' }] }]),
  ]),
]);
