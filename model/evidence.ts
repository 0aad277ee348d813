/**
 * What every probe returns: a status from a fixed vocabulary and typed evidence, wrapped in one envelope
 * (in the spirit of ZGrab2's `{status, protocol, port, result, timestamp, error}`). A probe never throws.
 */
export const PROBE_STATUSES = [
  'success', // the protocol answered as expected
  'no-match', // something answered, but not this protocol
  'refused', // the port refused the connection
  'timeout', // the probe's budget ran out
  'auth-failed',
  'access-denied',
  'protocol-error', // a malformed, oversized or truncated reply
  'unsupported', // the server speaks the protocol but not the variant asked for
  'hostkey-changed', // the server's host key is not the pinned one: no credential was sent
  'untrusted', // the server's TLS certificate failed validation (chain, name or pin): no credential was sent
  'incomplete', // the server stopped before all results (size or time limit): what came is kept, nothing is marked gone
] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

/** A fact a probe saw, with how sure it is (0-100) and where it came from. */
export type Evidence =
  | { kind: 'banner'; text: string }
  | { kind: 'attribute'; name: string; value: string }
  | { kind: 'hostname'; name: string; via: string }
  | { kind: 'domain'; name: string; via: string }
  | { kind: 'tls'; version: string; cipher: string; subject: string; issuer: string; subjectAltNames: string[]; notBefore: string; notAfter: string; sha256: string; selfSigned: boolean }
  | { kind: 'ssh-hostkey'; algorithm: string; sha256: string }
  | { kind: 'http'; status: number; server: string | null; title: string | null; location: string | null; redirects: number };

export interface ProbeOutcome {
  readonly probe: string;
  readonly port: number;
  readonly status: ProbeStatus;
  readonly evidence: readonly Evidence[];
  /** Why the status is not `success`, in words; never holds a secret. */
  readonly error?: string;
  readonly elapsedMs: number;
}
