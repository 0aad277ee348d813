/** Object identifiers as dotted strings: order, subtrees, and the index part of a table cell's OID. */

/** The sub-identifiers of a dotted OID (a leading dot is allowed). */
export function arcs(oid: string): number[] {
  return oid.replace(/^\./, '').split('.').map(Number);
}

/**
 * Lexicographic order of OIDs (RFC 3416 4.2.2: GetNext and GetBulk return the OID that follows), compared arc by
 * arc as numbers. Negative, zero or positive as `a` comes before, equals or follows `b`.
 */
export function compareOids(a: string, b: string): number {
  const x = arcs(a);
  const y = arcs(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Whether `oid` lies strictly below `base`. */
export function isBelow(base: string, oid: string): boolean {
  return oid.startsWith(`${base}.`);
}

/** The arcs of `oid` after `base` (the row index of a table cell under its column's OID). */
export function suffixOf(base: string, oid: string): string {
  return oid.slice(base.length + 1);
}

/** The enterprise number of an OID under iso.org.dod.internet.private.enterprises (1.3.6.1.4.1.N...). */
export function enterpriseOf(oid: string): number | undefined {
  const m = /^\.?1\.3\.6\.1\.4\.1\.(\d+)(?:\.|$)/.exec(oid);
  return m ? Number(m[1]) : undefined;
}
