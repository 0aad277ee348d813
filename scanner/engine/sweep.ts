/**
 * The sweep pool: divides a target set between worker threads (interleaved shards), gathers their host records
 * and counters, and stops them all on an abort signal. Small sweeps run on the calling thread, where starting a
 * worker would cost more than the sweep.
 */
import { MIN_INFLIGHT, openFileLimit, RESERVED_DESCRIPTORS } from './fd-limit.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import type { TargetSet } from '../targets/target-set.js';
import { addressesOf } from '../targets/target-set.js';
import { ConnectSweeper } from './connect-sweeper.js';
import type { ShardJob, WorkerMessage } from './protocol.js';
import type { PortState } from '../../model/port.js';
import { addCounters, emptyCounters, HostResult, SweepCounters, SweepTuning } from './types.js';

export interface SweepOptions {
  readonly ports: readonly number[];
  /**
   * Longest wait for one connection attempt, in ms. Once round trips have been measured the wait shrinks to
   * SRTT + 4 RTTVAR (RFC 6298), never below `minTimeoutMs`; retries double it. @default 1000
   */
  readonly timeoutMs?: number;
  /** Shortest wait for one attempt, in ms; equal to `timeoutMs` for a fixed timeout. @default min(100, timeoutMs) */
  readonly minTimeoutMs?: number;
  /** Extra attempts after a timeout (refusals and connections are final). @default 2 */
  readonly retries?: number;
  /**
   * Attempts in flight across all threads, a hard cap. When not given, the sweep adapts: 256 fresh attempts
   * (1,024 off loopback) plus attempts left waiting on silence, up to `maxInflight`.
   */
  readonly concurrency?: number;
  /** Cap for the adaptive default. @default 8192 */
  readonly maxInflight?: number;
  /** Attempts in flight against one host. @default 64 */
  readonly perHost?: number;
  /** Attempts started per second across all threads; 0 for no limit. @default 0 */
  readonly ratePerSec?: number;
  /** Worker threads; 0 sweeps on the calling thread. @default available cores (at most 4), 0 for small sweeps */
  readonly threads?: number;
  /** Connection implementation (the fallback exists for Node versions without the binding). @default 'tcp_wrap' */
  readonly connector?: SweepTuning['connector'];
  /** Port states reported besides `open`. @default [] */
  readonly reportStates?: readonly PortState[];
  readonly signal?: AbortSignal;
  /** The limit on open files the in-flight cap is derived from; null for none. @default RLIMIT_NOFILE of this process */
  readonly fdLimit?: number | null;
  readonly onHost?: (host: HostResult) => void;
  /** Called with the address of every host whose ports are all decided, whether or not any is reported. */
  readonly onSwept?: (address: string) => void;
  /** Called with running totals about every `progressMs`. */
  readonly onProgress?: (counters: SweepCounters) => void;
  /** @default 100 */
  readonly progressMs?: number;
}

export interface SweepSummary {
  readonly counters: SweepCounters;
  readonly interrupted: boolean;
  readonly threads: number;
  readonly elapsedMs: number;
}

export const SWEEP_LIMITS = {
  timeoutMs: [1, 600_000],
  minTimeoutMs: [1, 600_000],
  retries: [0, 10],
  // Well below the hard descriptor limit (20,000 here): running out of descriptors breaks unrelated code.
  concurrency: [1, 10_000],
  perHost: [1, 10_000],
  ratePerSec: [0, 10_000_000],
  threads: [0, 64],
} as const;

function checked(name: keyof typeof SWEEP_LIMITS, value: number): number {
  const [min, max] = SWEEP_LIMITS[name];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`bad ${name} ${String(value)}: must be an integer from ${min} to ${max}`, { option: name, value });
  }
  return value;
}

/** Attempts in flight the open-file limit allows; refuses a limit too low to sweep at all. */
function inflightCap(limit: number | null): number {
  if (limit === null) return Number.MAX_SAFE_INTEGER;
  const cap = limit - RESERVED_DESCRIPTORS;
  if (cap < MIN_INFLIGHT) {
    throw new InputError(`the limit on open files is ${limit} (ulimit -n): a scan needs at least ${RESERVED_DESCRIPTORS + MIN_INFLIGHT}, ${RESERVED_DESCRIPTORS} for itself and ${MIN_INFLIGHT} for connection attempts; raise it, e.g. ulimit -n 4096`);
  }
  return cap;
}

function isLoopbackOnly(targets: TargetSet): boolean {
  const v4Loop = targets.v4.every((r) => r.lo >> 24n === 127n && r.hi >> 24n === 127n);
  const v6Loop = targets.v6.every((r) => r.lo === 1n && r.hi === 1n);
  return v4Loop && v6Loop;
}

/**
 * Resolves the options into per-thread tuning. Loopback answers in microseconds, so a few hundred attempts in
 * flight saturate it and more only add bookkeeping; real networks need in-flight = rate x RTT, so more.
 */
export function planSweep(targets: TargetSet, options: SweepOptions): { threads: number; tuning: SweepTuning } {
  const probes = targets.total * options.ports.length;
  const threads = checked('threads', options.threads ?? (probes < 4096 ? 0 : Math.min(4, availableParallelism())));
  const fdCap = inflightCap(options.fdLimit === undefined ? openFileLimit() : options.fdLimit);
  const concurrency = checked('concurrency', options.concurrency ?? Math.min(fdCap, isLoopbackOnly(targets) ? 128 : 1024));
  if (concurrency > fdCap) {
    throw new InputError(`bad concurrency (--concurrency) ${concurrency}: the limit on open files allows at most ${fdCap} attempts in flight (raise it with ulimit -n)`, { option: 'concurrency' });
  }
  const maxInflight = options.concurrency !== undefined ? concurrency : Math.min(fdCap, Math.max(concurrency, checked('concurrency', options.maxInflight ?? 8192)));
  const shards = Math.max(1, threads);
  const timeoutMs = checked('timeoutMs', options.timeoutMs ?? 1000);
  const minTimeoutMs = checked('minTimeoutMs', options.minTimeoutMs ?? Math.min(100, timeoutMs));
  if (minTimeoutMs > timeoutMs) {
    throw new InputError(
      `bad minTimeoutMs (--min-timeout-ms) ${minTimeoutMs}: must not exceed timeoutMs (--timeout-ms) ${timeoutMs}`,
      { option: 'minTimeoutMs' },
    );
  }
  const tuning: SweepTuning = {
    ports: options.ports,
    timeoutMs,
    minTimeoutMs,
    retries: checked('retries', options.retries ?? 2),
    concurrency: Math.max(1, Math.ceil(concurrency / shards)),
    maxInflight: Math.max(1, Math.ceil(maxInflight / shards)),
    perHost: checked('perHost', options.perHost ?? 64),
    ratePerSec: checked('ratePerSec', options.ratePerSec ?? 0) / shards,
    reportStates: options.reportStates ?? [],
    connector: options.connector ?? 'tcp_wrap',
  };
  if (options.ports.length === 0) throw new InputError('no ports to scan');
  return { threads, tuning };
}

export async function sweep(targets: TargetSet, options: SweepOptions): Promise<SweepSummary> {
  const { threads, tuning } = planSweep(targets, options);
  const started = performance.now();
  const onHost = options.onHost ?? (() => {});
  const progressMs = options.progressMs ?? 100;
  if (options.signal?.aborted) {
    return { counters: emptyCounters(), interrupted: true, threads, elapsedMs: 0 };
  }
  let interrupted = false;
  if (threads === 0) {
    const sweeper = new ConnectSweeper(addressesOf(targets), tuning, { onHost, onSwept: options.onSwept });
    const stop = () => {
      interrupted = true;
      sweeper.stop();
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    const timer = options.onProgress ? setInterval(() => options.onProgress!({ ...sweeper.counters }), progressMs) : null;
    try {
      await sweeper.run();
    } finally {
      if (timer) clearInterval(timer);
      options.signal?.removeEventListener('abort', stop);
    }
    options.onProgress?.({ ...sweeper.counters });
    return { counters: { ...sweeper.counters }, interrupted, threads, elapsedMs: performance.now() - started };
  }

  const encode = (list: TargetSet['v4']) => list.map((r): [string, string] => [r.lo.toString(), r.hi.toString()]);
  const v4 = encode(targets.v4);
  const v6 = encode(targets.v6);
  const perWorker: SweepCounters[] = [];
  const total = () => {
    const sum = emptyCounters();
    for (const c of perWorker) addCounters(sum, c);
    return sum;
  };
  const workers: Worker[] = [];
  const stopAll = () => {
    interrupted = true;
    for (const w of workers) w.postMessage({ type: 'stop' });
  };
  options.signal?.addEventListener('abort', stopAll, { once: true });
  const timer = options.onProgress ? setInterval(() => options.onProgress!(total()), progressMs) : null;
  try {
    await Promise.all(
      Array.from({ length: threads }, (_, shard) => {
        perWorker.push(emptyCounters());
        const job: ShardJob = { v4, v6, shard, shards: threads, tuning, flushMs: Math.min(progressMs, 100) };
        const worker = new Worker(new URL('./sweep-worker.js', import.meta.url), { workerData: job });
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          let finished = false;
          worker.on('message', (message: WorkerMessage) => {
            if (message.type === 'done') {
              finished = true;
              return;
            }
            perWorker[shard] = message.counters;
            for (const host of message.hosts) onHost(host);
            if (options.onSwept) for (const address of message.swept) options.onSwept(address);
          });
          worker.once('error', (err) => {
            stopAll();
            reject(err);
          });
          worker.once('exit', (code) => {
            if (finished) resolve();
            else reject(new Error(`sweep worker ${shard} exited with code ${code} before finishing`));
          });
        });
      }),
    );
  } finally {
    if (timer) clearInterval(timer);
    options.signal?.removeEventListener('abort', stopAll);
  }
  const counters = total();
  options.onProgress?.(counters);
  return { counters, interrupted, threads, elapsedMs: performance.now() - started };
}
