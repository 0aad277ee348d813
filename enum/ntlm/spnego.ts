/**
 * SPNEGO (RFC 4178) around NTLMSSP, as SMB2 SESSION_SETUP carries it: NegTokenInit with the NEGOTIATE_MESSAGE out,
 * the server's NegTokenResp with the CHALLENGE_MESSAGE in, a NegTokenResp with the AUTHENTICATE_MESSAGE and the
 * mechListMIC out, and the server's final NegTokenResp (with its own mechListMIC) in. The DER writer is the one
 * the fingerprinting probe uses (probes/ntlm/codec.ts); the reader here is minimal and bounds-checked: definite
 * lengths of at most 4 bytes, low tag numbers, nothing read past its enclosing value.
 */
import { der, OID_NTLMSSP, SIGNATURE, spnegoInit } from '../../probes/ntlm/codec.js';
import { ProbeError } from '../../probes/core/outcome.js';
import { NtlmClient, type NtlmAuthentication, type NtlmClientOptions } from './client.js';
import { malformed } from './errors.js';
import type { NtlmSession } from './session.js';

export const NTLMSSP_MECH = '1.3.6.1.4.1.311.2.2.10';
export const SPNEGO_MECH = '1.3.6.1.5.5.2';

/** The DER MechTypeList we offer (only NTLMSSP): what the mechListMIC signs (RFC 4178 5). */
export const NTLMSSP_MECH_TYPES = der(0x30, OID_NTLMSSP);

// --- DER reading (X.690 8.1), only what SPNEGO needs

interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
  /** Offset just past this TLV in the buffer it was read from. */
  readonly end: number;
}

function readTlv(buf: Buffer, at: number, what: string): Tlv {
  if (at + 2 > buf.length) throw malformed(`SPNEGO ${what}: truncated`);
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw malformed(`SPNEGO ${what}: high tag numbers are not used by SPNEGO`);
  let length = buf[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw malformed(`SPNEGO ${what}: indefinite length is not DER`);
    if (count > 4) throw malformed(`SPNEGO ${what}: a ${count}-byte length`);
    if (start + count > buf.length) throw malformed(`SPNEGO ${what}: truncated length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[start + i]!;
    start += count;
  }
  if (start + length > buf.length) throw malformed(`SPNEGO ${what}: ${length} bytes of value, ${buf.length - start} left`);
  return { tag, value: buf.subarray(start, start + length), end: start + length };
}

/** The one TLV that must fill `buf` exactly, with the expected tag. */
function readOnly(buf: Buffer, tag: number, what: string): Buffer {
  const tlv = readTlv(buf, 0, what);
  if (tlv.tag !== tag) throw malformed(`SPNEGO ${what}: tag 0x${tlv.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  if (tlv.end !== buf.length) throw malformed(`SPNEGO ${what}: ${buf.length - tlv.end} bytes after the value`);
  return tlv.value;
}

/** The TLVs that fill a constructed value, in order. */
function readAll(buf: Buffer, what: string): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < buf.length;) {
    const tlv = readTlv(buf, at, what);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

/** X.690 8.19 OBJECT IDENTIFIER contents as dotted text. */
function oidText(value: Buffer, what: string): string {
  if (value.length === 0 || value.length > 64) throw malformed(`SPNEGO ${what}: an OID of ${value.length} bytes`);
  const arcs: bigint[] = [];
  let arc = 0n;
  let bytes = 0;
  for (const byte of value) {
    if (bytes === 0 && byte === 0x80) throw malformed(`SPNEGO ${what}: OID arc with a leading zero byte`);
    arc = (arc << 7n) | BigInt(byte & 0x7f);
    bytes++;
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0n;
      bytes = 0;
    }
  }
  if (bytes !== 0) throw malformed(`SPNEGO ${what}: OID ends inside an arc`);
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

// --- NegTokenResp (RFC 4178 4.2.2)

export const NEG_STATES = ['accept-completed', 'accept-incomplete', 'reject', 'request-mic'] as const;
export type NegState = (typeof NEG_STATES)[number];

export interface NegTokenResp {
  readonly negState?: NegState;
  /** The mechanism the server chose, as a dotted OID. */
  readonly supportedMech?: string;
  readonly responseToken?: Buffer;
  readonly mechListMic?: Buffer;
}

/** RFC 4178 4.2.2 NegotiationToken negTokenResp [1]: every field optional, in tag order, each at most once. */
export function parseNegTokenResp(blob: Buffer): NegTokenResp {
  const sequence = readOnly(readOnly(blob, 0xa1, 'negTokenResp'), 0x30, 'NegTokenResp');
  const out: { -readonly [K in keyof NegTokenResp]: NegTokenResp[K] } = {};
  let last = -1;
  for (const field of readAll(sequence, 'NegTokenResp field')) {
    const number = field.tag - 0xa0;
    if (number < 0 || number > 30) throw malformed(`SPNEGO NegTokenResp: unexpected tag 0x${field.tag.toString(16)}`);
    if (number <= last) throw malformed(`SPNEGO NegTokenResp: field [${number}] out of order or repeated`);
    last = number;
    if (number === 0) {
      const value = readOnly(field.value, 0x0a, 'negState');
      if (value.length !== 1 || value[0]! >= NEG_STATES.length) throw malformed('SPNEGO negState: not one of the four states');
      out.negState = NEG_STATES[value[0]!];
    } else if (number === 1) {
      out.supportedMech = oidText(readOnly(field.value, 0x06, 'supportedMech'), 'supportedMech');
    } else if (number === 2) {
      out.responseToken = readOnly(field.value, 0x04, 'responseToken');
    } else if (number === 3) {
      out.mechListMic = readOnly(field.value, 0x04, 'mechListMIC');
    }
    // later fields belong to extensions: skipped
  }
  return out;
}

/** X.690 8.19 OBJECT IDENTIFIER TLV from dotted text. */
function oidDer(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError(`not an OID: ${dotted}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const groups = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) groups.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

/**
 * RFC 4178 4.2.2 negTokenResp. A client sends the response token and the mechListMIC; negState and supportedMech
 * are what a server adds (for tests and fuzz seeds).
 */
export function negTokenResp(fields: {
  readonly negState?: NegState; readonly supportedMech?: string; readonly responseToken?: Buffer; readonly mechListMic?: Buffer;
}): Buffer {
  const parts: Buffer[] = [];
  if (fields.negState !== undefined) parts.push(der(0xa0, der(0x0a, Buffer.from([NEG_STATES.indexOf(fields.negState)]))));
  if (fields.supportedMech !== undefined) parts.push(der(0xa1, oidDer(fields.supportedMech)));
  if (fields.responseToken) parts.push(der(0xa2, der(0x04, fields.responseToken)));
  if (fields.mechListMic) parts.push(der(0xa3, der(0x04, fields.mechListMic)));
  return der(0xa1, der(0x30, ...parts));
}

// --- NegTokenInit (RFC 4178 4.2.1, RFC 2743 3.1 framing)

/** The initial token: GSS-API framing, SPNEGO OID, NegTokenInit offering NTLMSSP with the NEGOTIATE_MESSAGE. */
export function negTokenInit(negotiate: Buffer): Buffer {
  return spnegoInit(negotiate);
}

export interface NegTokenInit {
  /** The mechanisms offered, dotted, in preference order. */
  readonly mechTypes: readonly string[];
  readonly mechToken?: Buffer;
}

/**
 * A framed NegTokenInit, such as the hint an SMB2 NEGOTIATE response carries ([MS-SPNG] 2.2.1 NegTokenInit2: the
 * fields after mechTypes are read only for mechToken).
 */
export function parseNegTokenInit(blob: Buffer): NegTokenInit {
  const framed = readOnly(blob, 0x60, 'InitialContextToken');
  const oid = readTlv(framed, 0, 'thisMech');
  if (oid.tag !== 0x06 || oidText(oid.value, 'thisMech') !== SPNEGO_MECH) throw malformed('the initial token is not SPNEGO');
  const sequence = readOnly(readOnly(framed.subarray(oid.end), 0xa0, 'negTokenInit'), 0x30, 'NegTokenInit');
  let mechTypes: string[] | undefined;
  let mechToken: Buffer | undefined;
  let last = -1;
  for (const field of readAll(sequence, 'NegTokenInit field')) {
    const number = field.tag - 0xa0;
    if (number < 0 || number > 30) throw malformed(`SPNEGO NegTokenInit: unexpected tag 0x${field.tag.toString(16)}`);
    if (number <= last) throw malformed(`SPNEGO NegTokenInit: field [${number}] out of order or repeated`);
    last = number;
    if (number === 0) {
      const list = readAll(readOnly(field.value, 0x30, 'mechTypes'), 'mechType');
      if (list.length > 64) throw malformed(`SPNEGO mechTypes: ${list.length} mechanisms`);
      mechTypes = list.map((m) => {
        if (m.tag !== 0x06) throw malformed('SPNEGO mechTypes: an entry that is not an OID');
        return oidText(m.value, 'mechType');
      });
    } else if (number === 2) {
      mechToken = readOnly(field.value, 0x04, 'mechToken');
    }
  }
  if (!mechTypes) throw malformed('SPNEGO NegTokenInit without mechTypes');
  return { mechTypes, ...(mechToken ? { mechToken } : {}) };
}

// --- mechListMIC (RFC 4178 5; [MS-SPNG] 3.1.5.1): the NTLM signature (GSS_GetMIC) of the DER MechTypeList

export function mechListMic(session: NtlmSession, mechTypes: Buffer = NTLMSSP_MECH_TYPES): Buffer {
  return session.sign(mechTypes);
}

export function verifyMechListMic(session: NtlmSession, mic: Buffer, mechTypes: Buffer = NTLMSSP_MECH_TYPES): void {
  session.verify(mechTypes, mic);
}

// --- The client flow over SPNEGO

/**
 * NTLM inside SPNEGO for SMB2 SESSION_SETUP: `initialToken()` for the first request, `respond(token)` with the
 * server's first answer (the challenge) for the second, `finish(token)` with the server's last answer. The
 * AUTHENTICATE always travels with a mechListMIC, as Windows clients send it: our AUTHENTICATE carries an NTLM MIC,
 * and servers that see one (Windows, Samba) then check the SPNEGO mechListMIC too. The mechListMIC exchange uses
 * sequence number 0 of each direction of the NtlmSession; SMB2 signs and encrypts with the session key alone.
 */
export class SpnegoNtlmClient {
  readonly #ntlm: NtlmClient;
  #auth?: NtlmAuthentication;

  constructor(options: NtlmClientOptions) {
    this.#ntlm = new NtlmClient(options);
  }

  initialToken(): Buffer {
    return negTokenInit(this.#ntlm.negotiate());
  }

  /** The server's NegTokenResp carrying the CHALLENGE_MESSAGE in; our NegTokenResp and the authentication out. */
  respond(serverToken: Buffer): { readonly token: Buffer; readonly auth: NtlmAuthentication } {
    const resp = unwrapServerToken(serverToken);
    if (resp.negState === 'reject') throw new ProbeError('auth-failed', 'the server rejected the SPNEGO negotiation');
    if (!resp.responseToken) throw malformed('the SPNEGO answer carries no NTLM challenge');
    const auth = this.#ntlm.authenticate(resp.responseToken);
    this.#auth = auth;
    return { token: negTokenResp({ responseToken: auth.message, mechListMic: mechListMic(auth.session) }), auth };
  }

  /**
   * The server's last NegTokenResp (may be empty when the transport already said success): rejects a `reject`,
   * and verifies the server's mechListMIC when there is one.
   */
  finish(serverToken: Buffer): void {
    if (!this.#auth) throw new Error('SpnegoNtlmClient.finish before respond');
    if (serverToken.length === 0) return;
    const resp = parseNegTokenResp(serverToken);
    if (resp.negState === 'reject') throw new ProbeError('auth-failed', 'the server rejected the NTLM authentication');
    if (resp.mechListMic) verifyMechListMic(this.#auth.session, resp.mechListMic);
  }
}

/**
 * The server's answer to our NegTokenInit: a NegTokenResp, or (from some servers) the raw NTLMSSP message with no
 * SPNEGO around it, taken as the response token.
 */
export function unwrapServerToken(blob: Buffer): NegTokenResp {
  if (blob.length >= 8 && blob.subarray(0, 8).equals(SIGNATURE)) return { responseToken: blob };
  const resp = parseNegTokenResp(blob);
  if (resp.supportedMech !== undefined && resp.supportedMech !== NTLMSSP_MECH) {
    throw new ProbeError('unsupported', `the server chose SPNEGO mechanism ${resp.supportedMech}, not NTLMSSP`);
  }
  return resp;
}
