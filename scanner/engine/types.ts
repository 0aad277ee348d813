/** Results and options shared by the sweeper, its worker threads and the pool that drives them. */
import type { PortState } from '../../model/port.js';

export interface PortResult {
  readonly port: number;
  readonly state: PortState;
  /** Round-trip time of the deciding attempt, in ms (the timeout for `filtered`). */
  readonly rttMs: number;
  /** Connection attempts spent on this port (1 + retries used). */
  readonly attempts: number;
  /** errno code when the kernel answered with something other than a connection or a refusal. */
  readonly reason?: string;
}

export interface HostResult {
  readonly address: string;
  readonly ports: PortResult[];
  /** False when the sweep was stopped before every port of this host was decided. */
  readonly complete: boolean;
}

export interface SweepCounters {
  probesDone: number;
  hostsDone: number;
  open: number;
  closed: number;
  filtered: number;
  /** Attempts repeated after a timeout. */
  retries: number;
}

export function emptyCounters(): SweepCounters {
  return { probesDone: 0, hostsDone: 0, open: 0, closed: 0, filtered: 0, retries: 0 };
}

export function addCounters(into: SweepCounters, from: SweepCounters): void {
  into.probesDone += from.probesDone;
  into.hostsDone += from.hostsDone;
  into.open += from.open;
  into.closed += from.closed;
  into.filtered += from.filtered;
  into.retries += from.retries;
}

/** Tuning of one sweeper (one thread). The pool divides global limits between threads. */
export interface SweepTuning {
  readonly ports: readonly number[];
  /** Longest wait for one attempt, in ms; also the wait before any round trip has been measured. */
  readonly timeoutMs: number;
  /** Shortest wait for one attempt, in ms, however fast the measured round trips. */
  readonly minTimeoutMs: number;
  /** Extra attempts for a port whose attempt timed out (refusals and connections are final). */
  readonly retries: number;
  /** Connection attempts in flight at once. */
  readonly concurrency: number;
  /** Upper bound for attempts in flight, counting stale ones; equal to `concurrency` to disable adaptation. */
  readonly maxInflight: number;
  /** Attempts in flight at once against one host. */
  readonly perHost: number;
  /** Attempts started per second; 0 for no limit. */
  readonly ratePerSec: number;
  /** Port states reported in host records; `open` is always reported. */
  readonly reportStates: readonly PortState[];
  /** Connection implementation; `tcp_wrap` falls back to `net.Socket` where the binding is missing. */
  readonly connector: 'tcp_wrap' | 'net.Socket';
}
