/** "did you mean" for names a user mistyped: the closest known name within a small edit distance. */

/** Edit distance with adjacent transpositions counted as one edit ("nmae" is one edit from "name"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name `given` most likely means, or undefined when nothing is close. A known name the given one starts
 * with (or that starts with it) wins: "inside" means "in" more likely than "inCidr". Otherwise the nearest by edit
 * distance, within a third of the word's letters.
 */
export function closest(given: string, known: readonly string[]): string | undefined {
  const g = given.toLowerCase();
  const prefixed = known.filter((k) => k.length >= 2 && (g.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(g)) && g.length >= 2);
  if (prefixed.length) return prefixed.reduce((a, b) => (Math.abs(a.length - g.length) <= Math.abs(b.length - g.length) ? a : b));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(g, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(given.length / 3)) ? best : undefined;
}

/** `; did you mean "in"?` (see `closest`), or an empty string when nothing is close. */
export function didYouMean(given: string, known: readonly string[]): string {
  const best = closest(given, known);
  return best === undefined ? '' : `; did you mean "${best}"?`;
}
