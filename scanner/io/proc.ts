/**
 * Processes as Linux's /proc shows them: the fields of /proc/PID/stat that surveyor and its fixtures use (is it a
 * zombie, who is its parent and its process group, when did it start, to tell a recycled PID apart), every PID, and
 * the processes whose command line names a path. One parser for what proc(5) documents.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  /** proc(5) field 3: R, S, D, Z (zombie), ... */
  readonly state: string;
  /** Field 4. */
  readonly parent: number;
  /** Field 5: the process group. */
  readonly group: number;
  /** Field 22: clock ticks after boot. */
  readonly startTicks: number;
}

/** Whether this system has /proc to read (Linux); elsewhere callers fall back to what Node offers. */
export function hasProc(): boolean {
  return existsSync('/proc/self/stat');
}

/** The process's stat fields, or null when it is gone (or /proc is not there). */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, parent: Number(f[1]), group: Number(f[2]), startTicks: Number(f[19]) };
}

export function allPids(): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
}

/** Processes other than this one whose command line contains `text` (a folder path, with its trailing slash). */
export function processesNaming(text: string): number[] {
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').includes(text);
    } catch {
      return false; // exited while we looked
    }
  });
}
