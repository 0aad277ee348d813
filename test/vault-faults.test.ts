/**
 * The vault's faults (issue: faults): an interrupted first run, a deleted key, unsafe key file ownership and modes,
 * a bad --db, an endless standard input. Each is refused with exit 2 and a message naming it, and nothing stored is
 * lost or half-written; the key file is written atomically.
 */
import test from 'ava';
import * as fs from 'node:fs';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../scanner/errors.js';
import { readBounded } from '../scanner/io/bounded-read.js';
import { STDIN_SECRET_MAX_BYTES } from '../cli/secrets-input.js';
import { createKeyFile, findKey, KeyFileIo, loadKey } from '../vault/key.js';
import { fileState, runCli, tempDir } from './helpers/cli.js';

const SECRET = 'pw-faults-9471';
const root = process.getuid?.() === 0;

function addArgs(name: string): string[] {
  return ['creds', 'add', '--name', name, '--username', 'ops', '--password-stdin', '--scope', '127.0.0.1'];
}

function setup(t: { teardown(fn: () => void): void }) {
  const dir = tempDir(t);
  const env = { SURVEYOR_KEY_FILE: join(dir, 'keys', 'key'), SURVEYOR_DB: join(dir, 's.db') };
  return { dir, env, keyFile: env.SURVEYOR_KEY_FILE, db: env.SURVEYOR_DB };
}

test('an empty or malformed key file is named as such (exit 2); once deleted with no credentials stored, creds add works', async (t) => {
  const { env, keyFile, db } = setup(t);
  mkdirSync(join(keyFile, '..'), { mode: 0o700 });
  writeFileSync(keyFile, '', { mode: 0o600 });
  const empty = await runCli(addArgs('first'), { env, input: `${SECRET}\n` });
  t.is(empty.code, 2, empty.stderr);
  t.regex(empty.stderr, /vault key file .*keys\/key is empty: it was probably left by an interrupted first run; if no credentials were sealed with it, delete it/);
  t.notRegex(empty.stderr, /bad vault key/);
  t.false(empty.stderr.includes(SECRET));
  t.false(existsSync(db), 'the database is not touched');

  writeFileSync(keyFile, 'not a key at all\n', { mode: 0o600 });
  const malformed = await runCli(addArgs('first'), { env, input: `${SECRET}\n` });
  t.is(malformed.code, 2, malformed.stderr);
  t.regex(malformed.stderr, /vault key file .*keys\/key is malformed \(17 bytes; a key is 32 bytes written as 64 hex digits or base64/);
  t.false(malformed.stderr.includes('not a key at all'), 'the file content is not echoed');
  t.false(existsSync(db));

  unlinkSync(keyFile);
  const ok = await runCli(addArgs('first'), { env, input: `${SECRET}\n` });
  t.is(ok.code, 0, ok.stderr);
  t.is(statSync(keyFile).size, 65);
  t.is(statSync(keyFile).mode & 0o777, 0o600);
  t.deepEqual(readdirSync(join(keyFile, '..')), ['key'], 'no temporary file is left');
});

test('a deleted key file while credentials are stored is refused: no new key, the database unchanged', async (t) => {
  const { env, keyFile, db } = setup(t);
  for (const name of ['one', 'two']) {
    const r = await runCli(addArgs(name), { env, input: `${SECRET}\n` });
    t.is(r.code, 0, r.stderr);
  }
  unlinkSync(keyFile);
  const before = fileState(db);
  const add = await runCli(addArgs('three'), { env, input: `${SECRET}\n` });
  t.is(add.code, 2, add.stderr);
  t.regex(add.stderr, /the vault key that sealed the 2 stored credentials is missing: key file .*keys\/key does not exist/);
  t.regex(add.stderr, /SURVEYOR_KEY_FILE/);
  t.regex(add.stderr, /SURVEYOR_KEY \(/);
  t.notRegex(add.stderr, /create credentials first/);
  t.false(add.stderr.includes(SECRET));
  t.false(existsSync(keyFile), 'no new key file');
  t.is(fileState(db), before, 'the database is byte-identical');

  const scan = await runCli(['scan', '127.0.0.1', '--ports', '1', '--creds', 'one', '--no-progress'], { env });
  t.is(scan.code, 2, scan.stderr);
  t.regex(scan.stderr, /the vault key that sealed the 2 stored credentials is missing/);
  t.false(existsSync(keyFile));
  t.is(fileState(db), before, 'no scan stored');
});

test('a key directory others can write to, or a key file of another user, is refused and nothing is made', async (t) => {
  const { dir, env, keyFile, db } = setup(t);
  const keyDir = join(keyFile, '..');
  mkdirSync(keyDir);
  for (const [mode, who] of [[0o770, 'group'], [0o777, 'group and others'], [0o702, 'others']] as const) {
    chmodSync(keyDir, mode);
    const r = await runCli(addArgs('n'), { env, input: `${SECRET}\n` });
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`vault key directory .*keys is writable by ${who} \\(mode 0${mode.toString(8)}\\), who could replace the key: run chmod 700 .*keys`));
    t.deepEqual(readdirSync(keyDir), [], 'no key file made');
    t.false(existsSync(db), 'no database made');
  }

  // An existing key file in such a directory is refused too, by scan as by creds add.
  chmodSync(keyDir, 0o700);
  const ok = await runCli(addArgs('n'), { env, input: `${SECRET}\n` });
  t.is(ok.code, 0, ok.stderr);
  const before = fileState(db);
  chmodSync(keyDir, 0o777);
  for (const args of [addArgs('m'), ['scan', '127.0.0.1', '--ports', '1', '--creds', 'n', '--no-progress']]) {
    const r = await runCli(args, { env, input: `${SECRET}\n` });
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /is writable by group and others \(mode 0777\).*chmod 700/);
  }
  chmodSync(keyDir, 0o700);
  t.is(fileState(db), before);

  if (!root) {
    t.log('not root: the key file owner case needs chown');
    return;
  }
  chownSync(keyFile, 65534, 65534);
  const owned = await runCli(addArgs('m'), { env, input: `${SECRET}\n` });
  t.is(owned.code, 2, owned.stderr);
  t.regex(owned.stderr, /vault key file .*keys\/key belongs to uid 65534, not to you \(uid 0\): run chown 0 /);
  t.is(fileState(db), before);

  const fresh = { SURVEYOR_KEY_FILE: join(dir, 'other', 'key'), SURVEYOR_DB: join(dir, 'other.db') };
  mkdirSync(join(dir, 'other'), { mode: 0o700 });
  writeFileSync(fresh.SURVEYOR_KEY_FILE, 'ab'.repeat(32), { mode: 0o600 });
  chownSync(fresh.SURVEYOR_KEY_FILE, 65534, 65534);
  const r = await runCli(addArgs('n'), { env: fresh, input: `${SECRET}\n` });
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /belongs to uid 65534/);
  t.false(existsSync(fresh.SURVEYOR_DB));
});

test('a bad --db is refused (exit 2) before a key file is made', async (t) => {
  const { dir, env, keyFile } = setup(t);
  const cases: Array<[string, RegExp]> = [
    [dir, /bad --db ".*": it is a folder, not a database file/],
    [join(dir, 'missing', 's.db'), /bad --db ".*missing\/s.db": its folder .*missing does not exist/],
  ];
  for (const [db, message] of cases) {
    const r = await runCli([...addArgs('n'), '--db', db], { env, input: `${SECRET}\n` });
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, message);
    t.false(existsSync(keyFile), `no key file for --db ${db}`);
    t.false(existsSync(join(keyFile, '..')), 'not even its directory');
  }
});

test('an endless standard input is refused at the limit (exit 2), without reading the stream', async (t) => {
  t.timeout(60_000, 'hang budget: an unbounded read never ends');
  const { dir, env, keyFile, db } = setup(t);
  const pipeYes = ['sh', '-c', 'yes | exec "$0" "$@"'];
  const password = await runCli(addArgs('n'), { env, prefix: pipeYes });
  t.is(password.code, 2, password.stderr);
  t.regex(password.stderr, /the password on standard input is longer than 64 KiB \(65536 bytes\), the limit for a secret/);
  const privateKey = join(dir, 'id');
  writeFileSync(privateKey, 'any file: the passphrase is read before the key is parsed\n');
  const passphrase = await runCli(['creds', 'add', '--name', 'n', '--username', 'ops', '--key', privateKey, '--passphrase-stdin', '--scope', 'any'], { env, prefix: pipeYes });
  t.is(passphrase.code, 2, passphrase.stderr);
  t.regex(passphrase.stderr, /the passphrase on standard input is longer than 64 KiB/);
  t.false(existsSync(keyFile));
  t.false(existsSync(db));
});

test('secrets up to the limit are read whole; one byte more is refused', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'in');
  for (const [size, whole] of [[STDIN_SECRET_MAX_BYTES, true], [STDIN_SECRET_MAX_BYTES + 1, false], [0, true]] as const) {
    writeFileSync(file, Buffer.alloc(size, 0x61));
    const fd = fs.openSync(file, 'r');
    try {
      const got = readBounded(fd, STDIN_SECRET_MAX_BYTES);
      t.is(got?.length, whole ? size : undefined, `${size} bytes`);
    } finally {
      fs.closeSync(fd);
    }
  }
  let calls = 0;
  const again = Object.assign(new Error('try again'), { code: 'EAGAIN' });
  const flaky = ((_fd: number, buf: Buffer, offset: number) => {
    calls += 1;
    if (calls === 1) throw again;
    if (calls === 2) return buf.write('abc', offset);
    return 0;
  }) as unknown as typeof fs.readSync;
  t.is(readBounded(0, 16, flaky)?.toString(), 'abc', 'EAGAIN on a non-blocking stdin is waited out');
});

test('the key file is written through a fsynced temporary file and linked into place: a crash leaves it absent or whole', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'keys', 'key');
  const calls: string[] = [];
  const crash = Object.assign(new Error('simulated crash'), { code: 'EIO' });
  const traced = (fail?: string): KeyFileIo => ({
    mkdirSync: fs.mkdirSync,
    statSync: fs.statSync,
    openSync: ((path: string, flags: number, mode?: number) => {
      calls.push(path === join(dir, 'keys') ? 'open dir' : 'open tmp');
      return fs.openSync(path, flags, mode);
    }) as typeof fs.openSync,
    writeFileSync: ((fd: number, data: string) => {
      calls.push('write');
      if (fail === 'write') {
        fs.writeSync(fd, data.slice(0, 10));
        throw crash;
      }
      fs.writeFileSync(fd, data);
    }) as typeof fs.writeFileSync,
    fsyncSync: (fd: number) => {
      calls.push('fsync');
      fs.fsyncSync(fd);
    },
    closeSync: fs.closeSync,
    linkSync: ((from: string, to: string) => {
      calls.push('link');
      t.false(existsSync(to), 'the final name does not exist before the link');
      t.is(readFileSync(from, 'utf8').length, 65, 'the temporary file is complete before it is linked');
      t.is(statSync(from).mode & 0o777, 0o600);
      t.is(join(from, '..'), join(to, '..'), 'the temporary file is in the same directory');
      if (fail === 'link') throw crash;
      fs.linkSync(from, to);
    }) as typeof fs.linkSync,
    unlinkSync: fs.unlinkSync,
  });

  for (const fail of ['write', 'link']) {
    calls.length = 0;
    t.throws(() => createKeyFile(file, traced(fail)), { instanceOf: InputError, message: /vault key file .*keys\/key cannot be created \(EIO\)/ });
    t.false(existsSync(file), `after a failure at ${fail}, the key file is absent, not empty`);
    t.deepEqual(readdirSync(join(dir, 'keys')), [], 'the temporary file is removed');
  }

  calls.length = 0;
  const made = createKeyFile(file, traced());
  t.deepEqual(calls, ['open tmp', 'write', 'fsync', 'link', 'open dir', 'fsync']);
  t.deepEqual(readdirSync(join(dir, 'keys')), ['key']);
  t.deepEqual(loadKey({ env: { SURVEYOR_KEY_FILE: file } }).key, made.key);

  // A concurrent first run that linked its key first keeps it: the link never replaces it.
  const second = createKeyFile(file);
  t.deepEqual(second.key, made.key);
  t.is(second.id, made.id);
  t.deepEqual(readdirSync(join(dir, 'keys')), ['key']);
});

test('findKey reports a missing key file without making anything', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'a', 'b', 'key');
  t.deepEqual(findKey({ SURVEYOR_KEY_FILE: file }), { missing: file });
  t.false(existsSync(join(dir, 'a')));
  t.throws(() => loadKey({ env: { SURVEYOR_KEY_FILE: file }, sealedCount: 1 }), { message: /sealed the 1 stored credential is missing/ });
  t.throws(() => loadKey({ env: { SURVEYOR_KEY_FILE: file } }), { message: /^no vault key: key file .* does not exist; .*creds add/ });
});
