/**
 * Collects host observations and writes them to the store in one transaction per batch (every `intervalMs` or
 * every `maxHosts` hosts), one batch at a time, so the sweep never waits on the disk.
 */
import type { HostObservation, ScanTotals, Store } from '../../store/store.js';

export class StoreBatcher {
  private pending: HostObservation[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private readonly timer: NodeJS.Timeout;

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
    if (this.pending.length >= this.maxHosts) void this.flush();
  }

  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const totals = this.totals();
    this.writing = this.writing.then(async () => {
      if (this.failure) return;
      try {
        await this.store.recordHosts(this.scanId, batch, totals);
      } catch (err) {
        this.failure = err as Error;
      }
    });
    return this.writing;
  }

  /** Writes what is left and reports the first write failure, if any. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.failure) throw this.failure;
  }
}
