/**
 * The fields a Smart Rule selects on, with their types. A type decides the operators a condition may use on the
 * field and how its value is read; the README's field table is this list.
 */

export const FIELD_TYPES = ['string', 'number', 'boolean', 'address', 'version', 'time', 'strings', 'numbers'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldSpec {
  readonly type: FieldType;
  readonly description: string;
}

export const ASSET_FIELDS: Readonly<Record<string, FieldSpec>> = {
  address: { type: 'address', description: 'the asset\'s address' },
  hostname: { type: 'strings', description: 'every name the asset is known by' },
  domain: { type: 'string', description: 'the AD/DNS domain a probe or the directory reported' },
  'os.family': { type: 'string', description: 'OS family (Linux, Windows, ...)' },
  'os.name': { type: 'string', description: 'OS name (Debian GNU/Linux, Windows Server 2019 Standard, ...)' },
  'os.version': { type: 'version', description: 'OS version' },
  deviceType: { type: 'string', description: 'device type from the fingerprint or an SNMP agent (general purpose, network device, router, switch, firewall, printer, ...)' },
  port: { type: 'numbers', description: 'open TCP ports' },
  service: { type: 'strings', description: 'identified services on open ports (ssh, ldap, smb, ...)' },
  product: { type: 'strings', description: 'identified products (OpenSSH, nginx, ...)' },
  software: { type: 'strings', description: 'installed package names (from a credentialed enumeration)' },
  group: { type: 'strings', description: 'smart groups the asset was put in' },
  tag: { type: 'strings', description: 'tags rules gave the asset' },
  firstSeen: { type: 'time', description: 'when a scan first saw the asset' },
  lastSeen: { type: 'time', description: 'when a scan last saw the asset' },
  scanned: { type: 'boolean', description: 'false while known only from a directory' },
};

export const ACCOUNT_FIELDS: Readonly<Record<string, FieldSpec>> = {
  name: { type: 'string', description: 'account name (sAMAccountName, uid, user name; an SSH key: the account it logs in as)' },
  kind: { type: 'string', description: 'local, domain, ssh-key or database' },
  privileged: { type: 'boolean', description: 'uid 0, admin group, sudo rights, privileged directory group, ...' },
  reason: { type: 'strings', description: 'why the account is privileged, one entry per reason' },
  enabled: { type: 'boolean', description: 'the account can log on (not locked, disabled or expired)' },
  uid: { type: 'string', description: 'uid, or SID for domain accounts and MSSQL logins, or a PostgreSQL role\'s oid' },
  lastLogon: { type: 'time', description: 'last logon (absent when the account never logged on or nobody knows)' },
  neverLoggedOn: { type: 'boolean', description: 'true: the source recorded that the account never logged on; false: a logon time is known; absent: unknown' },
  passwordLastSet: { type: 'time', description: 'when the password was last set' },
  neverExpires: { type: 'boolean', description: 'the password never expires' },
  groups: { type: 'strings', description: 'groups the account belongs to, nested ones included' },
  adminCount: { type: 'number', description: 'AD adminCount (1: protected by AdminSDHolder)' },
  hasSpn: { type: 'boolean', description: 'AD: the account has a servicePrincipalName (kerberoastable)' },
  passwordNotRequired: { type: 'boolean', description: 'AD: PASSWD_NOTREQD' },
  smartcardRequired: { type: 'boolean', description: 'AD: SMARTCARD_REQUIRED' },
  'key.type': { type: 'string', description: 'SSH key type (ssh-rsa, ssh-ed25519, ...)' },
  'key.bits': { type: 'number', description: 'SSH key size in bits' },
  services: { type: 'number', description: 'systemd services that run as the account (User=, or DynamicUser=); absent where they were not read' },
  cronJobs: { type: 'number', description: 'cron jobs that run as the account (system crontabs, /etc/cron.d, its own crontab)' },
  atJobs: { type: 'number', description: 'at jobs queued by the account' },
  group: { type: 'strings', description: 'smart groups the account was put in' },
  tag: { type: 'strings', description: 'tags rules gave the account' },
  firstSeen: { type: 'time', description: 'when an enumeration first saw the account' },
  lastSeen: { type: 'time', description: 'when an enumeration last saw the account' },
  'database.product': { type: 'string', description: 'database accounts: the instance\'s product (MariaDB, MySQL, PostgreSQL, Microsoft SQL Server ...)' },
  'database.version': { type: 'version', description: 'database accounts: the instance\'s version, as its login reported it' },
  'database.port': { type: 'number', description: 'database accounts: the port the instance listens on' },
  'database.privileges': { type: 'strings', description: 'database accounts: privileges and attributes it holds itself (SUPER, FILE, SUPERUSER, CREATEROLE, CONTROL SERVER ...)' },
  'database.roles': { type: 'strings', description: 'database accounts: roles it is in, nested ones included (pg_read_all_data, sysadmin ...)' },
  'database.login': { type: 'boolean', description: 'database accounts: it can log in (false: a PostgreSQL NOLOGIN role)' },
  'database.locked': { type: 'boolean', description: 'database accounts: locked or disabled by the server' },
  'database.passwordExpired': { type: 'boolean', description: 'database accounts: the password has expired (PostgreSQL: VALID UNTIL has passed)' },
  'database.passwordExpires': { type: 'time', description: 'database accounts: when the password expires (absent: never, or unknown)' },
  'database.host': { type: 'string', description: 'MySQL/MariaDB accounts: the host part of user@host' },
  'database.anyHost': { type: 'boolean', description: 'MySQL/MariaDB accounts: the account is for any host (host = \'%\')' },
  'database.anonymous': { type: 'boolean', description: 'MySQL/MariaDB accounts: the anonymous account (empty user name)' },
  'database.plugin': { type: 'string', description: 'MySQL/MariaDB accounts: the authentication plugin' },
  'database.type': { type: 'string', description: 'MSSQL logins: SQL login, Windows login, Windows group, ...' },
};

/**
 * Asset fields named by a prefix and a name: `software.NAME` is the installed version of package NAME,
 * `product.NAME` the version of product NAME on any open port (absent: the field does not exist).
 */
export const PARAMETRIC_ASSET_FIELDS: Readonly<Record<string, FieldSpec>> = {
  'software.': { type: 'version', description: 'installed version of the package named after the dot (software.openssh-server)' },
  'product.': { type: 'version', description: 'version of the product named after the dot on any open port (product.OpenSSH)' },
};

function assetField(name: string): FieldSpec | undefined {
  const plain = ASSET_FIELDS[name];
  if (plain) return plain;
  const prefix = Object.keys(PARAMETRIC_ASSET_FIELDS).find((p) => name.startsWith(p) && name.length > p.length);
  return prefix ? PARAMETRIC_ASSET_FIELDS[prefix] : undefined;
}

/** The field of `kind`, including an account rule's `asset.*` fields. */
export function fieldSpec(kind: 'asset' | 'account', name: string): FieldSpec | undefined {
  if (kind === 'asset') return assetField(name);
  if (name.startsWith('asset.')) return assetField(name.slice(6));
  return ACCOUNT_FIELDS[name];
}

export function fieldNames(kind: 'asset' | 'account'): string[] {
  return kind === 'asset' ? Object.keys(ASSET_FIELDS) : [...Object.keys(ACCOUNT_FIELDS), ...Object.keys(ASSET_FIELDS).map((f) => `asset.${f}`)];
}

/** Operators each type accepts, with the kind of value each needs. */
export type ValueShape = 'none' | 'scalar' | 'list' | 'regex' | 'glob' | 'cidr' | 'days' | 'version' | 'boolean' | 'number';

export const OPERATORS: Readonly<Record<FieldType, Readonly<Record<string, ValueShape>>>> = {
  string: { eq: 'scalar', ne: 'scalar', in: 'list', notIn: 'list', matches: 'regex', glob: 'glob', contains: 'scalar', startsWith: 'scalar', endsWith: 'scalar', exists: 'none' },
  number: { eq: 'number', ne: 'number', gt: 'number', gte: 'number', lt: 'number', lte: 'number', in: 'list', exists: 'none' },
  boolean: { eq: 'boolean', exists: 'none' },
  address: { eq: 'scalar', in: 'list', inCidr: 'cidr', notInCidr: 'cidr', exists: 'none' },
  version: { eq: 'version', versionLt: 'version', versionLte: 'version', versionGt: 'version', versionGte: 'version', exists: 'none' },
  time: { olderThanDays: 'days', newerThanDays: 'days', exists: 'none' },
  strings: { contains: 'scalar', containsAny: 'list', containsAll: 'list', matches: 'regex', glob: 'glob', empty: 'none', exists: 'none' },
  numbers: { contains: 'number', containsAny: 'list', empty: 'none', exists: 'none' },
};
