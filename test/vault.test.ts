/** The vault: key sources and file modes, AES-256-GCM sealing bound to its credential, scopes, secret redaction. */
import test from 'ava';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { open, seal } from '../vault/cipher.js';
import { openCredential, Scope, sealSecrets, Secret, StoredCredential } from '../vault/credentials.js';
import { createKeyFile, loadKey } from '../vault/key.js';
import { InputError } from '../scanner/errors.js';
import { tempDir } from './helpers/cli.js';

test('a key file is created with mode 0600 on first use and read back the same', (t) => {
  const file = join(tempDir(t), 'sub', 'key');
  const env = { SURVEYOR_KEY_FILE: file };
  t.throws(() => loadKey({ env }), { instanceOf: InputError, message: /does not exist/ });
  const created = createKeyFile(file);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(statSync(join(file, '..')).mode & 0o777, 0o700);
  const again = loadKey({ env });
  t.deepEqual(again.key, created.key);
  t.is(again.id, created.id);
});

test('a key file others can read is refused, naming the fix', (t) => {
  const file = join(tempDir(t), 'key');
  writeFileSync(file, 'ab'.repeat(32));
  chmodSync(file, 0o644);
  t.throws(() => loadKey({ env: { SURVEYOR_KEY_FILE: file } }), { message: /readable by others \(mode 0644\): run chmod 600/ });
});

test('SURVEYOR_KEY takes hex or base64 of 32 bytes, and nothing else', (t) => {
  const hex = loadKey({ env: { SURVEYOR_KEY: '11'.repeat(32) } });
  const b64 = loadKey({ env: { SURVEYOR_KEY: Buffer.alloc(32, 0x11).toString('base64') } });
  t.deepEqual(hex.key, b64.key);
  for (const bad of ['', 'short', '11'.repeat(31), Buffer.alloc(16).toString('base64')]) {
    t.throws(() => loadKey({ env: { SURVEYOR_KEY: bad } }), { instanceOf: InputError, message: /expected 32 bytes/ });
  }
});

test('sealed values open only with the same key and the same associated data', (t) => {
  const key = Buffer.alloc(32, 7);
  const sealed = seal(key, Buffer.from('hunter2'), 'a');
  t.false(sealed.includes('hunter2'));
  t.is(open(key, sealed, 'a')?.toString(), 'hunter2');
  t.is(open(key, sealed, 'b'), undefined);
  t.is(open(Buffer.alloc(32, 8), sealed, 'a'), undefined);
  const parts = sealed.split('.');
  const body = Buffer.from(parts[3]!, 'base64');
  body[0]! ^= 1;
  t.is(open(key, [...parts.slice(0, 3), body.toString('base64')].join('.'), 'a'), undefined);
  t.not(seal(key, Buffer.from('hunter2'), 'a'), sealed, 'a fresh IV each time');
});

test('a credential opens with its key, and a moved or foreign one is named', (t) => {
  const key = loadKey({ env: { SURVEYOR_KEY: '22'.repeat(32) } });
  const identity = { name: 'ops', type: 'ssh' as const, username: 'root' };
  const stored: StoredCredential = {
    ...identity, auth: 'password', elevate: null, scope: ['any'], keyId: key.id,
    sealed: sealSecrets(key, identity, { password: new Secret('s3cret-value') }), createdAt: 'x', updatedAt: 'x',
  };
  t.is(openCredential(key, stored).secrets.password?.reveal(), 's3cret-value');
  t.throws(() => openCredential(key, { ...stored, username: 'admin' }), { message: /altered or moved/ });
  const other = loadKey({ env: { SURVEYOR_KEY: '33'.repeat(32) } });
  t.throws(() => openCredential(other, stored), { message: /sealed with another vault key/ });
});

test('a Secret never prints its value', (t) => {
  const s = new Secret('do-not-print');
  const texts = [String(s), `${s}`, JSON.stringify({ s }), inspect({ s }), inspect(s, { showHidden: true })];
  for (const text of texts) t.false(text.includes('do-not-print'), text);
  t.is(s.reveal(), 'do-not-print');
});

test('scopes hold addresses, CIDR blocks and ranges of either family', (t) => {
  const scope = Scope.parse(['127.20.0.0/16', '::1', '10.1.2.3-10.1.2.9']);
  t.true(scope.contains('127.20.5.4'));
  t.false(scope.contains('127.21.0.1'));
  t.true(scope.contains('::1'));
  t.false(scope.contains('::2'));
  t.true(scope.contains('10.1.2.9'));
  t.false(scope.contains('10.1.2.10'));
  t.false(scope.contains('not-an-address'));
  t.true(Scope.parse(['any']).contains('203.0.113.1'));
  t.throws(() => Scope.parse([]), { message: /needs --scope/ });
  t.throws(() => Scope.parse(['db.example.com']), { message: /bad scope "db.example.com": .*not host names/ });
  t.throws(() => Scope.parse(['10.0.0.0/33']), { message: /^bad scope "10.0.0.0\/33"/ });
  t.throws(() => Scope.parse(['any', '10.0.0.1']), { message: /"any" cannot be combined/ });
});

test('creds add: every bad input exits 2 with a message naming it, and stores nothing', async (t) => {
  const { runCli, fileState } = await import('./helpers/cli.js');
  const dir = tempDir(t);
  const env = { SURVEYOR_KEY_FILE: join(dir, 'key'), SURVEYOR_DB: join(dir, 's.db') };
  const ok = await runCli(['creds', 'add', '--name', 'good', '--username', 'ops', '--password-stdin', '--scope', '127.0.0.1'], { env, input: 'pw-123\n' });
  t.is(ok.code, 0, ok.stderr);
  const before = fileState(env.SURVEYOR_DB);
  const notKey = join(dir, 'not-a-key');
  writeFileSync(notKey, 'not a private key\n');
  const cases: Array<[string[], string | undefined, RegExp]> = [
    [['--name', 'bad name', '--username', 'ops', '--password-stdin', '--scope', 'any'], 'x\n', /bad credential name "bad name"/],
    [['--name', 'n', '--username', 'ops', '--password-stdin'], 'x\n', /needs --scope/],
    [['--name', 'n', '--username', 'ops', '--password-stdin', '--scope', 'db.example.com'], 'x\n', /bad scope "db.example.com"/],
    [['--name', 'n', '--username', 'ops', '--scope', 'any'], undefined, /exactly one of --password-stdin and --key/],
    [['--name', 'n', '--username', 'ops', '--password-stdin', '--scope', 'any'], '\n', /password on standard input is empty/],
    [['--name', 'n', '--username', 'ops', '--key', join(dir, 'missing'), '--scope', 'any'], undefined, /bad --key ".*missing": cannot be read \(ENOENT\)/],
    [['--name', 'n', '--username', 'ops', '--key', notKey, '--scope', 'any'], undefined, /not a private key ssh2 can use/],
    [['--name', 'good', '--username', 'ops', '--password-stdin', '--scope', 'any'], 'y\n', /credential "good" already exists/],
    [['--name', 'n', '--type', 'telnet', '--username', 'ops', '--password-stdin', '--scope', 'any'], 'x\n', /bad --type "telnet"/],
    [['--name', 'n', '--type', 'ldap', '--password-stdin', '--scope', 'any'], 'x\n', /exactly one of --bind-dn DN and --username/],
    [['--name', 'n', '--type', 'ldap', '--bind-dn', 'cn=a,dc=x', '--username', 'a@x', '--password-stdin', '--scope', 'any'], 'x\n', /exactly one of --bind-dn/],
    [['--name', 'n', '--type', 'ldap', '--bind-dn', 'admin', '--password-stdin', '--scope', 'any'], 'x\n', /bad --bind-dn "admin": expected a DN/],
    [['--name', 'n', '--type', 'ldap', '--username', 'admin', '--password-stdin', '--scope', 'any'], 'x\n', /bad --username "admin" for ldap: expected user@domain/],
    [['--name', 'n', '--type', 'ldap', '--username', 'a@x', '--key', env.SURVEYOR_DB, '--scope', 'any'], undefined, /--key and --elevate are for ssh/],
    [['--name', 'n', '--bind-dn', 'cn=a,dc=x', '--password-stdin', '--scope', 'any'], 'x\n', /--bind-dn is for --type ldap/],
    [['--name', 'n', '--type', 'ldap', '--username', 'a@x', '--password-stdin', '--scope', 'any'], '\n', /password on standard input is empty/],
  ];
  for (const [args, input, message] of cases) {
    const r = await runCli(['creds', 'add', ...args], { env, input });
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.false(r.stderr.includes('pw-123'));
  }
  t.is(fileState(env.SURVEYOR_DB), before, 'nothing stored');
  const list = await runCli(['creds', 'list', '--format', 'json'], { env });
  t.deepEqual((JSON.parse(list.stdout) as { credentials: Array<{ name: string }> }).credentials.map((c) => c.name), ['good']);
  t.false(list.stdout.includes('pw-123'));
  const missing = await runCli(['scan', '127.0.0.1', '--ports', '1', '--creds', 'nope'], { env });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /bad --creds "nope": no such credential/);
});

test('directory scan: every bad input exits 2 naming it, sends nothing and stores no scan', async (t) => {
  const { runCli, fileState } = await import('./helpers/cli.js');
  const dir = tempDir(t);
  const env = { SURVEYOR_KEY_FILE: join(dir, 'key'), SURVEYOR_DB: join(dir, 's.db') };
  for (const [name, type, id] of [['dir', 'ldap', ['--bind-dn', 'cn=a,dc=x']], ['shell', 'ssh', ['--username', 'ops']]] as const) {
    const r = await runCli(['creds', 'add', '--name', name, '--type', type, ...id, '--password-stdin', '--scope', '127.61.0.1'], { env, input: 'pw-456\n' });
    t.is(r.code, 0, r.stderr);
  }
  const before = fileState(env.SURVEYOR_DB);
  const cases: Array<[string[], RegExp]> = [
    [['ldap://127.61.0.1'], /give --creds NAME/],
    [['http://127.61.0.1', '--creds', 'dir'], /bad directory URL "http:\/\/127.61.0.1"/],
    [['ldap://127.61.0.1:99999', '--creds', 'dir'], /bad directory URL .*(port|expected)/],
    [['ldap://127.61.0.1', '--creds', 'nope'], /bad --creds "nope": no such credential/],
    [['ldap://127.61.0.1', '--creds', 'shell'], /bad --creds "shell": a ssh credential/],
    [['ldap://127.61.0.2', '--creds', 'dir'], /127.61.0.2 is outside the scope of credential dir .*nothing was sent/],
    [['ldap://127.61.0.1', '--creds', 'dir', '--pin-sha256', 'zz'], /bad --pin-sha256 "zz"/],
    [['ldap://127.61.0.1', '--creds', 'dir', '--ca-file', join(dir, 'none.pem')], /bad --ca-file ".*none.pem": cannot be read \(ENOENT\)/],
    [['ldap://127.61.0.1', '--creds', 'dir', '--ca-file', env.SURVEYOR_DB], /bad --ca-file .*holds no PEM certificate/],
    [['ldap://127.61.0.1', '--creds', 'dir', '--tls-name', 'a b'], /bad --tls-name "a b"/],
    [['ldap://127.61.0.1', 'ldap://127.61.0.1', '--creds', 'dir'], /exactly one ldap:\/\/HOST/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['directory', 'scan', ...args], { env });
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
  }
  t.is(fileState(env.SURVEYOR_DB), before, 'no scan stored');
});
