/**
 * A bounded walk of table columns with GetBulk (RFC 3416 4.2.3), all the asked columns side by side, as snmptable
 * reads a table. Every walk is bounded in rows and in time, and each column stops when the agent leaves it, ends
 * the MIB view, or returns an OID that does not follow the last one (RFC 3416 4.2.2 requires it to): an agent that
 * loops or runs backwards cannot keep a walk going.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { compareOids, isBelow, suffixOf } from './oid.js';
import { isException, SnmpSession, Varbind } from './session.js';

export interface WalkBounds {
  /** Most rows (distinct indexes) one walk keeps. @default 10000 */
  readonly maxRows?: number;
  /** Longest one walk may run, in ms, checked before each request. @default 30000 */
  readonly timeoutMs?: number;
}

export const WALK_DEFAULTS = { maxRows: 10_000, timeoutMs: 30_000 } as const;

/** Varbinds asked for in one GetBulk, shared among the columns still walked (a response fits one datagram). */
const VARBINDS_PER_REQUEST = 48;

export interface ColumnWalk {
  /** Cells by row index (the arcs after the column's OID), then by column number; indexes in OID order. */
  readonly rows: Map<string, Map<number, Varbind>>;
  /** Why the walk stopped before every column ended (a bound, a non-increasing OID, a failed request). */
  readonly cut?: string;
}

/**
 * Walks columns `columns` of the table entry `entry` (e.g. 1.3.6.1.2.1.2.2.1 ifEntry, columns [2, 3]). A first
 * request that fails throws its ProbeError; a later one ends the walk with what came, and says so in `cut`.
 */
export async function walkColumns(session: SnmpSession, entry: string, columns: readonly number[], bounds: WalkBounds = {}, now: () => number = () => performance.now()): Promise<ColumnWalk> {
  const maxRows = bounds.maxRows ?? WALK_DEFAULTS.maxRows;
  const timeoutMs = bounds.timeoutMs ?? WALK_DEFAULTS.timeoutMs;
  const started = now();
  const rows = new Map<string, Map<number, Varbind>>();
  const walks = columns.map((n) => ({ n, base: `${entry}.${n}`, last: `${entry}.${n}`, done: false }));
  let requests = 0;
  let cut: string | undefined;
  while (!cut) {
    const active = walks.filter((w) => !w.done);
    if (!active.length) break;
    if (now() - started > timeoutMs) {
      cut = `the walk's time limit (${timeoutMs} ms) ran out`;
      break;
    }
    let answer: Varbind[][];
    try {
      answer = await session.getBulk(active.map((w) => w.last), Math.max(1, Math.floor(VARBINDS_PER_REQUEST / active.length)));
    } catch (err) {
      if (requests === 0 || !(err instanceof ProbeError)) throw err;
      cut = `a request failed after ${rows.size} rows: ${err.message}`;
      break;
    }
    requests++;
    let progressed = false;
    active.forEach((w, i) => {
      for (const vb of answer[i] ?? []) {
        if (cut || w.done) return;
        if (isException(vb) || !isBelow(w.base, vb.oid)) {
          w.done = true;
          return;
        }
        if (compareOids(vb.oid, w.last) <= 0) {
          w.done = true;
          cut = `the agent returned ${vb.oid} after ${w.last} (not increasing)`;
          return;
        }
        w.last = vb.oid;
        progressed = true;
        const index = suffixOf(w.base, vb.oid);
        let row = rows.get(index);
        if (!row) {
          if (rows.size >= maxRows) {
            cut = `the walk's row limit (${maxRows}) was reached`;
            return;
          }
          rows.set(index, (row = new Map()));
        }
        row.set(w.n, vb);
      }
    });
    // An answer that moved no column forward (all truncated away) would be asked again forever.
    if (!progressed && !cut && active.every((w) => !w.done)) cut = 'the agent answered without any varbind';
  }
  const ordered = new Map([...rows].sort(([a], [b]) => compareOids(a, b)));
  return cut ? { rows: ordered, cut } : { rows: ordered };
}
