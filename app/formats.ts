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
