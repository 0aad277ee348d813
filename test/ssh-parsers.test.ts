/**
 * Parsers of credentialed SSH enumeration: authorized_keys against ssh-keygen's own reading of the same file,
 * sudoers semantics, shadow, lastlog and package lists.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuthorizedKeys } from '../enum/ssh/keys.js';
import { parseLastlog, parsePasswd, parseShadow } from '../enum/ssh/parse-accounts.js';
import { parsePackages, parseServices, parseSockets } from '../enum/ssh/parse-system.js';
import { loadSudoers, parseSudoers } from '../enum/ssh/sudoers.js';
import { grantsFor, rulesFor, SudoHost } from '../enum/ssh/sudoers-match.js';
import { runsScript, splitFiles } from '../enum/ssh/commands.js';
import { parseRuns, redactCommand, runsByAccount } from '../enum/ssh/parse-runs.js';
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
  const web01: SudoHost = { hostname: 'web01', addresses: ['10.1.2.3/24'] };
  const rules = (name: string, uid: number, groups: string[] = [], gids: number[] = []) => rulesFor({ name, uid, groups, gids }, s, web01).map((r) => r.line);
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

const HOSTS = `
Host_Alias OTHERS = otherhost
Host_Alias LAN = 192.0.2.0/24, 10.9.9.9 : WEB = web*, !web9 : NESTED = WEB, !LAN
Host_Alias V6 = fd00::/64
hx OTHERS = (ALL) ALL
hy LAN = ALL
hz NESTED = ALL
hw ALL, !web01 = ALL
hv otherhost = /bin/ls : WEB01.EXAMPLE.COM = NOPASSWD: /bin/id : fd00::2 = (root : adm) /bin/df
hu 192.0.2.0/255.255.255.0 = ALL
ht 192.0.2.0 = ALL
hs 127.0.0.1 = ALL
hr V6 = ALL
hq 192.0.2.128/25 = ALL
`;

test('sudoers host lists: names, FQDN, addresses, networks, aliases and negation, as sudo matches them', (t) => {
  const s = parseSudoers(HOSTS, '/etc/sudoers');
  // web01 on 192.0.2.7/24 and fd00::2/64 (its loopback addresses are not in the list: sudo does not read them)
  const host: SudoHost = { hostname: 'web01', fqdn: 'web01.example.com', fqdnDefault: false, addresses: ['192.0.2.7/24', 'fd00::2/64'] };
  const may = (name: string, h: SudoHost = host) => rulesFor({ name, uid: 5000, groups: [], gids: [] }, s, h).length > 0;
  t.false(may('hx'), 'the issue\'s case: a Host_Alias naming another host');
  t.true(may('hy'), 'a network the host is on');
  t.false(may('hz'), 'WEB matches, but !LAN comes last and denies');
  t.false(may('hw'), 'ALL, then !web01');
  t.false(may('hs'), 'loopback addresses are not the host\'s for sudo');
  t.true(may('hr'), 'an IPv6 network');
  t.false(may('hq'), 'another half of the network');
  t.true(may('hu'), 'a network with a dotted mask');
  t.true(may('ht'), 'a bare network address names the network the host is on');
  const commands = (name: string, h: SudoHost = host) => grantsFor({ name, uid: 5000, groups: [], gids: [] }, s, h).map((g) => g.commands.join(' '));
  t.deepEqual(commands('hv'), ['/bin/df'], 'without fqdn a dotted name is compared with the host\'s own name, web01; the IPv6 address matches');
  // With fqdn (Debian's build, or Defaults fqdn) the canonical name is compared, case-insensitively.
  t.deepEqual(commands('hv', { ...host, fqdnDefault: true }), ['/bin/id', '/bin/df']);
  t.true(may('hx', { ...host, hostname: 'OtherHost' }));
  t.false(may('hy', { ...host, addresses: ['192.0.3.7/24'] }));
  const hv = grantsFor({ name: 'hv', uid: 5000, groups: [], gids: [] }, s, { ...host, fqdnDefault: true });
  t.deepEqual(hv.map((g) => [g.runasUsers, g.runasGroups, g.tags, g.commands]), [[['root'], [], ['NOPASSWD'], ['/bin/id']], [['root'], ['adm'], [], ['/bin/df']]]);
  t.deepEqual(s.rules.find((r) => r.users[0] === 'hv')!.privileges.map((p) => p.hosts), [['otherhost'], ['WEB01.EXAMPLE.COM'], ['fd00::2']]);
});

test('sudoers: Defaults fqdn decides over the build default; a tag\'s colon is no privilege; Runas, tags and aliases carry and expand as sudo -l shows them', (t) => {
  const s = parseSudoers([
    'Defaults env_reset, fqdn',
    'Runas_Alias RA = root, #0, !bob : RB = RA, %wheel',
    'Cmnd_Alias CA = /bin/ls, !/bin/cat : CB = CA, /bin/date',
    'alice web01.example.com = (RB) NOPASSWD: !CB, /usr/bin/id, (!RA : ALL) SETENV: ALL, (:adm) PASSWD: /bin/x arg',
  ].join('\n'), '/etc/sudoers');
  t.is(s.fqdn, true);
  const host: SudoHost = { hostname: 'web01', fqdn: 'web01.example.com', fqdnDefault: false, addresses: [] };
  const grants = grantsFor({ name: 'alice', uid: 1000, groups: [], gids: [] }, s, host);
  t.deepEqual(grants.map((g) => [g.runasUsers, g.runasGroups, g.tags, g.commands]), [
    [['root', '#0', '!bob', '%wheel'], [], ['NOPASSWD'], ['!/bin/ls', '/bin/cat', '!/bin/date']],
    [['root', '#0', '!bob', '%wheel'], [], ['NOPASSWD'], ['/usr/bin/id']],
    [['!root', '!#0', 'bob'], ['ALL'], ['NOPASSWD', 'SETENV'], ['ALL']],
    [['alice'], ['adm'], ['SETENV', 'PASSWD'], ['/bin/x arg']],
  ]);
  t.false(rulesFor({ name: 'alice', uid: 1000, groups: [], gids: [] }, parseSudoers('Defaults !fqdn\nalice web01.example.com = ALL', 'x'), { ...host, fqdnDefault: true }).length > 0);
});

test('sudoers includes: relative paths from the including file, %h as the short host name, includedir file names', async (t) => {
  const files: Record<string, string> = {
    '/etc/sudoers.web01': 'a ALL = ALL\n#include extra\n',
    '/etc/extra': 'b ALL = ALL\n',
    '/etc/sudoers.d/c': 'c ALL = ALL\n',
    '/etc/sudoers.d/d.bak': 'd ALL = ALL\n',
  };
  const io = {
    listDirs: async (dirs: readonly string[]) => Object.keys(files).filter((f) => dirs.some((d) => f.startsWith(`${d}/`))),
    readFiles: async (paths: readonly string[]) => new Map(paths.filter((p) => p in files).map((p) => [p, files[p]!] as [string, string])),
  };
  const { sudoers, files: read } = await loadSudoers('#include /etc/sudoers.%h\n@includedir /etc/sudoers.d\n', '/etc/sudoers', io, 'web01');
  t.deepEqual(read, ['/etc/sudoers', '/etc/sudoers.d/c', '/etc/sudoers.web01', '/etc/extra']);
  t.deepEqual(sudoers.rules.map((r) => r.users[0]).sort(), ['a', 'b', 'c']);
});

/** What runsScript prints, by hand: every case of unit resolution, crontabs and at jobs. */
const RUNS = (b: string) => `${b} dirs /etc/systemd/system /run/systemd/system /usr/lib/systemd/system
${b} unit /etc/systemd/system/web.service
[Service]
User=www
ExecStart=/usr/bin/web --password=hunter2
${b} unit /usr/lib/systemd/system/web.service
[Service]
User=nobody
${b} unit /usr/lib/systemd/system/web.service.d/10-a.conf
[Service]
Group=webgrp
${b} unit /etc/systemd/system/web.service.d/20-b.conf
[Service]
User=
User=svc-web
${b} unit /usr/lib/systemd/system/worker@.service
[Service]
User=%i
ExecStart=/usr/bin/worker %I
${b} link /etc/systemd/system/multi-user.target.wants/worker@alice.service\t/usr/lib/systemd/system/worker@.service
${b} unit /etc/systemd/system/multi-user.target.wants/worker@alice.service
[Service]
User=%i
ExecStart=/usr/bin/worker %I
${b} link /etc/systemd/system/masked.service\t/dev/null
${b} unit /usr/lib/systemd/system/masked.service
[Service]
User=masked
${b} link /usr/lib/systemd/system/alias.service\t/usr/lib/systemd/system/web.service
${b} unit /usr/lib/systemd/system/alias.service
[Service]
User=nobody
${b} unit /usr/lib/systemd/system/dyn.service
[Service]
DynamicUser=yes
ExecStart=/bin/true
${b} unit /usr/lib/systemd/system/plain.service
[Service]
ExecStart=/bin/plain
${b} unit /usr/lib/systemd/system/grouponly.service
[Service]
Group=adm
ExecStart=/bin/g
${b} unit /usr/lib/systemd/system/unitsection.service
[Unit]
User=nope
${b} cron /etc/crontab
SHELL=/bin/sh
# m h dom mon dow user command
17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly
${b} cron /etc/cron.d/backup
DB_PASSWORD=s3cret
@daily backup /usr/bin/backup -u admin --password s3cret
${b} cron /etc/cron.d/backup.dpkg-old
* * * * * root /bin/old
${b} crontab /var/spool/cron/crontabs/alice
# DO NOT EDIT THIS FILE
TOKEN=abc123
*/5 * * * * curl https://alice:pw123@example.test/x
${b} at /var/spool/cron/atjobs/a0000101a3c5e0
# atrun uid=1001 gid=1001
}
echo hello
${b} at /var/spool/cron/atjobs/b00002019a2b3c
# atrun uid=4242 gid=0
}
\${SHELL:-/bin/sh} << 'marcinDELIMITER0a1b2c3d'
/usr/bin/run --pass x
marcinDELIMITER0a1b2c3d
${b} unreadable /var/spool/at
`;

test('jobs: systemd resolution (search path order, drop-ins, masks, aliases, templates), crontabs and at jobs, secrets masked', (t) => {
  const b = 'f00dfeed';
  const runs = parseRuns(RUNS(b), b, (uid) => (uid === 1001 ? 'alice' : undefined));
  const rows = runs.entries.map((e) => [e.kind, e.account, e.group ?? null, e.name, e.schedule ?? null, e.command, e.source, e.dynamicUser ?? false]);
  t.deepEqual(rows, [
    ['service', 'svc-web', 'webgrp', 'web.service', null, '/usr/bin/web --password=***', '/etc/systemd/system/web.service, /usr/lib/systemd/system/web.service.d/10-a.conf, /etc/systemd/system/web.service.d/20-b.conf', false],
    ['service', 'dyn', null, 'dyn.service', null, '/bin/true', '/usr/lib/systemd/system/dyn.service', true],
    ['service', 'root', 'adm', 'grouponly.service', null, '/bin/g', '/usr/lib/systemd/system/grouponly.service', false],
    ['service', 'alice', null, 'worker@alice.service', null, '/usr/bin/worker alice', '/usr/lib/systemd/system/worker@.service', false],
    ['cron', 'root', null, 'crontab:3', '17 * * * *', 'cd / && run-parts --report /etc/cron.hourly', '/etc/crontab:3', false],
    ['cron', 'backup', null, 'backup:2', '@daily', '/usr/bin/backup -u admin --password ***', '/etc/cron.d/backup:2', false],
    ['cron', 'alice', null, 'alice:3', '*/5 * * * *', 'curl https://alice:***@example.test/x', '/var/spool/cron/crontabs/alice:3', false],
    ['at', 'alice', null, 'job 1 (queue a)', new Date(0x01a3c5e0 * 60_000).toISOString(), 'echo hello', '/var/spool/cron/atjobs/a0000101a3c5e0', false],
    ['at', 'uid 4242', null, 'job 2 (queue b)', new Date(0x019a2b3c * 60_000).toISOString(), '/usr/bin/run --pass ***', '/var/spool/cron/atjobs/b00002019a2b3c', false],
  ]);
  t.deepEqual(runs.unreadable, ['/var/spool/at']);
  for (const secret of ['hunter2', 's3cret', 'abc123', 'pw123']) t.false(JSON.stringify(runs).includes(secret), secret);
  t.deepEqual(runsByAccount(runs.entries).get('alice'), { services: 1, cronJobs: 1, atJobs: 1 });
  t.is(redactCommand('mysqldump -uroot -pTopSecret db | gzip'), 'mysqldump -uroot -p*** db | gzip');
  t.is(redactCommand('mkdir -p /var/x && API_KEY="a b" run'), 'mkdir -p /var/x && API_KEY=*** run');
});

test('jobs: the runs script itself over real unit files: links, continued lines, a file ending in a backslash, a name with a blank', (t) => {
  const dir = tempDir(t);
  const [etc, lib] = [join(dir, 'etc'), join(dir, 'lib')];
  mkdirSync(join(etc, 'multi-user.target.wants'), { recursive: true });
  mkdirSync(join(lib, 'app.service.d'), { recursive: true });
  writeFileSync(join(lib, 'app.service'), '[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/app \\\n  --flag \\\n  --other\nUser=app\n');
  writeFileSync(join(lib, 'app.service.d', 'z.conf'), '[Service]\nExecStart=\nExecStart=/usr/bin/app2 \\');
  writeFileSync(join(lib, 'b c.service'), '[Service]\nUser=bc\n');
  writeFileSync(join(lib, 'tmpl@.service'), '[Service]\nUser=%i\nExecStart=/bin/t %I\n');
  symlinkSync(join(lib, 'tmpl@.service'), join(etc, 'multi-user.target.wants', 'tmpl@svc-x.service'));
  symlinkSync('/dev/null', join(etc, 'masked.service'));
  writeFileSync(join(lib, 'masked.service'), '[Service]\nUser=nobody\n');
  const b = 'c0ffee00';
  const out = execFileSync('sh', ['-c', runsScript(b, [etc, lib])]).toString();
  const services = parseRuns(out, b, () => undefined).entries.filter((e) => e.kind === 'service');
  t.deepEqual(services.map((e) => [e.name, e.account, e.command]), [
    ['app.service', 'app', '/usr/bin/app2'],
    ['b c.service', 'bc', ''],
    ['tmpl@svc-x.service', 'svc-x', '/bin/t svc/x'],
  ]);
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
