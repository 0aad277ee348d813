/**
 * What a filtered, sorted and paged asset list needs of every asset, without its ports: address, names and OS as
 * listAssets merges them (the credentialed enumeration's and the SNMP agent's first), and which assets have an open
 * port of a service. The page itself is then read with listAssets(addresses).
 */
import { sql } from 'kysely';
import type { AssetIndexRow } from '../model/asset.js';
import type { OsProfile } from '../model/service.js';
import { withCredentialedFacts } from '../profiles/credentialed.js';
import { withSnmpDevice } from '../profiles/snmp-device.js';
import { latestHostFacts } from './accounts.js';
import { latestSnmpDevices } from './snmp-devices.js';
import { groupBy } from './sql.js';
import type { Queryable } from './db.js';

export async function assetIndex(db: Queryable): Promise<AssetIndexRow[]> {
  const all = sql`1 = 1`;
  const [assets, names, hosts, credentialed, snmp] = await Promise.all([
    db.all<{ id: number; address: string; first_seen: string; last_seen: string }>(sql`SELECT id, address, first_seen, last_seen FROM assets`),
    db.all<{ asset_id: number; hostname: string; source: string }>(sql`SELECT asset_id, hostname, source FROM asset_hostnames ORDER BY hostname`),
    db.all<{ asset_id: number; os: string | null }>(sql`SELECT h.asset_id, h.os FROM scan_hosts h JOIN assets a ON a.id = h.asset_id AND a.last_scan_id = h.scan_id`),
    latestHostFacts(db, all),
    latestSnmpDevices(db, all),
  ]);
  const namesOf = groupBy(names, (r) => Number(r.asset_id));
  const osOf = new Map(hosts.filter((h) => h.os).map((h) => [Number(h.asset_id), JSON.parse(h.os!) as OsProfile]));
  return assets.map((a) => {
    const id = Number(a.id);
    const own = namesOf.get(id) ?? [];
    const merged = withCredentialedFacts(withSnmpDevice({
      os: osOf.get(id), names: own.map((n) => ({ name: n.hostname, via: n.source })), hostnames: own.map((n) => n.hostname),
    }, snmp.get(id)), credentialed.get(id));
    return { id, address: a.address, hostnames: merged.hostnames, firstSeen: a.first_seen, lastSeen: a.last_seen, ...(merged.os ? { os: merged.os } : {}) };
  });
}

/**
 * The assets whose newest row for some port is open with this service name (or on this port number). `suspect`:
 * a later scan saw the asset without a row for that port, so the port may be closed now (listAssets decides,
 * from what that scan covered).
 */
export async function openServiceAssets(db: Queryable, match: { readonly service?: string; readonly port?: number }): Promise<Array<{ address: string; suspect: boolean }>> {
  const which = match.port !== undefined ? sql`p.port = ${match.port}` : sql`lower(s.service) = ${(match.service ?? '').toLowerCase()}`;
  const rows = await db.all<{ address: string; scan_id: number; newest: number }>(sql`SELECT a.address, p.scan_id,
      (SELECT max(q.scan_id) FROM scan_ports q WHERE q.asset_id = p.asset_id) AS newest
    FROM scan_ports p JOIN assets a ON a.id = p.asset_id
    LEFT JOIN scan_services s ON s.scan_id = p.scan_id AND s.asset_id = p.asset_id AND s.protocol = p.protocol AND s.port = p.port
    WHERE p.state = 'open' AND ${which} AND NOT EXISTS (SELECT 1 FROM scan_ports n WHERE n.asset_id = p.asset_id AND n.protocol = p.protocol
      AND n.port = p.port AND n.scan_id > p.scan_id)`);
  const out = new Map<string, boolean>();
  for (const r of rows) out.set(r.address, (out.get(r.address) ?? true) && Number(r.scan_id) < Number(r.newest));
  return [...out].map(([address, suspect]) => ({ address, suspect }));
}
