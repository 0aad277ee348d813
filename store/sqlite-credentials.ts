/** SQLite statements for sealed credentials and pinned SSH host keys. */
import { InputError } from '../scanner/errors.js';
import type { StoredCredential } from '../vault/credentials.js';
import type { Row, SqliteDriver } from './sqlite-driver.js';
import type { HostKeyPin } from '../model/host-key.js';

export async function saveCredential(db: SqliteDriver, c: StoredCredential, replace: boolean): Promise<'added' | 'replaced'> {
  return db.transaction(async () => {
    const existing = await db.get('SELECT id FROM credentials WHERE name = ?', [c.name]);
    if (existing && !replace) throw new InputError(`credential "${c.name}" already exists: remove it first or pass --replace`);
    const values = [c.type, c.username, c.auth, c.elevate, JSON.stringify(c.scope), c.keyId, c.sealed, c.updatedAt];
    if (existing) {
      await db.run('UPDATE credentials SET type = ?, username = ?, auth = ?, elevate = ?, scope = ?, key_id = ?, sealed = ?, updated_at = ? WHERE name = ?', [...values, c.name]);
      return 'replaced';
    }
    await db.run(
      'INSERT INTO credentials (type, username, auth, elevate, scope, key_id, sealed, updated_at, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [...values, c.name, c.createdAt],
    );
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

export async function pinHostKey(db: SqliteDriver, address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void> {
  await db.transaction(async () => {
    // Only a first sighting pins; a different key for a pinned address never overwrites the pin here.
    await db.run(
      `INSERT INTO host_keys (address, port, algorithm, sha256, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (address, port) DO UPDATE SET last_seen = excluded.last_seen
       WHERE host_keys.sha256 = excluded.sha256 AND host_keys.algorithm = excluded.algorithm`,
      [address, port, algorithm, sha256, at, at],
    );
  });
}

export async function offerHostKey(db: SqliteDriver, address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void> {
  await db.transaction(async () => {
    await db.run('UPDATE host_keys SET offered_algorithm = ?, offered_sha256 = ?, offered_at = ? WHERE address = ? AND port = ?', [algorithm, sha256, at, address, port]);
  });
}

export async function acceptHostKeys(db: SqliteDriver, address: string, port?: number): Promise<Array<{ before: HostKeyPin; after: HostKeyPin }>> {
  return db.transaction(async () => {
    const rows = await db.all(
      `SELECT * FROM host_keys WHERE address = ? AND offered_sha256 IS NOT NULL${port === undefined ? '' : ' AND port = ?'} ORDER BY port`,
      port === undefined ? [address] : [address, port],
    );
    const changes = [];
    for (const r of rows) {
      const before = hostKeyFromRow(r);
      const o = before.offered!;
      await db.run(
        `UPDATE host_keys SET algorithm = ?, sha256 = ?, first_seen = ?, last_seen = ?, offered_algorithm = NULL, offered_sha256 = NULL, offered_at = NULL
         WHERE address = ? AND port = ?`,
        [o.algorithm, o.sha256, o.at, o.at, before.address, before.port],
      );
      changes.push({ before, after: { address: before.address, port: before.port, algorithm: o.algorithm, sha256: o.sha256, firstSeen: o.at, lastSeen: o.at } });
    }
    return changes;
  });
}
