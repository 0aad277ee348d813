/** An snmp credential read for use: a v2c community, or an SNMPv3 user with its keys (RFC 3414 USM). */
import { InputError } from '../scanner/errors.js';
import type { Credential, Secret } from './credentials.js';
import { parseSnmpAuthLabel, SnmpAuthProtocol, SnmpPrivProtocol } from './snmp-protocols.js';

export type SnmpSecurity =
  | { readonly version: '2c'; readonly community: Secret }
  | {
    readonly version: '3';
    readonly user: string;
    readonly auth: SnmpAuthProtocol;
    readonly authKey: Secret;
    /** Absent for authNoPriv. */
    readonly priv?: SnmpPrivProtocol;
    readonly privKey?: Secret;
  };

/** The security of a stored snmp credential; a row that does not hold one (altered, or not snmp) is an InputError. */
export function snmpSecurity(c: Credential): SnmpSecurity {
  const protocols = c.type === 'snmp' ? parseSnmpAuthLabel(c.auth) : undefined;
  const bad = () => new InputError(`credential "${c.name}" is not a usable snmp credential (auth "${c.auth}"): add it again with surveyor creds add --type snmp`);
  if (!protocols || !c.secrets.password) throw bad();
  if (protocols.auth === undefined) return { version: '2c', community: c.secrets.password };
  if (!c.username || (protocols.priv !== undefined) !== (c.secrets.privacy !== undefined)) throw bad();
  return { version: '3', user: c.username, auth: protocols.auth, authKey: c.secrets.password, priv: protocols.priv, privKey: c.secrets.privacy };
}
