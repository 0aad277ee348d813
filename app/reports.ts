/**
 * The auditors' reports, as data: a title, columns and rows, with the time of the data and the scans it came from.
 * `report-render.ts` turns one into a table, CSV, JSON or a self-contained HTML page.
 */
import { ACCOUNT_KINDS, type AccountKind, type AccountView, logonState } from '../model/account.js';
import { InputError } from '../scanner/errors.js';
import { addressFilter } from './address-filter.js';
import type { ScanRecord, Store } from '../store/store.js';
import { DAY_MS } from '../onboarding/evaluate.js';
import { globMatcher } from '../onboarding/patterns.js';
import { RUN_KINDS, type RunEntry } from '../enum/ssh/parse-runs.js';

export const REPORTS = ['unmanaged', 'managed', 'stale', 'ssh-keys', 'software', 'dependencies'] as const;
export type ReportName = (typeof REPORTS)[number];

/** A list (the reasons an account is privileged) is an array in JSON and joined with "; " elsewhere. */
export type Cell = string | number | boolean | null | readonly string[];

/** One summary count at the top of a report. */
export interface SummaryCount {
  readonly key: string;
  readonly label: string;
  readonly value: number;
}

export const SOFTWARE_GROUPINGS = ['host', 'package'] as const;
export type SoftwareGrouping = (typeof SOFTWARE_GROUPINGS)[number];

export interface Report {
  readonly name: ReportName;
  readonly title: string;
  readonly description: string;
  readonly columns: ReadonlyArray<{ readonly key: string; readonly label: string }>;
  readonly rows: ReadonlyArray<Readonly<Record<string, Cell>>>;
  /** Counts over the rows, first in every form but CSV. */
  readonly summary: readonly SummaryCount[];
  readonly generatedAt: string;
  /** When the newest data in the report was collected (the latest scan that finished). */
  readonly dataAsOf: string | null;
  readonly scans: ReadonlyArray<Pick<ScanRecord, 'id' | 'kind' | 'startedAt' | 'finishedAt' | 'status' | 'targets'>>;
  readonly parameters: Readonly<Record<string, Cell>>;
}

export interface ReportOptions {
  /** stale: days without a logon (default 90). */
  readonly days?: number;
  /** software: package name glob. */
  readonly name?: string;
  /** software: one row per host and package (`host`, the default) or one per package with its host count. */
  readonly by?: SoftwareGrouping;
  /** unmanaged: add the full command or query each account came from (default false). */
  readonly evidence?: boolean;
  /** unmanaged: only accounts of assets at these addresses (an address, CIDR block or range). */
  readonly address?: string;
  /** unmanaged: only accounts of this kind. */
  readonly kind?: AccountKind;
  readonly now?: Date;
}


function ageDays(at: string | null, now: number): number | null {
  if (!at) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : Math.floor((now - t) / DAY_MS);
}

const col = (key: string, label: string) => ({ key, label });
const count = (key: string, label: string, value: number): SummaryCount => ({ key, label, value });
const distinct = <T>(xs: readonly T[]): number => new Set(xs).size;

/** A last logon as reports show it: the time, or the words "never" (recorded) and "unknown" (nothing read). */
function logonCell(a: AccountView): string {
  const state = logonState(a);
  return state === 'logged-on' ? a.lastLogon! : state;
}

/** An SSH key as one cell: type, bits and fingerprint ("ssh-ed25519 256 SHA256:..."). */
function keyCell(a: AccountView): string | null {
  if (a.kind !== 'ssh-key') return null;
  return [a.details.type, a.details.bits, a.details.fingerprint].filter((x) => x !== undefined && x !== null && x !== '').join(' ');
}

/** Short provenance: the enumeration, its credential, and for a key the file and line it is in. */
function foundBy(a: AccountView): string {
  const where = a.kind === 'ssh-key' && typeof a.details.file === 'string' ? `, ${a.details.file}${typeof a.details.line === 'number' ? `:${a.details.line}` : ''}` : '';
  return `${a.method}, credential ${a.credential ?? '-'}${where}`;
}

/**
 * Weak SSH keys, by the rules of NIST SP 800-57 / 800-131A as OpenSSH applies them: DSA at any size, RSA below 2048
 * bits, ECDSA below 256.
 */
export function weakKey(type: string, bits: number | null): string | null {
  if (type === 'ssh-dss') return 'DSA (deprecated, 1024 bits)';
  if (type === 'ssh-rsa' && bits !== null && bits < 2048) return `RSA ${bits} bits (< 2048)`;
  if (type.startsWith('ecdsa-') && bits !== null && bits < 256) return `ECDSA ${bits} bits (< 256)`;
  return null;
}

export async function buildReport(store: Store, name: ReportName, options: ReportOptions = {}): Promise<Report> {
  const now = options.now ?? new Date();
  const t = now.getTime();
  const [assets, scans] = await Promise.all([store.listAssets(), store.listScans()]);
  const hostOf = new Map(assets.map((a) => [a.address, a.hostnames[0] ?? '']));
  const finished = scans.filter((s) => s.finishedAt).map((s) => s.finishedAt!).sort();
  const base = {
    name, generatedAt: now.toISOString(), dataAsOf: finished[finished.length - 1] ?? null,
    scans: scans.map((s) => ({ id: s.id, kind: s.kind, startedAt: s.startedAt, finishedAt: s.finishedAt, status: s.status, targets: s.targets })),
  };
  const accountRow = (a: AccountView) => ({
    asset: hostOf.get(a.address) || null, address: a.address, account: a.name, kind: a.kind, uid: a.uid,
  });
  switch (name) {
    case 'unmanaged': {
      const [accounts, managed, excluded] = await Promise.all([store.listAccounts({ privileged: true }), store.listManaged(), store.listMemberships('exclude')]);
      const isManaged = new Set(managed.map((m) => m.accountId));
      const exclusionOf = new Map<string, string>();
      for (const e of excluded) {
        const key = `${e.subject}:${e.subjectId}`;
        if (!exclusionOf.has(key)) exclusionOf.set(key, `rule "${e.rule}": ${e.detail ?? ''}`);
      }
      const inAddress = options.address !== undefined ? addressFilter(options.address, 'address filter') : () => true;
      if (options.kind !== undefined && !(ACCOUNT_KINDS as readonly string[]).includes(options.kind)) throw new InputError(`bad kind "${options.kind}": expected one of ${ACCOUNT_KINDS.join(', ')}`);
      const unmanaged = accounts.filter((a) => !isManaged.has(a.id) && inAddress(a.address) && (options.kind === undefined || a.kind === options.kind));
      const rows = unmanaged.map((a) => ({
        ...accountRow(a),
        excludedBy: exclusionOf.get(`account:${a.id}`) ?? exclusionOf.get(`asset:${a.assetId}`) ?? null,
        key: keyCell(a), privilegedBecause: a.reasons,
        // A key has no logon or enabled state of its own: its account's row has them.
        enabled: a.kind === 'ssh-key' ? null : a.enabled, lastLogon: a.kind === 'ssh-key' ? null : logonCell(a),
        passwordAgeDays: ageDays(a.passwordLastSet, t), foundBy: foundBy(a), firstSeen: a.firstSeen, lastSeen: a.lastSeen,
        ...(options.evidence ? { evidence: a.source } : {}),
      }));
      const people = unmanaged.filter((a) => a.kind !== 'ssh-key');
      return {
        ...base, title: 'Unmanaged privileged accounts',
        parameters: { ...(options.evidence ? { evidence: true } : {}), ...(options.address !== undefined ? { address: options.address } : {}), ...(options.kind !== undefined ? { kind: options.kind } : {}) },
        description: 'Privileged accounts the latest enumeration of their asset saw that are not onboarded into a workgroup.',
        columns: [col('asset', 'Asset'), col('address', 'Address'), col('account', 'Account'), col('kind', 'Kind'), col('uid', 'UID/SID'),
          col('excludedBy', 'Excluded by'), col('key', 'Key (type, bits, fingerprint)'), col('privilegedBecause', 'Why privileged'), col('enabled', 'Enabled'),
          col('lastLogon', 'Last logon'), col('passwordAgeDays', 'Password age (days)'), col('foundBy', 'Found by'), col('firstSeen', 'First seen'),
          col('lastSeen', 'Last seen'), ...(options.evidence ? [col('evidence', 'Evidence (command or query)')] : [])],
        rows,
        summary: [
          count('rows', 'unmanaged privileged accounts', rows.length), count('assets', 'assets', distinct(rows.map((r) => r.address))),
          ...ACCOUNT_KINDS.map((k) => count(k, k, unmanaged.filter((a) => a.kind === k).length)),
          count('excluded', 'excluded by a rule', rows.filter((r) => r.excludedBy !== null).length),
          count('neverLoggedOn', 'never logged on', people.filter((a) => logonState(a) === 'never').length),
          count('logonUnknown', 'last logon unknown', people.filter((a) => logonState(a) === 'unknown').length),
        ],
      };
    }
    case 'managed': {
      const [managed, accounts, workgroups] = await Promise.all([store.listManaged(), store.listAccounts({ includeGone: true }), store.listWorkgroups()]);
      const byId = new Map(accounts.map((a) => [a.id, a]));
      const siteOf = new Map(workgroups.map((w) => [w.name, w.site]));
      const rows = managed.map((m) => {
        const a = byId.get(m.accountId);
        return {
          ...(a ? accountRow(a) : { asset: null, address: null, account: m.label, kind: null, uid: null }),
          workgroup: m.workgroup, site: siteOf.get(m.workgroup) ?? null, policy: m.policy,
          schedule: `every ${m.changeFrequencyDays} days at ${m.changeTime}`, rule: m.rule, ruleVersion: m.ruleVersion, run: m.runId,
          onboardedAt: m.onboardedAt, stillPresent: a?.current ?? false,
        };
      }).sort((x, y) => String(x.workgroup).localeCompare(String(y.workgroup)) || String(x.address).localeCompare(String(y.address)) || String(x.account).localeCompare(String(y.account)));
      return {
        ...base, title: 'Managed accounts', parameters: {}, description: 'Accounts onboarded into a workgroup, with the rule and rule version that onboarded them.',
        columns: [col('asset', 'Asset'), col('address', 'Address'), col('account', 'Account'), col('kind', 'Kind'), col('uid', 'UID/SID'), col('workgroup', 'Workgroup'),
          col('site', 'Site'), col('policy', 'Policy'), col('schedule', 'Change schedule'), col('rule', 'Rule'), col('ruleVersion', 'Rule version'), col('run', 'Run'),
          col('onboardedAt', 'Onboarded'), col('stillPresent', 'Still present')],
        rows,
        summary: [
          count('rows', 'managed accounts', rows.length), count('workgroups', 'workgroups', distinct(rows.map((r) => r.workgroup))),
          count('assets', 'assets', distinct(rows.filter((r) => r.address !== null).map((r) => r.address))),
          count('gone', 'no longer present', rows.filter((r) => !r.stillPresent).length),
        ],
      };
    }
    case 'stale': {
      const days = options.days ?? 90;
      const [accounts, managed] = await Promise.all([store.listAccounts(), store.listManaged()]);
      const isManaged = new Set(managed.map((m) => m.accountId));
      // A recorded "never" ranks with the oldest logons; an unknown one comes after them all: it may be recent.
      const rank = { never: 0, 'logged-on': 1, unknown: 2 } as const;
      const listed = accounts
        .filter((a) => a.kind !== 'ssh-key')
        .map((a) => ({ a, age: ageDays(a.lastLogon, t), state: logonState(a) }))
        // Without a logon time, only accounts that could log on count: enabled, and (local ones) with a login shell.
        .filter(({ a, age, state }) => (state === 'logged-on' && age !== null ? age > days : a.enabled === true && a.details.loginShell !== false))
        .sort((x, y) => Number(y.a.privileged) - Number(x.a.privileged) || rank[x.state] - rank[y.state] || (y.age ?? 0) - (x.age ?? 0));
      const rows = listed.map(({ a, age }) => ({
        ...accountRow(a), privileged: a.privileged, lastLogon: logonCell(a), daysSinceLogon: age, enabled: a.enabled, managed: isManaged.has(a.id),
      }));
      const inState = (s: keyof typeof rank) => listed.filter((x) => x.state === s).length;
      return {
        ...base, title: `Stale accounts (no logon for ${days} days)`, parameters: { days },
        summary: [
          count('rows', 'accounts listed', rows.length), count('privileged', 'privileged', rows.filter((r) => r.privileged).length),
          count('olderThanDays', `last logon more than ${days} days ago`, inState('logged-on')), count('neverLoggedOn', 'never logged on', inState('never')),
          count('logonUnknown', 'last logon unknown', inState('unknown')),
        ],
        description: `Accounts whose last logon is more than ${days} days old, then enabled accounts that can log on and never did, then those whose last logon `
          + 'nobody could read ("unknown", not "never"); privileged first.',
        columns: [col('asset', 'Asset'), col('address', 'Address'), col('account', 'Account'), col('kind', 'Kind'), col('uid', 'UID/SID'), col('privileged', 'Privileged'),
          col('lastLogon', 'Last logon'), col('daysSinceLogon', 'Days since'), col('enabled', 'Enabled'), col('managed', 'Managed')],
        rows,
      };
    }
    case 'ssh-keys': {
      const keys = (await store.listAccounts()).filter((a) => a.kind === 'ssh-key');
      const hostsOf = new Map<string, Set<string>>();
      const accountsOf = new Map<string, Set<string>>();
      for (const k of keys) {
        const fp = String(k.details.fingerprint ?? '');
        hostsOf.set(fp, (hostsOf.get(fp) ?? new Set()).add(k.address));
        accountsOf.set(fp, (accountsOf.get(fp) ?? new Set()).add(`${k.address} ${k.name}`));
      }
      const rows = keys.map((k) => {
        const type = String(k.details.type ?? '');
        const bits = typeof k.details.bits === 'number' ? k.details.bits : null;
        const fp = String(k.details.fingerprint ?? '');
        return {
          asset: hostOf.get(k.address) || null, address: k.address, account: k.name, type, bits, fingerprint: fp,
          comment: (k.details.comment as string | undefined) ?? null, file: (k.details.file as string | undefined) ?? null,
          weak: weakKey(type, bits), hosts: hostsOf.get(fp)!.size, accounts: accountsOf.get(fp)!.size, privileged: k.privileged,
        };
      }).sort((x, y) => Number(Boolean(y.weak)) - Number(Boolean(x.weak)) || y.hosts - x.hosts || y.accounts - x.accounts || x.fingerprint.localeCompare(y.fingerprint));
      return {
        ...base, title: 'SSH keys', parameters: {},
        description: 'Authorized keys per account and asset; weak keys (DSA, RSA < 2048, ECDSA < 256) first, then keys found on several hosts or accounts.',
        columns: [col('asset', 'Asset'), col('address', 'Address'), col('account', 'Logs in as'), col('type', 'Type'), col('bits', 'Bits'), col('fingerprint', 'Fingerprint'),
          col('comment', 'Comment'), col('file', 'File'), col('weak', 'Weak'), col('hosts', 'Hosts with this key'), col('accounts', 'Accounts with this key'), col('privileged', 'Privileged')],
        rows,
        summary: [
          count('rows', 'authorized keys', rows.length), count('fingerprints', 'distinct keys', distinct(rows.map((r) => r.fingerprint))),
          count('weak', 'weak', rows.filter((r) => r.weak !== null).length), count('onSeveralHosts', 'on several hosts', rows.filter((r) => r.hosts > 1).length),
          count('privileged', 'logging in to a privileged account', rows.filter((r) => r.privileged).length),
        ],
      };
    }
    case 'software': {
      const match = options.name ? globMatcher(options.name) : undefined;
      const installed = (await store.listSoftware()).filter((p) => !match || match(p.name));
      const title = options.name ? `Installed software matching "${options.name}"` : 'Installed software';
      const parameters = { name: options.name ?? null, by: options.by ?? 'host' };
      const summary = [
        count('installations', 'installations', installed.length), count('packages', 'packages', distinct(installed.map((p) => p.name))),
        count('assets', 'assets', distinct(installed.map((p) => p.address))),
      ];
      if (options.by === 'package') {
        const byName = new Map<string, typeof installed>();
        for (const p of installed) {
          const list = byName.get(p.name);
          if (list) list.push(p);
          else byName.set(p.name, [p]);
        }
        const rows = [...byName].map(([name, list]) => ({
          package: name, hosts: distinct(list.map((p) => p.address)),
          versions: [...new Set(list.map((p) => p.version))].sort(), managers: [...new Set(list.map((p) => p.manager))].sort(),
        })).sort((x, y) => y.hosts - x.hosts || x.package.localeCompare(y.package));
        return {
          ...base, title: `${title}, by package`, parameters, summary, rows,
          description: 'Packages from the latest credentialed enumeration of each asset: one row per package, with how many hosts have it and in which versions.',
          columns: [col('package', 'Package'), col('hosts', 'Hosts'), col('versions', 'Versions'), col('managers', 'Manager')],
        };
      }
      const rows = installed
        .map((p) => ({ asset: hostOf.get(p.address) || null, address: p.address, package: p.name, version: p.version, arch: p.arch, manager: p.manager, scan: p.scanId }))
        .sort((x, y) => x.package.localeCompare(y.package) || x.address.localeCompare(y.address));
      return {
        ...base, title, parameters, summary,
        description: 'Packages from the latest credentialed enumeration of each asset.',
        columns: [col('package', 'Package'), col('version', 'Version'), col('arch', 'Arch'), col('manager', 'Manager'), col('asset', 'Asset'), col('address', 'Address'), col('scan', 'Scan')],
        rows,
      };
    }
    case 'dependencies': {
      const [facts, accounts] = await Promise.all([store.latestFacts('dependencies'), store.listAccounts()]);
      const accountOf = new Map(accounts.filter((a) => a.kind === 'local').map((a) => [`${a.address}\0${a.name}`, a]));
      const rows = facts.flatMap(({ address, scanId, value }) => ((value as { entries?: RunEntry[] }).entries ?? []).map((e) => {
        const a = accountOf.get(`${address}\0${e.account}`);
        return {
          asset: hostOf.get(address) || null, address, account: e.account, kind: e.kind, name: e.name, schedule: e.schedule ?? null,
          command: e.command, source: e.source, accountListed: a !== undefined, privileged: a?.privileged ?? null, scan: scanId,
        };
      })).sort((x, y) => x.address.localeCompare(y.address) || x.account.localeCompare(y.account) || x.kind.localeCompare(y.kind) || x.name.localeCompare(y.name));
      const accountsIn = (list: typeof rows) => distinct(list.map((r) => `${r.address}\0${r.account}`));
      return {
        ...base, title: 'Accounts that run services and jobs', parameters: {},
        description: 'Which account runs each systemd service (User=, Group=, DynamicUser=), cron job and at job, from the latest SSH '
          + 'enumeration of each asset: what to check before an account\'s password is rotated or the account disabled.',
        columns: [col('asset', 'Asset'), col('address', 'Address'), col('account', 'Account'), col('kind', 'Kind'), col('name', 'Name'),
          col('schedule', 'Schedule'), col('command', 'Command'), col('source', 'Source'), col('accountListed', 'Account listed'),
          col('privileged', 'Privileged'), col('scan', 'Scan')],
        rows,
        summary: [
          count('rows', 'services and jobs', rows.length), count('accounts', 'accounts running them', accountsIn(rows)),
          count('assets', 'assets', distinct(rows.map((r) => r.address))),
          ...RUN_KINDS.map((k) => count(k, { service: 'services', cron: 'cron jobs', at: 'at jobs' }[k], rows.filter((r) => r.kind === k).length)),
          count('privileged', 'privileged accounts running them', accountsIn(rows.filter((r) => r.privileged === true))),
          count('unlisted', 'run by an account not in the account list (DynamicUser=, or missing)', rows.filter((r) => !r.accountListed).length),
        ],
      };
    }
  }
}
