/**
 * Reads a user-named file, standard input, or a stream such as /dev/zero or a FIFO, without ever holding more than
 * a limit: it is read in chunks and given up one byte past `maxBytes`, so `scan @/dev/zero` or `yes | surveyor
 * creds add --password-stdin` cost the limit, not all the memory of the machine. Every target file, rule file,
 * key file and secret goes through here.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class TooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than the limit of ${formatBytes(maxBytes)}`);
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const CHUNK_BYTES = 1 << 20;

/**
 * Reads `fd` until end of file or until more than `maxBytes` came; returns the bytes, or undefined past the limit.
 * A non-blocking descriptor (stdin shared with a parent that set O_NONBLOCK, a key file opened O_NONBLOCK) is
 * polled rather than failing. The scratch chunks are wiped, since they may hold a secret.
 */
export function readBounded(fd: number, maxBytes: number, read: typeof readSync = readSync): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  const wipe = () => {
    for (const c of chunks) c.fill(0);
  };
  while (total <= maxBytes) {
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
    let n: number;
    try {
      n = read(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        wipe();
        throw err;
      }
      Atomics.wait(sleeper, 0, 0, 10);
      continue;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  if (total > maxBytes) {
    wipe();
    return undefined;
  }
  const out = Buffer.concat(chunks, total);
  wipe();
  return out;
}

/** The file's text (UTF-8); throws TooLargeError past `maxBytes`, and the file system's errors as they are. */
export function readBoundedText(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const bytes = readBounded(fd, maxBytes);
    if (bytes === undefined) throw new TooLargeError(maxBytes);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
