/**
 * Scan credentials: sealing one into the store, removing one, opening the named ones for a scan, and testing one
 * against a host (one SSH connection, the host key checked against its pin, one authentication attempt; or one
 * database login).
 */
import type { Store } from '../store/store.js';
import { hostKeyAlert, openPinnedSession } from '../enum/ssh/enumerate.js';
import { commandLine } from '../enum/ssh/commands.js';
import { createKeyFile, loadKey, MissingKey, missingKeyError, VaultKey } from '../vault/key.js';
import { Credential, CredentialType, openCredential, Scope, sealSecrets, Secrets, StoredCredential } from '../vault/credentials.js';
import { InputError } from '../scanner/errors.js';
import { snmpSecurity } from '../vault/snmp.js';
import { DATABASE_METHODS, DatabaseMethod } from '../enum/db/types.js';
import { enumerateDatabase } from './enumerate-host.js';

export interface NewCredential {
  readonly name: string;
  readonly type: CredentialType;
  /** The SSH user, or the LDAP bind name (a DN, user@domain or DOMAIN\user). */
  readonly username: string;
  readonly secrets: Secrets;
  readonly elevate: 'sudo' | null;
  /** How it authenticates, when the secrets do not say it (snmp: `community` or the SNMPv3 protocols). */
  readonly auth?: StoredCredential['auth'];
  /** Addresses, CIDR blocks and ranges the credential may be sent to (`any`: everywhere). */
  readonly scope: readonly string[];
  /** Overwrite a credential of the same name. @default false */
  readonly replace?: boolean;
  /**
   * The vault key findKey() found, or where to make one: looked up before the store is opened, so a bad key file is
   * refused before anything is written. A key is made only while the store holds no credential.
   */
  readonly key: VaultKey | MissingKey;
}

export interface AddedCredential {
  readonly result: 'added' | 'replaced';
  readonly credential: StoredCredential;
  /** Where the sealing key came from (`SURVEYOR_KEY` or the key file's path). */
  readonly keyOrigin: string;
}

/** Seals a credential's secrets under the vault key and stores it. */
export async function addCredential(store: Store, c: NewCredential): Promise<AddedCredential> {
  const existing = await store.listCredentials();
  let key: VaultKey;
  if ('missing' in c.key) {
    if (existing.length) throw missingKeyError(c.key.missing, existing.length);
    key = createKeyFile(c.key.missing);
  } else key = c.key;
  const foreign = existing.filter((s) => s.keyId !== key.id && s.name !== c.name);
  if (foreign.length) {
    throw new InputError(`the vault key from ${key.origin} is not the one the stored credentials (${foreign.map((s) => s.name).join(', ')}) were sealed with: set SURVEYOR_KEY or SURVEYOR_KEY_FILE to that key`);
  }
  const now = new Date().toISOString();
  const identity = { name: c.name, type: c.type, username: c.username };
  const stored: StoredCredential = {
    ...identity, auth: c.auth ?? (c.secrets.password !== undefined ? 'password' : 'key'), elevate: c.elevate, scope: c.scope, keyId: key.id,
    sealed: sealSecrets(key, identity, c.secrets), createdAt: now, updatedAt: now,
  };
  const result = await store.saveCredential(stored, c.replace === true);
  return { result, credential: stored, keyOrigin: key.origin };
}

/** Removes a stored credential; an unknown name is an InputError. */
export async function removeCredential(store: Store, name: string): Promise<void> {
  if (!(await store.removeCredential(name))) throw new InputError(`creds remove: no credential named "${name}" in ${store.location}`);
}

/** The named credentials opened with the vault key, each with its scope; every unknown name is an InputError. */
export async function openCredentials(store: Store, names: readonly string[]): Promise<Array<{ credential: Credential; scope: Scope }>> {
  if (!names.length) return [];
  const wanted: StoredCredential[] = [];
  for (const name of names) {
    const stored = await store.getCredential(name);
    if (!stored) throw new InputError(`bad --creds "${name}": no such credential in ${store.location} (see surveyor creds list)`);
    wanted.push(stored);
  }
  const key = loadKey({ sealedCount: (await store.listCredentials()).length });
  const opened = wanted.map((stored) => ({ credential: openCredential(key, stored), scope: Scope.parse(stored.scope) }));
  // An snmp credential whose row cannot be read is refused before the scan starts, not on its first host.
  for (const { credential } of opened) if (credential.type === 'snmp') snmpSecurity(credential);
  return opened;
}

export interface CredentialTest {
  readonly name: string;
  readonly address: string;
  /** @default 22 (ssh), 3306 (mysql), 5432 (postgres), 1433 (mssql) */
  readonly port?: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export type CredentialTestResult =
  | { readonly ok: false; readonly port: number; readonly status: string; readonly why: string }
  | { readonly ok: true; readonly port: number; readonly username: string; readonly database: { readonly product: string; readonly version: string } }
  | {
    readonly ok: true;
    readonly port: number;
    readonly username: string;
    readonly hostKey: { readonly type: string; readonly sha256: string };
    /** True when the host key matched an earlier pin; false when it was pinned now (first use). */
    readonly matchedPin: boolean;
    /** Whether `sudo -n` works, for a credential that elevates with sudo. */
    readonly sudo?: boolean;
  };

const DEFAULT_PORTS: Readonly<Record<string, number>> = { ssh: 22, mysql: 3306, postgres: 5432, mssql: 1433 };

/**
 * Connects once with a stored credential and says whether it authenticates: ssh (and whether sudo -n works), or a
 * database login (and the server's product and version). An ldap credential is tested by `directory scan`.
 */
export async function testCredential(store: Store, t: CredentialTest): Promise<CredentialTestResult> {
  const timeoutMs = t.timeoutMs ?? 10_000;
  const [{ credential, scope }] = (await openCredentials(store, [t.name])) as [{ credential: Credential; scope: Scope }];
  if (credential.type === 'snmp') throw new InputError(`creds test: ${t.name} is an snmp credential, and creds test speaks SSH; a scan with --creds ${t.name} asks SNMP (udp/161)`);
  if (credential.type === 'ldap') throw new InputError(`creds test: ${t.name} is an ldap credential; test it with surveyor directory scan ldaps://HOST --creds ${t.name}`);
  const port = t.port ?? DEFAULT_PORTS[credential.type]!;
  if (!scope.contains(t.address)) throw new InputError(`creds test: ${t.address} is outside the scope of credential ${t.name} (${credential.scope.join(',')}); nothing was sent`);
  if ((DATABASE_METHODS as readonly string[]).includes(credential.type)) {
    const record = await enumerateDatabase(credential.type as DatabaseMethod, { address: t.address, port, credential, timeoutMs });
    if (record.status !== 'success') return { ok: false, port, status: record.status, why: record.notes.join('; ') };
    const instance = record.facts.instance?.value as { product: string; version: string };
    return { ok: true, port, username: credential.username, database: { product: instance.product, version: instance.version } };
  }
  const opened = await openPinnedSession({ address: t.address, port, credential, pins: store, timeoutMs });
  if (!opened.session) {
    const err = opened.error!;
    const why = err.status === 'hostkey-changed' ? hostKeyAlert(t.address, port, opened.pinned, opened.changed, err.message) : err.message;
    return { ok: false, port, status: err.status, why };
  }
  const session = opened.session;
  try {
    let sudo: boolean | undefined;
    if (credential.elevate === 'sudo') sudo = (await session.exec(commandLine('true', true), { timeoutMs, maxBytes: 4096 })).code === 0;
    return { ok: true, port, username: credential.username, hostKey: { type: session.hostKey.type, sha256: session.hostKey.sha256 }, matchedPin: opened.pinned !== undefined, sudo };
  } finally {
    session.close();
  }
}
