/**
 * Parsers of credentialed SSH enumeration: authorized_keys against ssh-keygen's own reading of the same file,
 * sudoers semantics, shadow, lastlog and package lists.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuthorizedKeys } from '../enum/ssh/keys.js';
import { parseLastlog, parsePasswd, parseShadow } from '../enum/ssh/parse-accounts.js';
import { parsePackages, parseServices, parseSockets } from '../enum/ssh/parse-system.js';
import { parseSudoers, rulesFor } from '../enum/ssh/sudoers.js';
import { splitFiles } from '../enum/ssh/commands.js';
import { tempDir } from './helpers/cli.js';

test('authorized_keys: every key, its options, size and fingerprint equal what ssh-keygen -l reads', (t) => {
  const dir = tempDir(t);
  const pubs: string[] = [];
  for (const [type, bits] of [['rsa', '3072'], ['ed25519', ''], ['ecdsa', '521'], ['ecdsa', '256']] as const) {
    const file = join(dir, `k-${type}-${bits}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', `${type} test key`, '-f', file]);
    pubs.push(readFileSync(`${file}.pub`, 'utf8').trim());
  }
  const options = ['from="10.0.0.0/8,192.168.1.1"', 'command="echo \\"hi, there\\""', 'no-port-forwarding'];
  const text = [
    '# a comment', '', pubs[0], `${options.join(',')} ${pubs[1]}`, 'not a key at all', `restrict ${pubs[2]}`, `  ${pubs[3]}  `,
    'ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ== mismatched type',
  ].join('\n');
  const file = join(dir, 'authorized_keys');
  writeFileSync(file, text);
  const truth = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]).toString().trim().split('\n').map((l) => {
    const m = /^(\d+) (SHA256:\S+) /.exec(l)!;
    return { bits: Number(m[1]), fingerprint: m[2] };
  });
  const { keys, problems } = parseAuthorizedKeys(text);
  t.deepEqual(keys.map((k) => ({ bits: k.bits, fingerprint: k.fingerprint })), truth);
  t.deepEqual(keys[1]!.options, options);
  t.deepEqual(keys[2]!.options, ['restrict']);
  t.is(keys[0]!.comment, 'rsa test key');
  t.deepEqual(problems, ['line 5: not a key of a known type', 'line 8: the key data is not a ssh-ed25519 key']);
});

const SUDOERS = `
Defaults env_reset
User_Alias ADMINS = alice, %ops, #2001 : NESTED = ADMINS, !carol
root ALL=(ALL:ALL) ALL
%sudo   ALL=(ALL:ALL) ALL
NESTED  ALL = (root) /usr/bin/systemctl restart *
dave, \\
  erin  web01 = NOPASSWD: /bin/ls   # trailing comment
%#3000 ALL=ALL
ALL, !mallory ALL = /usr/bin/id
@includedir /etc/sudoers.d
#include /etc/sudoers.local
`;

test('sudoers: which rules apply to whom, through aliases, groups, gids, uids and negation', (t) => {
  const s = parseSudoers(SUDOERS, '/etc/sudoers');
  const rules = (name: string, uid: number, groups: string[] = [], gids: number[] = []) => rulesFor({ name, uid, groups, gids }, s).map((r) => r.line);
  t.deepEqual(rules('root', 0), [4, 10]);
  t.deepEqual(rules('alice', 1000), [6, 10]);
  t.deepEqual(rules('bob', 1001, ['sudo'], [27]), [5, 10]);
  t.deepEqual(rules('frank', 2001), [6, 10], 'by uid through the alias');
  t.deepEqual(rules('carol', 1002, ['ops']), [10], 'negated in the outer alias');
  t.deepEqual(rules('erin', 1003), [7, 10], 'a continued line');
  t.deepEqual(rules('gina', 1004, ['x'], [3000]), [9, 10]);
  t.deepEqual(rules('mallory', 1005), []);
  t.deepEqual(s.includes, [{ kind: 'dir', path: '/etc/sudoers.d' }, { kind: 'file', path: '/etc/sudoers.local' }]);
  t.is(s.rules.find((r) => r.line === 7)!.text, 'dave, erin web01 = NOPASSWD: /bin/ls');
});

test('passwd and shadow: fields, locks, expiry and password age', (t) => {
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/bash\nbroken line\nsvc:x:998:998::/var/lib/svc:/usr/sbin/nologin\n');
  t.deepEqual(passwd.map((p) => [p.name, p.uid, p.shell]), [['root', 0, '/bin/bash'], ['svc', 998, '/usr/sbin/nologin']]);
  const shadow = parseShadow([
    'root:$y$j9T$abc:20000:0:99999:7:::', 'locked:!$y$j9T$abc:19000:0:90:7::19500:', 'svc:*:19000::::::', 'empty::19000:0:99999:7:::',
  ].join('\n'));
  t.deepEqual(shadow.map((s) => s.password), ['set', 'locked', 'none', 'empty']);
  t.is(shadow[0]!.lastChanged, new Date(20000 * 86_400_000).toISOString().slice(0, 10));
  t.is(shadow[0]!.maxDays, undefined, '99999 means no maximum');
  t.is(shadow[1]!.maxDays, 90);
  t.is(shadow[1]!.expires, new Date(19500 * 86_400_000).toISOString().slice(0, 10));
});

/** "**Never logged in**" is a recorded never (at: null); a user with no line is absent: unknown, not never. */
test('lastlog: logins with and without port and origin, and never-logged-in users', (t) => {
  const text = [
    'Username         Port     From                                       Latest',
    'root                                                                **Never logged in**',
    'alice            pts/0    192.0.2.7                                  Sun Nov 22 19:36:41 +0000 2026',
    'bob                                                                  Mon Feb  2 08:05:09 -0130 2026',
  ].join('\n');
  const m = parseLastlog(text);
  t.deepEqual(m.get('root'), { at: null });
  t.false(m.has('carol'), 'no line: unknown');
  t.deepEqual(m.get('alice'), { at: '2026-11-22T19:36:41.000Z', port: 'pts/0', from: '192.0.2.7' });
  t.is(m.get('bob')!.at, '2026-02-02T09:35:09.000Z');
});

test('package lists of dpkg, rpm and apk; systemd and SysV services; listening sockets', (t) => {
  t.deepEqual(parsePackages('dpkg\nbash\t5.2.15-2\tamd64\tii \nlibc6:amd64\t2.36-9\tamd64\tii \n').packages.map((p) => p.name), ['bash', 'libc6:amd64']);
  t.deepEqual(parsePackages('rpm\nopenssl\t3.0.7-27.el9\tx86_64\n').packages[0], { name: 'openssl', version: '3.0.7-27.el9', arch: 'x86_64', status: undefined });
  t.deepEqual(parsePackages('apk\nmusl-1.2.4-r2 x86_64 {musl} (MIT) [installed]\n').packages[0], { name: 'musl', version: '1.2.4-r2', arch: 'x86_64' });
  t.deepEqual(parseServices('systemd\nssh.service loaded active running OpenBSD Secure Shell server\n').services, [{ name: 'ssh', state: 'running', detail: 'loaded active' }]);
  t.deepEqual(parseServices('sysv\n [ + ]  ssh\n [ - ]  nginx\n [ ? ]  hwclock.sh\n').services.map((s) => s.state), ['running', 'stopped', 'unknown']);
  const sockets = parseSockets('tcp   LISTEN 0      128      127.0.0.1:22       0.0.0.0:*    users:(("sshd",pid=1,fd=3))\ntcp   LISTEN 0 128 [::1]:5432 [::]:*\n');
  t.deepEqual(sockets, [{ protocol: 'tcp', address: '127.0.0.1', port: 22, process: 'sshd' }, { protocol: 'tcp', address: '::1', port: 5432, process: undefined }]);
});

test('file bundles split at the random boundary only', (t) => {
  const b = 'f00d';
  const files = splitFiles(`${b} /a\nline\n${b}x /not-a-header\n${b} /b\n`, b);
  t.deepEqual([...files.keys()], ['/a', '/b']);
  t.is(files.get('/a'), `line\n${b}x /not-a-header`);
});
