/**
 * Who runs a scan: host, PID and the PID's start time (so a recycled PID is not mistaken for the scan's process).
 * A scan left `running` by a process that is gone (kill -9, a crash, a lost machine) is marked `interrupted` by
 * the next command that opens the store, keeping what was committed.
 */
import { hostname } from 'node:os';
import { hasProc, procStat } from '../scanner/io/proc.js';
import type { ScanOwner } from '../model/scan.js';

export type { ScanOwner };


/** A scan whose heartbeat is older than this, on another host, is taken for lost. @default 120000 */
export const STALE_HEARTBEAT_MS = 120_000;

export function currentOwner(): ScanOwner {
  return { host: hostname(), pid: process.pid, startTicks: procStat(process.pid)?.startTicks ?? null };
}

/** Why the owner of a running scan is gone, or null while it may still run. */
export function ownerGone(owner: ScanOwner | null, heartbeatAt: string | null, now = Date.now()): string | null {
  if (owner === null) return 'left running by an earlier version of surveyor';
  if (owner.host === hostname()) {
    const gone = `its process ${owner.pid} on ${owner.host} is gone`;
    if (hasProc()) {
      const stat = procStat(owner.pid);
      if (stat === null) return gone;
      if (owner.startTicks !== null && stat.startTicks !== owner.startTicks) return `${gone} (the PID now belongs to another process)`;
      return null;
    }
    try {
      process.kill(owner.pid, 0);
      return null;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? null : gone;
    }
  }
  const last = heartbeatAt ? Date.parse(heartbeatAt) : NaN;
  if (Number.isFinite(last) && now - last < STALE_HEARTBEAT_MS) return null;
  return `no heartbeat from ${owner.host} (process ${owner.pid}) since ${heartbeatAt ?? 'it started'}`;
}
