/**
 * `creds add --type snmp`: a v2c community from standard input; an SNMPv3 user's authentication passphrase from
 * the first line and its privacy passphrase from the second (at a terminal, two prompts without echo); bad input
 * refused with exit 2, naming the option, before anything is written; the protocols listed in clear and the
 * passphrases only in the vault. No network: nothing here sends a packet.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../store/open-store.js';
import { openCredentials } from '../app/credentials.js';
import { readSecretLinesFromStdin } from '../cli/secrets-input.js';
import { InputError } from '../scanner/errors.js';
import { dirEnv, runCli, tempDir } from './helpers/cli.js';
import { onPty, ptyAvailable } from './helpers/pty.js';

const SCOPE = ['--scope', '127.132.0.0/16'];
const add = (dir: string, args: string[], input?: string) => runCli(['creds', 'add', '--name', 'sn', '--type', 'snmp', ...args, ...SCOPE], { env: dirEnv(dir), input });

async function opened(dir: string, name: string) {
  process.env.SURVEYOR_KEY_FILE = dirEnv(dir).SURVEYOR_KEY_FILE;
  const store = await openStore(dirEnv(dir).SURVEYOR_DB!);
  try {
    return (await openCredentials(store, [name]))[0]!.credential;
  } finally {
    await store.close();
  }
}

test('a v2c community and an SNMPv3 user (two lines of standard input) are sealed; the protocols are listed in clear', async (t) => {
  const dir = tempDir(t);
  t.is((await add(dir, ['--community-stdin'], 'Comm-Unity-1\n')).code, 0);
  const v3 = await runCli(['creds', 'add', '--name', 'v3', '--type', 'snmp', '--username', 'ops', '--auth', 'sha512', '--auth-stdin', '--priv', 'aes256r', '--priv-stdin', ...SCOPE],
    { env: dirEnv(dir), input: 'Auth-Phrase-1\nPriv-Phrase-1\n' });
  t.is(v3.code, 0, v3.stderr);
  t.regex(v3.stderr, /credential v3 added \(snmp, user ops, sha512\/aes256r, scope 127\.132\.0\.0\/16/);
  const noPriv = await runCli(['creds', 'add', '--name', 'v3np', '--type', 'snmp', '--username', 'ops', '--auth', 'md5', '--auth-stdin', ...SCOPE], { env: dirEnv(dir), input: 'Auth-Phrase-2' });
  t.is(noPriv.code, 0, noPriv.stderr);
  const list = await runCli(['creds', 'list', '--format', 'json'], { env: dirEnv(dir) });
  t.deepEqual((JSON.parse(list.stdout) as { credentials: Array<Record<string, unknown>> }).credentials.map((c) => [c.name, c.type, c.username, c.auth]), [
    ['sn', 'snmp', '', 'community'], ['v3', 'snmp', 'ops', 'sha512/aes256r'], ['v3np', 'snmp', 'ops', 'md5'],
  ]);
  const table = await runCli(['creds', 'list'], { env: dirEnv(dir) });
  t.regex(table.stdout, /sn\s+snmp\s+-\s+community/);
  const sn = await opened(dir, 'sn');
  t.is(sn.secrets.password?.reveal(), 'Comm-Unity-1');
  const v = await opened(dir, 'v3');
  t.is(v.secrets.password?.reveal(), 'Auth-Phrase-1');
  t.is(v.secrets.privacy?.reveal(), 'Priv-Phrase-1');
  t.is((await opened(dir, 'v3np')).secrets.privacy, undefined);
  const db = readFileSync(join(dir, 's.db')).toString('latin1');
  for (const secret of ['Comm-Unity-1', 'Auth-Phrase-1', 'Priv-Phrase-1', 'Auth-Phrase-2']) {
    for (const text of [db, list.stdout, table.stdout, v3.stderr, noPriv.stderr]) t.false(text.includes(secret));
  }
});

test('bad input: exit 2, the option named, nothing written (no database, no key file)', async (t) => {
  const cases: Array<[string[], string | undefined, RegExp]> = [
    [['--auth', 'sha3', '--auth-stdin', '--username', 'ops'], 'Auth-Phrase-1\n', /bad --auth "sha3": expected one of md5, sha, sha224, sha256, sha384, sha512/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin', '--priv', 'blowfish', '--priv-stdin'], 'Auth-Phrase-1\nPriv-Phrase-1\n', /bad --priv "blowfish": expected one of des, aes, aes256b, aes256r/],
    [['--username', 'ops', '--priv', 'aes', '--priv-stdin'], 'x\n', /--priv needs --auth/],
    [['--username', 'ops', '--auth', 'sha'], undefined, /--auth goes with --auth-stdin/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin', '--priv', 'aes'], 'Auth-Phrase-1\n', /--priv goes with --priv-stdin/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin', '--priv-stdin'], 'Auth-Phrase-1\n', /--priv-stdin goes with --priv/],
    [['--community-stdin', '--username', 'ops'], 'c\n', /--community-stdin \(SNMPv2c\) cannot be combined with --username, --auth or --priv/],
    [[], undefined, /needs --community-stdin \(SNMPv2c\) or --username USER --auth PROTOCOL --auth-stdin \(SNMPv3\)/],
    [['--auth', 'sha', '--auth-stdin'], 'Auth-Phrase-1\n', /needs --username USER/],
    [['--username', 'x'.repeat(33), '--auth', 'sha', '--auth-stdin'], 'Auth-Phrase-1\n', /1 to 32 bytes/],
    [['--community-stdin', '--password-stdin'], 'c\n', /--password-stdin is not for --type snmp/],
    [['--community-stdin', '--elevate', 'sudo'], 'c\n', /--elevate is not for --type snmp/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin', '--priv', 'aes', '--priv-stdin'], 'Auth-Phrase-1\n', /standard input has 1 line, not 2: give the authentication passphrase on line 1 and the privacy passphrase on line 2/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin', '--priv', 'aes', '--priv-stdin'], 'Auth-Phrase-1\n\n', /the privacy passphrase on standard input is empty/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin'], 'Auth-Phrase-1\nextra\n', /the authentication passphrase on standard input has more than one line/],
    [['--username', 'ops', '--auth', 'sha', '--auth-stdin', '--priv', 'aes', '--priv-stdin'], 'Auth-Phrase-1\nTiny-7\n', /the privacy passphrase is shorter than 8 characters, which SNMPv3 agents refuse \(RFC 3414 11\.2\)/],
    [['--community-stdin'], '', /the community on standard input is empty/],
  ];
  for (const [args, input, message] of cases) {
    const dir = tempDir(t);
    const r = await add(dir, args, input);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.false(existsSync(join(dir, 's.db')) || existsSync(join(dir, 'vault.key')), `${args.join(' ')} wrote something`);
    for (const secret of ['Auth-Phrase-1', 'Priv-Phrase-1', 'Tiny-7']) t.false(r.stderr.includes(secret));
  }
  const ssh = await runCli(['creds', 'add', '--name', 's', '--username', 'ops', '--password-stdin', '--auth', 'sha', ...SCOPE], { env: dirEnv(tempDir(t)), input: 'p\n' });
  t.is(ssh.code, 2);
  t.regex(ssh.stderr, /--auth is for --type snmp/);
});

test('creds test refuses an snmp credential (it speaks SSH), naming what asks SNMP', async (t) => {
  const dir = tempDir(t);
  t.is((await add(dir, ['--community-stdin'], 'Comm-Unity-1\n')).code, 0);
  const r = await runCli(['creds', 'test', 'sn', '127.132.0.1'], { env: dirEnv(dir) });
  t.is(r.code, 2);
  t.regex(r.stderr, /sn is an snmp credential, and creds test speaks SSH; a scan with --creds sn asks SNMP/);
});

test('several secrets from standard input: one a line, in order', (t) => {
  const whats = ['authentication passphrase', 'privacy passphrase'];
  t.deepEqual(readSecretLinesFromStdin(whats, () => Buffer.from('a b\r\nc\n')), ['a b', 'c']);
  t.throws(() => readSecretLinesFromStdin(whats, () => undefined), { instanceOf: InputError, message: /the authentication passphrase and the privacy passphrase on standard input are longer than 64 KiB/ });
  t.throws(() => readSecretLinesFromStdin(whats, () => Buffer.from('a\nb\nc\n')), { message: /has 3 lines, not 2/ });
});

const ptyTest = ptyAvailable ? test : test.skip;

ptyTest('at a terminal, an SNMPv3 user\'s two passphrases are asked by two prompts, neither echoed', async (t) => {
  const dir = tempDir(t);
  const args = ['creds', 'add', '--name', 'typed', '--type', 'snmp', '--username', 'ops', '--auth', 'sha256', '--auth-stdin', '--priv', 'aes', '--priv-stdin', ...SCOPE];
  const r = onPty(args, dirEnv(dir), [['authentication passphrase: ', ['Typed-Auth-1', '\r']], ['privacy passphrase: ', ['Typed-Priv-1', '\r']]]);
  t.is(r.code, 0, r.output);
  for (const secret of ['Typed-Auth-1', 'Typed-Priv-1']) t.false(r.output.includes(secret), `echoed: ${JSON.stringify(r.output)}`);
  const c = await opened(dir, 'typed');
  t.is(c.secrets.password?.reveal(), 'Typed-Auth-1');
  t.is(c.secrets.privacy?.reveal(), 'Typed-Priv-1');
});
