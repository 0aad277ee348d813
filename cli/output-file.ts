/**
 * `--output FILE`: written through a temporary file beside it and renamed at the end, so a refused or failed
 * command leaves an earlier FILE as it was; and never the database itself or its -wal/-shm companions, which a
 * slip of the keyboard (`--db x.db --output x.db`) would otherwise replace with a report.
 */
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../scanner/errors.js';

function identity(path: string): { real: string; inode?: string } {
  try {
    const st = statSync(path);
    return { real: realpathSync(path), inode: `${st.dev}:${st.ino}` };
  } catch {
    // Not there yet: the real path of its folder and its name.
    try {
      return { real: resolve(realpathSync(dirname(path)), path.split('/').pop()!) };
    } catch {
      return { real: resolve(path) };
    }
  }
}

/** Refuses an output path that is the database or one of its companion files (by real path and by inode). */
export function checkOutputPath(output: string, dbLocation: string): void {
  if (output.trim() === '') throw new InputError('bad --output "": give a file path');
  if (/^postgres(ql)?:\/\//i.test(dbLocation)) return;
  const out = identity(output);
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    const db = identity(`${dbLocation}${suffix}`);
    if (out.real === db.real || (out.inode !== undefined && out.inode === db.inode)) {
      throw new InputError(`bad --output "${output}": it is the database${suffix ? `'s ${suffix.slice(1)} file` : ''} (${dbLocation}); writing it would destroy the store`);
    }
  }
}

/** A file written in place of FILE only when `commit()` is called; `discard()` leaves FILE untouched. */
export class AtomicOutput {
  private readonly tmp: string;
  private fd: number | null;

  constructor(readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    try {
      this.fd = openSync(this.tmp, 'wx', 0o644);
    } catch (err) {
      throw new InputError(`bad --output "${path}": cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  write(text: string): void {
    if (this.fd !== null) writeSync(this.fd, text);
  }

  commit(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tmp, this.path);
  }

  discard(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }

  /** Writes `text` as the whole file at once. */
  static writeFile(path: string, text: string): void {
    const out = new AtomicOutput(path);
    try {
      out.write(text);
      out.commit();
    } catch (err) {
      out.discard();
      throw err;
    }
  }
}
