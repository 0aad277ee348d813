/** Small SQL helpers shared by the store modules. */

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** `(?, ?, ...), (...)` for `rows` rows of `columns` parameters, with an optional literal inserted at `at`. */
export function placeholders(rows: number, columns: number, literal?: string, at = columns): string {
  const cells = new Array<string>(columns).fill('?');
  if (literal) cells.splice(at, 0, literal);
  const row = `(${cells.join(', ')})`;
  return new Array<string>(rows).fill(row).join(', ');
}

export function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}
