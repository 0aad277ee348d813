/**
 * Scan credentials: what is stored in clear (name, type, user, scope) and what is sealed (password, private key,
 * passphrase). Database credentials (mysql, postgres, mssql) are a login name and a password. Secrets travel
 * inside `Secret`, which prints as `[secret]` everywhere (logs, JSON, inspect) so a
 * stray console.log or error context cannot leak one.
 */
import { inspect } from 'node:util';
import { badToken, InputError } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';
import { intervalsOf, parseToken } from '../scanner/targets/parse.js';
import { open, seal } from './cipher.js';
import type { VaultKey } from './key.js';
import type { SnmpAuthLabel } from './snmp-protocols.js';

/** ssh, ldap and snmp, and the database logins: mysql (MySQL and MariaDB), postgres, mssql (SQL authentication). */
export const CREDENTIAL_TYPES = ['ssh', 'ldap', 'snmp', 'mysql', 'postgres', 'mssql'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [inspect.custom](): string {
    return '[secret]';
  }
}

export interface Secrets {
  /** The password; for snmp, the v2c community or the SNMPv3 authentication passphrase. */
  readonly password?: Secret;
  readonly privateKey?: Secret;
  readonly passphrase?: Secret;
  /** snmp: the SNMPv3 privacy passphrase. */
  readonly privacy?: Secret;
}

/** A credential as the store keeps it: everything but the secrets in clear. */
export interface StoredCredential {
  readonly name: string;
  readonly type: CredentialType;
  readonly username: string;
  /** ssh and ldap: `password` or `key`; snmp: `community` (v2c) or the SNMPv3 protocols (`sha256/aes`). */
  readonly auth: 'password' | 'key' | SnmpAuthLabel;
  readonly elevate: 'sudo' | null;
  /** CIDR blocks, ranges or addresses this credential may be sent to; `any` for every target. */
  readonly scope: readonly string[];
  readonly keyId: string;
  readonly sealed: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Credential extends Omit<StoredCredential, 'sealed'> {
  readonly secrets: Secrets;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function validateName(name: string | undefined): string {
  if (name === undefined || name === '') throw new InputError('a credential needs --name NAME');
  if (!NAME.test(name)) throw badToken('credential name', name, 'use letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)');
  return name;
}

function aad(c: Pick<StoredCredential, 'name' | 'type' | 'username'>): string {
  return `surveyor credential\0${c.name}\0${c.type}\0${c.username}`;
}

export function sealSecrets(key: VaultKey, c: Pick<StoredCredential, 'name' | 'type' | 'username'>, secrets: Secrets): string {
  const plain = JSON.stringify({
    password: secrets.password?.reveal(), privateKey: secrets.privateKey?.reveal(), passphrase: secrets.passphrase?.reveal(),
    privacy: secrets.privacy?.reveal(),
  });
  return seal(key.key, Buffer.from(plain, 'utf8'), aad(c));
}

export function openCredential(key: VaultKey, stored: StoredCredential): Credential {
  if (stored.keyId !== key.id) {
    throw new InputError(`credential "${stored.name}" was sealed with another vault key than the one from ${key.origin}`);
  }
  const plain = open(key.key, stored.sealed, aad(stored));
  if (!plain) throw new InputError(`credential "${stored.name}" cannot be opened: its sealed secret was altered or moved`);
  const raw = JSON.parse(plain.toString('utf8')) as Record<string, string | undefined>;
  const wrap = (v: string | undefined) => (v === undefined ? undefined : new Secret(v));
  const { sealed: _sealed, ...clear } = stored;
  return { ...clear, secrets: { password: wrap(raw.password), privateKey: wrap(raw.privateKey), passphrase: wrap(raw.passphrase), privacy: wrap(raw.privacy) } };
}

/** A credential's scope: address blocks it may be sent to. Host names are refused: they can move. */
export class Scope {
  private constructor(private readonly blocks: ReadonlyArray<{ family: 4 | 6; lo: bigint; hi: bigint }> | 'any') {}

  static parse(tokens: readonly string[]): Scope {
    if (tokens.length === 0) {
      throw new InputError('a credential needs --scope CIDR,... (the networks it may be sent to, e.g. --scope 10.1.0.0/16; "any" for every target)');
    }
    if (tokens.length === 1 && tokens[0] === 'any') return new Scope('any');
    return new Scope(tokens.flatMap((token) => {
      if (token === 'any') throw badToken('scope', token, '"any" cannot be combined with other blocks');
      const spec = parseToken(token, undefined, 'scope');
      if (spec.kind === 'name') throw badToken('scope', token, 'a scope holds addresses, CIDR blocks or ranges, not host names');
      return intervalsOf(spec).map((r) => ({ family: spec.family, lo: r.lo, hi: r.hi }));
    }));
  }

  contains(address: string): boolean {
    if (this.blocks === 'any') return true;
    const parsed = parseAddress(address);
    if (!parsed.ok) return false;
    const { family, value } = parsed.address;
    return this.blocks.some((b) => b.family === family && value >= b.lo && value <= b.hi);
  }
}
