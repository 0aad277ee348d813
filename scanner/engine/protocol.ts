/** Messages between the sweep pool (main thread) and its worker threads. Intervals travel as decimal strings. */
import type { HostResult, SweepCounters, SweepTuning } from './types.js';

export interface ShardJob {
  readonly v4: Array<[string, string]>;
  readonly v6: Array<[string, string]>;
  readonly shard: number;
  readonly shards: number;
  readonly tuning: SweepTuning;
  /** How often the worker sends what it has, in ms. */
  readonly flushMs: number;
}

export type WorkerMessage =
  | { type: 'batch'; hosts: HostResult[]; swept: string[]; counters: SweepCounters }
  | { type: 'done' };
