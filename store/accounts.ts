/** Statements for credentialed enumerations and the accounts they found. */
import { sql } from 'kysely';
import { addressKey } from '../scanner/targets/ip.js';
import type { EnumerationRecord } from '../enum/types.js';
import type { Query, Queryable, Row } from './db.js';
import { chunks, inIds, jsonText, lastByKey, values } from './sql.js';
import type { CredentialedFacts } from '../profiles/credentialed.js';
import type { AccountView } from '../model/account.js';
import type { AccountFilter, HostObservation, StoredEnumeration } from './store.js';

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
/**
 * What `accounts.last_logon` holds for an account whose source recorded that it never logged on (NULL is unknown).
 * A word in the time column rather than a new column: no migration, and no time sorts or parses as it.
 */
const NEVER_LOGGED_ON = 'never';

/** Writes the enumerations of a batch of hosts; runs inside the caller's transaction. */
export async function writeEnumerations(
  db: Queryable, scanId: number, idOf: ReadonlyMap<string, number>, hosts: ReadonlyArray<Pick<HostObservation, 'address' | 'seenAt' | 'enumerations'>>,
): Promise<void> {
  for (const h of hosts) {
    const assetId = idOf.get(h.address);
    if (assetId === undefined) continue;
    for (const e of h.enumerations ?? []) {
      await db.run(sql`INSERT INTO scan_enumerations (scan_id, asset_id, method, port, credential, status, notes, facts, elapsed_ms)
        VALUES (${scanId}, ${assetId}, ${e.method}, ${e.port}, ${e.credential}, ${e.status}, ${JSON.stringify(e.notes)}, ${JSON.stringify(e.facts)}, ${e.elapsedMs})
        ON CONFLICT (scan_id, asset_id, method, credential) DO UPDATE SET port = excluded.port, status = excluded.status,
          notes = excluded.notes, facts = excluded.facts, elapsed_ms = excluded.elapsed_ms`);
      for (const rows of chunks(lastByKey(e.accounts, (a) => `${a.kind}\0${a.key}`), 200)) {
        await db.run(sql`INSERT INTO accounts (asset_id, kind, account_key, name, uid, privileged, privileged_reasons, enabled, last_logon,
             password_last_set, details, source, credential, first_seen, last_seen, last_scan_id, method)
           VALUES ${values(rows.map((a) => [
            assetId, a.kind, a.key, a.name, a.uid ?? null, a.privileged ? 1 : 0, JSON.stringify(a.reasons),
            a.enabled === undefined ? null : a.enabled ? 1 : 0, a.lastLogon ?? (a.neverLoggedOn ? NEVER_LOGGED_ON : null), a.passwordLastSet ?? null,
            JSON.stringify(a.details), a.source, e.credential, h.seenAt, h.seenAt, scanId, e.method,
          ]))}
           ON CONFLICT (asset_id, kind, account_key) DO UPDATE SET name = excluded.name, uid = excluded.uid,
             privileged = excluded.privileged, privileged_reasons = excluded.privileged_reasons, enabled = excluded.enabled,
             last_logon = excluded.last_logon, password_last_set = excluded.password_last_set, details = excluded.details,
             source = excluded.source, credential = excluded.credential, last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id,
             method = excluded.method
           WHERE excluded.last_scan_id >= accounts.last_scan_id`);
      }
    }
  }
}

export async function listAccounts(db: Queryable, filter: AccountFilter = {}): Promise<AccountView[]> {
  const where = [
    ...(filter.privileged ? [sql`ac.privileged = 1`] : []),
    ...(filter.address !== undefined ? [sql`a.address = ${filter.address}`] : []),
    ...(filter.assetIds ? [inIds('ac.asset_id', filter.assetIds)] : []),
  ];
  // The latest successful enumeration per asset and method, computed once (not once per account row).
  const rows = await db.all(sql`WITH latest AS (SELECT asset_id, method, max(scan_id) AS scan_id FROM scan_enumerations WHERE status = 'success' GROUP BY asset_id, method)
     SELECT ac.*, a.address, CASE WHEN ac.last_scan_id >= coalesce(l.scan_id, 0) THEN 1 ELSE 0 END AS current
     FROM accounts ac JOIN assets a ON a.id = ac.asset_id LEFT JOIN latest l ON l.asset_id = ac.asset_id AND l.method = ac.method
     ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}`);
  // Sorted by a key built once per account (comparing addresses builds keys: 250,000 accounts made 9 million).
  // The account's own key breaks the last tie (one user's SSH keys), so both databases give one order.
  const keyed = rows.map((r) => ({ a: accountFromRow(r), own: String(r.account_key) })).filter(({ a }) => filter.includeGone || a.current)
    .map(({ a, own }) => ({ a, own, key: addressKey(a.address) }));
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) || cmp(x.a.kind, y.a.kind) || cmp(x.a.name, y.a.name) || cmp(x.a.source, y.a.source)
    || cmp(x.own, y.own));
  return keyed.map((x) => x.a);
}

function accountFromRow(r: Row): AccountView {
  return {
    id: r.id as number,
    assetId: r.asset_id as number,
    address: r.address as string,
    kind: r.kind as AccountView['kind'],
    name: r.name as string,
    uid: (r.uid as string | null) ?? null,
    privileged: r.privileged === 1,
    reasons: JSON.parse(r.privileged_reasons as string) as string[],
    enabled: r.enabled === null ? null : r.enabled === 1,
    lastLogon: r.last_logon === NEVER_LOGGED_ON ? null : (r.last_logon as string | null) ?? null,
    neverLoggedOn: r.last_logon === NEVER_LOGGED_ON,
    passwordLastSet: (r.password_last_set as string | null) ?? null,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
    source: r.source as string,
    method: r.method as string,
    credential: (r.credential as string | null) ?? null,
    firstSeen: r.first_seen as string,
    lastSeen: r.last_seen as string,
    lastScanId: r.last_scan_id as number,
    current: r.current === 1,
  };
}

export async function latestEnumerations(db: Queryable, address: string): Promise<StoredEnumeration[]> {
  const rows = await db.all(sql`SELECT e.*, a.address FROM scan_enumerations e JOIN assets a ON a.id = e.asset_id
     WHERE a.address = ${address} AND e.scan_id = (SELECT max(x.scan_id) FROM scan_enumerations x WHERE x.asset_id = a.id AND x.method = e.method)
     ORDER BY e.method, e.credential`);
  const accounts = await listAccounts(db, { address });
  return rows.map((r) => ({
    scanId: r.scan_id as number,
    address: r.address as string,
    method: r.method as EnumerationRecord['method'],
    port: r.port as number,
    credential: r.credential as string,
    status: r.status as EnumerationRecord['status'],
    notes: JSON.parse(r.notes as string) as string[],
    facts: JSON.parse(r.facts as string) as EnumerationRecord['facts'],
    accounts: accounts.filter((a) => a.credential === r.credential && a.lastScanId === r.scan_id).map((a) => ({
      kind: a.kind, key: a.name, name: a.name, uid: a.uid ?? undefined, privileged: a.privileged, reasons: a.reasons,
      enabled: a.enabled ?? undefined, lastLogon: a.lastLogon ?? undefined, ...(a.neverLoggedOn ? { neverLoggedOn: true } : {}), passwordLastSet: a.passwordLastSet ?? undefined,
      details: a.details, source: a.source,
    })),
    elapsedMs: r.elapsed_ms as number,
  }));
}

/**
 * Per asset id, the `os` fact (os-release and uname) of its latest successful SSH enumeration, for the assets
 * `only` (a condition on `a.address`) selects. Only that small value is read out of the facts, not the package
 * lists beside it.
 */
export async function latestHostFacts(db: Queryable, only: Query): Promise<Map<number, CredentialedFacts>> {
  const rows = await db.all<{ asset_id: number; scan_id: number; method: string; port: number; credential: string; os: string | null }>(
    sql`WITH latest AS (SELECT x.asset_id, max(x.scan_id) AS scan_id FROM scan_enumerations x JOIN assets a ON a.id = x.asset_id
       WHERE ${only} AND x.method = 'ssh' AND x.status = 'success' GROUP BY x.asset_id)
     SELECT e.asset_id, e.scan_id, e.method, e.port, e.credential, ${jsonText(db.dialect, 'e.facts', ['os'])} AS os
     FROM scan_enumerations e JOIN latest l ON l.asset_id = e.asset_id AND l.scan_id = e.scan_id
     WHERE e.method = 'ssh' AND e.status = 'success' ORDER BY e.credential`);
  const out = new Map<number, CredentialedFacts>();
  // Two credentials that both succeeded in one scan read the same host: the first by name is taken, on both databases.
  for (const r of rows) {
    if (out.has(r.asset_id) || !r.os) continue;
    out.set(r.asset_id, {
      scanId: r.scan_id, method: r.method, port: r.port, credential: r.credential,
      os: JSON.parse(r.os) as CredentialedFacts['os'],
    });
  }
  return out;
}
