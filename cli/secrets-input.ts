/** Reading secrets for `creds add`: from standard input only (never argv, where `ps` and shell history see them). */
import { closeSync, openSync } from 'node:fs';
import { InputError } from '../scanner/errors.js';
import { formatBytes, readBounded } from '../scanner/io/bounded-read.js';

/**
 * The most a secret read from standard input may hold (password, passphrase). Reading stops one byte past it, so
 * an endless stream (`yes | surveyor creds add ...`) is refused without being read into memory.
 */
export const STDIN_SECRET_MAX_BYTES = 64 * 1024;

/** The most a --key private key file may hold: an RSA 16384-bit key in PEM is about 12 KiB. */
export const PRIVATE_KEY_FILE_MAX_BYTES = 64 * 1024;

/**
 * Standard input, less one trailing newline: at most STDIN_SECRET_MAX_BYTES, one line, not empty. `read` stands
 * in for reading file descriptor 0 in tests; it returns undefined past the limit.
 */
export function readSecretFromStdin(what: string, read: () => Buffer | undefined = () => readBounded(0, STDIN_SECRET_MAX_BYTES)): string {
  let bytes: Buffer | undefined;
  try {
    bytes = read();
  } catch (err) {
    throw new InputError(`cannot read the ${what} from standard input (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes === undefined) {
    throw new InputError(`the ${what} on standard input is longer than ${formatBytes(STDIN_SECRET_MAX_BYTES)} (${STDIN_SECRET_MAX_BYTES} bytes), the limit for a secret: give the ${what} alone, on one line`);
  }
  const value = bytes.toString('utf8').replace(/\r?\n$/, '');
  bytes.fill(0);
  if (value === '') throw new InputError(`the ${what} on standard input is empty`);
  if (value.includes('\n')) throw new InputError(`the ${what} on standard input has more than one line`);
  return value;
}

/** A --key private key file, at most PRIVATE_KEY_FILE_MAX_BYTES (so --key /dev/zero is refused, not read forever). */
export function readKeyFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new InputError(`bad --key "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let bytes: Buffer | undefined;
  try {
    bytes = readBounded(fd, PRIVATE_KEY_FILE_MAX_BYTES);
  } catch (err) {
    throw new InputError(`bad --key "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    closeSync(fd);
  }
  if (bytes === undefined) throw new InputError(`bad --key "${path}": longer than ${formatBytes(PRIVATE_KEY_FILE_MAX_BYTES)}, the limit for a private key file`);
  return bytes.toString('utf8');
}
