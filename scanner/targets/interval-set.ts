/**
 * A set of addresses of one family kept as sorted, disjoint, non-adjacent inclusive intervals. The number of
 * intervals grows with the number of target tokens, never with the number of addresses, so a /8 costs one
 * interval and overlapping blocks collapse into one (each address is scanned once).
 */
export interface Interval {
  readonly lo: bigint;
  readonly hi: bigint;
}

export function normalize(intervals: Iterable<Interval>): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const next of sorted) {
    const last = out[out.length - 1];
    if (last && next.lo <= last.hi + 1n) {
      if (next.hi > last.hi) out[out.length - 1] = { lo: last.lo, hi: next.hi };
    } else {
      out.push(next);
    }
  }
  return out;
}

/** `keep` minus `drop`; both must already be normalized. */
export function subtract(keep: readonly Interval[], drop: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let d = 0;
  for (const range of keep) {
    let lo = range.lo;
    const hi = range.hi;
    while (d < drop.length && drop[d]!.hi < lo) d++;
    let k = d;
    while (lo <= hi && k < drop.length && drop[k]!.lo <= hi) {
      const cut = drop[k]!;
      if (cut.lo > lo) out.push({ lo, hi: cut.lo - 1n });
      lo = cut.hi + 1n;
      k++;
    }
    if (lo <= hi) out.push({ lo, hi });
  }
  return out;
}

export function sizeOf(intervals: readonly Interval[]): bigint {
  let total = 0n;
  for (const r of intervals) total += r.hi - r.lo + 1n;
  return total;
}

/**
 * Yields the addresses whose position in the set is congruent to `shard` modulo `shards`. Interleaving
 * (rather than contiguous halves) balances workers when silent hosts cluster in one part of the range.
 */
export function* iterateShard(intervals: readonly Interval[], shard = 0, shards = 1): Generator<bigint> {
  const step = BigInt(shards);
  let position = 0n; // index of intervals[i].lo in the whole set
  for (const r of intervals) {
    const size = r.hi - r.lo + 1n;
    let offset = (BigInt(shard) - (position % step) + step) % step;
    for (; offset < size; offset += step) yield r.lo + offset;
    position += size;
  }
}
