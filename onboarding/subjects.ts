/**
 * What rules look at: one subject per asset and per current account, built once from the store, and a reader per
 * field. Readers return `undefined` for a value nobody found (an unknown last logon, a host without a name), which
 * every operator except `exists` treats as no match.
 */
import { type AccountView, logonState } from '../model/account.js';
import type { AssetView } from '../model/asset.js';

export interface AssetSubject {
  readonly type: 'asset';
  readonly id: number;
  readonly address: string;
  readonly view: AssetView;
  /** Installed packages (name to version) from the latest credentialed enumeration. */
  readonly software: ReadonlyMap<string, string>;
  /** Smart groups and tags rules gave this subject in the run being evaluated. */
  readonly groups: Set<string>;
  readonly tags: Set<string>;
  /** Values derived from the view, computed on first read. */
  readonly memo: Record<string, unknown>;
}

export interface AccountSubject {
  readonly type: 'account';
  readonly id: number;
  readonly asset: AssetSubject;
  readonly view: AccountView;
  readonly groups: Set<string>;
  readonly tags: Set<string>;
  readonly memo: Record<string, unknown>;
}

export type Subject = AssetSubject | AccountSubject;

export function assetSubject(view: AssetView, software: ReadonlyMap<string, string> = new Map()): AssetSubject {
  return { type: 'asset', id: view.id, address: view.address, view, software, groups: new Set(), tags: new Set(), memo: {} };
}

export function accountSubject(view: AccountView, asset: AssetSubject): AccountSubject {
  return { type: 'account', id: view.id, asset, view, groups: new Set(), tags: new Set(), memo: {} };
}

/** How an account is named in explanations, journals and reports: `127.0.0.4 root (local)`. */
export function accountLabel(address: string, name: string, kind: string, fingerprint?: unknown): string {
  return `${address} ${accountName(name, kind, fingerprint)}`;
}

/** An account on its asset: `root (local)`, `alice key SHA256:... (ssh-key)`. */
export function accountName(name: string, kind: string, fingerprint?: unknown): string {
  return `${name}${kind === 'ssh-key' ? ` key ${String(fingerprint ?? '')}` : ''} (${kind})`;
}

export function subjectLabel(s: Subject): string {
  return s.type === 'asset' ? s.address : accountLabel(s.asset.address, s.view.name, s.view.kind, s.view.details.fingerprint);
}

type Reader<S> = (s: S) => unknown;

/** A derived value of a subject, computed once per run: rules read the same lists many times. */
function memo<S extends Subject>(key: string, compute: (s: S) => unknown): Reader<S> {
  return (s) => (key in s.memo ? s.memo[key] : (s.memo[key] = compute(s)));
}

const openPorts = (v: AssetView) => v.ports.filter((p) => p.state === 'open');
const defined = <T>(list: ReadonlyArray<T | undefined | null>): T[] => list.filter((x): x is T => x !== undefined && x !== null);

export const ASSET_READERS: Readonly<Record<string, Reader<AssetSubject>>> = {
  address: (s) => s.address,
  hostname: (s) => s.view.hostnames,
  domain: (s) => s.view.domain?.name,
  'os.family': (s) => s.view.os?.family ?? (s.view.directory?.[0]?.operatingSystem?.startsWith('Windows') ? 'Windows' : undefined),
  'os.name': (s) => s.view.os?.name ?? s.view.directory?.[0]?.operatingSystem,
  'os.version': (s) => s.view.os?.version ?? s.view.directory?.[0]?.operatingSystemVersion,
  deviceType: (s) => s.view.os?.deviceType,
  port: memo('port', (s) => openPorts(s.view).map((p) => p.port)),
  service: memo('service', (s) => [...new Set(defined(openPorts(s.view).map((p) => p.service?.service)))]),
  product: memo('product', (s) => [...new Set(defined(openPorts(s.view).map((p) => p.service?.product)))]),
  software: memo('software', (s) => [...s.software.keys()]),
  // The live sets: a rule sees the groups and tags of the rules before it.
  group: (s) => s.groups,
  tag: (s) => s.tags,
  firstSeen: (s) => s.view.firstSeen,
  lastSeen: (s) => s.view.lastSeen,
  scanned: (s) => s.view.scanned,
};

const detail = (s: AccountSubject, key: string): unknown => s.view.details[key];
/** What an account runs (`details.runs`, from an SSH enumeration): a count, or undefined where it was not read. */
const runs = (s: AccountSubject, kind: 'services' | 'cronJobs' | 'atJobs'): number | undefined => {
  const value = (s.view.details.runs as Record<string, unknown> | undefined)?.[kind];
  return typeof value === 'number' ? value : undefined;
};
/** A directory flag (`details.flags`, userAccountControl in AD). */
const flag = (s: AccountSubject, name: string): boolean | undefined => {
  const flags = s.view.details.flags as Record<string, unknown> | undefined;
  return typeof flags?.[name] === 'boolean' ? (flags[name] as boolean) : undefined;
};

/** A database account's detail (`database.*` fields): undefined for other kinds and for values of other types. */
const database = (key: string, type: 'string' | 'number' | 'boolean' | 'strings') => (s: AccountSubject): unknown => {
  if (s.view.kind !== 'database') return undefined;
  const d = s.view.details;
  const instance = (d.instance ?? {}) as Record<string, unknown>;
  const v = key in instance && !(key in d) ? instance[key] : d[key];
  if (type === 'strings') return Array.isArray(v) ? v.map(String) : undefined;
  return typeof v === type ? v : undefined;
};

export const ACCOUNT_READERS: Readonly<Record<string, Reader<AccountSubject>>> = {
  name: (s) => s.view.name,
  kind: (s) => s.view.kind,
  privileged: (s) => s.view.privileged,
  reason: (s) => s.view.reasons,
  enabled: (s) => s.view.enabled ?? undefined,
  uid: (s) => s.view.uid ?? undefined,
  lastLogon: (s) => s.view.lastLogon ?? undefined,
  neverLoggedOn: (s) => ({ 'logged-on': false, never: true, unknown: undefined })[logonState(s.view)],
  passwordLastSet: (s) => s.view.passwordLastSet ?? undefined,
  neverExpires: (s) => {
    const d = s.view.details;
    if (s.view.kind === 'domain') return flag(s, 'passwordNeverExpires');
    if (s.view.kind === 'local' && 'passwordMaxDays' in d) return d.passwordMaxDays === null || Number(d.passwordMaxDays) >= 99999;
    return undefined;
  },
  groups: memo('groups', (s) => {
    const direct = detail(s, 'groups');
    const nested = detail(s, 'nestedGroups');
    if (!Array.isArray(direct) && !Array.isArray(nested)) return undefined;
    return [...new Set([...(Array.isArray(direct) ? direct : []), ...(Array.isArray(nested) ? nested : [])].map(String))];
  }),
  adminCount: (s) => (typeof detail(s, 'adminCount') === 'number' ? detail(s, 'adminCount') : undefined),
  hasSpn: (s) => (typeof detail(s, 'hasSpn') === 'boolean' ? detail(s, 'hasSpn') : undefined),
  passwordNotRequired: (s) => flag(s, 'passwordNotRequired'),
  smartcardRequired: (s) => flag(s, 'smartcardRequired'),
  'key.type': (s) => (s.view.kind === 'ssh-key' ? detail(s, 'type') ?? undefined : undefined),
  'key.bits': (s) => (s.view.kind === 'ssh-key' ? detail(s, 'bits') ?? undefined : undefined),
  services: (s) => runs(s, 'services'),
  cronJobs: (s) => runs(s, 'cronJobs'),
  atJobs: (s) => runs(s, 'atJobs'),
  group: (s) => s.groups,
  tag: (s) => s.tags,
  firstSeen: (s) => s.view.firstSeen,
  lastSeen: (s) => s.view.lastSeen,
  'database.product': database('product', 'string'),
  'database.version': database('version', 'string'),
  'database.port': database('port', 'number'),
  'database.privileges': database('privileges', 'strings'),
  'database.roles': database('roles', 'strings'),
  'database.login': database('login', 'boolean'),
  'database.locked': database('locked', 'boolean'),
  'database.passwordExpired': database('passwordExpired', 'boolean'),
  'database.passwordExpires': database('passwordExpires', 'string'),
  'database.host': database('host', 'string'),
  'database.anyHost': database('anyHost', 'boolean'),
  'database.anonymous': database('anonymous', 'boolean'),
  'database.plugin': database('plugin', 'string'),
  'database.type': database('type', 'string'),
};

function assetReader(field: string): Reader<AssetSubject> | undefined {
  const plain = ASSET_READERS[field];
  if (plain) return plain;
  if (field.startsWith('software.')) {
    const name = field.slice(9);
    return (s) => s.software.get(name);
  }
  if (field.startsWith('product.')) {
    const name = field.slice(8).toLowerCase();
    return (s) => openPorts(s.view).find((p) => p.service?.product?.toLowerCase() === name)?.service?.version;
  }
  return undefined;
}

/** The reader of a field the rule checker accepted; `asset.*` reads an account's asset. */
export function readerOf(kind: 'asset' | 'account', field: string): Reader<Subject> {
  if (kind === 'asset') {
    const r = assetReader(field);
    if (r) return r as Reader<Subject>;
  } else if (field.startsWith('asset.')) {
    const r = assetReader(field.slice(6));
    if (r) return (s) => r((s as AccountSubject).asset);
  } else {
    const r = ACCOUNT_READERS[field];
    if (r) return r as Reader<Subject>;
  }
  throw new Error(`no reader for ${kind} field ${field}`);
}
