/**
 * The auditors' reports, as data: a title, columns and rows, with the time of the data and the scans it came from.
 * `report-render.ts` turns one into a table, CSV, JSON or a self-contained HTML page.
 */
import type { AccountView } from '../model/account.js';
import type { ScanRecord, Store } from '../store/store.js';
import { DAY_MS } from '../onboarding/evaluate.js';
import { globMatcher } from '../onboarding/patterns.js';

export const REPORTS = ['unmanaged', 'managed', 'stale', 'ssh-keys', 'software'] as const;
export type ReportName = (typeof REPORTS)[number];

export type Cell = string | number | boolean | null;

export interface Report {
  readonly name: ReportName;
  readonly title: string;
  readonly description: string;
  readonly columns: ReadonlyArray<{ readonly key: string; readonly label: string }>;
  readonly rows: ReadonlyArray<Readonly<Record<string, Cell>>>;
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
  readonly now?: Date;
}


function ageDays(at: string | null, now: number): number | null {
  if (!at) return null;
  const t = Date.parse(at);
  return Number.isNaN(t) ? null : Math.floor((now - t) / DAY_MS);
}

const col = (key: string, label: string) => ({ key, label });

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
      const rows = accounts.filter((a) => !isManaged.has(a.id)).map((a) => ({
        ...accountRow(a), privilegedBecause: a.reasons.join('; '), enabled: a.enabled, lastLogon: a.lastLogon,
        passwordAgeDays: ageDays(a.passwordLastSet, t), firstSeen: a.firstSeen, lastSeen: a.lastSeen,
        foundBy: `${a.method} with credential ${a.credential ?? '-'} (${a.source})`,
        excludedBy: exclusionOf.get(`account:${a.id}`) ?? exclusionOf.get(`asset:${a.assetId}`) ?? null,
      }));
      return {
        ...base, title: 'Unmanaged privileged accounts', parameters: {},
        description: 'Privileged accounts the latest enumeration of their asset saw that are not onboarded into a workgroup.',
        columns: [col('asset', 'Asset'), col('address', 'Address'), col('account', 'Account'), col('kind', 'Kind'), col('uid', 'UID/SID'),
          col('privilegedBecause', 'Why privileged'), col('enabled', 'Enabled'), col('lastLogon', 'Last logon'), col('passwordAgeDays', 'Password age (days)'),
          col('firstSeen', 'First seen'), col('lastSeen', 'Last seen'), col('foundBy', 'Found by'), col('excludedBy', 'Excluded by')],
        rows,
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
      };
    }
    case 'stale': {
      const days = options.days ?? 90;
      const [accounts, managed] = await Promise.all([store.listAccounts(), store.listManaged()]);
      const isManaged = new Set(managed.map((m) => m.accountId));
      const rows = accounts
        .filter((a) => a.kind !== 'ssh-key')
        .map((a) => ({ a, age: ageDays(a.lastLogon, t) }))
        // No recorded logon counts for accounts that could log on: enabled, and (local ones) with a login shell.
        .filter(({ a, age }) => (age === null ? a.enabled === true && a.details.loginShell !== false : age > days))
        .sort((x, y) => Number(y.a.privileged) - Number(x.a.privileged) || (y.age ?? Infinity) - (x.age ?? Infinity))
        .map(({ a, age }) => ({
          ...accountRow(a), privileged: a.privileged, lastLogon: a.lastLogon ?? 'never', daysSinceLogon: age, enabled: a.enabled, managed: isManaged.has(a.id),
        }));
      return {
        ...base, title: `Stale accounts (no logon for ${days} days)`, parameters: { days },
        description: `Accounts whose last logon is more than ${days} days old, and enabled accounts that can log on with no recorded logon; privileged first.`,
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
      };
    }
    case 'software': {
      const match = options.name ? globMatcher(options.name) : undefined;
      const rows = (await store.listSoftware())
        .filter((p) => !match || match(p.name))
        .map((p) => ({ asset: hostOf.get(p.address) || null, address: p.address, package: p.name, version: p.version, arch: p.arch, manager: p.manager, scan: p.scanId }))
        .sort((x, y) => x.package.localeCompare(y.package) || x.address.localeCompare(y.address));
      return {
        ...base, title: options.name ? `Installed software matching "${options.name}"` : 'Installed software', parameters: { name: options.name ?? null },
        description: 'Packages from the latest credentialed enumeration of each asset.',
        columns: [col('package', 'Package'), col('version', 'Version'), col('arch', 'Arch'), col('manager', 'Manager'), col('asset', 'Asset'), col('address', 'Address'), col('scan', 'Scan')],
        rows,
      };
    }
  }
}
