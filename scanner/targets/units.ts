/**
 * A job run's targets cut into units: consecutive blocks of at most `size` addresses, IPv4 first, in the order a
 * scan visits them. A run records each unit when it is committed, so a worker that takes the run over resumes at
 * the first unit not recorded. The resolved set is kept with the run (`planText`), so every worker cuts the same
 * units even if a host name resolves differently later.
 */
import type { Interval } from './interval-set.js';
import type { TargetSet } from './target-set.js';
import { parseAddress } from './ip.js';

/** The run's resolved targets as text: intervals as decimal strings (bigint), names by address. */
export function planText(set: TargetSet): string {
  const iv = (list: readonly Interval[]) => list.map((r) => [r.lo.toString(), r.hi.toString()]);
  return JSON.stringify({ v4: iv(set.v4), v6: iv(set.v6), names: Object.fromEntries(set.names) });
}

export function planFromText(text: string): TargetSet {
  const doc = JSON.parse(text) as { v4: [string, string][]; v6: [string, string][]; names: Record<string, string[]> };
  const iv = (list: [string, string][]) => list.map(([lo, hi]) => ({ lo: BigInt(lo), hi: BigInt(hi) }));
  const v4 = iv(doc.v4);
  const v6 = iv(doc.v6);
  const total = [...v4, ...v6].reduce((n, r) => n + Number(r.hi - r.lo + 1n), 0);
  return { v4, v6, total, names: new Map(Object.entries(doc.names)) };
}

/** The set's units, each a TargetSet of its own (with the names of its addresses). */
export function unitsOf(set: TargetSet, size: number): TargetSet[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`unit size ${size}`);
  const units: TargetSet[] = [];
  let current: { v4: Interval[]; v6: Interval[]; total: number } = { v4: [], v6: [], total: 0 };
  const close = () => {
    if (!current.total) return;
    // Names are few (those the targets gave): each is placed by its address.
    const names = new Map<string, readonly string[]>();
    for (const [address, list] of set.names) {
      const parsed = parseAddress(address);
      if (parsed.ok && current[`v${parsed.address.family}`].some((r) => r.lo <= parsed.address.value && parsed.address.value <= r.hi)) names.set(address, list);
    }
    units.push({ v4: current.v4, v6: current.v6, total: current.total, names });
    current = { v4: [], v6: [], total: 0 };
  };
  for (const family of [4, 6] as const) {
    for (const r of set[`v${family}`]) {
      let lo = r.lo;
      while (lo <= r.hi) {
        const room = BigInt(size - current.total);
        const hi = r.hi - lo + 1n > room ? lo + room - 1n : r.hi;
        current[`v${family}`].push({ lo, hi });
        current.total += Number(hi - lo + 1n);
        if (current.total === size) close();
        lo = hi + 1n;
      }
    }
  }
  close();
  return units;
}
