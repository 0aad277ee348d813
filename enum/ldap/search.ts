/**
 * Searches that return everything: paged (RFC 2696) so a server's size limit for unpaged searches does not cut
 * them, with Active Directory's ranged attribute retrieval (`member;range=0-1499`) completed, referrals counted
 * rather than followed, and a limit the server still enforces reported as incomplete (what came is kept).
 */
import type { Client, Entry, SearchOptions } from 'ldapts';
import { ProbeError } from '../../probes/core/outcome.js';

/** An entry with attribute names lower-cased and every value a string (binary ones as Buffers in `binary`). */
export interface Row {
  readonly dn: string;
  readonly attrs: ReadonlyMap<string, readonly string[]>;
  readonly binary: ReadonlyMap<string, readonly Buffer[]>;
}

export function first(row: Row, name: string): string | undefined {
  return row.attrs.get(name)?.[0];
}

export function all(row: Row, name: string): readonly string[] {
  return row.attrs.get(name) ?? [];
}

export interface SearchSpec {
  readonly base: string;
  readonly filter: string;
  readonly attributes: readonly string[];
  readonly scope?: 'base' | 'one' | 'sub';
  /** Attributes to keep as bytes (objectSid, objectGUID). */
  readonly binary?: readonly string[];
}

export interface SearchOutcome {
  readonly rows: Row[];
  /** Continuation references the server returned (not followed). */
  readonly references: string[];
  /** Why the results are not complete (a size or time limit), when they are not. */
  readonly incomplete?: string;
}

export const PAGE_SIZE = 500;

export function toRow(entry: Entry, binary: readonly string[]): Row {
  const attrs = new Map<string, string[]>();
  const bin = new Map<string, Buffer[]>();
  const binarySet = new Set(binary.map((b) => b.toLowerCase()));
  for (const [key, raw] of Object.entries(entry)) {
    if (key === 'dn') continue;
    const name = key.toLowerCase();
    const values = (Array.isArray(raw) ? raw : [raw]) as Array<string | Buffer>;
    if (!values.length) continue; // ldapts lists every requested attribute, present or not
    if (binarySet.has(name)) bin.set(name, values.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'latin1'))));
    else attrs.set(name, values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))));
  }
  return { dn: entry.dn, attrs, binary: bin };
}

function limitCode(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  if (code === 4) return 'the server\'s size limit';
  if (code === 3) return 'the server\'s time limit';
  if (code === 11) return 'the server\'s administrative limit';
  return null;
}

/** Runs one search to the end, page by page; entries of pages that arrived survive a later limit error. */
export async function searchAll(client: Client, spec: SearchSpec): Promise<SearchOutcome> {
  const rows: Row[] = [];
  const references: string[] = [];
  const options: SearchOptions = {
    scope: spec.scope ?? 'sub', filter: spec.filter, attributes: [...spec.attributes],
    explicitBufferAttributes: [...(spec.binary ?? [])], paged: { pageSize: PAGE_SIZE },
  };
  let incomplete: string | undefined;
  try {
    if (!client.isBound) throw new ProbeError('protocol-error', 'the directory connection is no longer authenticated');
    for await (const page of client.searchPaginated(spec.base, options)) {
      for (const entry of page.searchEntries) rows.push(toRow(entry, spec.binary ?? []));
      for (const r of page.searchReferences) references.push(r);
    }
  } catch (err) {
    const limit = limitCode(err);
    if (!limit) throw err;
    incomplete = `${limit} stopped the search of ${spec.base} for ${spec.filter} after ${rows.length} entries`;
  }
  const completed = await Promise.all(rows.map((row) => completeRanges(row, (attribute) => rangeFetch(client, row.dn, attribute))));
  return { rows: completed, references, ...(incomplete ? { incomplete } : {}) };
}

const RANGED = /^([^;]+);range=(\d+)-(\d+|\*)$/;

async function rangeFetch(client: Client, dn: string, attribute: string): Promise<Row | undefined> {
  const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [attribute] });
  return searchEntries[0] ? toRow(searchEntries[0], []) : undefined;
}

/**
 * Follows `attr;range=LOW-HIGH` values ([MS-ADTS] 3.1.1.3.1.3.3) until a range ends in `*`, and files the values
 * under the plain attribute name. `fetch` asks the server for `attr;range=NEXT-*` of the same entry.
 */
export async function completeRanges(row: Row, fetch: (attribute: string) => Promise<Row | undefined>): Promise<Row> {
  const ranged = [...row.attrs.keys()].filter((k) => RANGED.test(k));
  if (!ranged.length) return row;
  const attrs = new Map(row.attrs);
  for (const key of ranged) {
    let m = RANGED.exec(key)!;
    const name = m[1]!;
    const values = [...(attrs.get(name) ?? []), ...attrs.get(key)!];
    attrs.delete(key);
    for (let rounds = 0; m[3] !== '*'; rounds++) {
      if (rounds > 100_000) throw new ProbeError('protocol-error', `${row.dn}: ranged retrieval of ${name} does not end`);
      const next = Number(m[3]) + 1;
      const got = await fetch(`${name};range=${next}-*`);
      const nextKey = got && [...got.attrs.keys()].find((k) => RANGED.exec(k)?.[1]?.toLowerCase() === name.toLowerCase());
      if (!nextKey) throw new ProbeError('protocol-error', `${row.dn}: the server returned no ${name};range=${next}-* values`);
      const nm = RANGED.exec(nextKey)!;
      if (Number(nm[2]) !== next) throw new ProbeError('protocol-error', `${row.dn}: asked for ${name} from ${next}, got a range from ${nm[2]}`);
      for (const v of got!.attrs.get(nextKey)!) values.push(v);
      m = nm;
    }
    attrs.set(name, values);
  }
  return { ...row, attrs };
}
