/**
 * `creds add --type snmp`: a v2c community (--community-stdin), or an SNMPv3 user with its protocols and
 * passphrases (--username, --auth, --auth-stdin, --priv, --priv-stdin). Every refusal names the option and comes
 * before any secret is read.
 */
import { InputError } from '../scanner/errors.js';
import { Secret, Secrets } from '../vault/credentials.js';
import { SNMP_AUTH_PROTOCOLS, SNMP_PRIV_PROTOCOLS, snmpAuthLabel, SnmpAuthLabel } from '../vault/snmp-protocols.js';
import { choiceOption } from './args.js';
import { readSecret, readSecrets } from './secrets-input.js';

/** The options of `creds add` this reads. */
export interface SnmpOptionValues {
  readonly username?: string;
  readonly 'community-stdin'?: boolean;
  readonly auth?: string;
  readonly 'auth-stdin'?: boolean;
  readonly priv?: string;
  readonly 'priv-stdin'?: boolean;
}

/** The options only an snmp credential takes, for refusing them on the other types. */
export const SNMP_ONLY_OPTIONS = ['community-stdin', 'auth', 'auth-stdin', 'priv', 'priv-stdin'] as const;

/** RFC 3414 11.2 asks for passphrases of at least 8 characters; net-snmp's agent refuses shorter ones. */
const MIN_PASSPHRASE_CHARS = 8;

export interface SnmpCredentialInput {
  /** The SNMPv3 user; empty for a v2c community. */
  readonly username: string;
  readonly auth: SnmpAuthLabel;
  readonly secrets: Secrets;
}

export async function snmpCredentialInput(v: SnmpOptionValues): Promise<SnmpCredentialInput> {
  const v3 = v.username !== undefined || v.auth !== undefined || v['auth-stdin'] === true || v.priv !== undefined || v['priv-stdin'] === true;
  if (v['community-stdin']) {
    if (v3) throw new InputError('creds add: --community-stdin (SNMPv2c) cannot be combined with --username, --auth or --priv (SNMPv3)');
    return { username: '', auth: 'community', secrets: { password: new Secret(await readSecret('community')) } };
  }
  if (!v3) throw new InputError('creds add: an snmp credential needs --community-stdin (SNMPv2c) or --username USER --auth PROTOCOL --auth-stdin (SNMPv3)');
  // RFC 3414 2.5.1 usmUserName: an SnmpAdminString of 1 to 32 octets.
  if (!v.username || Buffer.byteLength(v.username) > 32 || /[\x00-\x1f]/.test(v.username) || v.username.trim() !== v.username) {
    throw new InputError(`creds add: an SNMPv3 credential needs --username USER (1 to 32 bytes, no control characters or blanks at an end)${v.username ? `, not "${v.username}"` : ''}`);
  }
  if (v.auth === undefined) {
    throw new InputError(`creds add: ${v.priv !== undefined ? '--priv needs --auth (SNMPv3 has no privacy without authentication, RFC 3414 3.1.1): ' : 'an SNMPv3 credential needs '}--auth ${SNMP_AUTH_PROTOCOLS.join('|')}`);
  }
  const auth = choiceOption('auth', v.auth, SNMP_AUTH_PROTOCOLS, 'sha256');
  if (!v['auth-stdin']) throw new InputError('creds add: --auth goes with --auth-stdin (the authentication passphrase, read from standard input)');
  if (v['priv-stdin'] && v.priv === undefined) throw new InputError(`creds add: --priv-stdin goes with --priv ${SNMP_PRIV_PROTOCOLS.join('|')}`);
  const priv = v.priv === undefined ? undefined : choiceOption('priv', v.priv, SNMP_PRIV_PROTOCOLS, 'aes');
  if (priv !== undefined && !v['priv-stdin']) throw new InputError('creds add: --priv goes with --priv-stdin (the privacy passphrase: the second line of standard input)');
  const whats = priv ? ['authentication passphrase', 'privacy passphrase'] : ['authentication passphrase'];
  const values = await readSecrets(whats);
  values.forEach((value, i) => {
    if ([...value].length < MIN_PASSPHRASE_CHARS) throw new InputError(`creds add: the ${whats[i]} is shorter than ${MIN_PASSPHRASE_CHARS} characters, which SNMPv3 agents refuse (RFC 3414 11.2)`);
  });
  return {
    username: v.username, auth: snmpAuthLabel(auth, priv),
    secrets: { password: new Secret(values[0]!), ...(values[1] !== undefined ? { privacy: new Secret(values[1]) } : {}) },
  };
}
