/**
 * The vault key: 32 bytes from `SURVEYOR_KEY` (64 hex digits or base64), else from a key file (`SURVEYOR_KEY_FILE`,
 * default ~/.config/surveyor/key) created with mode 0600 on first use. The key never lives in the database, so the
 * database alone reveals no secret; a key file others can read is refused, as ssh refuses such a private key.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError } from '../scanner/errors.js';

export interface VaultKey {
  readonly key: Buffer;
  /** Where the key came from, for messages: `SURVEYOR_KEY` or the file's path. */
  readonly origin: string;
  /** A public tag of the key (HMAC of a constant), stored with each secret so a wrong key is named as such. */
  readonly id: string;
}

export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SURVEYOR_KEY_FILE) return env.SURVEYOR_KEY_FILE;
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'surveyor', 'key');
}

function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('surveyor vault key id v1').digest('hex').slice(0, 16);
}

function decodeKey(text: string, origin: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : null;
  if (!key || key.length !== 32) {
    throw new InputError(`bad vault key in ${origin}: expected 32 bytes as 64 hex digits or base64 (make one with: openssl rand -hex 32)`);
  }
  return key;
}

/**
 * Loads the key. With `create`, a missing key file is made (mode 0600, in a 0700 directory); without it, a
 * missing key is an error, since nothing could have been encrypted yet.
 */
export function loadKey(options: { create: boolean; env?: NodeJS.ProcessEnv }): VaultKey {
  const env = options.env ?? process.env;
  if (env.SURVEYOR_KEY !== undefined) {
    const key = decodeKey(env.SURVEYOR_KEY, 'SURVEYOR_KEY');
    return { key, origin: 'SURVEYOR_KEY', id: keyId(key) };
  }
  const file = defaultKeyFile(env);
  if (!existsSync(file)) {
    if (!options.create) throw new InputError(`no vault key: set SURVEYOR_KEY or create credentials first (key file ${file} does not exist)`);
    return createKeyFile(file);
  }
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY);
  } catch (err) {
    throw new InputError(`vault key file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (mode & 0o077) throw new InputError(`vault key file ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${file}`);
    const key = decodeKey(readFileSync(fd, 'utf8'), file);
    return { key, origin: file, id: keyId(key) };
  } finally {
    closeSync(fd);
  }
}

function createKeyFile(file: string): VaultKey {
  const key = randomBytes(32);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, `${key.toString('hex')}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new InputError(`vault key file ${file} cannot be created (${(err as NodeJS.ErrnoException).code ?? 'error'}): set SURVEYOR_KEY_FILE or SURVEYOR_KEY`);
  }
  return { key, origin: file, id: keyId(key) };
}
