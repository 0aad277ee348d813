/**
 * One authenticated LDAP connection, secured before any password leaves: LDAPS, or StartTLS on ldap://, with the
 * certificate checked against the system's CAs, a CA file, or a pinned SHA-256 fingerprint. A server that offers
 * no TLS gets no password unless the admin allowed it (--allow-plaintext-bind). The connection is never silently
 * re-opened (ldapts would reconnect unauthenticated and without TLS); every failure is a ProbeError with a status.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Client } from 'ldapts';
import { ProbeError } from '../../probes/core/outcome.js';
import { InputError } from '../../scanner/errors.js';
import type { Credential } from '../../vault/credentials.js';

export interface DirectoryUrl {
  readonly scheme: 'ldap' | 'ldaps';
  /** A host name or an address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** `scheme://host:port` */
  readonly text: string;
}

/** `ldap://host:port`, the host in brackets when it is an IPv6 address. */
export function directoryUrl(scheme: DirectoryUrl['scheme'], host: string, port: number): DirectoryUrl {
  return { scheme, host, port, text: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

/** `ldap[s]://HOST[:PORT][/]`; anything else (a path with a DN, a filter, another scheme) is bad input. */
export function parseDirectoryUrl(text: string): DirectoryUrl {
  const m = /^(ldaps?):\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:[\]]+)(?::(\d{1,5}))?\/?$/i.exec(text.trim());
  if (!m) throw new InputError(`bad directory URL "${text}": expected ldap://HOST[:PORT] or ldaps://HOST[:PORT] (give the base DN with --base)`);
  const scheme = m[1]!.toLowerCase() as 'ldap' | 'ldaps';
  const host = m[2]!.replace(/^\[|\]$/g, '').toLowerCase();
  if (m[2]!.startsWith('[') && isIP(host) !== 6) throw new InputError(`bad directory URL "${text}": "${host}" is not an IPv6 address`);
  const port = m[3] === undefined ? (scheme === 'ldaps' ? 636 : 389) : Number(m[3]);
  if (port < 1 || port > 65535) throw new InputError(`bad directory URL "${text}": port ${port} is out of range 1-65535`);
  return directoryUrl(scheme, host, port);
}

export interface TlsPolicy {
  /** CA certificates to trust instead of the system's (PEM). */
  readonly ca?: Buffer;
  /** SHA-256 of the server certificate as Node prints fingerprint256: trusted whatever its chain and name. */
  readonly pin?: string;
  /** The name the certificate must carry (when the URL holds an address). */
  readonly serverName?: string;
  readonly allowPlaintextBind: boolean;
}

/** Reads the CA file and checks the pin once, up front: both are bad input (exit 2), not a failed enumeration. */
export function tlsPolicy(o: { caFile?: string; caOption?: string; pinSha256?: string; serverName?: string; allowPlaintextBind: boolean }): TlsPolicy {
  return {
    ...(o.caFile !== undefined ? { ca: loadCaFile(o.caFile, o.caOption) } : {}),
    ...(o.pinSha256 !== undefined ? { pin: normalizePin(o.pinSha256) } : {}),
    ...(o.serverName !== undefined ? { serverName: o.serverName } : {}),
    allowPlaintextBind: o.allowPlaintextBind,
  };
}

/** `AB:CD:...` (64 hex digits, colons and case free) as Node prints fingerprint256. */
export function normalizePin(text: string): string {
  const hex = text.replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new InputError(`bad --pin-sha256 "${text}": expected 64 hex digits (colons allowed), as "openssl x509 -noout -fingerprint -sha256" prints them`);
  return hex.match(/../g)!.join(':');
}

/** The PEM certificates of a --ca-file; a file that cannot be read or holds none is bad input. */
export function loadCaFile(path: string, option = '--ca-file'): Buffer {
  let ca: Buffer;
  try {
    ca = readFileSync(path);
  } catch (err) {
    throw new InputError(`bad ${option} "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new InputError(`bad ${option} "${path}": holds no PEM certificate`);
  return ca;
}

export interface TlsSeen {
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly subject: string;
  readonly issuer: string;
  readonly sha256: string;
  readonly validTo: string;
  /** How the certificate was trusted: the system's or the given CAs and the name, or the pin. */
  readonly trustedBy: 'ca' | 'ca-file' | 'pin';
}

export interface DirectoryConnection {
  readonly client: Client;
  readonly url: DirectoryUrl;
  readonly transport: 'ldaps' | 'starttls' | 'plaintext';
  readonly tls?: TlsSeen;
  /** What was said about the connection (plaintext allowed, StartTLS refused...). */
  readonly notes: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly url: DirectoryUrl;
  readonly credential: Credential;
  readonly policy: TlsPolicy;
  readonly timeoutMs: number;
}

function distinguished(name: tls.PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ');
}

/** Certificate problems are named in words; Node's codes are kept in brackets for searching. */
function certificateProblem(err: Error & { code?: string }): string | null {
  const code = err.code ?? '';
  if (err.name === 'PinMismatch') return err.message;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|ISSUER/.test(code)) {
    return `the server's certificate is not trusted: ${err.message} [${code}]`;
  }
  return null;
}

export async function openDirectory(o: OpenOptions): Promise<DirectoryConnection> {
  const { url, policy } = o;
  const password = o.credential.secrets.password?.reveal();
  if (!password) throw new ProbeError('auth-failed', `credential ${o.credential.name} has no password: an empty simple bind would be an anonymous one`);
  const { pin, ca } = policy;
  const serverName = policy.serverName ?? (isIP(url.host) ? undefined : url.host);
  // With a servername, Node checks the certificate against it rather than against the address connected to.
  const tlsOptions: tls.ConnectionOptions = {
    rejectUnauthorized: !pin,
    ...(ca ? { ca } : {}),
    ...(serverName ? { servername: serverName } : {}),
  };
  let seen: TlsSeen | undefined;
  let sockets = 0;
  const once = () => {
    if (++sockets > 1) throw new Error('the connection to the directory was lost (surveyor does not reconnect: a new connection would be unauthenticated)');
  };
  // The pin is checked, and the certificate recorded, before ldapts sees the secure connection: on a mismatch
  // the socket is destroyed with an error instead, so the bind is never written.
  const secure = (socket: tls.TLSSocket): tls.TLSSocket => {
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'secureConnect') {
        const cert = socket.getPeerCertificate();
        const sha256 = cert?.fingerprint256 ?? '';
        if (pin && sha256 !== pin) {
          const err = Object.assign(new Error(`the server's certificate ${sha256 || '(none)'} does not match the pinned ${pin}`), { name: 'PinMismatch' });
          socket.destroy(err);
          return false;
        }
        seen = {
          protocol: socket.getProtocol(), cipher: socket.getCipher()?.name ?? null, subject: distinguished(cert?.subject),
          issuer: distinguished(cert?.issuer), sha256, validTo: cert?.valid_to ?? '', trustedBy: pin ? 'pin' : ca ? 'ca-file' : 'ca',
        };
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
    return socket;
  };
  const client = new Client({
    url: directoryUrl(url.scheme, url.host, url.port).text,
    timeout: o.timeoutMs,
    connectTimeout: o.timeoutMs,
    strictDN: false,
    ...(url.scheme === 'ldaps' ? { tlsOptions } : {}),
    createConnection: ((...args: Parameters<typeof net.connect>) => {
      once();
      return net.connect(...args).setNoDelay(true);
    }) as typeof net.connect,
    createSecureConnection: ((...args: unknown[]) => {
      // ldaps: (port, host, options); StartTLS: (options with the existing socket).
      if (typeof args[0] === 'number') once();
      const options = (typeof args[0] === 'number' ? { ...(args[2] as object), port: args[0], host: args[1] } : { ...tlsOptions, ...(args[0] as object) }) as tls.ConnectionOptions;
      return secure(tls.connect(options));
    }) as typeof tls.connect,
  });
  const notes: string[] = [];
  const fail = async (err: unknown, stage: string): Promise<never> => {
    await client.unbind().catch(() => {});
    throw classify(err, stage, o);
  };
  let transport: DirectoryConnection['transport'] = url.scheme === 'ldaps' ? 'ldaps' : 'starttls';
  if (url.scheme === 'ldap') {
    try {
      await client.startTLS(tlsOptions);
    } catch (err) {
      const e = err as Error & { code?: number | string };
      const offered = typeof e.code === 'number' || /unsupported extended operation|not supported/i.test(e.message ?? '');
      if (!offered || certificateProblem(e as Error & { code?: string })) await fail(err, 'StartTLS');
      if (!policy.allowPlaintextBind) {
        await client.unbind().catch(() => {});
        throw new ProbeError('unsupported', `${url.text} offers no TLS (StartTLS refused: ${e.message.split('\n')[0]}); the password of credential ${o.credential.name} was not sent in clear. Use ldaps://, enable TLS on the server, or allow it with --allow-plaintext-bind`);
      }
      transport = 'plaintext';
      notes.push(`StartTLS refused (${e.message.split('\n')[0]}): bound in clear because --allow-plaintext-bind was given`);
    }
  }
  try {
    await client.bind(o.credential.username, password);
  } catch (err) {
    await fail(err, 'bind');
  }
  return {
    client, url, transport, tls: seen, notes,
    close: () => client.unbind().catch(() => {}),
  };
}

/** Active Directory's reason codes in an invalidCredentials diagnostic ("... data 52e, v4563"). */
const AD_BIND_REASONS: Record<string, string> = {
  '525': 'no such user', '52e': 'wrong password', '530': 'logon not permitted at this time',
  '531': 'logon not permitted from this workstation', '532': 'password expired', '533': 'account disabled',
  '701': 'account expired', '773': 'password must be changed', '775': 'account locked out',
};

/** Turns an ldapts or socket error into a status and a message that names the server and never a secret. */
export function classify(err: unknown, stage: string, o: Pick<OpenOptions, 'url' | 'credential'>): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = err as Error & { code?: number | string };
  const text = (e?.message ?? String(err)).split('\n')[0]!;
  const where = `${o.url.text} (${stage})`;
  const cert = certificateProblem(e as Error & { code?: string });
  if (cert) return new ProbeError('untrusted', `${where}: ${cert}; the password of credential ${o.credential.name} was not sent`);
  if (e?.code === 49) {
    const reason = AD_BIND_REASONS[/data ([0-9a-f]{3})/i.exec(text)?.[1]?.toLowerCase() ?? ''];
    return new ProbeError('auth-failed', `${where}: invalid credentials for ${o.credential.username} (credential ${o.credential.name}${reason ? `: ${reason}` : ''})`);
  }
  if (e?.code === 8 || e?.code === 13) return new ProbeError('unsupported', `${where}: the server requires a stronger connection (${e.code === 8 ? 'strongAuthRequired' : 'confidentialityRequired'}): ${text}`);
  if (e?.code === 48) return new ProbeError('auth-failed', `${where}: the server refuses simple binds for ${o.credential.username} (inappropriateAuthentication)`);
  if (e?.code === 50 || e?.code === 53) return new ProbeError('access-denied', `${where}: ${e.code === 50 ? 'insufficientAccessRights' : 'unwillingToPerform'}: ${text}`);
  if (e?.code === 10) return new ProbeError('no-match', `${where}: the server refers elsewhere (referral, not followed): ${text}`);
  if (e?.code === 'ECONNREFUSED') return new ProbeError('refused', `${where}: connection refused`);
  if (/timeout|timed out|ETIMEDOUT/i.test(text)) return new ProbeError('timeout', `${where}: ${text}`);
  return new ProbeError('protocol-error', `${where}: ${text}`);
}
