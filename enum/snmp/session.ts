/**
 * An SNMP session to one agent from an snmp credential (net-snmp's client over UDP): v2c with a community, or
 * SNMPv3 USM (RFC 3414) with authNoPriv or authPriv. Requests are promises; every failure becomes a ProbeError whose
 * message is surveyor's own words, never net-snmp's text (some of it quotes the community).
 */
import { isIPv6 } from 'node:net';
import snmp from 'net-snmp';
import { ProbeError } from '../../probes/core/outcome.js';
import type { SnmpSecurity } from '../../vault/snmp.js';
import type { SnmpAuthProtocol, SnmpPrivProtocol } from '../../vault/snmp-protocols.js';

export interface SnmpTransportOptions {
  readonly address: string;
  /** @default 161 */
  readonly port?: number;
  /** How long to wait for the answer to one request before sending it again, in ms. @default 1500 */
  readonly timeoutMs?: number;
  /** How many times an unanswered request is sent again. @default 1 */
  readonly retries?: number;
}

export const SNMP_DEFAULTS = { port: 161, timeoutMs: 1500, retries: 1 } as const;

/** A variable binding as the agent sent it; `type` is net-snmp's ObjectType (ASN.1 tag). */
export interface Varbind {
  readonly oid: string;
  readonly type: number;
  readonly value: unknown;
}

const AUTH: Readonly<Record<SnmpAuthProtocol, snmp.AuthProtocols>> = {
  md5: snmp.AuthProtocols.md5, sha: snmp.AuthProtocols.sha, sha224: snmp.AuthProtocols.sha224,
  sha256: snmp.AuthProtocols.sha256, sha384: snmp.AuthProtocols.sha384, sha512: snmp.AuthProtocols.sha512,
};
const PRIV: Readonly<Record<SnmpPrivProtocol, snmp.PrivProtocols>> = {
  des: snmp.PrivProtocols.des, aes: snmp.PrivProtocols.aes, aes256b: snmp.PrivProtocols.aes256b, aes256r: snmp.PrivProtocols.aes256r,
};

/**
 * The USM reports an agent sends instead of an answer (RFC 3414 3.2, the usmStats counters of 5), by the name
 * net-snmp gives them, with the status and the words surveyor reports.
 */
const USM_REPORTS: ReadonlyArray<{ prefix: string; status: ProbeError['status']; why: string }> = [
  { prefix: 'Wrong Digest', status: 'auth-failed', why: 'the agent reported a wrong digest (usmStatsWrongDigests): the authentication passphrase or protocol is wrong' },
  { prefix: 'Unknown User', status: 'auth-failed', why: 'the agent does not know this user (usmStatsUnknownUserNames)' },
  { prefix: 'Decryption Error', status: 'auth-failed', why: 'the agent could not decrypt the request (usmStatsDecryptionErrors): the privacy passphrase or protocol is wrong' },
  { prefix: 'Unsupported Security Level', status: 'unsupported', why: 'the user is not configured for this security level (usmStatsUnsupportedSecLevels)' },
  { prefix: 'Not In Time Window', status: 'protocol-error', why: 'the agent reported the request outside its time window (usmStatsNotInTimeWindows)' },
  { prefix: 'Unknown Engine ID', status: 'protocol-error', why: 'the agent reported an unknown engine ID (usmStatsUnknownEngineIDs)' },
];

/** net-snmp 3.29's ResponseInvalidCode.ENotInTimeWindow, which its type definitions lack. */
const E_NOT_IN_TIME_WINDOW = 14;

/** The status and surveyor's own message for an error net-snmp reported. */
export function snmpFailure(err: unknown, o: SnmpTransportOptions): ProbeError {
  const e = err as { name?: string; code?: number; status?: number; message?: string };
  const port = o.port ?? SNMP_DEFAULTS.port;
  switch (e?.name) {
    case 'RequestTimedOutError': {
      const attempts = (o.retries ?? SNMP_DEFAULTS.retries) + 1;
      return new ProbeError('timeout', `no answer on udp/${port} (${attempts} attempt${attempts > 1 ? 's' : ''} of ${o.timeoutMs ?? SNMP_DEFAULTS.timeoutMs} ms)`);
    }
    case 'ResponseInvalidError': {
      if (e.code === snmp.ResponseInvalidCode.EAuthFailure) {
        const report = USM_REPORTS.find((r) => String(e.message).startsWith(r.prefix));
        return new ProbeError(report?.status ?? 'protocol-error', report?.why ?? 'the agent sent an unexpected report');
      }
      if (e.code === snmp.ResponseInvalidCode.ECouldNotDecrypt) return new ProbeError('auth-failed', 'an answer could not be decrypted: the privacy passphrase or protocol is wrong');
      if (e.code === E_NOT_IN_TIME_WINDOW) return new ProbeError('protocol-error', 'an answer was outside the agent\'s time window (RFC 3414 3.2 step 7)');
      return new ProbeError('protocol-error', `the agent's answer was not valid (${snmp.ResponseInvalidCode[e.code as number] ?? 'unknown'})`);
    }
    case 'RequestFailedError':
      return new ProbeError(e.status === snmp.ErrorStatus.AuthorizationError || e.status === snmp.ErrorStatus.NoAccess ? 'access-denied' : 'protocol-error',
        `the agent answered with error-status ${snmp.ErrorStatus[e.status as number] ?? e.status}`);
    default: {
      const code = (err as NodeJS.ErrnoException)?.code;
      return new ProbeError('protocol-error', `the request failed (${typeof code === 'string' ? code : e?.name ?? 'error'})`);
    }
  }
}

export class SnmpSession {
  /** Datagrams that could not be parsed (from a broken or hostile agent); they are dropped. */
  malformed = 0;

  private constructor(private readonly session: snmp.Session, readonly options: SnmpTransportOptions, readonly version: SnmpSecurity['version']) {
    // net-snmp emits 'error' for a datagram it cannot parse; with no listener that would end the process.
    session.on('error', () => this.malformed++);
  }

  static open(security: SnmpSecurity, o: SnmpTransportOptions): SnmpSession {
    const common = {
      port: o.port ?? SNMP_DEFAULTS.port, timeout: o.timeoutMs ?? SNMP_DEFAULTS.timeoutMs, retries: o.retries ?? SNMP_DEFAULTS.retries,
      transport: isIPv6(o.address) ? 'udp6' as const : 'udp4' as const,
    };
    if (security.version === '2c') {
      return new SnmpSession(snmp.createSession(o.address, security.community.reveal(), { ...common, version: snmp.Version2c }), o, '2c');
    }
    const user: snmp.User = {
      name: security.user,
      level: security.priv ? snmp.SecurityLevel.authPriv : snmp.SecurityLevel.authNoPriv,
      authProtocol: AUTH[security.auth], authKey: security.authKey.reveal(),
      ...(security.priv ? { privProtocol: PRIV[security.priv], privKey: security.privKey!.reveal() } : {}),
    };
    return new SnmpSession(snmp.createV3Session(o.address, user, common), o, '3');
  }

  /** GetRequest (RFC 3416 4.2.1): one varbind per OID, absent ones with a noSuchObject/noSuchInstance type. */
  get(oids: readonly string[]): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      this.session.get([...oids], (err, varbinds) => (err ? reject(snmpFailure(err, this.options)) : resolve((varbinds ?? []) as Varbind[])));
    });
  }

  /**
   * GetBulkRequest (RFC 3416 4.2.3) with no non-repeaters: for each OID, up to `maxRepetitions` varbinds that follow
   * it, as the agent chose them (checked by the walker, not here).
   */
  getBulk(oids: readonly string[], maxRepetitions: number): Promise<Varbind[][]> {
    return new Promise((resolve, reject) => {
      this.session.getBulk([...oids], 0, maxRepetitions, (err, varbinds) => {
        if (err) return reject(snmpFailure(err, this.options));
        resolve(((varbinds ?? []) as Array<snmp.Varbind | snmp.Varbind[]>).map((v) => (Array.isArray(v) ? v : [v]) as Varbind[]));
      });
    });
  }

  /**
   * SNMPv3: the authoritative engine ID the agent gave in discovery (RFC 3414 4), which keys every authenticated
   * answer after it; undefined before the first answer and for v2c. (net-snmp keeps it on the session, untyped.)
   */
  get discoveredEngineId(): Buffer | undefined {
    const id = (this.session as unknown as { msgSecurityParameters?: { msgAuthoritativeEngineID?: unknown } }).msgSecurityParameters?.msgAuthoritativeEngineID;
    return Buffer.isBuffer(id) && id.length ? id : undefined;
  }

  close(): void {
    try {
      this.session.close();
    } catch {
      // already closed
    }
  }
}

/** Whether a varbind carries no value: noSuchObject, noSuchInstance or endOfMibView (RFC 3416 3). */
export function isException(vb: Varbind): boolean {
  return snmp.isVarbindError(vb as snmp.Varbind);
}
