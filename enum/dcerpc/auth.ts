/**
 * The authentication verifier of connection-oriented PDUs: the sec_trailer and auth_value ([MS-RPCE] 2.2.2.11,
 * C706 12.6.3 auth_verifier_co_t), the padding that aligns the trailer, and the security provider the runtime hands
 * tokens and PDUs to ([MS-RPCE] 3.3.1.5.2). The provider is an interface so that an NTLMSSP (or SPNEGO) session
 * built elsewhere plugs in through a thin adapter; nothing here knows a cryptographic algorithm.
 */
import { ProbeError } from '../../probes/core/outcome.js';

/** [MS-RPCE] 2.2.1.1.7 security providers (auth_type). */
export const AUTH_TYPE = { none: 0, spnego: 9, ntlm: 10, schannel: 14, kerberos: 16, netlogon: 0x44, default: 0xff } as const;
export type AuthType = (typeof AUTH_TYPE)[keyof typeof AUTH_TYPE];

/** [MS-RPCE] 2.2.1.1.8 authentication levels (auth_level). */
export const AUTH_LEVEL = { default: 0, none: 1, connect: 2, call: 3, packet: 4, integrity: 5, privacy: 6 } as const;
export type AuthLevel = (typeof AUTH_LEVEL)[keyof typeof AUTH_LEVEL];

export const SEC_TRAILER_LENGTH = 8;
/** [MS-RPCE] 2.2.2.11: the sec_trailer is 16-octet aligned with respect to the start of the PDU body. */
export const STUB_ALIGNMENT = 16;

/** [MS-RPCE] 2.2.2.11 sec_trailer. */
export interface SecTrailer {
  readonly authType: number;
  readonly authLevel: number;
  /** Octets of padding between the end of the stub and the trailer (auth_pad_length). */
  readonly padLength: number;
  /** auth_context_id: names the security context on the connection; constant for it. */
  readonly contextId: number;
}

/** The sec_trailer and the auth_value (the token or signature) that follows it. */
export interface AuthVerifier extends SecTrailer {
  readonly value: Buffer;
}

export function encodeSecTrailer(t: SecTrailer): Buffer {
  const b = Buffer.alloc(SEC_TRAILER_LENGTH);
  b.writeUInt8(t.authType, 0);
  b.writeUInt8(t.authLevel, 1);
  b.writeUInt8(t.padLength, 2);
  // auth_reserved (octet 3) stays zero
  b.writeUInt32LE(t.contextId >>> 0, 4);
  return b;
}

/** Padding after a stub of `length` octets that puts the sec_trailer on a 16-octet boundary of the body. */
export function authPadLength(length: number, alignment = STUB_ALIGNMENT): number {
  return (alignment - (length % alignment)) % alignment;
}

/**
 * The verifier at the end of the PDU in `pdu` (exactly one PDU, frag_length long) whose body starts at
 * `bodyOffset`, or undefined when auth_length is zero. The trailer starts at frag_length - auth_length - 8
 * ([MS-RPCE] 2.2.2.11); it must sit inside the body, on a 4-octet boundary, with no more padding before it than
 * the body holds.
 */
export function parseAuthVerifier(pdu: Buffer, bodyOffset: number): { verifier: AuthVerifier; trailerOffset: number } | undefined {
  if (pdu.length < 16) throw new ProbeError('protocol-error', `PDU of ${pdu.length} octets has no header`);
  const authLength = pdu.readUInt16LE(10);
  if (authLength === 0) return undefined;
  const trailerOffset = pdu.length - authLength - SEC_TRAILER_LENGTH;
  if (trailerOffset < bodyOffset) throw new ProbeError('protocol-error', `auth_length ${authLength} does not fit a ${pdu.length}-octet PDU`);
  if (trailerOffset % 4 !== 0) throw new ProbeError('protocol-error', `sec_trailer at ${trailerOffset} is not 4-octet aligned`);
  const padLength = pdu.readUInt8(trailerOffset + 2);
  if (padLength > trailerOffset - bodyOffset) throw new ProbeError('protocol-error', `auth_pad_length ${padLength} exceeds the ${trailerOffset - bodyOffset}-octet body`);
  const verifier: AuthVerifier = {
    authType: pdu.readUInt8(trailerOffset),
    authLevel: pdu.readUInt8(trailerOffset + 1),
    padLength,
    contextId: pdu.readUInt32LE(trailerOffset + 4),
    value: pdu.subarray(trailerOffset + SEC_TRAILER_LENGTH),
  };
  return { verifier, trailerOffset };
}

/**
 * A PDU cut into the segments of [MS-RPCE] 3.3.1.5.2.2 for a security provider. Integrity signs the body; privacy
 * also encrypts it. The header and sec_trailer are signed too when header signing was negotiated
 * (PFC_SUPPORT_HEADER_SIGN, 2.2.2.3), and always by NTLMv2 with extended session security, whose GSS_WrapEx
 * signs every buffer it is given ([MS-NLMP] 3.4.6): the runtime always hands over all three segments and the
 * provider decides what its mechanism covers.
 */
export interface ProtectedPdu {
  /** The common header and the PDU type's fixed fields: every octet before the stub, frag_length and auth_length final. */
  readonly header: Buffer;
  /** The stub and the auth padding after it; ciphertext when given to `unseal`. */
  readonly body: Buffer;
  /** The 8-octet sec_trailer. */
  readonly trailer: Buffer;
  /** Whether PFC_SUPPORT_HEADER_SIGN was negotiated on the connection. */
  readonly headerSigning: boolean;
}

/** header + body + trailer: what NTLMSSP with extended session security signs ([MS-NLMP] 3.4.4.2, 3.4.6.1). */
export function signedBytes(p: ProtectedPdu): Buffer {
  return Buffer.concat([p.header, p.body, p.trailer]);
}

/** What the client sends after the server's token: the third leg of NTLM, another round trip, or nothing. */
export type AuthStep = { readonly send: 'auth3' | 'alter_context'; readonly token: Buffer } | { readonly send: 'nothing' };

/**
 * A security context as the RPC runtime drives it ([MS-RPCE] 3.3.1.5.2). An NTLM adapter over
 * `NtlmSession { sign, verify, seal, unseal }` is:
 * - `start()`: the NEGOTIATE message; `next(challenge)`: `{ send: 'auth3', token: AUTHENTICATE }`;
 * - `sign(p)`: `session.sign(signedBytes(p))`; `verify(p, s)`: `session.verify(signedBytes(p), s)`;
 * - `seal(p)`: encrypt `p.body` and sign `signedBytes(p)` over the plaintext, in the order NTLMSSP's RC4 stream
 *   needs (message first, then checksum: [MS-NLMP] 3.4.3); `unseal(p, s)`: decrypt `p.body`, then verify
 *   `header + plaintext + trailer` against `s`.
 * Sequence numbers live in the session: the runtime calls sign/seal once per sent PDU and verify/unseal once per
 * received PDU, in wire order.
 */
export interface SecurityProvider {
  readonly authType: AuthType;
  /** Octets of the auth_value on protected PDUs (16 for NTLMSSP); the header's lengths depend on it before signing. */
  readonly signatureLength: number;
  /** The token carried by the bind. */
  start(): Buffer | Promise<Buffer>;
  /** The server's token from bind_ack or alter_context_resp (empty when it sent none); says what to send next. */
  next(serverToken: Buffer): AuthStep | Promise<AuthStep>;
  /** The signature of an outgoing PDU at packet integrity. */
  sign(pdu: ProtectedPdu): Buffer;
  /** Whether `signature` is right for an incoming PDU at packet integrity. */
  verify(pdu: ProtectedPdu, signature: Buffer): boolean;
  /** Packet privacy, outgoing: the encrypted body (same length) and the signature. */
  seal(pdu: ProtectedPdu): { body: Buffer; signature: Buffer };
  /** Packet privacy, incoming: the decrypted body, or undefined when the signature is wrong. */
  unseal(pdu: ProtectedPdu, signature: Buffer): Buffer | undefined;
}

/** Whether PDUs at `level` carry a signature (and, at privacy, an encrypted body). */
export function isProtected(level: number): boolean {
  return level === AUTH_LEVEL.integrity || level === AUTH_LEVEL.privacy;
}

function segments(pdu: Buffer, bodyOffset: number, trailerOffset: number, headerSigning: boolean): ProtectedPdu {
  return {
    header: pdu.subarray(0, bodyOffset),
    body: pdu.subarray(bodyOffset, trailerOffset),
    trailer: pdu.subarray(trailerOffset, trailerOffset + SEC_TRAILER_LENGTH),
    headerSigning,
  };
}

/**
 * Signs (integrity) or seals and signs (privacy) a request built with a zeroed auth_value of
 * `provider.signatureLength` octets; returns a new buffer.
 */
export function protectPdu(pdu: Buffer, bodyOffset: number, level: number, provider: SecurityProvider, headerSigning: boolean): Buffer {
  const out = Buffer.from(pdu);
  const authLength = out.readUInt16LE(10);
  const trailerOffset = out.length - authLength - SEC_TRAILER_LENGTH;
  const parts = segments(out, bodyOffset, trailerOffset, headerSigning);
  let signature: Buffer;
  if (level === AUTH_LEVEL.privacy) {
    const sealed = provider.seal(parts);
    if (sealed.body.length !== parts.body.length) throw new ProbeError('protocol-error', `security provider sealed ${parts.body.length} octets into ${sealed.body.length}`);
    sealed.body.copy(out, bodyOffset);
    signature = sealed.signature;
  } else {
    signature = provider.sign(parts);
  }
  if (signature.length !== authLength) throw new ProbeError('protocol-error', `security provider gave a ${signature.length}-octet signature, ${authLength} expected`);
  signature.copy(out, trailerOffset + SEC_TRAILER_LENGTH);
  return out;
}

/** What the runtime expects of each received verifier on a call. */
export interface ExpectedAuth {
  readonly provider: SecurityProvider;
  readonly level: number;
  readonly contextId: number;
  readonly headerSigning: boolean;
}

/**
 * The stub of a received request/response/fault fragment: checked and decrypted when the connection is at packet
 * integrity or privacy, with the auth padding removed ([MS-RPCE] 2.2.2.11, 3.3.1.5.2.2).
 */
export function unprotectStub(pdu: Buffer, bodyOffset: number, auth: ExpectedAuth | undefined): Buffer {
  const found = parseAuthVerifier(pdu, bodyOffset);
  if (!found) {
    if (auth && isProtected(auth.level)) throw new ProbeError('protocol-error', 'PDU carries no verifier on a signed connection');
    return pdu.subarray(bodyOffset);
  }
  const { verifier, trailerOffset } = found;
  let body = pdu.subarray(bodyOffset, trailerOffset);
  if (auth && isProtected(auth.level)) {
    if (verifier.authType !== auth.provider.authType || verifier.authLevel !== auth.level || verifier.contextId !== auth.contextId) {
      throw new ProbeError('protocol-error', `verifier (type ${verifier.authType}, level ${verifier.authLevel}, context ${verifier.contextId}) does not match the connection's`);
    }
    if (verifier.value.length !== auth.provider.signatureLength) throw new ProbeError('protocol-error', `${verifier.value.length}-octet signature, ${auth.provider.signatureLength} expected`);
    const parts = segments(pdu, bodyOffset, trailerOffset, auth.headerSigning);
    if (auth.level === AUTH_LEVEL.privacy) {
      const plain = auth.provider.unseal(parts, verifier.value);
      if (!plain || plain.length !== body.length) throw new ProbeError('protocol-error', 'sealed PDU does not verify');
      body = plain;
    } else if (!auth.provider.verify(parts, verifier.value)) {
      throw new ProbeError('protocol-error', 'PDU signature does not verify');
    }
  }
  return body.subarray(0, body.length - verifier.padLength);
}
