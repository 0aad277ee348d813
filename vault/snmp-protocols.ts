/**
 * The SNMPv3 protocols an snmp credential may name, and how a credential's `auth` column spells them. The
 * protocols are not secret: they are stored in clear beside the user, as `sha256/aes` (authPriv), `sha256`
 * (authNoPriv) or `community` (v2c).
 */

/**
 * Authentication (RFC 3414 6 HMAC-MD5-96 and 7 HMAC-SHA-96; RFC 7860 4 HMAC-SHA-2: sha224, sha256, sha384, sha512).
 */
export const SNMP_AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type SnmpAuthProtocol = (typeof SNMP_AUTH_PROTOCOLS)[number];

/**
 * Privacy: RFC 3414 8 CBC-DES (weak, for old devices), RFC 3826 AES-128 CFB, and AES-256 CFB with either key
 * extension in use: `aes256b` (the key extension of draft-blumenthal-aes-usm-04; net-snmp's AES-256) and
 * `aes256r` (that of draft-reeder-snmpv3-usm-3desede-00; Cisco's, net-snmp's AES-256-C). The two differ only when the
 * authentication hash is shorter than the 32-byte key (md5, sha).
 */
export const SNMP_PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;
export type SnmpPrivProtocol = (typeof SNMP_PRIV_PROTOCOLS)[number];

/** The `auth` column of an snmp credential. */
export type SnmpAuthLabel = 'community' | SnmpAuthProtocol | `${SnmpAuthProtocol}/${SnmpPrivProtocol}`;

export function snmpAuthLabel(auth?: SnmpAuthProtocol, priv?: SnmpPrivProtocol): SnmpAuthLabel {
  if (auth === undefined) return 'community';
  return priv === undefined ? auth : `${auth}/${priv}`;
}

/** The protocols of a stored `auth` label; undefined when it is not one (an altered row). */
export function parseSnmpAuthLabel(label: string): { auth?: SnmpAuthProtocol; priv?: SnmpPrivProtocol } | undefined {
  if (label === 'community') return {};
  const [auth, priv, extra] = label.split('/');
  if (extra !== undefined || !(SNMP_AUTH_PROTOCOLS as readonly string[]).includes(auth!)) return undefined;
  if (priv !== undefined && !(SNMP_PRIV_PROTOCOLS as readonly string[]).includes(priv)) return undefined;
  return { auth: auth as SnmpAuthProtocol, priv: priv as SnmpPrivProtocol | undefined };
}
