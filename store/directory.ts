/** Statements for directory scans: the server's asset and enumeration, and the directory's computers. */
import { sql } from 'kysely';
import type { Db, Queryable } from './db.js';
import { writeEnumerations } from './accounts.js';
import type { DirectoryComputerView, DirectoryObservation } from './store.js';

/**
 * An asset the directory scan names: created if new (its last scan is then the directory scan, so it reads as
 * not yet swept), otherwise left as its last sweep saw it; the names are added with their source.
 */
async function directoryAsset(db: Queryable, scanId: number, address: string, names: readonly string[], at: string, via: string): Promise<number> {
  const row = await db.get<{ id: number }>(sql`INSERT INTO assets (address, first_seen, last_seen, last_scan_id) VALUES (${address}, ${at}, ${at}, ${scanId})
     ON CONFLICT (address) DO UPDATE SET last_seen = CASE WHEN excluded.last_seen > assets.last_seen THEN excluded.last_seen ELSE assets.last_seen END
     RETURNING id`);
  for (const name of names) {
    await db.run(sql`INSERT INTO asset_hostnames (asset_id, hostname, source, first_seen, last_seen) VALUES (${row!.id}, ${name}, ${via}, ${at}, ${at})
       ON CONFLICT (asset_id, hostname) DO UPDATE SET last_seen = excluded.last_seen`);
  }
  return row!.id;
}

export async function recordDirectory(db: Db, scanId: number, o: DirectoryObservation): Promise<void> {
  await db.transaction(async (tx) => {
    const serverId = await directoryAsset(tx, scanId, o.address, o.hostnames, o.seenAt, 'directory scan target');
    await writeEnumerations(tx, scanId, new Map([[o.address, serverId]]), [{ address: o.address, seenAt: o.seenAt, enumerations: [o.enumeration] }]);
    for (const c of o.computers) {
      const assetId = c.address ? await directoryAsset(tx, scanId, c.address, c.dnsHostName ? [c.dnsHostName] : [], o.seenAt, `directory ${o.domain}`) : null;
      await tx.run(sql`INSERT INTO directory_computers (domain, computer_key, dn, name, dns_host_name, operating_system, operating_system_version, last_logon,
           enabled, address, asset_id, first_seen, last_seen, last_scan_id) VALUES (${o.domain}, ${c.key}, ${c.dn}, ${c.name}, ${c.dnsHostName ?? null},
           ${c.operatingSystem ?? null}, ${c.operatingSystemVersion ?? null}, ${c.lastLogon ?? null}, ${c.enabled ? 1 : 0}, ${c.address ?? null}, ${assetId},
           ${o.seenAt}, ${o.seenAt}, ${scanId})
         ON CONFLICT (domain, computer_key) DO UPDATE SET dn = excluded.dn, name = excluded.name, dns_host_name = excluded.dns_host_name,
           operating_system = excluded.operating_system, operating_system_version = excluded.operating_system_version,
           last_logon = excluded.last_logon, enabled = excluded.enabled, address = excluded.address, asset_id = excluded.asset_id,
           last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id
         WHERE excluded.last_scan_id >= directory_computers.last_scan_id`);
    }
  });
}

export async function listDirectoryComputers(db: Queryable, domain?: string): Promise<DirectoryComputerView[]> {
  const rows = await db.all(sql`SELECT * FROM directory_computers ${domain === undefined ? sql`` : sql`WHERE domain = ${domain}`} ORDER BY domain, name`);
  return rows.map((r) => ({
    domain: r.domain as string, key: r.computer_key as string, dn: r.dn as string, name: r.name as string,
    dnsHostName: (r.dns_host_name as string | null) ?? undefined, operatingSystem: (r.operating_system as string | null) ?? undefined,
    operatingSystemVersion: (r.operating_system_version as string | null) ?? undefined, lastLogon: (r.last_logon as string | null) ?? undefined,
    enabled: r.enabled === 1, address: (r.address as string | null) ?? undefined,
    firstSeen: r.first_seen as string, lastSeen: r.last_seen as string, lastScanId: r.last_scan_id as number,
  }));
}
