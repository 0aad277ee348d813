/** Reading secrets for `creds add`: from standard input only (never argv, where `ps` and shell history see them). */
import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';

/**
 * The most a secret read from standard input may hold (password, passphrase). Reading stops one byte past it, so
 * an endless stream (`yes | surveyor creds add ...`) is refused without being read into memory.
 */
export const STDIN_SECRET_MAX_BYTES = 64 * 1024;

/** The most a --key private key file may hold: an RSA 16384-bit key in PEM is about 12 KiB. */
export const PRIVATE_KEY_FILE_MAX_BYTES = 64 * 1024;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Reads `fd` until end of file or until more than `maxBytes` came; returns the bytes, or undefined past the limit.
 * A non-blocking descriptor (stdin shared with a parent that set O_NONBLOCK) is polled rather than failing.
 */
export function readBounded(fd: number, maxBytes: number, read: typeof readSync = readSync): Buffer | undefined {
  const buf = Buffer.alloc(maxBytes + 1);
  let length = 0;
  while (length < buf.length) {
    let n: number;
    try {
      n = read(fd, buf, length, buf.length - length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        buf.fill(0);
        throw err;
      }
      Atomics.wait(sleeper, 0, 0, 10);
      continue;
    }
    if (n === 0) break;
    length += n;
  }
  if (length > maxBytes) {
    buf.fill(0);
    return undefined;
  }
  const out = Buffer.from(buf.subarray(0, length));
  buf.fill(0);
  return out;
}

function kib(bytes: number): string {
  return `${bytes / 1024} KiB`;
}

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
    throw new InputError(`the ${what} on standard input is longer than ${kib(STDIN_SECRET_MAX_BYTES)} (${STDIN_SECRET_MAX_BYTES} bytes), the limit for a secret: give the ${what} alone, on one line`);
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
  if (bytes === undefined) throw new InputError(`bad --key "${path}": longer than ${kib(PRIVATE_KEY_FILE_MAX_BYTES)}, the limit for a private key file`);
  return bytes.toString('utf8');
}
