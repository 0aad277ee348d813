/** TLS: version, cipher and the certificate (subject, SANs, issuer, validity, SHA-256, self-signed). */
import type { TLSSocket } from 'node:tls';
import type { Evidence } from '../../model/evidence.js';
import type { Probe } from '../core/probe.js';

function dn(fields: Record<string, string | string[] | undefined> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(',');
}

/** The TLS evidence of an established connection. */
export function tlsEvidence(socket: TLSSocket): Evidence {
  const cert = socket.getPeerCertificate(true);
  const cipher = socket.getCipher();
  const subject = dn(cert.subject as unknown as Record<string, string>);
  const issuer = dn(cert.issuer as unknown as Record<string, string>);
  const selfSigned = Boolean(cert.issuerCertificate && cert.issuerCertificate.fingerprint256 === cert.fingerprint256) || (subject !== '' && subject === issuer);
  return {
    kind: 'tls',
    version: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
    subject,
    issuer,
    subjectAltNames: (cert.subjectaltname ?? '').split(', ').filter(Boolean),
    notBefore: cert.valid_from ? new Date(cert.valid_from).toISOString() : '',
    notAfter: cert.valid_to ? new Date(cert.valid_to).toISOString() : '',
    sha256: cert.fingerprint256 ?? '',
    selfSigned,
  };
}

/** Names a certificate vouches for: DNS SANs and the subject CN when it looks like a host name. */
export function certificateNames(evidence: Extract<Evidence, { kind: 'tls' }>): string[] {
  const names = evidence.subjectAltNames.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase());
  const cn = /(?:^|,)CN=([^,]+)/.exec(evidence.subject)?.[1];
  if (cn && /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(cn)) names.push(cn.toLowerCase());
  return [...new Set(names.filter((n) => !n.includes('*')))];
}

export const tlsProbe: Probe = {
  name: 'tls',
  description: 'TLS handshake: version, cipher, certificate',
  async run(ctx) {
    const conn = await ctx.connect();
    const socket = await conn.startTls();
    return { evidence: [tlsEvidence(socket)] };
  },
};
