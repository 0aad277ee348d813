/**
 * The process's limit on open files (RLIMIT_NOFILE, after Node raises its soft limit to the hard one at start),
 * read from /proc/self/limits. Every connection attempt in flight holds a descriptor, so the sweep's in-flight cap
 * is derived from it: past it, `connect` fails with EMFILE and so does everything else that opens a file, a
 * module or the database included.
 */
import { readFileSync } from 'node:fs';

/** Descriptors kept for everything but the sweep: stdio, the database, worker threads, fingerprint and enumeration sockets. */
export const RESERVED_DESCRIPTORS = 192;
/** Below this many attempts in flight a sweep is not worth starting. */
export const MIN_INFLIGHT = 16;

/** The soft limit, or null where it cannot be read (no /proc): then nothing is derived from it. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}
