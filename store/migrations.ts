/**
 * Versioned schema migrations, applied in order, each in its own transaction and recorded in
 * `schema_migrations`. A migration is never edited once released: later changes are new migrations.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'scans, assets, host names and ports',
    sql: `
      CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
        targets TEXT NOT NULL,
        exclusions TEXT NOT NULL,
        ports TEXT NOT NULL,
        options TEXT NOT NULL,
        hosts_total INTEGER NOT NULL,
        probes_total INTEGER NOT NULL,
        probes_done INTEGER NOT NULL DEFAULT 0,
        hosts_done INTEGER NOT NULL DEFAULT 0,
        open_count INTEGER NOT NULL DEFAULT 0,
        closed_count INTEGER NOT NULL DEFAULT 0,
        filtered_count INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE assets (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_scan_id INTEGER NOT NULL REFERENCES scans(id)
      );
      CREATE TABLE asset_hostnames (
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        hostname TEXT NOT NULL,
        source TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (asset_id, hostname)
      );
      CREATE TABLE scan_ports (
        scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        protocol TEXT NOT NULL CHECK (protocol IN ('tcp', 'udp')),
        port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
        state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'filtered')),
        rtt_ms REAL NOT NULL,
        attempts INTEGER NOT NULL,
        reason TEXT,
        PRIMARY KEY (scan_id, asset_id, protocol, port)
      );
      CREATE INDEX scan_ports_asset ON scan_ports (asset_id, scan_id);
    `,
  },
  {
    version: 2,
    name: 'fingerprints: services per port and host profiles per scan',
    sql: `
      CREATE TABLE scan_services (
        scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        protocol TEXT NOT NULL,
        port INTEGER NOT NULL,
        service TEXT,
        product TEXT,
        version TEXT,
        info TEXT,
        cpe TEXT,
        confidence INTEGER NOT NULL,
        sources TEXT NOT NULL,
        outcomes TEXT NOT NULL,
        PRIMARY KEY (scan_id, asset_id, protocol, port)
      );
      CREATE TABLE scan_hosts (
        scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        os TEXT,
        domain TEXT,
        hostnames TEXT NOT NULL,
        PRIMARY KEY (scan_id, asset_id)
      );
    `,
  },
  {
    version: 3,
    name: 'credentials, pinned host keys, credentialed enumerations and accounts',
    sql: `
      CREATE TABLE credentials (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        username TEXT NOT NULL,
        auth TEXT NOT NULL,
        elevate TEXT,
        scope TEXT NOT NULL,
        key_id TEXT NOT NULL,
        sealed TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE host_keys (
        address TEXT NOT NULL,
        port INTEGER NOT NULL,
        algorithm TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        offered_algorithm TEXT,
        offered_sha256 TEXT,
        offered_at TEXT,
        PRIMARY KEY (address, port)
      );
      CREATE TABLE scan_enumerations (
        scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        method TEXT NOT NULL,
        port INTEGER NOT NULL,
        credential TEXT NOT NULL,
        status TEXT NOT NULL,
        notes TEXT NOT NULL,
        facts TEXT NOT NULL,
        elapsed_ms REAL NOT NULL,
        PRIMARY KEY (scan_id, asset_id, method, credential)
      );
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('local', 'ssh-key', 'domain', 'database')),
        account_key TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT,
        privileged INTEGER NOT NULL,
        privileged_reasons TEXT NOT NULL,
        enabled INTEGER,
        last_logon TEXT,
        password_last_set TEXT,
        details TEXT NOT NULL,
        source TEXT NOT NULL,
        credential TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_scan_id INTEGER NOT NULL REFERENCES scans(id),
        UNIQUE (asset_id, kind, account_key)
      );
      CREATE INDEX accounts_privileged ON accounts (privileged, asset_id);
    `,
  },
  {
    version: 4,
    name: 'directory scans, the method that found each account, and directory computers',
    sql: `
      ALTER TABLE scans ADD COLUMN kind TEXT NOT NULL DEFAULT 'network';
      ALTER TABLE accounts ADD COLUMN method TEXT NOT NULL DEFAULT 'ssh';
      CREATE TABLE directory_computers (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL,
        computer_key TEXT NOT NULL,
        dn TEXT NOT NULL,
        name TEXT NOT NULL,
        dns_host_name TEXT,
        operating_system TEXT,
        operating_system_version TEXT,
        last_logon TEXT,
        enabled INTEGER NOT NULL,
        address TEXT,
        asset_id INTEGER REFERENCES assets(id) ON DELETE SET NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        last_scan_id INTEGER NOT NULL REFERENCES scans(id),
        UNIQUE (domain, computer_key)
      );
    `,
  },
  {
    version: 5,
    name: 'Smart Rules: workgroups, stored rule sets, rule runs, managed accounts, memberships and the journal',
    sql: `
      CREATE TABLE workgroups (
        name TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        description TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE rule_sets (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        text TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        active INTEGER NOT NULL
      );
      CREATE TABLE rule_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        source TEXT NOT NULL,
        trigger TEXT NOT NULL,
        scope TEXT,
        rules TEXT NOT NULL,
        summary TEXT NOT NULL,
        undoes INTEGER REFERENCES rule_runs(id),
        undone_by INTEGER REFERENCES rule_runs(id)
      );
      CREATE TABLE managed_accounts (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        workgroup TEXT NOT NULL REFERENCES workgroups(name),
        policy TEXT NOT NULL,
        change_frequency_days INTEGER NOT NULL,
        change_time TEXT NOT NULL,
        rule TEXT NOT NULL,
        rule_version TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES rule_runs(id),
        onboarded_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE memberships (
        subject TEXT NOT NULL CHECK (subject IN ('asset', 'account')),
        subject_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('group', 'tag', 'exclude', 'notified')),
        name TEXT NOT NULL,
        rule TEXT NOT NULL,
        detail TEXT,
        run_id INTEGER NOT NULL REFERENCES rule_runs(id),
        since TEXT NOT NULL,
        PRIMARY KEY (subject, subject_id, kind, name)
      );
      CREATE TABLE journal (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES rule_runs(id),
        at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('onboard', 'update', 'offboard', 'add', 'remove')),
        subject TEXT NOT NULL,
        subject_id INTEGER NOT NULL,
        label TEXT NOT NULL,
        before TEXT,
        after TEXT
      );
      CREATE INDEX journal_run ON journal (run_id, id);
      CREATE INDEX accounts_asset ON accounts (asset_id);
    `,
  },
  {
    version: 6,
    name: 'scan owners, heartbeats, notes and coverage',
    sql: `
      ALTER TABLE scans ADD COLUMN owner TEXT;
      ALTER TABLE scans ADD COLUMN heartbeat_at TEXT;
      ALTER TABLE scans ADD COLUMN note TEXT;
      ALTER TABLE scans ADD COLUMN swept TEXT;
      -- Earlier versions kept no coverage: a network scan that did not complete is taken to have covered nothing,
      -- so a diff never calls a host gone where it may not have looked (NULL would mean all its targets).
      UPDATE scans SET swept = '[]' WHERE status <> 'completed' AND coalesce(kind, 'network') = 'network';
    `,
  },
  {
    version: 7,
    name: 'discovery jobs, their runs and units, and the workers that run them',
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        definition TEXT NOT NULL,
        workgroup TEXT REFERENCES workgroups(name),
        schedule TEXT,
        apply_rules TEXT NOT NULL CHECK (apply_rules IN ('stored', 'none')),
        paused INTEGER NOT NULL,
        next_run_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE job_runs (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        trigger TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'interrupted', 'stalled')),
        note TEXT,
        worker TEXT,
        lease INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        workgroup TEXT,
        scan_id INTEGER REFERENCES scans(id),
        plan TEXT,
        queued_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        units_total INTEGER,
        units_done INTEGER NOT NULL,
        progress TEXT,
        rules TEXT NOT NULL CHECK (rules IN ('none', 'pending', 'applied', 'skipped')),
        rule_run_id INTEGER REFERENCES rule_runs(id)
      );
      CREATE INDEX job_runs_job ON job_runs (job_id, id);
      CREATE INDEX job_runs_state ON job_runs (state, id);
      CREATE TABLE job_units (
        run_id INTEGER NOT NULL REFERENCES job_runs(id),
        unit INTEGER NOT NULL,
        worker TEXT NOT NULL,
        done_at TEXT NOT NULL,
        counts TEXT NOT NULL,
        PRIMARY KEY (run_id, unit)
      );
      CREATE TABLE workers (
        name TEXT PRIMARY KEY,
        workgroups TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        stopped_at TEXT,
        rules_leader INTEGER NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'the Smart Rule role: its holder and epoch, the fencing token of rule writes',
    sql: `
      CREATE TABLE roles (
        role TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        since TEXT NOT NULL,
        expires_at TEXT
      );
    `,
  },
  {
    version: 9,
    name: 'web page users, their sessions and failed logins, and the journal of web actions',
    sql: `
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('auditor', 'author', 'admin')),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        password_changed_at TEXT NOT NULL
      );
      -- A session is known by the SHA-256 of its cookie value: the table alone opens no session.
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        address TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_name);
      -- A login attempt is written before its password is checked (and kept when it fails), so attempts made at
      -- the same time count against the limit too.
      CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        user_name TEXT NOT NULL,
        address TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX login_attempts_user ON login_attempts (user_name, at);
      CREATE INDEX login_attempts_address ON login_attempts (address, at);
      CREATE TABLE web_journal (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user_name TEXT,
        role TEXT,
        action TEXT NOT NULL,
        target TEXT,
        result TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
        reason TEXT,
        address TEXT NOT NULL
      );
      CREATE INDEX web_journal_at ON web_journal (at, id);
    `,
  },
];

export const LATEST_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The table that records which migrations a database has had. */
export const MIGRATIONS_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/**
 * A migration's statements for PostgreSQL. The migrations are written once, in SQLite's types (released SQLite
 * databases were made by exactly this text, so it never changes); for PostgreSQL the column types are mapped:
 * an `INTEGER PRIMARY KEY` (SQLite's row id) becomes an identity column, INTEGER a BIGINT, REAL a DOUBLE
 * PRECISION, and TEXT compares and sorts bytewise (`COLLATE "C"`) as SQLite's does, whatever the server's locale.
 * Only the upper-case type words are mapped: a column named `text` stays a name.
 */
export function postgresDdl(sql: string): string {
  return sql
    .replace(/\bINTEGER PRIMARY KEY\b/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"');
}
