/** MIB tables declared as data (the entry's OID and the columns read, by name), read with the bounded walker. */
import type { Varbind } from './session.js';
import type { SnmpSession } from './session.js';
import { walkColumns, WalkBounds } from './walk.js';

export interface TableSpec<C extends string> {
  /** The MIB module and the table's name, for sources and notes: `IF-MIB ifTable`. */
  readonly name: string;
  /** The OID of the table's entry (the table's OID and `.1`). */
  readonly entry: string;
  /** The columns read, by name: only these are asked for (RFC 2790's hrSWRunParameters, for one, never is). */
  readonly columns: Readonly<Record<C, number>>;
}

export interface TableRow<C extends string> {
  readonly index: string;
  cell(column: C): Varbind | undefined;
}

export interface TableRead<C extends string> {
  readonly rows: Array<TableRow<C>>;
  readonly cut?: string;
}

/** Where a table's facts come from: `walk 1.3.6.1.2.1.2.2.1.{2,3} (IF-MIB ifTable: ifDescr, ifType)`. */
export function tableSource(spec: TableSpec<string>): string {
  const entries = Object.entries(spec.columns);
  return `walk ${spec.entry}.{${entries.map(([, n]) => n).join(',')}} (${spec.name}: ${entries.map(([name]) => name).join(', ')})`;
}

export async function readTable<C extends string>(session: SnmpSession, spec: TableSpec<C>, bounds: WalkBounds): Promise<TableRead<C>> {
  const numbers = spec.columns as Readonly<Record<string, number>>;
  const walk = await walkColumns(session, spec.entry, Object.values(numbers), bounds);
  const rows = [...walk.rows].map(([index, cells]) => ({ index, cell: (c: C) => cells.get(numbers[c]!) }));
  return walk.cut ? { rows, cut: walk.cut } : { rows };
}

/** What one MIB group read: its value, where it came from, and why any of its walks stopped early. */
export interface Reading<T> {
  readonly value: T;
  readonly source: string;
  readonly cuts: readonly string[];
}

/** The cuts of several table reads, each named by its table. */
export function cutsOf(...reads: Array<[TableSpec<string>, TableRead<string>]>): string[] {
  return reads.filter(([, r]) => r.cut).map(([spec, r]) => `${spec.name}: ${r.cut}`);
}
