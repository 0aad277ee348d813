/**
 * SAMR and LSARPC request stubs as literal bytes laid out from the specifications ([MS-SAMR], [MS-LSAT], [MS-LSAD]
 * with NDR 2.0, C706 14), and answers written by hand fed back through a stand-in RPC client: the resume-handle
 * loop of an enumeration, a failure status named, unmapped SIDs kept raw, and a right nobody holds.
 */
import test from 'ava';
import type { RpcClient } from '../enum/dcerpc/client.js';
import { lsarEnumerateAccountsWithUserRight, lsarLookupSids } from '../enum/msrpc/lsarpc.js';
import { NtStatusError } from '../enum/msrpc/common.js';
import { accountFlags, aliasMembers, samrEnumerateUsers, samrOpenUser } from '../enum/msrpc/samr.js';

const HANDLE = Buffer.from('00000000' + '11'.repeat(16), 'hex');

/** An RpcClient that records each call and answers from a list. */
function standIn(answers: Buffer[]): { rpc: RpcClient; calls: Array<{ opnum: number; stub: string }> } {
  const calls: Array<{ opnum: number; stub: string }> = [];
  const rpc = { call: async (opnum: number, stub: Buffer) => { calls.push({ opnum, stub: stub.toString('hex') }); return answers.shift()!; } } as unknown as RpcClient;
  return { rpc, calls };
}

const le32 = (...values: number[]) => Buffer.concat(values.map((v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0, 0); return b; }));
/** RPC_UNICODE_STRING body (the deferred WCHAR array): max_count, offset, actual_count, the units, padded to 4 unless last. */
const wchars = (s: string, last = false) => {
  const u = Buffer.from(s, 'utf16le');
  return Buffer.concat([le32(s.length, 0, s.length), u, Buffer.alloc(last ? 0 : (4 - (u.length % 4)) % 4)]);
};

test('SamrOpenUser: the domain handle, DesiredAccess, UserId; the answer\'s handle', async (t) => {
  const { rpc, calls } = standIn([Buffer.concat([Buffer.alloc(20, 0xab), le32(0)])]);
  const h = await samrOpenUser(rpc, HANDLE, 1000);
  t.deepEqual(calls, [{ opnum: 34, stub: HANDLE.toString('hex') + '17000000' + 'e8030000' }]);
  t.deepEqual(h, Buffer.alloc(20, 0xab));
});

test('SamrEnumerateUsersInDomain: STATUS_MORE_ENTRIES continues from the returned resume handle, STATUS_SUCCESS ends', async (t) => {
  // [out] EnumerationContext, PSAMPR_ENUMERATION_BUFFER (referent, EntriesRead, Buffer referent, max_count, the
  // SAMPR_RID_ENUMERATIONs with their names deferred), CountReturned, NTSTATUS
  const page = (context: number, rid: number, name: string, status: number) => Buffer.concat([
    le32(context, 0x20000, 1, 0x20004, 1, rid), Buffer.from([name.length * 2, 0, name.length * 2, 0]), le32(0x20008), wchars(name), le32(1, status),
  ]);
  const { rpc, calls } = standIn([page(1, 500, 'Administrator', 0x105), page(2, 1000, 'alice', 0)]);
  t.deepEqual(await samrEnumerateUsers(rpc, HANDLE, 0, 100), [{ rid: 500, name: 'Administrator' }, { rid: 1000, name: 'alice' }]);
  // handle, EnumerationContext, UserAccountControl, PreferedMaximumLength
  t.deepEqual(calls.map((c) => c.stub), [HANDLE.toString('hex') + '00000000' + '00000000' + '64000000', HANDLE.toString('hex') + '01000000' + '00000000' + '64000000']);
  t.true(calls.every((c) => c.opnum === 13));
});

test('a failure NTSTATUS is an NtStatusError naming it, access-denied for STATUS_ACCESS_DENIED', async (t) => {
  const { rpc } = standIn([Buffer.concat([Buffer.alloc(20), le32(0xc0000022)])]);
  const err = await t.throwsAsync(samrOpenUser(rpc, HANDLE, 500), { instanceOf: NtStatusError });
  t.is(err.status, 'access-denied');
  t.is(err.message, 'SamrOpenUser failed: STATUS_ACCESS_DENIED');
});

test('LsarLookupSids: SIDs that do not map are kept as they are (STATUS_SOME_NOT_MAPPED, STATUS_NONE_MAPPED)', async (t) => {
  const domain = 'S-1-5-21-1-2-3';
  const sids = [`${domain}-1000`, `${domain}-1107`];
  // ReferencedDomains: referent, Entries 1, Domains referent, MaxEntries 32, max_count 1, TRUST_INFORMATION (Name
  // with its referent, Sid referent), the name's WCHARs, the SID (conformance, revision, count, authority, subs)
  const referenced = Buffer.concat([
    le32(0x20000, 1, 0x20004, 32, 1), Buffer.from([8, 0, 8, 0]), le32(0x20008, 0x2000c), wchars('HOST'),
    le32(4), Buffer.from([1, 4, 0, 0, 0, 0, 0, 5]), le32(21, 1, 2, 3),
  ]);
  // TranslatedNames: Entries 2, referent, max_count 2, (Use, Name, DomainIndex) x2, the one name deferred
  const names = Buffer.concat([
    le32(2, 0x20010, 2), Buffer.from([1, 0, 0, 0, 10, 0, 10, 0]), le32(0x20014, 0), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), le32(0, 0xffffffff), wchars('alice'),
  ]);
  const { rpc, calls } = standIn([Buffer.concat([referenced, names, le32(1, 0x107)]), Buffer.concat([le32(0), le32(0, 0), le32(0, 0xc0000073)])]);
  const mapped = await lsarLookupSids(rpc, HANDLE, sids);
  t.deepEqual(mapped.map((m) => [m.display, m.type, m.name]), [['HOST\\alice', 'user', 'alice'], [`${domain}-1107`, 'unknown', null]]);
  t.is(calls[0]!.opnum, 15);
  const none = await lsarLookupSids(rpc, HANDLE, [`${domain}-1107`]);
  t.deepEqual(none.map((m) => m.display), [`${domain}-1107`]);
});

test('LsarEnumerateAccountsWithUserRight: nobody holding a right and an unknown right are answers with their status, not empty lists', async (t) => {
  const { rpc, calls } = standIn([le32(0, 0, 0x8000001a), le32(0, 0, 0xc0000060)]);
  t.deepEqual(await lsarEnumerateAccountsWithUserRight(rpc, HANDLE, 'SeBatchLogonRight'), { right: 'SeBatchLogonRight', outcome: 'none-held', status: 'STATUS_NO_MORE_ENTRIES' });
  t.like(await lsarEnumerateAccountsWithUserRight(rpc, HANDLE, 'SeServiceLogonRight'), { outcome: 'not-available', status: 'STATUS_NO_SUCH_PRIVILEGE', probeStatus: 'unsupported' });
  // handle, then the unique RPC_UNICODE_STRING: referent, Length 34, MaximumLength 34, buffer referent, the WCHARs
  const right = 'SeBatchLogonRight';
  t.is(calls[0]!.stub, HANDLE.toString('hex') + Buffer.concat([le32(0x20000), Buffer.from([34, 0, 34, 0]), le32(0x20004), wchars(right, true)]).toString('hex'));
});

test('UserAccountControl bits as flags ([MS-SAMR] 2.2.1.12)', (t) => {
  t.like(accountFlags(0x211), { disabled: true, passwordNeverExpires: true, normalAccount: true, locked: false, passwordNotRequired: false });
  t.like(accountFlags(0x414), { locked: true, passwordNotRequired: true, disabled: false });
});

test('aliasMembers: members of an alias through nested groups of the account domain, each with its path, cycles cut', (t) => {
  const d = 'S-1-5-21-9-9-9';
  const inventory = {
    domains: [], accountDomain: { name: 'LAB', sid: d }, users: [], problems: [],
    groups: [
      { rid: 512, name: 'Domain Admins', sid: `${d}-512`, members: [500, 1105, 1200] },
      { rid: 1105, name: 'Tier0', sid: `${d}-1105`, members: [1106, 512] },
      { rid: 1300, name: 'Unreadable', sid: `${d}-1300`, members: null },
    ],
    aliases: [{ domainSid: 'S-1-5-32', rid: 544, sid: 'S-1-5-32-544', name: 'Administrators', members: [`${d}-512`, `${d}-500`, 'S-1-5-21-1-1-1-513', `${d}-1300`] }],
  };
  const got = aliasMembers(inventory, 'S-1-5-32-544').map((m) => [m.sid.replace(`${d}-`, ''), m.path.map((p) => p.replace(`${d}-`, '')).join('>'), m.isGroup]);
  t.deepEqual(got, [
    ['512', 'S-1-5-32-544', true], ['500', 'S-1-5-32-544', false], ['S-1-5-21-1-1-1-513', 'S-1-5-32-544', false], ['1300', 'S-1-5-32-544', true],
    ['1105', 'S-1-5-32-544>512', true], ['1200', 'S-1-5-32-544>512', false], ['1106', 'S-1-5-32-544>512>1105', false],
  ]);
  t.deepEqual(aliasMembers(inventory, 'S-1-5-32-555'), []);
});
