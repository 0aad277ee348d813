/** Statements for sealed credentials and pinned SSH host keys. */
import { sql } from 'kysely';
import { InputError } from '../scanner/errors.js';
import type { StoredCredential } from '../vault/credentials.js';
import type { Db, Row } from './db.js';
import type { HostKeyPin } from '../model/host-key.js';

export async function saveCredential(db: Db, c: StoredCredential, replace: boolean): Promise<'added' | 'replaced'> {
  return db.transaction(async (tx) => {
    const existing = await tx.get(sql`SELECT id FROM credentials WHERE name = ${c.name}`);
    if (existing && !replace) throw new InputError(`credential "${c.name}" already exists: remove it first or pass --replace`);
    const scope = JSON.stringify(c.scope);
    if (existing) {
      await tx.run(sql`UPDATE credentials SET type = ${c.type}, username = ${c.username}, auth = ${c.auth}, elevate = ${c.elevate}, scope = ${scope},
        key_id = ${c.keyId}, sealed = ${c.sealed}, updated_at = ${c.updatedAt} WHERE name = ${c.name}`);
      return 'replaced';
    }
    await tx.run(sql`INSERT INTO credentials (type, username, auth, elevate, scope, key_id, sealed, updated_at, name, created_at)
      VALUES (${c.type}, ${c.username}, ${c.auth}, ${c.elevate}, ${scope}, ${c.keyId}, ${c.sealed}, ${c.updatedAt}, ${c.name}, ${c.createdAt})`);
    return 'added';
  });
}

export function credentialFromRow(r: Row): StoredCredential {
  return {
    name: r.name as string,
    type: r.type as StoredCredential['type'],
    username: r.username as string,
    auth: r.auth as StoredCredential['auth'],
    elevate: (r.elevate as StoredCredential['elevate']) ?? null,
    scope: JSON.parse(r.scope as string) as string[],
    keyId: r.key_id as string,
    sealed: r.sealed as string,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

export function hostKeyFromRow(r: Row): HostKeyPin {
  const pin: HostKeyPin = {
    address: r.address as string,
    port: r.port as number,
    algorithm: r.algorithm as string,
    sha256: r.sha256 as string,
    firstSeen: r.first_seen as string,
    lastSeen: r.last_seen as string,
  };
  return r.offered_sha256 ? { ...pin, offered: { algorithm: r.offered_algorithm as string, sha256: r.offered_sha256 as string, at: r.offered_at as string } } : pin;
}

export async function pinHostKey(db: Db, address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void> {
  await db.transaction(async (tx) => {
    // Only a first sighting pins; a different key for a pinned address never overwrites the pin here.
    await tx.run(sql`INSERT INTO host_keys (address, port, algorithm, sha256, first_seen, last_seen) VALUES (${address}, ${port}, ${algorithm}, ${sha256}, ${at}, ${at})
       ON CONFLICT (address, port) DO UPDATE SET last_seen = excluded.last_seen
       WHERE host_keys.sha256 = excluded.sha256 AND host_keys.algorithm = excluded.algorithm`);
  });
}

export async function offerHostKey(db: Db, address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(sql`UPDATE host_keys SET offered_algorithm = ${algorithm}, offered_sha256 = ${sha256}, offered_at = ${at} WHERE address = ${address} AND port = ${port}`);
  });
}

export async function acceptHostKeys(db: Db, address: string, port?: number): Promise<Array<{ before: HostKeyPin; after: HostKeyPin }>> {
  return db.transaction(async (tx) => {
    const rows = await tx.all(sql`SELECT * FROM host_keys WHERE address = ${address} AND offered_sha256 IS NOT NULL
      ${port === undefined ? sql`` : sql`AND port = ${port}`} ORDER BY port`);
    const changes = [];
    for (const r of rows) {
      const before = hostKeyFromRow(r);
      const o = before.offered!;
      await tx.run(sql`UPDATE host_keys SET algorithm = ${o.algorithm}, sha256 = ${o.sha256}, first_seen = ${o.at}, last_seen = ${o.at},
        offered_algorithm = NULL, offered_sha256 = NULL, offered_at = NULL WHERE address = ${before.address} AND port = ${before.port}`);
      changes.push({ before, after: { address: before.address, port: before.port, algorithm: o.algorithm, sha256: o.sha256, firstSeen: o.at, lastSeen: o.at } });
    }
    return changes;
  });
}
