import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../scanner/errors.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../scanner/targets/ip.js';
import { addressesOf, buildTargetSet, Resolver } from '../scanner/targets/target-set.js';

// A resolver that never touches DNS: tests send no traffic for names.
const hosts: Record<string, string[]> = {
  'web.lab.test': ['127.0.0.80', '::1'],
  'db.lab.test': ['127.0.0.81'],
};
const resolver: Resolver = async (name) => {
  const found = hosts[name];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return found;
};

const list = async (include: string[], extra: Partial<Parameters<typeof buildTargetSet>[0]> = {}) =>
  [...addressesOf(await buildTargetSet({ include, resolver, ...extra }))];

test('IPv4 and IPv6 literals, CIDR blocks and ranges expand to the right addresses', async (t) => {
  t.deepEqual(await list(['127.0.0.1']), ['127.0.0.1']);
  t.deepEqual(await list(['127.20.0.0/30']), ['127.20.0.0', '127.20.0.1', '127.20.0.2', '127.20.0.3']);
  t.deepEqual(await list(['127.0.0.1-3']), ['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  t.deepEqual(await list(['127.0.0.254-127.0.1.1']), ['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1']);
  t.deepEqual(await list(['::1/128']), ['::1']);
  t.deepEqual(await list(['[::1]']), ['::1']);
  t.deepEqual(await list(['fe80::1-3']), ['fe80::1', 'fe80::2', 'fe80::3']);
  t.deepEqual(await list(['127.0.0.5/30']), ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'], 'host bits are cleared');
});

test('IPv6 parsing and RFC 5952 formatting round-trip', (t) => {
  for (const text of ['::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8', '::ffff:127.0.0.1', '2001:db8:0:1:1:1:1:1']) {
    const parsed = parseIPv6(text);
    t.true(parsed.ok, text);
    if (parsed.ok) t.is(formatIPv6(parsed.address.value), text === '::ffff:127.0.0.1' ? '::ffff:7f00:1' : text);
  }
  t.is(formatIPv6((parseIPv6('2001:0db8:0000:0000:0001:0000:0000:0001') as { ok: true; address: { value: bigint } }).address.value), '2001:db8::1:0:0:1');
  t.false(parseIPv6('1::2::3').ok);
  t.false(parseIPv6('12345::').ok);
  t.false(parseIPv4('1.2.3').ok);
});

test('overlapping blocks, ranges and names are scanned once, in address order', async (t) => {
  const got = await list(['127.0.0.0/30', '127.0.0.2-5', '127.0.0.1', 'db.lab.test', '127.0.0.81']);
  t.deepEqual(got, ['127.0.0.0', '127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.81']);
});

test('host names resolve to every address and are remembered per address', async (t) => {
  const set = await buildTargetSet({ include: ['web.lab.test'], resolver });
  t.deepEqual([...addressesOf(set)], ['127.0.0.80', '::1']);
  t.deepEqual(set.names.get('127.0.0.80'), ['web.lab.test']);
  t.deepEqual(set.names.get('::1'), ['web.lab.test']);
});

test('exclusions in the same syntax remove addresses, from arguments and from files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-test-'));
  const file = join(dir, 'exclude.txt');
  writeFileSync(file, '# lab exclusions\n127.0.0.7 # the printer\n\n127.0.0.9-10\n');
  const got = await list(['127.0.0.0/28'], { exclude: ['127.0.0.0-3', 'db.lab.test'], excludeFiles: [file] });
  t.deepEqual(got, ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.8', '127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14', '127.0.0.15']);
  await t.throwsAsync(list(['127.0.0.1'], { exclude: ['127.0.0.0/24'] }), { instanceOf: InputError, message: /remove every target/ });
});

test('@file lists take one target a line with # comments, and errors name file and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-test-'));
  const good = join(dir, 'targets.txt');
  writeFileSync(good, '# estate\n127.0.0.1\n  127.0.0.2  # second\n\n127.0.0.3-4\n');
  t.deepEqual(await list([`@${good}`]), ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
  const bad = join(dir, 'bad.txt');
  writeFileSync(bad, '127.0.0.1\n127.0.0.256\n');
  await t.throwsAsync(list([`@${bad}`]), { instanceOf: InputError, message: `bad target "127.0.0.256" (${bad}:2): octet 256 is out of range 0-255` });
  await t.throwsAsync(list([`@${join(dir, 'missing.txt')}`]), { instanceOf: InputError, message: /cannot be read \(ENOENT\)/ });
});

test('bad targets are refused with a message that names the token and why', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['127.0.0.300', /"127\.0\.0\.300": octet 300 is out of range 0-255/],
    ['10.0.0.0/33', /"10\.0\.0\.0\/33": prefix length 33 is out of range 0-32/],
    ['::1/129', /prefix length 129 is out of range 0-128/],
    ['a..b', /"a\.\.b": empty label/],
    ['127.0.0.9-3', /empty range: the end comes before the start/],
    ['127.0.0.1-', /the range has no end/],
    ['127.0.0.1-::5', /mixes IPv4 and IPv6/],
    ['nosuch.lab.test', /"nosuch\.lab\.test": host name cannot be resolved \(ENOTFOUND\)/],
    ['bad_host!', /characters a host name cannot hold/],
    ['1.2.3', /4 dotted octets/],
    ['127.0.0.01', /leading zero/],
  ];
  for (const [token, message] of cases) {
    const err = await t.throwsAsync(list([token]), { instanceOf: InputError }, token);
    t.regex(err!.message, message, token);
    t.is(err!.exitCode, 2);
  }
  const all = await t.throwsAsync(list(['127.0.0.300', '127.0.0.1', '10.0.0.0/33']), { instanceOf: InputError });
  t.regex(all!.message, /2 bad targets:\n.*127\.0\.0\.300.*\n.*10\.0\.0\.0\/33/);
});

test('the scope guard refuses more than --max-hosts addresses unless raised', async (t) => {
  await t.throwsAsync(buildTargetSet({ include: ['127.0.0.0/15'], resolver }), { message: /131072 addresses, more than --max-hosts 65536/ });
  const set = await buildTargetSet({ include: ['127.0.0.0/16'], resolver });
  t.is(set.total, 65_536);
  await t.throwsAsync(buildTargetSet({ include: ['127.0.0.0/24'], maxHosts: 100, resolver }), { message: /more than --max-hosts 100/ });
});

test('a /8 is a stream: expansion never materialises it', async (t) => {
  const before = process.memoryUsage().heapUsed;
  const set = await buildTargetSet({ include: ['127.0.0.0/8'], maxHosts: 1 << 24, resolver });
  t.is(set.total, 16_777_216);
  t.is(set.v4.length, 1);
  const it = addressesOf(set);
  const first = [it.next().value, it.next().value, it.next().value];
  t.deepEqual(first, ['127.0.0.0', '127.0.0.1', '127.0.0.2']);
  let last = '';
  for (const a of addressesOf(set, 0, 1 << 22)) last = a; // every 4,194,304th address: 4 of them
  t.is(last, '127.192.0.0');
  t.true(process.memoryUsage().heapUsed - before < 32 * 1024 * 1024);
});

test('shards partition the set: disjoint, complete, balanced', async (t) => {
  const set = await buildTargetSet({ include: ['127.0.0.0/24', '127.0.2.3-40', '::1'], resolver });
  const whole = [...addressesOf(set)];
  const parts = [0, 1, 2].map((k) => [...addressesOf(set, k, 3)]);
  t.deepEqual(parts.flat().sort(), [...whole].sort());
  t.is(new Set(parts.flat()).size, whole.length);
  for (const p of parts) t.true(Math.abs(p.length - whole.length / 3) <= 2);
});
