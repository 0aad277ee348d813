/**
 * The addresses a sweep finished, kept as intervals so that a /8 costs a handful of ranges, not sixteen million
 * strings. An interrupted scan stores them (`swept`), and a later diff only calls a host gone where the scan
 * actually looked, not wherever its targets reached.
 */
import { formatAddress, parseAddress, type Family } from './ip.js';
import { Interval, normalize } from './interval-set.js';

const MERGE_EVERY = 65_536;

export class Coverage {
  private readonly merged: Record<Family, Interval[]> = { 4: [], 6: [] };
  private readonly pending: Record<Family, Interval[]> = { 4: [], 6: [] };
  private count = 0;

  add(address: string): void {
    const parsed = parseAddress(address);
    if (!parsed.ok) return;
    const { family, value } = parsed.address;
    this.pending[family].push({ lo: value, hi: value });
    if (++this.count % MERGE_EVERY === 0) this.merge();
  }

  private merge(): void {
    for (const family of [4, 6] as const) {
      if (this.pending[family].length === 0) continue;
      this.merged[family] = normalize([...this.merged[family], ...this.pending[family]]);
      this.pending[family] = [];
    }
  }

  /** Ranges in target syntax (`127.0.0.1-127.0.0.9`, or one address), IPv4 first. */
  ranges(): string[] {
    this.merge();
    const out: string[] = [];
    for (const family of [4, 6] as const) {
      for (const { lo, hi } of this.merged[family]) {
        const a = formatAddress({ family, value: lo });
        out.push(lo === hi ? a : `${a}-${formatAddress({ family, value: hi })}`);
      }
    }
    return out;
  }
}
