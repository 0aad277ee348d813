/**
 * Collects host observations and writes them to the store in one transaction per batch (every `intervalMs` or
 * every `maxHosts` hosts), one batch at a time, so the sweep never waits on the disk.
 */
import type { HostObservation, ScanTotals, Store } from './store.js';
import type { RunLease } from '../model/job.js';

/** How often the coverage of a running scan is written. */
const SWEPT_EVERY_MS = 2000;

export class StoreBatcher {
  private pending: HostObservation[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private readonly timer: NodeJS.Timeout;
  /**
   * Told once when a batch cannot be written even after the store's retries (another process held the write lock
   * past its budget, the disk is full): the scan must stop, since what it finds next would not be stored either.
   */
  onFailure: (err: Error) => void = () => {};
  /**
   * The addresses settled so far (see ScanRecord.swept), written with a batch at most every `sweptEveryMs`, so a
   * scan whose process dies is taken as covering what it stored, not all its targets.
   */
  swept: (() => string[]) | null = null;
  private sweptWrittenAt = 0;
  /** A job run's lease: every batch is refused once another worker has taken the run (see store/jobs.ts). */
  lease: RunLease | undefined;

  constructor(
    private readonly store: Store,
    private readonly scanId: number,
    private readonly totals: () => ScanTotals,
    private readonly maxHosts = 500,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
  }

  add(host: HostObservation): void {
    this.pending.push(host);
    if (this.pending.length >= this.maxHosts && !this.failure) void this.flush();
  }

  /**
   * Writes the pending hosts as one batch. A batch that fails is kept, never dropped: it is written with the
   * next one, by close() at the latest, and nothing later is written before it.
   */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.failure && !this.closing) return;
      const batch = this.pending;
      this.pending = [];
      // Taken with the batch: every address in it is settled in this snapshot and nothing settled later is.
      const due = this.swept !== null && (this.closing || Date.now() - this.sweptWrittenAt >= SWEPT_EVERY_MS);
      const swept = due ? this.swept!() : undefined;
      try {
        await this.store.recordHosts(this.scanId, batch, this.totals(), swept, this.lease);
        if (due) this.sweptWrittenAt = Date.now();
        this.failure = null;
      } catch (err) {
        this.pending = batch.concat(this.pending);
        if (!this.failure) {
          this.failure = err as Error;
          this.onFailure(this.failure);
        }
      }
    });
    return this.writing;
  }

  private closing = false;

  /** Writes what is left (a failed batch included, once more) and reports a write that still fails. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    await this.flush();
    if (this.failure) throw this.failure;
  }
}
