/**
 * Who runs a scan: host, PID and the PID's start time (so a recycled PID is not mistaken for the scan's process).
 * A scan left `running` by a process that is gone (kill -9, a crash, a lost machine) is marked `interrupted` by
 * the next command that opens the store, keeping what was committed.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ScanOwner {
  readonly host: string;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks after boot), or null where /proc is not there. */
  readonly startTicks: number | null;
}

/** A scan whose heartbeat is older than this, on another host, is taken for lost. @default 120000 */
export const STALE_HEARTBEAT_MS = 120_000;

function startTicks(pid: number): number | null | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}

export function currentOwner(): ScanOwner {
  return { host: hostname(), pid: process.pid, startTicks: startTicks(process.pid) ?? null };
}

/** Why the owner of a running scan is gone, or null while it may still run. */
export function ownerGone(owner: ScanOwner | null, heartbeatAt: string | null, now = Date.now()): string | null {
  if (owner === null) return 'left running by an earlier version of surveyor';
  if (owner.host === hostname()) {
    const ticks = startTicks(owner.pid);
    if (ticks === undefined) return `its process ${owner.pid} on ${owner.host} is gone`;
    if (ticks !== null && owner.startTicks !== null && ticks !== owner.startTicks) return `its process ${owner.pid} on ${owner.host} is gone (the PID now belongs to another process)`;
    if (ticks !== null) return null;
    try {
      process.kill(owner.pid, 0);
      return null;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? null : `its process ${owner.pid} on ${owner.host} is gone`;
    }
  }
  const last = heartbeatAt ? Date.parse(heartbeatAt) : NaN;
  if (Number.isFinite(last) && now - last < STALE_HEARTBEAT_MS) return null;
  return `no heartbeat from ${owner.host} (process ${owner.pid}) since ${heartbeatAt ?? 'it started'}`;
}
