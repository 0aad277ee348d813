/**
 * NDR 2.0 (C706 chapter 14) and the [MS-DTYP] types: literal octets written out from the specifications, round
 * trips, and hostile counts that must fail fast with a ProbeError.
 */
import test from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import {
  contextHandle,
  filetime,
  filetimeToDate,
  formatSid,
  isNtSuccess,
  ntstatus,
  ntstatusName,
  oldLargeInteger,
  parseSid,
  prpcSid,
  ridOf,
  rpcSid,
  rpcUnicodeString,
} from '../enum/dcerpc/dtyp.js';
import {
  type Codec,
  conformantArray,
  conformantVaryingArray,
  conformantVaryingBytes,
  empty,
  encode,
  enum16,
  fixedArray,
  full,
  hyper,
  NdrReader,
  NdrWriter,
  struct,
  u16,
  u32,
  u8,
  union,
  unique,
  varyingArray,
  wstring,
} from '../enum/dcerpc/ndr.js';

const bytes = (...fields: string[]) => Buffer.from(fields.join('').replace(/\s+/g, ''), 'hex');
const utf16 = (s: string) => Buffer.from(s, 'utf16le').toString('hex');
const decode = <T>(codec: Codec<T>, b: Buffer): T => new NdrReader(b).read(codec);

test('RPC_UNICODE_STRING ([MS-DTYP] 2.3.10): octet lengths, a unique pointer, a conformant varying WCHAR array', (t) => {
  const guest = bytes(
    '0a 00', // Length 10 octets
    '0a 00', // MaximumLength 10
    '00 00 02 00', // Buffer: referent ID
    '05 00 00 00', // max_count 5 = MaximumLength / 2 (C706 14.3.3.4)
    '00 00 00 00', // offset 0
    '05 00 00 00', // actual_count 5 = Length / 2
    utf16('Guest'), // no terminator: the buffer is counted, not [string]
  );
  t.deepEqual(encode([rpcUnicodeString, 'Guest']), guest);
  t.is(decode(rpcUnicodeString, guest), 'Guest');
  const emptyString = bytes('00 00 00 00', '00 00 02 00', '00 00 00 00 00 00 00 00 00 00 00 00');
  t.deepEqual(encode([rpcUnicodeString, '']), emptyString);
  t.is(decode(rpcUnicodeString, emptyString), '');
  t.deepEqual(encode([rpcUnicodeString, null]), Buffer.alloc(8), 'null: zero lengths, null pointer');
  t.is(decode(rpcUnicodeString, Buffer.alloc(8)), null);
  // An odd Length (5 octets) is what a careless server sends; the wire counts decide, and they say 2 characters.
  const odd = bytes('05 00', '06 00', '00 00 02 00', '03 00 00 00', '00 00 00 00', '02 00 00 00', utf16('ab'));
  t.is(decode(rpcUnicodeString, odd), 'ab');
  // Two strings in a structure: the odd-length pointee of the first is padded before the second's max_count.
  const pair = struct({ a: rpcUnicodeString, b: rpcUnicodeString });
  const wire = bytes(
    '06 00 06 00 00 00 02 00', // a: Length 6, MaximumLength 6, referent
    '04 00 04 00 04 00 02 00', // b: Length 4, MaximumLength 4, referent
    '03 00 00 00 00 00 00 00 03 00 00 00', utf16('abc'), '00 00', // a's array, 6 octets, 2 of padding
    '02 00 00 00 00 00 00 00 02 00 00 00', utf16('de'), // b's array
  );
  t.deepEqual(encode([pair, { a: 'abc', b: 'de' }]), wire);
  t.deepEqual(decode(pair, wire), { a: 'abc', b: 'de' });
  t.deepEqual(decode(rpcUnicodeString, encode([rpcUnicodeString, 'Jos\u00e9 \u{1f600}'])), 'Jos\u00e9 \u{1f600}', 'surrogate pairs survive');
});

test('RPC_SID ([MS-DTYP] 2.4.2.3): the sub-authority count leads as the conformance', (t) => {
  const admin = 'S-1-5-21-2373686211-2046929597-637280470-500';
  const wire = bytes(
    '05 00 00 00', // max_count: SubAuthorityCount as the conformance, first in a conformant structure (C706 14.3)
    '01', // Revision 1
    '05', // SubAuthorityCount 5
    '00 00 00 00 00 05', // IdentifierAuthority {0,0,0,0,0,5}: NT AUTHORITY, big-endian
    '15 00 00 00', // 21
    'c3 93 7b 8d', // 2373686211 = 0x8d7b93c3
    'bd aa 01 7a', // 2046929597 = 0x7a01aabd
    'd6 20 fc 25', // 637280470 = 0x25fc20d6
    'f4 01 00 00', // 500
  );
  t.deepEqual(encode([rpcSid, admin]), wire);
  t.is(decode(rpcSid, wire), admin);
  const builtinAdmins = bytes('02 00 00 00', '01 02', '00 00 00 00 00 05', '20 00 00 00', '20 02 00 00');
  t.deepEqual(encode([rpcSid, 'S-1-5-32-544']), builtinAdmins);
  t.is(decode(rpcSid, builtinAdmins), 'S-1-5-32-544');
  t.deepEqual(encode([prpcSid, 'S-1-5-32-544']), Buffer.concat([bytes('00 00 02 00'), builtinAdmins]), 'PRPC_SID: referent, then the SID');
  t.is(decode(prpcSid, bytes('00 00 00 00')), null);
  t.is(ridOf(admin), 500);
  t.is(formatSid({ revision: 1, authority: 2 ** 40, subAuthorities: [1] }), 'S-1-0x010000000000-1', 'large authorities in hex ([MS-DTYP] 2.4.2.1)');
  t.deepEqual(parseSid('S-1-0x010000000000-1'), { revision: 1, authority: 2 ** 40, subAuthorities: [1] });
  t.throws(() => parseSid('S-1-5-4294967296'), { instanceOf: TypeError });
  t.throws(() => parseSid('S-2-5'), { instanceOf: TypeError });
  const mismatch = Buffer.from(builtinAdmins);
  mismatch[0] = 3;
  t.throws(() => decode(rpcSid, mismatch), { instanceOf: ProbeError, message: /2 sub-authorities and conformance 3/ });
  const tooMany = bytes('10 00 00 00', '01 10', '00 00 00 00 00 05', '00'.repeat(64));
  t.throws(() => decode(rpcSid, tooMany), { message: /16 sub-authorities/ });
  t.throws(() => decode(rpcSid, builtinAdmins.subarray(0, 18)), { message: /2 elements cannot fit in 6 octets/ });
  t.throws(() => decode(rpcSid, builtinAdmins.subarray(0, 9)), { message: /needs 6 octets/ });
});

test('two unique pointers in a structure: referents in place, pointees after the structure in order (C706 14.3.10)', (t) => {
  const s = struct({ count: u32, name: unique(wstring), value: unique(u32), flags: u16 });
  const wire = bytes(
    '07 00 00 00', // count
    '00 00 02 00', // name: referent
    '04 00 02 00', // value: referent
    '01 00', // flags
    '00 00', // pad: the deferred string's max_count is 4-aligned
    '03 00 00 00 00 00 00 00 03 00 00 00', utf16('hi\0'), // name: [string], terminator counted
    '00 00', // pad to 4
    '2a 00 00 00', // value
  );
  t.deepEqual(encode([s, { count: 7, name: 'hi', value: 42, flags: 1 }]), wire);
  t.deepEqual(decode(s, wire), { count: 7, name: 'hi', value: 42, flags: 1 });
  t.deepEqual(encode([s, { count: 7, name: null, value: null, flags: 1 }]), bytes('07 00 00 00', '00 00 00 00', '00 00 00 00', '01 00'));
});

test("nested pointees go depth first: a pointee's own pointees follow it before the next pointee", (t) => {
  const inner = struct({ q: unique(u32) });
  const outer = struct({ p1: unique(inner), p2: unique(u32) });
  const wire = bytes(
    '00 00 02 00', // p1 referent
    '04 00 02 00', // p2 referent
    '08 00 02 00', // *p1: q referent
    '01 00 00 00', // *q
    '02 00 00 00', // *p2
  );
  t.deepEqual(encode([outer, { p1: { q: 1 }, p2: 2 }]), wire);
  t.deepEqual(decode(outer, wire), { p1: { q: 1 }, p2: 2 });
});

// [MS-SAMR] 2.2.7.1 SAMPR_RID_ENUMERATION and 2.2.7.2 SAMPR_ENUMERATION_BUFFER, declared as an interface module would.
const SAMPR_RID_ENUMERATION = struct({ relativeId: u32, name: rpcUnicodeString });
const SAMPR_ENUMERATION_BUFFER = struct({ entriesRead: u32, buffer: unique(conformantArray(SAMPR_RID_ENUMERATION)) });

/** [MS-SAMR] 3.1.5.2.5 SamrEnumerateUsersInDomain (Opnum 13): the [out] parameters, in order. */
const ENUMERATE_USERS_RESPONSE = bytes(
  '03 00 00 00', // [in, out] unsigned long* EnumerationContext (top-level [ref]: no referent)
  '00 00 02 00', // [out] PSAMPR_ENUMERATION_BUFFER* Buffer: [ref] to [unique], so one referent ID
  '03 00 00 00', //   EntriesRead 3
  '04 00 02 00', //   Buffer: referent of the conformant array
  '03 00 00 00', //   max_count 3
  'f4 01 00 00', //   [0] RelativeId 500
  '1a 00 1a 00', //       Name: Length 26, MaximumLength 26
  '08 00 02 00', //       Name.Buffer referent
  'f5 01 00 00', //   [1] RelativeId 501
  '0a 00 0a 00', //       Length 10, MaximumLength 10
  '0c 00 02 00', //       referent
  'f6 01 00 00', //   [2] RelativeId 502
  '0c 00 0c 00', //       Length 12, MaximumLength 12
  '10 00 02 00', //       referent
  '0d 00 00 00 00 00 00 00 0d 00 00 00', utf16('Administrator'), '00 00', // [0] name, 13 characters, padded to 4
  '05 00 00 00 00 00 00 00 05 00 00 00', utf16('Guest'), '00 00', // [1] name
  '06 00 00 00 00 00 00 00 06 00 00 00', utf16('krbtgt'), // [2] name
  '03 00 00 00', // [out] unsigned long* CountReturned
  '00 00 00 00', // return value: STATUS_SUCCESS
);

test('SamrEnumerateUsersInDomain response: a conformant array of structures with pointers, built from [MS-SAMR]', (t) => {
  const r = new NdrReader(ENUMERATE_USERS_RESPONSE);
  const enumerationContext = r.read(u32);
  const buffer = r.read(unique(SAMPR_ENUMERATION_BUFFER));
  const countReturned = r.read(u32);
  const status = r.read(ntstatus);
  r.end();
  t.is(enumerationContext, 3);
  t.deepEqual(buffer, {
    entriesRead: 3,
    buffer: [
      { relativeId: 500, name: 'Administrator' },
      { relativeId: 501, name: 'Guest' },
      { relativeId: 502, name: 'krbtgt' },
    ],
  });
  t.is(countReturned, 3);
  t.is(ntstatusName(status), 'STATUS_SUCCESS');
  const w = new NdrWriter();
  w.write(u32, 3).write(unique(SAMPR_ENUMERATION_BUFFER), buffer).write(u32, 3).write(ntstatus, 0);
  t.deepEqual(w.finish(), ENUMERATE_USERS_RESPONSE, 'the writer lays it out the same');
});

test('unions carry their discriminant before the arm (C706 14.3.8), behind a pointer as [MS-SAMR] returns them', (t) => {
  const info = union(enum16, { 1: u32, 2: rpcUnicodeString, 3: empty });
  const wire = bytes(
    '00 00 02 00', // PSAMPR_USER_INFO_BUFFER-style unique pointer
    '02 00', // discriminant (an enum: 16 bits)
    '00 00', // pad: the arm is a 4-aligned structure
    '08 00 08 00 04 00 02 00', // RPC_UNICODE_STRING
    '04 00 00 00 00 00 00 00 04 00 00 00', utf16('user'),
  );
  t.deepEqual(encode([unique(info), { tag: 2, value: 'user' }]), wire);
  t.deepEqual(decode(unique(info), wire), { tag: 2, value: 'user' });
  t.deepEqual(decode(info, bytes('01 00 00 00 2a 00 00 00')), { tag: 1, value: 42 });
  t.deepEqual(decode(info, bytes('03 00')), { tag: 3, value: null });
  t.throws(() => decode(info, bytes('09 00 00 00')), { instanceOf: ProbeError, message: /tag 9 has no arm/ });
  const level = union(u32, { 1: unique(conformantArray(u32)) }); // a SHARE_ENUM_UNION-style DWORD switch
  t.deepEqual(encode([level, { tag: 1, value: [5] }]), bytes('01 00 00 00', '00 00 02 00', '01 00 00 00', '05 00 00 00'));
  t.throws(() => encode([enum16, 0x8000]), { instanceOf: RangeError });
  const arms = { 1: u8, 2: hyper };
  t.deepEqual(encode([union(u16, arms), { tag: 1, value: 9 }]), bytes('01 00', '09'), 'NDR: the arm aligns itself');
  const msUnion = union(u16, arms, { msUnion: true });
  t.deepEqual(encode([msUnion, { tag: 1, value: 9 }]), bytes('01 00', '00 00 00 00 00 00', '09'), '[ms_union]: aligned to the widest arm');
  t.deepEqual(decode(msUnion, bytes('01 00', '00 00 00 00 00 00', '09')), { tag: 1, value: 9 });
});

test('alignment is counted from the start of the stub: a hyper after a u16 starts at 8 (C706 14.2.2)', (t) => {
  const s = struct({ a: u16, b: hyper });
  t.is(s.align, 8);
  const wire = bytes('01 00', '00 00 00 00 00 00', 'fe ff ff ff ff ff ff ff');
  t.deepEqual(encode([s, { a: 1, b: -2n }]), wire);
  t.deepEqual(decode(s, wire), { a: 1, b: -2n });
  t.deepEqual(encode([u8, 1], [s, { a: 1, b: 0n }]), bytes('01', '00 00 00 00 00 00 00', '01 00', '00 00 00 00 00 00', '00'.repeat(8)), 'the structure aligns as a whole');
});

test('arrays: conformant, varying, conformant varying, fixed; counts are checked against the octets left', (t) => {
  t.deepEqual(encode([conformantArray(u16), [1, 2]]), bytes('02 00 00 00', '01 00 02 00'));
  t.deepEqual(encode([varyingArray(u16, 8), [1, 2]]), bytes('00 00 00 00', '02 00 00 00', '01 00 02 00'));
  t.deepEqual(encode([conformantVaryingArray(u8), [9]]), bytes('01 00 00 00', '00 00 00 00', '01 00 00 00', '09'));
  t.deepEqual(encode([fixedArray(u8, 3), [1, 2, 3]]), bytes('01 02 03'));
  t.deepEqual(decode(conformantVaryingArray(u16), bytes('04 00 00 00', '01 00 00 00', '02 00 00 00', '07 00 08 00')), [7, 8]);
  t.deepEqual(decode(conformantVaryingBytes, encode([conformantVaryingBytes, Buffer.from('xyz')])), Buffer.from('xyz'));
  t.throws(() => decode(conformantArray(u32), bytes('ff ff ff ff', '00 00 00 00')), { instanceOf: ProbeError, message: /4294967295 elements cannot fit/ });
  t.throws(() => decode(conformantVaryingArray(u8), bytes('02 00 00 00', '01 00 00 00', '02 00 00 00', '00 00')), { message: /offset 1 \+ actual_count 2 exceeds 2/ });
  t.throws(() => decode(varyingArray(u8, 2), bytes('00 00 00 00', '03 00 00 00', '00 00 00')), { message: /exceeds 2/ });
  t.throws(() => decode(wstring, bytes('00 00 00 40', '00 00 00 00', '00 00 00 40')), { message: /cannot fit/ });
});

test('full pointers share one pointee between aliases both ways', (t) => {
  const shared = { n: 5 };
  const node = struct({ n: u32 });
  const pair = struct({ a: full(node), b: full(node) });
  const wire = bytes('00 00 02 00', '00 00 02 00', '05 00 00 00');
  t.deepEqual(encode([pair, { a: shared, b: shared }]), wire, 'the second pointer repeats the referent; the pointee is sent once');
  const back = decode(pair, wire);
  t.deepEqual(back, { a: { n: 5 }, b: { n: 5 } });
  t.is(back.a, back.b);
});

test('hostile nesting is bounded: a chain of pointers deeper than the limit is refused', (t) => {
  type Chain = { next: Chain | null };
  const chain: Codec<Chain> = struct({ next: unique({ align: 4, minSize: 4, write: (w, v) => chain.write(w, v), read: (r, into) => chain.read(r, into) }) }) as Codec<Chain>;
  const deep = Buffer.alloc(4 * 200, 0);
  for (let i = 0; i < 199; i++) deep.writeUInt32LE(0x20000 + 4 * i, 4 * i);
  t.throws(() => new NdrReader(deep).read(chain), { instanceOf: ProbeError, message: /nest deeper than 64/ });
  let links = 0;
  for (let c: Chain | null = decode(chain, deep.subarray(4 * 190)); c; c = c.next) links++;
  t.is(links, 10, 'ten links are fine');
});

test('context handles, FILETIME, OLD_LARGE_INTEGER and NTSTATUS', (t) => {
  const handle = Buffer.from('000000001122334455667788990011223344556677', 'hex').subarray(0, 20);
  t.deepEqual(encode([u8, 1], [contextHandle, handle]), Buffer.concat([bytes('01 00 00 00'), handle]), 'aligned to 4');
  t.throws(() => encode([contextHandle, Buffer.alloc(16)]), { instanceOf: RangeError });
  // 2024-01-01T00:00:00Z = 133485408000000000 = 0x01da3c45_7689c000 in 100 ns since 1601
  const ft = 133485408000000000n;
  t.deepEqual(encode([u16, 0], [filetime, ft]), bytes('00 00 00 00', '00 c0 89 76', '45 3c da 01'), 'low DWORD first, aligned to 4 not 8');
  t.is(decode(filetime, bytes('00 c0 89 76', '45 3c da 01')), ft);
  t.is(filetimeToDate(ft)!.toISOString(), '2024-01-01T00:00:00.000Z');
  t.is(filetimeToDate(0n), null);
  t.is(filetimeToDate(0x7fffffffffffffffn), null);
  // -42 days in 100 ns units (a maximum password age): LowPart 0x0aa68000, HighPart -8450 (0xffffdeff)
  t.deepEqual(encode([oldLargeInteger, -36288000000000n]), bytes('00 80 a6 0a', 'ff de ff ff'));
  t.is(decode(oldLargeInteger, bytes('00 80 a6 0a', 'ff de ff ff')), -36288000000000n);
  t.is(ntstatusName(0xc0000022), 'STATUS_ACCESS_DENIED');
  t.is(ntstatusName(0x00000105), 'STATUS_MORE_ENTRIES');
  t.is(ntstatusName(0xc0001234), '0xc0001234');
  t.true(isNtSuccess(0x00000107));
  t.false(isNtSuccess(0xc0000073));
});

test('truncated input and a pointer written outside a top-level construct fail cleanly', (t) => {
  const s = struct({ n: u32, items: conformantArray(u32) });
  t.throws(() => decode(s, bytes('01 00 00 00', '05 00 00 00', '01 00 00 00')), { instanceOf: ProbeError });
  t.throws(() => new NdrWriter().defer(() => undefined), { message: /outside NdrWriter.write/ });
});
