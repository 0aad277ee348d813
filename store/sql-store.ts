/**
 * The store over either database (db.ts): SQLite, the embedded default (one file in WAL mode, written in
 * batched transactions), or PostgreSQL for many nodes. The statements are the same for both.
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { sql } from 'kysely';
import { InputError, SurveyorError } from '../scanner/errors.js';
import { currentOwner, ownerGone, ScanOwner } from './owner.js';
import { checkOwnDatabase, inspectDbFile, NoDatabaseError } from './sqlite-inspect.js';
import { compareAddresses } from '../scanner/targets/ip.js';
import { covers } from '../profiles/diff.js';
import { namingContextsOf } from '../profiles/naming-contexts.js';
import { LATEST_SCHEMA, MIGRATIONS, MIGRATIONS_TABLE, postgresDdl } from './migrations.js';
import { type Db, KyselyDb, type Queryable, type Row } from './db.js';
import { openSqlite } from './sqlite-db.js';
import { openPostgres } from './pg-db.js';
import { chunks, groupBy, inStrings, lastByKey, values } from './sql.js';
import type { StoredCredential } from '../vault/credentials.js';
import type { AccountView } from '../model/account.js';
import type { AssetPort, AssetView } from '../model/asset.js';
import type { HostKeyPin } from '../model/host-key.js';
import type { ProbeOutcome } from '../model/evidence.js';
import { latestEnumerations, latestHostFacts, listAccounts, writeEnumerations } from './accounts.js';
import { withCredentialedFacts } from '../profiles/credentialed.js';
import { withSnmpDevice } from '../profiles/snmp-device.js';
import { latestSnmpDevices } from './snmp-devices.js';
import { listDirectoryComputers, recordDirectory } from './directory.js';
import * as onboarding from './rule-tables.js';
import { checkLease, type JobStore, SqlJobStore } from './jobs.js';
import { SqlUserStore, type UserStore } from './users.js';
import { assetIndex, openServiceAssets } from './asset-index.js';
import { LeaseRuleRole, type RuleRole } from './rule-role.js';
import { PgRuleRole } from './pg-rule-role.js';
import { TableDelivery, type RunDelivery } from './run-delivery.js';
import type { RunLease } from '../model/job.js';
import type { Change, MembershipKind, OnboardingState, StoredMembership } from '../model/onboarding.js';
import { acceptHostKeys, credentialFromRow, hostKeyFromRow, offerHostKey, pinHostKey, saveCredential } from './credentials.js';
import type {
  AccountFilter, ManagedAccountRecord, NewRuleRun, RuleRunRecord, RunBasis, StoredRuleSet, Workgroup, DirectoryComputerView, DirectoryObservation, HostObservation, NewScan, ScanRecord, ScanSnapshot, ScanStatus, ScanTotals,
  Store, StoredEnumeration, ScanEnd,
} from './store.js';

export interface SqlOpenOptions {
  /** Create the database's tables when there are none (a SQLite file: also the file). @default false */
  readonly create?: boolean;
  /** How long a write waits for another writer (or, on PostgreSQL, a server that is restarting). @default 120000 */
  readonly busyBudgetMs?: number;
}

export class SqlStore implements Store {
  readonly jobs: JobStore;
  readonly users: UserStore;

  private constructor(private readonly db: Db, private readonly pgUrl?: string) {
    this.jobs = new SqlJobStore(db);
    this.users = new SqlUserStore(db);
  }

  ruleRole(holder: string, log?: (line: string) => void): RuleRole {
    return this.pgUrl === undefined ? new LeaseRuleRole(this.db, holder) : new PgRuleRole(this.pgUrl, holder, log);
  }

  async runDelivery(log: (line: string) => void = () => {}): Promise<RunDelivery> {
    if (this.pgUrl === undefined) return new TableDelivery(this.jobs);
    // pg-boss is loaded only by a worker on PostgreSQL.
    const { BossDelivery } = await import('./boss-delivery.js');
    return BossDelivery.open(this.pgUrl, this.jobs, log);
  }

  get location(): string {
    return this.db.location;
  }

  /**
   * Opens (with `create`, creates) a SQLite database. Everything that can refuse it is checked before anything is
   * written: the path (a folder, a missing folder, a file that is not SQLite), another application's tables, a
   * newer schema. Without `create` a missing or empty database is refused (exit 2 naming the path): a typo in
   * --db must not read as an empty estate. Scans left running by a process that is gone are marked interrupted.
   */
  static async openSqlite(path: string, options: SqlOpenOptions = {}): Promise<SqlStore> {
    const file = inspectDbFile(path);
    if (file.kind !== 'sqlite' && !options.create) {
      throw new NoDatabaseError(`no surveyor database at ${path}${file.kind === 'empty-file' ? ' (the file is empty)' : ''}: check --db or SURVEYOR_DB (commands that only read never create one)`);
    }
    // On a read-only file system (or a file and folder this user cannot write) reads still work; writes are named.
    const writable = file.kind === 'missing' ? true : canWrite(path);
    if (!writable && options.create) throw new SurveyorError('store', `the database ${path} is read-only (the file, its folder or the file system): cannot write to it`, { path });
    const backend = openSqlite(path, { create: options.create, busyBudgetMs: options.busyBudgetMs, readCopy: !writable });
    return SqlStore.prepare(new KyselyDb(backend), { ...options, writable, onWritable: () => {
      backend.raw.pragma('journal_mode = WAL');
      backend.raw.pragma('synchronous = NORMAL');
    } });
  }

  /**
   * Opens a PostgreSQL database (which must exist: surveyor makes its tables, not the database), with the same
   * checks: another application's tables, a newer schema, an empty database for a command that only reads, and a
   * server that cannot be written (a standby) for one that writes. Many nodes may open it at once: migrations take
   * the write lock and look at the schema again once they hold it.
   */
  static async openPostgres(url: string, options: SqlOpenOptions = {}): Promise<SqlStore> {
    const db = new KyselyDb(openPostgres(url, { busyBudgetMs: options.busyBudgetMs }));
    return SqlStore.prepare(db, { ...options, writable: true }, url);
  }

  private static async prepare(db: Db, options: SqlOpenOptions & { writable: boolean; onWritable?: () => unknown }, pgUrl?: string): Promise<SqlStore> {
    const store = new SqlStore(db, pgUrl);
    try {
      const tables = await listTables(db);
      checkOwnDatabase(db.location, tables, db.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite');
      if (tables.includes('schema_migrations')) await checkOwnMigrations(db);
      const current = tables.includes('schema_migrations') ? await schemaVersion(db) : 0;
      if (current > LATEST_SCHEMA) {
        throw new SurveyorError('store', `database ${db.location} has schema ${current}, newer than this surveyor knows (${LATEST_SCHEMA}): upgrade surveyor`);
      }
      if (current === 0 && !options.create) throw new NoDatabaseError(`no surveyor database at ${db.location} (${db.dialect === 'sqlite' ? 'an empty SQLite file' : 'the database has no surveyor tables'}): check --db or SURVEYOR_DB`);
      if (!options.writable) {
        if (current < LATEST_SCHEMA) throw new SurveyorError('store', `the database ${db.location} has schema ${current} and needs an upgrade to ${LATEST_SCHEMA}, but it is read-only`);
        return store;
      }
      if (db.dialect === 'postgres' && options.create) await refuseReadOnly(db);
      options.onWritable?.();
      if (current < LATEST_SCHEMA) await store.migrate();
      await store.reapLostScans();
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return store;
  }

  /** Applies the missing migrations, each in its own transaction; the version is read again under the write lock. */
  private async migrate(): Promise<void> {
    const ddl = (text: string) => (this.db.dialect === 'postgres' ? postgresDdl(text) : text);
    for (const m of MIGRATIONS) {
      await this.db.transaction(async (tx) => {
        await tx.script(ddl(MIGRATIONS_TABLE));
        if (m.version <= await schemaVersion(tx)) return;
        await tx.script(ddl(m.sql));
        await tx.run(sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${new Date().toISOString()})`);
      });
    }
  }

  async createScan(scan: NewScan): Promise<number> {
    const kind = scan.kind ?? 'network';
    const row = await this.db.transaction((tx) => tx.get<{ id: number }>(sql`INSERT INTO scans
        (kind, started_at, status, targets, exclusions, ports, options, hosts_total, probes_total, owner, heartbeat_at, swept)
       VALUES (${kind}, ${scan.startedAt}, 'running', ${JSON.stringify(scan.targets)}, ${JSON.stringify(scan.exclusions)}, ${JSON.stringify(scan.ports)},
        ${JSON.stringify(scan.options)}, ${scan.hostsTotal}, ${scan.probesTotal}, ${JSON.stringify(currentOwner())}, ${new Date().toISOString()},
        ${kind === 'network' ? '[]' : null}) RETURNING id`));
    return row!.id;
  }

  async adoptScan(scanId: number, lease: RunLease): Promise<void> {
    await this.db.transaction(async (tx) => {
      await checkLease(tx, lease);
      await tx.run(sql`UPDATE scans SET status = 'running', owner = ${JSON.stringify(currentOwner())}, heartbeat_at = ${new Date().toISOString()},
        finished_at = NULL, note = NULL WHERE id = ${scanId}`);
    });
  }

  /** Marks scans whose process is gone `interrupted`, keeping what they committed. */
  private async reapLostScans(): Promise<void> {
    const running = await this.db.all<{ id: number; owner: string | null; heartbeat_at: string | null }>(
      sql`SELECT id, owner, heartbeat_at FROM scans WHERE status = 'running'`);
    for (const scan of running) {
      const why = ownerGone(scan.owner ? (JSON.parse(scan.owner) as ScanOwner) : null, scan.heartbeat_at);
      if (!why) continue;
      await this.db.transaction((tx) => tx.run(sql`UPDATE scans SET status = 'interrupted', finished_at = coalesce(heartbeat_at, started_at),
        note = ${`interrupted: ${why}; what it committed is kept`} WHERE id = ${scan.id} AND status = 'running'`));
    }
  }

  async recordHosts(scanId: number, hosts: readonly HostObservation[], totals: ScanTotals, swept?: readonly string[], lease?: RunLease): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (lease) await checkLease(tx, lease);
      // Multi-row statements: a batch of thousands of hosts costs a handful of round trips, not one per row.
      // Scans of one host may overlap (two nodes, two processes): the newest scan's view wins whatever order their
      // batches are written in, so an asset's and an account's last scan only move forward.
      for (const chunk of chunks(lastByKey(hosts, (h) => h.address), 500)) {
        const assets = await tx.all<{ id: number; address: string }>(sql`INSERT INTO assets (address, first_seen, last_seen, last_scan_id)
           VALUES ${values(chunk.map((h) => [h.address, h.seenAt, h.seenAt, scanId]))}
           ON CONFLICT (address) DO UPDATE SET
             last_seen = CASE WHEN excluded.last_seen > assets.last_seen THEN excluded.last_seen ELSE assets.last_seen END,
             last_scan_id = CASE WHEN excluded.last_scan_id > assets.last_scan_id THEN excluded.last_scan_id ELSE assets.last_scan_id END
           RETURNING id, address`);
        const idOf = new Map(assets.map((a) => [a.address, a.id]));
        // The names the targets gave, then the ones the fingerprint found (which keep their own source).
        const given = chunk.flatMap((h) => h.hostnames.map((n) => [idOf.get(h.address), n, 'target', h.seenAt, h.seenAt]));
        const found = chunk.flatMap((h) => (h.profile?.hostnames ?? []).map((n) => [idOf.get(h.address), n.name, n.via, h.seenAt, h.seenAt]));
        for (const names of [given, found]) {
          for (const rows of chunks(lastByKey(names, (r) => `${r[0]}\0${r[1]}`), 1000)) {
            await tx.run(sql`INSERT INTO asset_hostnames (asset_id, hostname, source, first_seen, last_seen) VALUES ${values(rows)}
               ON CONFLICT (asset_id, hostname) DO UPDATE SET last_seen = excluded.last_seen`);
          }
        }
        const services = chunk.flatMap((h) => lastByKey(h.profile?.services ?? [], (sv) => String(sv.port)).map((sv) => [
          scanId, idOf.get(h.address), sv.port, sv.service, sv.product ?? null, sv.version ?? null, sv.info ?? null, sv.cpe ?? null,
          sv.confidence, JSON.stringify(sv.sources), JSON.stringify(sv.outcomes), 'tcp',
        ]));
        for (const rows of chunks(services, 500)) {
          await tx.run(sql`INSERT INTO scan_services (scan_id, asset_id, port, service, product, version, info, cpe, confidence, sources, outcomes, protocol)
             VALUES ${values(rows)}
             ON CONFLICT (scan_id, asset_id, protocol, port) DO UPDATE SET service = excluded.service, product = excluded.product,
               version = excluded.version, info = excluded.info, cpe = excluded.cpe, confidence = excluded.confidence,
               sources = excluded.sources, outcomes = excluded.outcomes`);
        }
        const profiles = chunk.filter((h) => h.profile).map((h) => [
          scanId, idOf.get(h.address), h.profile!.os ? JSON.stringify(h.profile!.os) : null,
          h.profile!.domain ? JSON.stringify(h.profile!.domain) : null, JSON.stringify(h.profile!.hostnames),
        ]);
        for (const rows of chunks(profiles, 1000)) {
          await tx.run(sql`INSERT INTO scan_hosts (scan_id, asset_id, os, domain, hostnames) VALUES ${values(rows)}
             ON CONFLICT (scan_id, asset_id) DO UPDATE SET os = excluded.os, domain = excluded.domain, hostnames = excluded.hostnames`);
        }
        const ports = chunk.flatMap((h) => lastByKey(h.ports, (p) => String(p.port))
          .map((p) => [scanId, idOf.get(h.address), p.port, p.state, p.rttMs, p.attempts, p.reason ?? null, 'tcp']));
        for (const rows of chunks(ports, 1000)) {
          await tx.run(sql`INSERT INTO scan_ports (scan_id, asset_id, port, state, rtt_ms, attempts, reason, protocol) VALUES ${values(rows)}
             ON CONFLICT (scan_id, asset_id, protocol, port) DO UPDATE SET state = excluded.state, rtt_ms = excluded.rtt_ms,
               attempts = excluded.attempts, reason = excluded.reason`);
        }
        await writeEnumerations(tx, scanId, idOf, chunk);
      }
      await writeTotals(tx, scanId, totals);
      if (swept) await tx.run(sql`UPDATE scans SET swept = ${JSON.stringify(swept)} WHERE id = ${scanId}`);
    });
  }

  async finishScan(scanId: number, status: Exclude<ScanStatus, 'running'>, totals: ScanTotals, finishedAt: string, end: ScanEnd = {}, lease?: RunLease): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (lease) await checkLease(tx, lease);
      await writeTotals(tx, scanId, totals);
      // A completed scan covered its targets (swept NULL); any other keeps the last coverage written, or the final one.
      const swept = status === 'completed' ? sql`NULL` : sql`coalesce(${end.swept ? JSON.stringify(end.swept) : null}, swept)`;
      await tx.run(sql`UPDATE scans SET status = ${status}, finished_at = ${finishedAt}, note = ${end.note ?? null}, swept = ${swept} WHERE id = ${scanId}`);
    });
  }

  async getScan(scanId: number): Promise<ScanRecord | undefined> {
    const row = await this.db.get(sql`SELECT * FROM scans WHERE id = ${scanId}`);
    return row ? scanFromRow(row) : undefined;
  }

  async recordDirectory(scanId: number, observation: DirectoryObservation): Promise<void> {
    await recordDirectory(this.db, scanId, observation);
  }

  async listDirectoryComputers(domain?: string): Promise<DirectoryComputerView[]> {
    return listDirectoryComputers(this.db, domain);
  }

  async listScans(): Promise<ScanRecord[]> {
    return (await this.db.all(sql`SELECT * FROM scans ORDER BY id`)).map(scanFromRow);
  }

  async listAssets(addresses?: readonly string[]): Promise<AssetView[]> {
    // Only some assets: every query is narrowed to them (a scan's rule run reads its hosts, not the estate).
    // One JSON parameter, whatever the number of addresses (SQLite caps bound parameters).
    const only = addresses ? inStrings(this.db.dialect, 'a.address', addresses) : sql`1 = 1`;
    const assets = await this.db.all<{ id: number; address: string; first_seen: string; last_seen: string; last_scan_id: number; kind: string }>(
      sql`SELECT a.id, a.address, a.first_seen, a.last_seen, a.last_scan_id, s.kind FROM assets a JOIN scans s ON s.id = a.last_scan_id WHERE ${only}`,
    );
    const computers = groupBy(await this.db.all<{ asset_id: number; domain: string; name: string; dn: string; operating_system: string | null; operating_system_version: string | null }>(
      sql`SELECT c.asset_id, c.domain, c.name, c.dn, c.operating_system, c.operating_system_version FROM directory_computers c JOIN assets a ON a.id = c.asset_id
       WHERE ${only} ORDER BY c.domain, c.name`,
    ), (r) => r.asset_id);
    const names = await this.db.all<{ asset_id: number; hostname: string; source: string }>(
      sql`SELECT n.asset_id, n.hostname, n.source FROM asset_hostnames n JOIN assets a ON a.id = n.asset_id WHERE ${only} ORDER BY n.hostname`,
    );
    // The inventory keeps every port's last known state: per asset, protocol and port, the row of the newest scan
    // that has one (and that row's service), so a later scan changes only what it looked at.
    const newest = (t: string) => sql`NOT EXISTS (SELECT 1 FROM scan_ports q WHERE q.asset_id = ${sql.ref(`${t}.asset_id`)}
      AND q.protocol = ${sql.ref(`${t}.protocol`)} AND q.port = ${sql.ref(`${t}.port`)} AND q.scan_id > ${sql.ref(`${t}.scan_id`)})`;
    const services = await this.db.all<{ asset_id: number; scan_id: number; port: number; service: string | null; product: string | null; version: string | null; info: string | null; cpe: string | null; confidence: number; sources: string; outcomes: string }>(
      sql`SELECT s.* FROM scan_services s JOIN assets a ON a.id = s.asset_id WHERE ${only} AND ${newest('s')}`,
    );
    const hosts = await this.db.all<{ asset_id: number; os: string | null; domain: string | null }>(
      sql`SELECT h.asset_id, h.os, h.domain FROM scan_hosts h JOIN assets a ON a.id = h.asset_id AND a.last_scan_id = h.scan_id WHERE ${only}`,
    );
    const serviceOf = new Map(services.map((r) => [`${r.asset_id}/${r.scan_id}/${r.port}`, r]));
    const hostOf = new Map(hosts.map((r) => [r.asset_id, r]));
    const candidates = await this.db.all<{ asset_id: number; port: number; protocol: 'tcp'; state: AssetPort['state']; rtt_ms: number; scan_id: number; seen_at: string }>(
      sql`SELECT p.asset_id, p.port, p.protocol, p.state, p.rtt_ms, p.scan_id, coalesce(s.finished_at, s.heartbeat_at, s.started_at) AS seen_at
       FROM scan_ports p JOIN assets a ON a.id = p.asset_id JOIN scans s ON s.id = p.scan_id WHERE ${only} AND ${newest('p')} ORDER BY p.port`,
    );
    // Only open ports are stored unless --states asks for more: a newer scan that saw the host and looked at a port
    // without a row for it found that port not open, so its older row is no longer the port's state.
    const seenBy = groupBy(await this.db.all<{ asset_id: number; scan_id: number }>(
      sql`SELECT DISTINCT p.asset_id, p.scan_id FROM scan_ports p JOIN assets a ON a.id = p.asset_id WHERE ${only}`,
    ), (r) => r.asset_id);
    const scanOf = new Map((await this.listScans()).map((s) => [s.id, s]));
    const namesOf = groupBy(names, (r) => r.asset_id);
    const addressOf = new Map(assets.map((a) => [a.id, a.address]));
    const ports = candidates.filter((p) => !(seenBy.get(p.asset_id) ?? []).some(({ scan_id: id }) => {
      const later = id > p.scan_id ? scanOf.get(id) : undefined;
      return later !== undefined && covers(later, addressOf.get(p.asset_id)!, (namesOf.get(p.asset_id) ?? []).map((n) => n.hostname), p.port);
    }));
    const portsOf = groupBy(ports, (r) => r.asset_id);
    const credentialed = await latestHostFacts(this.db, only);
    const snmpDevices = await latestSnmpDevices(this.db, only);
    return assets
      .map((a) => ({
        id: a.id,
        address: a.address,
        hostnames: (namesOf.get(a.id) ?? []).map((r) => r.hostname),
        firstSeen: a.first_seen,
        lastSeen: a.last_seen,
        lastScanId: a.last_scan_id,
        ports: (portsOf.get(a.id) ?? []).map((r) => {
          const sv = serviceOf.get(`${a.id}/${r.scan_id}/${r.port}`);
          const port: AssetPort = { port: r.port, protocol: r.protocol, state: r.state, rttMs: r.rtt_ms, scanId: r.scan_id, lastSeen: r.seen_at };
          if (!sv) return port;
          const outcomes = JSON.parse(sv.outcomes) as ProbeOutcome[];
          const namingContexts = namingContextsOf(outcomes);
          return {
            ...port,
            service: {
              service: sv.service as never, product: sv.product ?? undefined, version: sv.version ?? undefined, info: sv.info ?? undefined,
              cpe: sv.cpe ?? undefined, ...(namingContexts ? { namingContexts } : {}), confidence: sv.confidence, sources: JSON.parse(sv.sources), outcomes,
            },
          };
        }),
        os: hostOf.get(a.id)?.os ? JSON.parse(hostOf.get(a.id)!.os!) : undefined,
        domain: hostOf.get(a.id)?.domain ? JSON.parse(hostOf.get(a.id)!.domain!) : undefined,
        names: (namesOf.get(a.id) ?? []).map((r) => ({ name: r.hostname, via: r.source })),
        scanned: a.kind === 'network',
        ...(computers.has(a.id) ? {
          directory: computers.get(a.id)!.map((c) => ({
            domain: c.domain, name: c.name, dn: c.dn, operatingSystem: c.operating_system ?? undefined, operatingSystemVersion: c.operating_system_version ?? undefined,
          })),
        } : {}),
      }))
      .map((a) => withCredentialedFacts(withSnmpDevice(a, snmpDevices.get(a.id)), credentialed.get(a.id)))
      .sort((x, y) => compareAddresses(x.address, y.address));
  }

  assetIndex() {
    return assetIndex(this.db);
  }

  openServiceAssets(match: { readonly service?: string; readonly port?: number }) {
    return openServiceAssets(this.db, match);
  }

  async snapshot(scanId: number): Promise<ScanSnapshot | undefined> {
    const scan = await this.getScan(scanId);
    if (!scan) return undefined;
    const rows = await this.db.all<{ address: string; port: number; service: string | null; product: string | null; version: string | null }>(
      sql`SELECT a.address, p.port, s.service, s.product, s.version FROM scan_ports p JOIN assets a ON a.id = p.asset_id
       LEFT JOIN scan_services s ON s.scan_id = p.scan_id AND s.asset_id = p.asset_id AND s.port = p.port AND s.protocol = p.protocol
       WHERE p.scan_id = ${scanId} AND p.state = 'open'`,
    );
    const osRows = await this.db.all<{ address: string; os: string | null; hostnames: string }>(
      sql`SELECT a.address, h.os, h.hostnames FROM scan_hosts h JOIN assets a ON a.id = h.asset_id WHERE h.scan_id = ${scanId}`,
    );
    type Host = { ports: Map<number, { service?: string | null; product?: string | null; version?: string | null }>; os?: { family?: string; name?: string; version?: string }; names: string[] };
    const hosts = new Map<string, Host>();
    for (const r of rows) {
      const h = hosts.get(r.address) ?? { ports: new Map(), names: [] };
      h.ports.set(r.port, { service: r.service, product: r.product, version: r.version });
      hosts.set(r.address, h);
    }
    for (const r of osRows) {
      const h = hosts.get(r.address);
      if (!h) continue;
      if (r.os) h.os = JSON.parse(r.os) as Host['os'];
      h.names = (JSON.parse(r.hostnames) as Array<{ name: string }>).map((n) => n.name);
    }
    return { scan, hosts };
  }

  saveCredential(credential: StoredCredential, replace: boolean): Promise<'added' | 'replaced'> {
    return saveCredential(this.db, credential, replace);
  }

  async listCredentials(): Promise<StoredCredential[]> {
    return (await this.db.all(sql`SELECT * FROM credentials ORDER BY name`)).map(credentialFromRow);
  }

  async getCredential(name: string): Promise<StoredCredential | undefined> {
    const row = await this.db.get(sql`SELECT * FROM credentials WHERE name = ${name}`);
    return row ? credentialFromRow(row) : undefined;
  }

  async removeCredential(name: string): Promise<boolean> {
    return this.db.transaction(async (tx) => (await tx.run(sql`DELETE FROM credentials WHERE name = ${name}`)) > 0);
  }

  async getHostKey(address: string, port: number): Promise<HostKeyPin | undefined> {
    const row = await this.db.get(sql`SELECT * FROM host_keys WHERE address = ${address} AND port = ${port}`);
    return row ? hostKeyFromRow(row) : undefined;
  }

  pinHostKey(address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void> {
    return pinHostKey(this.db, address, port, algorithm, sha256, at);
  }

  offerHostKey(address: string, port: number, algorithm: string, sha256: string, at: string): Promise<void> {
    return offerHostKey(this.db, address, port, algorithm, sha256, at);
  }

  acceptHostKeys(address: string, port?: number): Promise<Array<{ before: HostKeyPin; after: HostKeyPin }>> {
    return acceptHostKeys(this.db, address, port);
  }

  async listHostKeys(): Promise<HostKeyPin[]> {
    return (await this.db.all(sql`SELECT * FROM host_keys`)).map(hostKeyFromRow).sort((x, y) => compareAddresses(x.address, y.address) || x.port - y.port);
  }

  listAccounts(filter?: AccountFilter): Promise<AccountView[]> {
    return listAccounts(this.db, filter);
  }

  latestEnumerations(address: string): Promise<StoredEnumeration[]> {
    return latestEnumerations(this.db, address);
  }

  latestFacts(key: string, assetIds?: readonly number[]) {
    return onboarding.latestFacts(this.db, key, assetIds);
  }

  listSoftware(assetIds?: readonly number[]) {
    return onboarding.listSoftware(this.db, assetIds);
  }

  addWorkgroup(name: string, site: string, description: string | null, at: string): Promise<void> {
    return onboarding.addWorkgroup(this.db, name, site, description, at);
  }

  listWorkgroups(): Promise<Workgroup[]> {
    return onboarding.listWorkgroups(this.db);
  }

  saveRuleSet(source: string, text: string, sha256: string, at: string): Promise<number> {
    return onboarding.saveRuleSet(this.db, source, text, sha256, at);
  }

  activeRuleSet(): Promise<StoredRuleSet | undefined> {
    return onboarding.activeRuleSet(this.db);
  }

  onboardingState(assetIds?: readonly number[]): Promise<OnboardingState> {
    return onboarding.onboardingState(this.db, assetIds);
  }

  journalHead(): Promise<number> {
    return onboarding.journalHead(this.db);
  }

  writeRuleRun(run: NewRuleRun, changes: readonly Change[], basis?: RunBasis): Promise<number> {
    return onboarding.writeRuleRun(this.db, run, changes, basis);
  }

  appendChanges(runId: number, changes: readonly Change[], at: string): Promise<void> {
    return onboarding.appendChanges(this.db, runId, changes, at);
  }

  listRuleRuns(): Promise<RuleRunRecord[]> {
    return onboarding.listRuleRuns(this.db);
  }

  getRuleRun(id: number): Promise<RuleRunRecord | undefined> {
    return onboarding.getRuleRun(this.db, id);
  }

  runJournal(id: number): Promise<Array<Change & { at: string }>> {
    return onboarding.runJournal(this.db, id);
  }

  listManaged(): Promise<ManagedAccountRecord[]> {
    return onboarding.listManaged(this.db);
  }

  listMemberships(kind?: MembershipKind): Promise<StoredMembership[]> {
    return onboarding.listMemberships(this.db, kind);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

async function writeTotals(tx: Queryable, scanId: number, t: ScanTotals): Promise<void> {
  await tx.run(sql`UPDATE scans SET probes_done = ${t.probesDone}, hosts_done = ${t.hostsDone}, open_count = ${t.open}, closed_count = ${t.closed},
    filtered_count = ${t.filtered}, heartbeat_at = ${new Date().toISOString()} WHERE id = ${scanId}`);
}

/** The names of the tables of the database (SQLite's own left out), to tell an empty, a foreign and surveyor's database apart. */
async function listTables(db: Queryable): Promise<string[]> {
  const rows = db.dialect === 'postgres'
    ? await db.all<{ name: string }>(sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)
    : await db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table'`);
  return rows.map((r) => r.name);
}

/**
 * Another application may keep a `schema_migrations` table too (Rails does): surveyor's names its first migration
 * as migrations.ts does, in a `name` column.
 */
async function checkOwnMigrations(db: Db): Promise<void> {
  let first: { name: string } | undefined;
  try {
    first = await db.get<{ name: string }>(sql`SELECT name FROM schema_migrations WHERE version = 1`);
  } catch (err) {
    // No `name` column, or a version that is not a number: not surveyor's. A damaged database is named as such.
    const code = (err as { code?: string }).code ?? (err as SurveyorError).context?.code;
    if (!['SQLITE_ERROR', '42703', '42883', '22P02'].includes(String(code))) throw err;
    first = { name: '' };
  }
  if (first && first.name !== MIGRATIONS[0]!.name) {
    throw new InputError(`bad --db "${db.location}": it is another application's database (its schema_migrations table is not surveyor's); surveyor leaves it alone: give a new database or surveyor's`);
  }
}

async function schemaVersion(db: Queryable): Promise<number> {
  return (await db.get<{ v: number | null }>(sql`SELECT max(version) AS v FROM schema_migrations`))?.v ?? 0;
}

/** A PostgreSQL server that takes no writes (a standby, or read-only by default) is named before a command starts. */
async function refuseReadOnly(db: Db): Promise<void> {
  const row = await db.get<{ ro: string }>(sql`SELECT current_setting('transaction_read_only') AS ro`);
  if (row?.ro === 'on') throw new SurveyorError('store', `the PostgreSQL database ${db.location} is read-only (a standby, or default_transaction_read_only is on): cannot write to it`);
}

/** Whether the database file and its folder (where -wal and -shm go) can be written. */
function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function scanFromRow(row: Row): ScanRecord {
  return {
    kind: (row.kind as ScanRecord['kind'] | undefined) ?? 'network',
    id: row.id as number,
    startedAt: row.started_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
    status: row.status as ScanStatus,
    targets: JSON.parse(row.targets as string) as string[],
    exclusions: JSON.parse(row.exclusions as string) as string[],
    ports: JSON.parse(row.ports as string) as number[],
    options: JSON.parse(row.options as string) as Record<string, unknown>,
    hostsTotal: row.hosts_total as number,
    probesTotal: row.probes_total as number,
    totals: {
      probesDone: row.probes_done as number,
      hostsDone: row.hosts_done as number,
      open: row.open_count as number,
      closed: row.closed_count as number,
      filtered: row.filtered_count as number,
    },
    owner: row.owner ? (JSON.parse(row.owner as string) as ScanOwner) : null,
    heartbeatAt: (row.heartbeat_at as string | null) ?? null,
    note: (row.note as string | null) ?? null,
    swept: row.swept ? (JSON.parse(row.swept as string) as string[]) : null,
  };
}
