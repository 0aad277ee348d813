/**
 * SQL pieces shared by the store modules, and the only places the two dialects are spelled differently inside a
 * statement: a JSON path, and a long list of values. Everything else the store writes is SQL both accept.
 */
import { sql } from 'kysely';
import type { Dialect, Query } from './db.js';

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** `(a, b, ...), (...)`: the rows of a multi-row VALUES, each value a bound parameter. */
export function values(rows: ReadonlyArray<readonly unknown[]>): Query {
  return sql.join(rows.map((r) => sql`(${sql.join(r as unknown[])})`));
}

/**
 * The rows with the last of each key kept, in order: a multi-row upsert may not name one key twice on PostgreSQL
 * ("cannot affect row a second time"); SQLite would apply both and keep the later, which this keeps.
 */
export function lastByKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const last = new Map<string, number>();
  rows.forEach((r, i) => last.set(key(r), i));
  return rows.filter((r, i) => last.get(key(r)) === i);
}

/** `column IN (...)` over any number of strings, as one parameter (both databases cap bound parameters). */
export function inStrings(dialect: Dialect, column: string, items: readonly string[]): Query {
  const json = JSON.stringify(items);
  return dialect === 'postgres'
    ? sql`${sql.raw(column)} IN (SELECT jsonb_array_elements_text(${json}::jsonb))`
    : sql`${sql.raw(column)} IN (SELECT value FROM json_each(${json}))`;
}

/** `column IN (1, 2, ...)` for ids (numbers only, written into the statement); never true for no ids. */
export function inIds(column: string, ids: readonly number[]): Query {
  return sql.raw(`${column} IN (${ids.map((id) => String(Math.trunc(Number(id)))).join(', ') || 'NULL'})`);
}

/** The text at a path inside a JSON text column (a string's value, or an object's or array's JSON). */
export function jsonText(dialect: Dialect, column: string, path: readonly string[]): Query {
  if (path.some((p) => !/^\w+$/.test(p))) throw new Error(`bad JSON path ${path.join('.')}`);
  return dialect === 'postgres'
    ? sql.raw(`(${column}::jsonb #>> '{${path.join(',')}}')`)
    : sql.raw(`json_extract(${column}, '$.${path.join('.')}')`);
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
