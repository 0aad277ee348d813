/**
 * The pieces of every output format that the adapters share (the CLI today, the web page's JSON API next): the
 * schema version every JSON object carries, CSV quoting (RFC 4180) and aligned text tables.
 */

/** The version of every machine-readable output (`"schema": 1`); the README documents the fields. */
export const SCHEMA_VERSION = 1;

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Left-aligned columns; the last column is not padded. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // A loop, not Math.max(...column): spreading 250,000 rows as arguments overflows the stack.
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The formats of every listing: an aligned table for people; json, jsonl and csv for programs. */
export const FORMATS = ['table', 'jsonl', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

type Cell = string | number | boolean | null | undefined | readonly (string | number)[];

/** One column of a listing: its csv header (the table shows it upper-cased) and its value. */
export interface Column<T> {
  readonly name: string;
  readonly value: (item: T) => Cell;
  /** Only in one of the two: a table column that repeats others in short, or a csv column too wide for a table. */
  readonly only?: 'table' | 'csv';
}

/**
 * A list of things in any of the four formats, the same way in every command:
 * - json: one document `{schema, ...envelope, [key]: [objects]}`;
 * - jsonl: one object per line, each with `schema` and the envelope's fields;
 * - csv: a header line, then one line per item, every line with the same columns (RFC 4180 quoting);
 * - table: the columns aligned, or `empty` when there is nothing.
 */
export interface Listing<T> {
  readonly key: string;
  readonly items: readonly T[];
  readonly json: (item: T) => Record<string, unknown>;
  readonly columns: readonly Column<T>[];
  readonly envelope?: Record<string, unknown>;
  readonly empty: string;
}

function cellText(v: Cell, missing: string): string {
  if (v === null || v === undefined || v === '') return missing;
  if (Array.isArray(v)) return v.length ? v.join(';') : missing;
  return String(v);
}

export function renderListing<T>(format: Format, l: Listing<T>): string {
  const envelope = l.envelope ?? {};
  switch (format) {
    case 'json':
      return JSON.stringify({ schema: SCHEMA_VERSION, ...envelope, [l.key]: l.items.map(l.json) }, null, 2) + '\n';
    case 'jsonl':
      return l.items.map((item) => JSON.stringify({ schema: SCHEMA_VERSION, ...envelope, ...l.json(item) }) + '\n').join('');
    case 'csv': {
      const cols = l.columns.filter((c) => c.only !== 'table');
      return [cols.map((c) => c.name), ...l.items.map((item) => cols.map((c) => csvField(cellText(c.value(item), ''))))]
        .map((cells) => cells.join(',') + '\n').join('');
    }
    case 'table': {
      if (!l.items.length) return l.empty.endsWith('\n') ? l.empty : l.empty + '\n';
      const cols = l.columns.filter((c) => c.only !== 'csv');
      return renderTable(cols.map((c) => c.name.toUpperCase()), l.items.map((item) => cols.map((c) => cellText(c.value(item), '-'))));
    }
  }
}
