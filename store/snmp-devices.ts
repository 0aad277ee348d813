/** The `device` fact of each asset's latest usable SNMP enumeration, for the asset view (profiles/snmp-device.ts). */
import { sql } from 'kysely';
import type { Query, Queryable } from './db.js';
import { jsonText } from './sql.js';
import type { SnmpDeviceFacts } from '../profiles/snmp-device.js';

/**
 * Per asset id, for the assets `only` (a condition on `a.address`) selects: only the small `device` value is read
 * out of the facts, not the tables beside it. An `incomplete` enumeration counts: its system group was read.
 */
export async function latestSnmpDevices(db: Queryable, only: Query): Promise<Map<number, SnmpDeviceFacts>> {
  const usable = sql`IN ('success', 'incomplete')`;
  const rows = await db.all<{ asset_id: number; scan_id: number; port: number; credential: string; device: string | null }>(
    sql`WITH latest AS (SELECT x.asset_id, max(x.scan_id) AS scan_id FROM scan_enumerations x JOIN assets a ON a.id = x.asset_id
       WHERE ${only} AND x.method = 'snmp' AND x.status ${usable} GROUP BY x.asset_id)
     SELECT e.asset_id, e.scan_id, e.port, e.credential, ${jsonText(db.dialect, 'e.facts', ['device'])} AS device
     FROM scan_enumerations e JOIN latest l ON l.asset_id = e.asset_id AND l.scan_id = e.scan_id
     WHERE e.method = 'snmp' AND e.status ${usable} ORDER BY e.credential`);
  const out = new Map<number, SnmpDeviceFacts>();
  for (const r of rows) {
    if (out.has(r.asset_id) || !r.device) continue;
    out.set(r.asset_id, { scanId: r.scan_id, port: r.port, credential: r.credential, device: JSON.parse(r.device) as SnmpDeviceFacts['device'] });
  }
  return out;
}
