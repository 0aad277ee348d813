/** The directory enumeration's pure parts: AD value formats, DNs, URLs, pins, ranged retrieval and group walks. */
import test from 'ava';
import { dnKey, fileTimeToIso, filterValue, intervalSeconds, rdnValue, ridOf, sidToString, uacFlags } from '../enum/ldap/codecs.js';
import { normalizePin, parseDirectoryUrl } from '../enum/ldap/connect.js';
import { MembershipGraph } from '../enum/ldap/membership.js';
import { completeRanges, Row } from '../enum/ldap/search.js';
import { InputError } from '../scanner/errors.js';
import { namingContextsOf } from '../profiles/naming-contexts.js';

test('SIDs decode from their binary form ([MS-DTYP] 2.4.2.2)', (t) => {
  // S-1-5-21-2373686211-2046929597-637280470-512 written out field by field.
  const subs = [21, 2373686211, 2046929597, 637280470, 512];
  const buf = Buffer.alloc(8 + 4 * subs.length);
  buf[0] = 1;
  buf[1] = subs.length;
  buf.writeUIntBE(5, 2, 6);
  subs.forEach((v, i) => buf.writeUInt32LE(v, 8 + 4 * i));
  t.is(sidToString(buf), 'S-1-5-21-2373686211-2046929597-637280470-512');
  t.is(ridOf(sidToString(buf)), 512);
  t.is(sidToString(Buffer.from([1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0])), 'S-1-5-32-544');
  t.throws(() => sidToString(buf.subarray(0, 11)), { message: /sub-authorities/ });
  t.throws(() => sidToString(Buffer.alloc(3)), { message: /too short/ });
});

test('FILETIMEs and policy intervals', (t) => {
  t.is(fileTimeToIso('0'), null, 'never / must change');
  t.is(fileTimeToIso('9223372036854775807'), null, 'never expires');
  t.is(fileTimeToIso('116444736000000000'), '1970-01-01T00:00:00.000Z');
  t.is(fileTimeToIso('133500000000000000'), new Date(Date.UTC(1601, 0, 1) + 13350000000000).toISOString());
  t.is(fileTimeToIso('junk'), null);
  t.is(intervalSeconds('-36288000000000'), 42 * 86400);
  t.is(intervalSeconds('-18000000000'), 1800);
  t.is(intervalSeconds('0'), null);
  t.is(intervalSeconds('-9223372036854775808'), null);
});

test('userAccountControl flags', (t) => {
  t.like(uacFlags(0x10202), { disabled: true, passwordNeverExpires: true, normalAccount: true, smartcardRequired: false, passwordNotRequired: false });
  t.like(uacFlags(0x40220), { disabled: false, passwordNotRequired: true, smartcardRequired: true });
});

test('DN helpers', (t) => {
  t.is(rdnValue('CN=Lab Tier0,CN=Users,DC=lab,DC=test'), 'Lab Tier0');
  t.is(rdnValue('CN=Smith\\, John,OU=People,DC=x'), 'Smith, John');
  t.is(rdnValue('CN=Jos\\c3\\a9,DC=x'), 'José');
  t.is(dnKey('CN=A B , DC=Lab,DC=test'), 'cn=a b,dc=lab,dc=test');
  t.is(filterValue('a*(b)\\'), 'a\\2a\\28b\\29\\5c');
});

test('directory URLs and pins: good ones parse, bad ones are input errors naming the value', (t) => {
  t.like(parseDirectoryUrl('ldaps://DC1.lab.test'), { scheme: 'ldaps', host: 'dc1.lab.test', port: 636, text: 'ldaps://dc1.lab.test:636' });
  t.like(parseDirectoryUrl('ldap://127.0.0.1:3389/'), { scheme: 'ldap', host: '127.0.0.1', port: 3389 });
  t.like(parseDirectoryUrl('LDAP://[::1]'), { scheme: 'ldap', host: '::1', port: 389, text: 'ldap://[::1]:389' });
  for (const bad of ['http://x', 'ldap://', 'ldap://h:0', 'ldap://h:70000', 'ldap://h/dc=x', 'ldap://[zz]', 'ldap://a b']) {
    const err = t.throws(() => parseDirectoryUrl(bad), { instanceOf: InputError }, bad);
    t.true(err!.message.includes(`"${bad}"`), err!.message);
  }
  const hex = 'ab'.repeat(32);
  t.is(normalizePin(hex), hex.toUpperCase().match(/../g)!.join(':'));
  t.is(normalizePin(hex.toUpperCase().match(/../g)!.join(':')), normalizePin(hex));
  t.throws(() => normalizePin('abc'), { instanceOf: InputError, message: /bad --pin-sha256 "abc"/ });
});

function row(dn: string, attrs: Record<string, string[]>): Row {
  return { dn, attrs: new Map(Object.entries(attrs)), binary: new Map() };
}

test('ranged retrieval ([MS-ADTS] 3.1.1.3.1.3.3) is followed to the end', async (t) => {
  const all = Array.from({ length: 3500 }, (_, i) => `CN=u${i},DC=x`);
  const asked: string[] = [];
  const fetch = async (attribute: string) => {
    asked.push(attribute);
    const from = Number(/range=(\d+)-/.exec(attribute)![1]);
    const to = Math.min(from + 1499, all.length - 1);
    const end = to === all.length - 1 ? '*' : String(to);
    return row('CN=g,DC=x', { [`member;range=${from}-${end}`]: all.slice(from, to + 1) });
  };
  const done = await completeRanges(row('CN=g,DC=x', { 'member;range=0-1499': all.slice(0, 1500), cn: ['g'] }), fetch);
  t.deepEqual(done.attrs.get('member'), all);
  t.deepEqual(asked, ['member;range=1500-*', 'member;range=3000-*']);
  t.deepEqual(done.attrs.get('cn'), ['g']);
  await t.throwsAsync(completeRanges(row('CN=g,DC=x', { 'member;range=0-9': ['a'] }), async () => row('CN=g,DC=x', {})), { message: /returned no member;range=10-\*/ });
  await t.throwsAsync(completeRanges(row('CN=g,DC=x', { 'member;range=0-9': ['a'] }), async () => row('CN=g,DC=x', { 'member;range=5-*': ['b'] })), { message: /asked for member from 10, got a range from 5/ });
});

test('group walks give the shortest path to each group and survive cycles', (t) => {
  const g = (dn: string, members: string[]) => ({ dn, name: dn.slice(3, dn.indexOf(',')), objectClass: 'group', members, unresolved: [] });
  const graph = new MembershipGraph([
    g('CN=DA,DC=x', ['CN=T0,DC=x', 'CN=direct,DC=x']),
    g('CN=T0,DC=x', ['CN=alice,DC=x', 'CN=Loop,DC=x']),
    g('CN=Loop,DC=x', ['CN=T0,DC=x']),
    g('CN=Admins,DC=x', ['CN=DA,DC=x']),
  ], [{ member: 'CN=bob,DC=x', group: 'CN=DA,DC=x' }]);
  const alice = graph.groupsOf('CN=alice,DC=x');
  t.deepEqual(alice.map((r) => [r.group, r.via.length]), [['CN=T0,DC=x', 1], ['CN=DA,DC=x', 2], ['CN=Loop,DC=x', 2], ['CN=Admins,DC=x', 3]]);
  t.deepEqual(alice.find((r) => r.group === 'CN=Admins,DC=x')!.via, ['CN=T0,DC=x', 'CN=DA,DC=x', 'CN=Admins,DC=x']);
  t.deepEqual(graph.groupsOf('cn=BOB,dc=x').map((r) => r.group), ['CN=DA,DC=x', 'CN=Admins,DC=x'], 'DNs compare case-insensitively; extra links (primary groups) count');
  t.deepEqual(graph.membersOf('CN=Admins,DC=x').sort(), ['CN=alice,DC=x', 'CN=bob,DC=x', 'CN=direct,DC=x']);
});

test('naming contexts from the rootDSE evidence: split at "; ", never at an escaped ";" inside a DN', (t) => {
  const outcome = (value: string) => [{ probe: 'ldap', port: 389, status: 'success' as const, elapsedMs: 1, evidence: [{ kind: 'attribute' as const, name: 'ldap.namingContexts', value }] }];
  t.deepEqual(namingContextsOf(outcome('dc=lab,dc=test')), ['dc=lab,dc=test']);
  t.deepEqual(namingContextsOf(outcome('DC=lab,DC=test; CN=Configuration,DC=lab,DC=test')), ['DC=lab,DC=test', 'CN=Configuration,DC=lab,DC=test']);
  t.deepEqual(namingContextsOf(outcome('o=a\\; b; o=c')), ['o=a\\; b', 'o=c']);
  t.is(namingContextsOf([]), undefined);
});
