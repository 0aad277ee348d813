/** The embedded default store: one SQLite file in WAL mode, written in batched transactions. */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { InputError, SurveyorError } from '../scanner/errors.js';
import { currentOwner, ownerGone, ScanOwner } from './owner.js';
import { checkOwnDatabase, inspectDbFile, NoDatabaseError } from './sqlite-inspect.js';
import { compareAddresses } from '../scanner/targets/ip.js';
import { LATEST_SCHEMA, MIGRATIONS } from './migrations.js';
import { Row, SqliteDriver } from './sqlite-driver.js';
import { chunks, groupBy, placeholders } from './sql.js';
import type { StoredCredential } from '../vault/credentials.js';
import type { AccountView } from '../model/account.js';
import type { AssetPort, AssetView } from '../model/asset.js';
import type { HostKeyPin } from '../model/host-key.js';
import { latestEnumerations, listAccounts, writeEnumerations } from './sqlite-accounts.js';
import { listDirectoryComputers, recordDirectory } from './sqlite-directory.js';
import * as onboarding from './sqlite-onboarding.js';
import type { Change, MembershipKind, OnboardingState, StoredMembership } from '../model/onboarding.js';
import { acceptHostKeys, credentialFromRow, hostKeyFromRow, offerHostKey, pinHostKey, saveCredential } from './sqlite-credentials.js';
import type {
  AccountFilter, ManagedAccountRecord, NewRuleRun, RuleRunRecord, RunBasis, StoredRuleSet, Workgroup, DirectoryComputerView, DirectoryObservation, HostObservation, NewScan, ScanRecord, ScanSnapshot, ScanStatus, ScanTotals,
  Store, StoredEnumeration, ScanEnd,
} from './store.js';

export class SqliteStore implements Store {
  private constructor(readonly location: string, private readonly db: SqliteDriver) {}

  /**
   * Opens (with `create`, creates) the database. Everything that can refuse it is checked before anything is
   * written: the path (a folder, a missing folder, a file that is not SQLite), another application's tables, a
   * newer schema. Without `create` a missing or empty database is refused (exit 2 naming the path): a typo in
   * --db must not read as an empty estate. Scans left running by a process that is gone are marked interrupted.
   */
  static async open(path: string, options: { create?: boolean; busyBudgetMs?: number } = {}): Promise<SqliteStore> {
    const file = inspectDbFile(path);
    if (file.kind !== 'sqlite' && !options.create) {
      throw new NoDatabaseError(`no surveyor database at ${path}${file.kind === 'empty-file' ? ' (the file is empty)' : ''}: check --db or SURVEYOR_DB (commands that only read never create one)`);
    }
    // On a read-only file system (or a file and folder this user cannot write) reads still work; writes are named.
    const writable = file.kind === 'missing' ? true : canWrite(path);
    if (!writable && options.create) throw new SurveyorError('store', `the database ${path} is read-only (the file, its folder or the file system): cannot write to it`, { path });
    const db = await SqliteDriver.open(path, { create: options.create, busyBudgetMs: options.busyBudgetMs, immutable: !writable });
    const store = new SqliteStore(path, db);
    try {
      await db.exec('PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
      const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
      checkOwnDatabase(path, tables);
      const current = tables.includes('schema_migrations')
        ? (await db.get<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations'))?.v ?? 0
        : 0;
      if (current > LATEST_SCHEMA) {
        throw new SurveyorError('store', `database ${path} has schema ${current}, newer than this surveyor knows (${LATEST_SCHEMA}): upgrade surveyor`);
      }
      if (current === 0 && !options.create) throw new NoDatabaseError(`no surveyor database at ${path} (an empty SQLite file): check --db or SURVEYOR_DB`);
      if (!writable) {
        if (current < LATEST_SCHEMA) throw new SurveyorError('store', `the database ${path} has schema ${current} and needs an upgrade to ${LATEST_SCHEMA}, but it is read-only`);
        return store;
      }
      await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      await store.migrate(current);
      await store.reapLostScans();
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return store;
  }

  private async migrate(current: number): Promise<void> {
    await this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await this.db.transaction(async () => {
        await this.db.exec(m.sql);
        await this.db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
      });
    }
  }

  async createScan(scan: NewScan): Promise<number> {
    const { lastID } = await this.db.transaction(() => this.db.run(
      `INSERT INTO scans (kind, started_at, status, targets, exclusions, ports, options, hosts_total, probes_total, owner, heartbeat_at, swept)
       VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [scan.kind ?? 'network', scan.startedAt, JSON.stringify(scan.targets), JSON.stringify(scan.exclusions), JSON.stringify(scan.ports),
        JSON.stringify(scan.options), scan.hostsTotal, scan.probesTotal, JSON.stringify(currentOwner()), new Date().toISOString(),
        (scan.kind ?? 'network') === 'network' ? '[]' : null],
    ));
    return lastID;
  }

  /** Marks scans whose process is gone `interrupted`, keeping what they committed. */
  private async reapLostScans(): Promise<void> {
    const running = await this.db.all<{ id: number; owner: string | null; heartbeat_at: string | null }>(
      "SELECT id, owner, heartbeat_at FROM scans WHERE status = 'running'");
    for (const scan of running) {
      const why = ownerGone(scan.owner ? (JSON.parse(scan.owner) as ScanOwner) : null, scan.heartbeat_at);
      if (!why) continue;
      await this.db.transaction(() => this.db.run(
        "UPDATE scans SET status = 'interrupted', finished_at = coalesce(heartbeat_at, started_at), note = ? WHERE id = ? AND status = 'running'",
        [`interrupted: ${why}; what it committed is kept`, scan.id]));
    }
  }

  async recordHosts(scanId: number, hosts: readonly HostObservation[], totals: ScanTotals, swept?: readonly string[]): Promise<void> {
    await this.db.transaction(async () => {
      // Multi-row statements: a batch of thousands of hosts costs a handful of round trips, not one per row.
      for (const chunk of chunks(hosts, 500)) {
        const assets = await this.db.all<{ id: number; address: string }>(
          `INSERT INTO assets (address, first_seen, last_seen, last_scan_id) VALUES ${placeholders(chunk.length, 4)}
           ON CONFLICT (address) DO UPDATE SET last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id
           RETURNING id, address`,
          chunk.flatMap((h) => [h.address, h.seenAt, h.seenAt, scanId]),
        );
        const idOf = new Map(assets.map((a) => [a.address, a.id]));
        const names = chunk.flatMap((h) => h.hostnames.map((n) => [idOf.get(h.address), n, h.seenAt, h.seenAt]));
        for (const rows of chunks(names, 1000)) {
          await this.db.run(
            `INSERT INTO asset_hostnames (asset_id, hostname, source, first_seen, last_seen) VALUES ${placeholders(rows.length, 4, "'target'", 2)}
             ON CONFLICT (asset_id, hostname) DO UPDATE SET last_seen = excluded.last_seen`,
            rows.flat(),
          );
        }
        const discovered = chunk.flatMap((h) => (h.profile?.hostnames ?? []).map((n) => [idOf.get(h.address), n.name, n.via, h.seenAt, h.seenAt]));
        for (const rows of chunks(discovered, 1000)) {
          await this.db.run(
            `INSERT INTO asset_hostnames (asset_id, hostname, source, first_seen, last_seen) VALUES ${placeholders(rows.length, 5)}
             ON CONFLICT (asset_id, hostname) DO UPDATE SET last_seen = excluded.last_seen`,
            rows.flat(),
          );
        }
        const services = chunk.flatMap((h) => (h.profile?.services ?? []).map((sv) => [
          scanId, idOf.get(h.address), sv.port, sv.service, sv.product ?? null, sv.version ?? null, sv.info ?? null, sv.cpe ?? null,
          sv.confidence, JSON.stringify(sv.sources), JSON.stringify(sv.outcomes),
        ]));
        for (const rows of chunks(services, 500)) {
          await this.db.run(
            `INSERT OR REPLACE INTO scan_services (scan_id, asset_id, port, service, product, version, info, cpe, confidence, sources, outcomes, protocol)
             VALUES ${placeholders(rows.length, 11, "'tcp'")}`,
            rows.flat(),
          );
        }
        const profiles = chunk.filter((h) => h.profile).map((h) => [
          scanId, idOf.get(h.address), h.profile!.os ? JSON.stringify(h.profile!.os) : null,
          h.profile!.domain ? JSON.stringify(h.profile!.domain) : null, JSON.stringify(h.profile!.hostnames),
        ]);
        for (const rows of chunks(profiles, 1000)) {
          await this.db.run(`INSERT OR REPLACE INTO scan_hosts (scan_id, asset_id, os, domain, hostnames) VALUES ${placeholders(rows.length, 5)}`, rows.flat());
        }
        const ports = chunk.flatMap((h) =>
          h.ports.map((p) => [scanId, idOf.get(h.address), p.port, p.state, p.rttMs, p.attempts, p.reason ?? null]),
        );
        for (const rows of chunks(ports, 1000)) {
          await this.db.run(
            `INSERT OR REPLACE INTO scan_ports (scan_id, asset_id, port, state, rtt_ms, attempts, reason, protocol)
             VALUES ${placeholders(rows.length, 7, "'tcp'")}`,
            rows.flat(),
          );
        }
        await writeEnumerations(this.db, scanId, idOf, chunk);
      }
      await this.writeTotals(scanId, totals);
      if (swept) await this.db.run('UPDATE scans SET swept = ? WHERE id = ?', [JSON.stringify(swept), scanId]);
    });
  }

  private async writeTotals(scanId: number, t: ScanTotals): Promise<void> {
    await this.db.run(
      'UPDATE scans SET probes_done = ?, hosts_done = ?, open_count = ?, closed_count = ?, filtered_count = ?, heartbeat_at = ? WHERE id = ?',
      [t.probesDone, t.hostsDone, t.open, t.closed, t.filtered, new Date().toISOString(), scanId],
    );
  }

  async finishScan(scanId: number, status: Exclude<ScanStatus, 'running'>, totals: ScanTotals, finishedAt: string, end: ScanEnd = {}): Promise<void> {
    await this.db.transaction(async () => {
      await this.writeTotals(scanId, totals);
      // A completed scan covered its targets (swept NULL); any other keeps the last coverage written, or the final one.
      await this.db.run(`UPDATE scans SET status = ?, finished_at = ?, note = ?,
          swept = CASE WHEN ? = 'completed' THEN NULL ELSE coalesce(?, swept) END WHERE id = ?`,
        [status, finishedAt, end.note ?? null, status, end.swept ? JSON.stringify(end.swept) : null, scanId]);
    });
  }

  async getScan(scanId: number): Promise<ScanRecord | undefined> {
    const row = await this.db.get('SELECT * FROM scans WHERE id = ?', [scanId]);
    return row ? scanFromRow(row) : undefined;
  }

  async recordDirectory(scanId: number, observation: DirectoryObservation): Promise<void> {
    await recordDirectory(this.db, scanId, observation);
  }

  async listDirectoryComputers(domain?: string): Promise<DirectoryComputerView[]> {
    return listDirectoryComputers(this.db, domain);
  }

  async listScans(): Promise<ScanRecord[]> {
    return (await this.db.all('SELECT * FROM scans ORDER BY id')).map(scanFromRow);
  }

  async listAssets(addresses?: readonly string[]): Promise<AssetView[]> {
    // Only some assets: every query is narrowed to them (a scan's rule run reads its hosts, not the estate).
    // One JSON parameter, whatever the number of addresses (SQLite caps bound parameters).
    const only = addresses ? 'a.address IN (SELECT value FROM json_each(?))' : '1';
    const params = addresses ? [JSON.stringify(addresses)] : [];
    const assets = await this.db.all<{ id: number; address: string; first_seen: string; last_seen: string; last_scan_id: number; kind: string }>(
      `SELECT a.id, a.address, a.first_seen, a.last_seen, a.last_scan_id, s.kind FROM assets a JOIN scans s ON s.id = a.last_scan_id WHERE ${only}`, params,
    );
    const computers = groupBy(await this.db.all<{ asset_id: number; domain: string; name: string; dn: string; operating_system: string | null; operating_system_version: string | null }>(
      `SELECT c.asset_id, c.domain, c.name, c.dn, c.operating_system, c.operating_system_version FROM directory_computers c JOIN assets a ON a.id = c.asset_id
       WHERE ${only} ORDER BY c.domain, c.name`, params,
    ), (r) => r.asset_id);
    const names = await this.db.all<{ asset_id: number; hostname: string; source: string }>(
      `SELECT n.asset_id, n.hostname, n.source FROM asset_hostnames n JOIN assets a ON a.id = n.asset_id WHERE ${only} ORDER BY n.hostname`, params,
    );
    const services = await this.db.all<{ asset_id: number; port: number; service: string | null; product: string | null; version: string | null; info: string | null; cpe: string | null; confidence: number; sources: string; outcomes: string }>(
      `SELECT s.* FROM scan_services s JOIN assets a ON a.id = s.asset_id AND a.last_scan_id = s.scan_id WHERE ${only}`, params,
    );
    const hosts = await this.db.all<{ asset_id: number; os: string | null; domain: string | null }>(
      `SELECT h.asset_id, h.os, h.domain FROM scan_hosts h JOIN assets a ON a.id = h.asset_id AND a.last_scan_id = h.scan_id WHERE ${only}`, params,
    );
    const serviceOf = new Map(services.map((r) => [`${r.asset_id}/${r.port}`, r]));
    const hostOf = new Map(hosts.map((r) => [r.asset_id, r]));
    const ports = await this.db.all<{ asset_id: number; port: number; protocol: 'tcp'; state: AssetPort['state']; rtt_ms: number; scan_id: number }>(
      `SELECT p.asset_id, p.port, p.protocol, p.state, p.rtt_ms, p.scan_id
       FROM scan_ports p JOIN assets a ON a.id = p.asset_id AND a.last_scan_id = p.scan_id WHERE ${only} ORDER BY p.port`, params,
    );
    const namesOf = groupBy(names, (r) => r.asset_id);
    const portsOf = groupBy(ports, (r) => r.asset_id);
    return assets
      .map((a) => ({
        id: a.id,
        address: a.address,
        hostnames: (namesOf.get(a.id) ?? []).map((r) => r.hostname),
        firstSeen: a.first_seen,
        lastSeen: a.last_seen,
        lastScanId: a.last_scan_id,
        ports: (portsOf.get(a.id) ?? []).map((r) => {
          const sv = serviceOf.get(`${a.id}/${r.port}`);
          const port: AssetPort = { port: r.port, protocol: r.protocol, state: r.state, rttMs: r.rtt_ms, scanId: r.scan_id };
          return sv ? {
            ...port,
            service: {
              service: sv.service as never, product: sv.product ?? undefined, version: sv.version ?? undefined, info: sv.info ?? undefined,
              cpe: sv.cpe ?? undefined, confidence: sv.confidence, sources: JSON.parse(sv.sources), outcomes: JSON.parse(sv.outcomes),
            },
          } : port;
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
      .sort((x, y) => compareAddresses(x.address, y.address));
  }

  async snapshot(scanId: number): Promise<ScanSnapshot | undefined> {
    const scan = await this.getScan(scanId);
    if (!scan) return undefined;
    const rows = await this.db.all<{ address: string; port: number; service: string | null; product: string | null; version: string | null }>(
      `SELECT a.address, p.port, s.service, s.product, s.version FROM scan_ports p JOIN assets a ON a.id = p.asset_id
       LEFT JOIN scan_services s ON s.scan_id = p.scan_id AND s.asset_id = p.asset_id AND s.port = p.port AND s.protocol = p.protocol
       WHERE p.scan_id = ? AND p.state = 'open'`,
      [scanId],
    );
    const osRows = await this.db.all<{ address: string; os: string | null; hostnames: string }>(
      'SELECT a.address, h.os, h.hostnames FROM scan_hosts h JOIN assets a ON a.id = h.asset_id WHERE h.scan_id = ?',
      [scanId],
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
    return (await this.db.all('SELECT * FROM credentials ORDER BY name')).map(credentialFromRow);
  }

  async getCredential(name: string): Promise<StoredCredential | undefined> {
    const row = await this.db.get('SELECT * FROM credentials WHERE name = ?', [name]);
    return row ? credentialFromRow(row) : undefined;
  }

  async removeCredential(name: string): Promise<boolean> {
    return this.db.transaction(async () => (await this.db.run('DELETE FROM credentials WHERE name = ?', [name])).changes > 0);
  }

  async getHostKey(address: string, port: number): Promise<HostKeyPin | undefined> {
    const row = await this.db.get('SELECT * FROM host_keys WHERE address = ? AND port = ?', [address, port]);
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
    return (await this.db.all('SELECT * FROM host_keys')).map(hostKeyFromRow).sort((x, y) => compareAddresses(x.address, y.address) || x.port - y.port);
  }

  listAccounts(filter?: AccountFilter): Promise<AccountView[]> {
    return listAccounts(this.db, filter);
  }

  latestEnumerations(address: string): Promise<StoredEnumeration[]> {
    return latestEnumerations(this.db, address);
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
