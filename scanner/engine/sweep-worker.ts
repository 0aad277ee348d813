/**
 * Worker-thread entry: sweeps one shard of the target set and streams host records and counters to the pool in
 * batches, so the main thread stays free for the store and the terminal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { addressesOf } from '../targets/target-set.js';
import { ConnectSweeper } from './connect-sweeper.js';
import type { HostResult } from './types.js';
import type { ShardJob, WorkerMessage } from './protocol.js';

// Refused connections create an Error each; without stack capture they cost a quarter less CPU.
Error.stackTraceLimit = 0;

const job = workerData as ShardJob;
const port = parentPort!;
const pending: HostResult[] = [];
const swept: string[] = [];
const sweeper = new ConnectSweeper(addressesOf(decodeSet(job), job.shard, job.shards), job.tuning, {
  onHost: (host) => {
    pending.push(host);
    if (pending.length >= 512) flush();
  },
  onSwept: (address) => {
    swept.push(address);
    if (swept.length >= 4096) flush();
  },
});

function decodeSet(j: ShardJob) {
  const decode = (list: Array<[string, string]>) => list.map(([lo, hi]) => ({ lo: BigInt(lo), hi: BigInt(hi) }));
  return { v4: decode(j.v4), v6: decode(j.v6) };
}

function flush(): void {
  const message: WorkerMessage = { type: 'batch', hosts: pending.splice(0), swept: swept.splice(0), counters: { ...sweeper.counters } };
  port.postMessage(message);
}

const timer = setInterval(flush, job.flushMs);
port.on('message', (message: { type: 'stop' }) => {
  if (message.type === 'stop') sweeper.stop();
});

await sweeper.run();
clearInterval(timer);
flush();
port.postMessage({ type: 'done' } satisfies WorkerMessage);
port.close();
