/**
 * The vault key: 32 bytes from `SURVEYOR_KEY` (64 hex digits or base64), else from a key file (`SURVEYOR_KEY_FILE`,
 * default ~/.config/surveyor/key). The key never lives in the database, so the database alone reveals no secret.
 *
 * The key file is held to ssh's rules for a private key: a regular file of the user running surveyor, mode 0600 or
 * stricter, in a directory no other user can write to (else they could swap the key). It is made only when the store
 * holds no credential (a new key cannot open what an old one sealed), and written atomically: a temporary file in
 * the same directory, written and fsynced, then linked to the final name and the directory fsynced, so a crash
 * leaves the final name absent or complete, never empty.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../scanner/errors.js';
import { readBounded } from '../scanner/io/bounded-read.js';

export interface VaultKey {
  readonly key: Buffer;
  /** Where the key came from, for messages: `SURVEYOR_KEY` or the file's path. */
  readonly origin: string;
  /** A public tag of the key (HMAC of a constant), stored with each secret so a wrong key is named as such. */
  readonly id: string;
}

/** No `SURVEYOR_KEY`, and no file at the key file's path (whose directory, if it exists, passed the checks). */
export interface MissingKey {
  readonly missing: string;
}

/** A key file is 65 bytes; anything past this is not a key, and is not read into memory. */
export const KEY_FILE_MAX_BYTES = 1024;

const ENV_HINT = 'SURVEYOR_KEY_FILE (the key file) or SURVEYOR_KEY (the key itself)';

export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SURVEYOR_KEY_FILE) return env.SURVEYOR_KEY_FILE;
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'surveyor', 'key');
}

function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('surveyor vault key id v1').digest('hex').slice(0, 16);
}

/** 32 bytes as 64 hex digits or base64, or null. */
function decodeKey(text: string): Buffer | null {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : null;
  return key && key.length === 32 ? key : null;
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/** The uid checks compare against; undefined where the platform has no uids (the checks are then skipped). */
function currentUid(): number | undefined {
  return process.getuid?.();
}

/** Refuses a key directory another user could write to (and so replace the key in), or that is not a directory. */
function checkKeyDirectory(dir: string, st: fs.Stats): void {
  if (!st.isDirectory()) throw new InputError(`vault key directory ${dir} is not a directory: set ${ENV_HINT}`);
  const uid = currentUid();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw new InputError(`vault key directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}), who could replace the key: use a directory of your own (set SURVEYOR_KEY_FILE)`);
  }
  if (st.mode & 0o022) {
    const who = [st.mode & 0o020 ? 'group' : '', st.mode & 0o002 ? 'others' : ''].filter(Boolean).join(' and ');
    throw new InputError(`vault key directory ${dir} is writable by ${who} (mode ${octal(st.mode)}), who could replace the key: run chmod 700 ${dir}`);
  }
}

/** Reads and checks an open key file; `file` is its path, for messages. */
function readKeyFd(fd: number, file: string): VaultKey {
  const st = fs.fstatSync(fd);
  if (!st.isFile()) throw new InputError(`vault key file ${file} is not a regular file: set ${ENV_HINT}`);
  const uid = currentUid();
  if (uid !== undefined && st.uid !== uid) {
    throw new InputError(`vault key file ${file} belongs to uid ${st.uid}, not to you (uid ${uid}): run chown ${uid} ${file} if it is your key, else set ${ENV_HINT}`);
  }
  if (st.mode & 0o077) throw new InputError(`vault key file ${file} is readable by others (mode ${octal(st.mode)}): run chmod 600 ${file}`);
  if (st.size === 0) {
    throw new InputError(`vault key file ${file} is empty: it was probably left by an interrupted first run; if no credentials were sealed with it, delete it and run creds add again (a new key is made), else restore the key from a backup`);
  }
  const buf = readBounded(fd, KEY_FILE_MAX_BYTES);
  const key = buf ? decodeKey(buf.toString('utf8')) : null;
  buf?.fill(0);
  if (!key) {
    throw new InputError(`vault key file ${file} is malformed (${st.size} bytes; a key is 32 bytes written as 64 hex digits or base64 on one line): restore it from a backup, or, if no credentials were sealed with it, delete it and run creds add again`);
  }
  return { key, origin: file, id: keyId(key) };
}

function readKeyFile(file: string): VaultKey {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new InputError(`vault key file ${file} cannot be read (${code(err)}): set ${ENV_HINT}`);
  }
  try {
    return readKeyFd(fd, file);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The key from `SURVEYOR_KEY` or the key file, or the path of the missing key file. Refuses a bad key, a key file
 * that is empty, malformed, not the user's, or readable by others, and a key directory others can write to.
 * Creates and writes nothing.
 */
export function findKey(env: NodeJS.ProcessEnv = process.env): VaultKey | MissingKey {
  if (env.SURVEYOR_KEY !== undefined) {
    const key = decodeKey(env.SURVEYOR_KEY);
    if (!key) throw new InputError('bad vault key in SURVEYOR_KEY: expected 32 bytes as 64 hex digits or base64 (make one with: openssl rand -hex 32)');
    return { key, origin: 'SURVEYOR_KEY', id: keyId(key) };
  }
  const file = defaultKeyFile(env);
  const dir = dirname(file);
  let dirStat: fs.Stats | undefined;
  try {
    dirStat = fs.statSync(dir);
  } catch (err) {
    if (code(err) !== 'ENOENT') throw new InputError(`vault key directory ${dir} cannot be read (${code(err)}): set ${ENV_HINT}`);
  }
  if (dirStat) checkKeyDirectory(dir, dirStat);
  if (!dirStat || !fs.existsSync(file)) return { missing: file };
  return readKeyFile(file);
}

/** The refusal for a missing key file; `sealedCount` is how many stored credentials that key sealed. */
export function missingKeyError(file: string, sealedCount: number): InputError {
  if (sealedCount === 0) {
    return new InputError(`no vault key: key file ${file} does not exist; set ${ENV_HINT}, or add a credential (creds add), which makes a key`);
  }
  const what = sealedCount === 1 ? 'the 1 stored credential' : `the ${sealedCount} stored credentials`;
  return new InputError(`the vault key that sealed ${what} is missing: key file ${file} does not exist. Restore it there, or set ${ENV_HINT}; `
    + 'no new key is made while credentials are stored, since it could not open them (creds remove them to start over)');
}

/**
 * A key that must already exist, for opening credentials. `sealedCount` (default 0) is how many credentials the
 * store holds, for the message when the key file is missing.
 */
export function loadKey(options: { sealedCount?: number; env?: NodeJS.ProcessEnv } = {}): VaultKey {
  const found = findKey(options.env);
  if ('missing' in found) throw missingKeyError(found.missing, options.sealedCount ?? 0);
  return found;
}

/** The file operations `createKeyFile` uses; tests inject failures between them. */
export type KeyFileIo = Pick<typeof fs, 'mkdirSync' | 'statSync' | 'openSync' | 'writeFileSync' | 'fsyncSync' | 'closeSync' | 'linkSync' | 'unlinkSync'>;

/**
 * Makes a new key file (mode 0600; missing directories 0700). The key goes to a temporary file in the same directory,
 * which is fsynced and then hard-linked to the final name, and the directory is fsynced. A link, unlike a rename,
 * never replaces a key file that a concurrent first run made meanwhile (and may have sealed with): that run's key is
 * read and returned instead. Call only when the store holds no credential.
 */
export function createKeyFile(file: string, io: KeyFileIo = fs): VaultKey {
  const dir = dirname(file);
  const cannot = (err: unknown) => new InputError(`vault key file ${file} cannot be created (${code(err)}): set ${ENV_HINT}`);
  try {
    io.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw cannot(err);
  }
  checkKeyDirectory(dir, io.statSync(dir));
  const key = randomBytes(32);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let raced = false;
  try {
    const fd = io.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      io.writeFileSync(fd, `${key.toString('hex')}\n`);
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
    try {
      io.linkSync(tmp, file);
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
      raced = true;
    }
  } catch (err) {
    throw cannot(err);
  } finally {
    try {
      io.unlinkSync(tmp);
    } catch {
      // Absent when opening it failed; a leftover temporary file holds no key anyone uses.
    }
  }
  try {
    const dfd = io.openSync(dir, fs.constants.O_RDONLY);
    try {
      io.fsyncSync(dfd);
    } finally {
      io.closeSync(dfd);
    }
  } catch (err) {
    throw cannot(err);
  }
  return raced ? readKeyFile(file) : { key, origin: file, id: keyId(key) };
}
