/**
 * Reads a user-named file, or a stream such as /dev/zero or a FIFO, without ever holding more than a limit: the
 * file is read in chunks and refused as soon as it passes `maxBytes`, so `scan @/dev/zero` costs `maxBytes`, not
 * all the memory of the machine.
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

/** The file's text (UTF-8); throws TooLargeError past `maxBytes`, and the file system's errors as they are. */
export function readBoundedText(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new TooLargeError(maxBytes);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
