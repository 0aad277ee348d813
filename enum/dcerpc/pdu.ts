/**
 * Connection-oriented DCE/RPC PDUs (C706 12.6, [MS-RPCE] 2.2.2): the common header, bind / alter_context and
 * their acknowledgements, bind_nak, request, response, fault and rpc_auth_3. Only the little-endian, ASCII, IEEE
 * data representation is spoken: it is the one Windows and Samba use, and a peer announcing another is refused.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { type AuthVerifier, encodeSecTrailer, parseAuthVerifier, SEC_TRAILER_LENGTH } from './auth.js';
import { uuidFromBytes, uuidToBytes } from './uuid.js';

/** C706 12.6.4 / [MS-RPCE] 2.2.2.10: PTYPE values of the connection-oriented protocol. */
export const PTYPE = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16,
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
} as const;
export type PacketType = (typeof PTYPE)[keyof typeof PTYPE];

/** C706 12.6.3.1 pfc_flags; [MS-RPCE] 2.2.2.3 gives 0x04 the meaning PFC_SUPPORT_HEADER_SIGN on bind-type PDUs. */
export const PFC = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  PENDING_CANCEL: 0x04,
  SUPPORT_HEADER_SIGN: 0x04,
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

export const HEADER_LENGTH = 16;
/** C706 14.1 format label: integers little-endian (0x10), characters ASCII, floating point IEEE. */
const DREP = Buffer.from([0x10, 0x00, 0x00, 0x00]);
/** C706 12.6.3.1: every implementation accepts fragments of this size (MustRecvFragSize). */
export const MIN_FRAG_SIZE = 1432;

/** An interface or transfer syntax: a UUID and a major.minor version (C706 12.6.3.1 p_syntax_id_t). */
export interface SyntaxId {
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
}

/** C706 Appendix I: the NDR transfer syntax, version 2.0. */
export const NDR20: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };

/** C706 12.6.3.1 p_cont_elem_t: a presentation context the client proposes. */
export interface PresentationContext {
  readonly id: number;
  readonly abstract: SyntaxId;
  readonly transfer: readonly SyntaxId[];
}

/** C706 12.6.3.1 p_cont_def_result_enum_t, with [MS-RPCE] 2.2.2.4's negotiate_ack for bind time feature negotiation. */
export const CONTEXT_RESULT = { acceptance: 0, user_rejection: 1, provider_rejection: 2, negotiate_ack: 3 } as const;
/** C706 12.6.3.1 p_provider_reason_t. */
export const PROVIDER_REASON = ['reason_not_specified', 'abstract_syntax_not_supported', 'proposed_transfer_syntaxes_not_supported', 'local_limit_exceeded'] as const;

/** C706 12.6.3.1 p_result_t: the server's answer to one proposed context. */
export interface ContextResult {
  readonly result: number;
  /** The provider reason; for negotiate_ack, the bind time feature bitmask ([MS-RPCE] 2.2.2.14). */
  readonly reason: number;
  readonly transfer: SyntaxId;
}

/** C706 12.6.3.1 p_reject_reason_t and [MS-RPCE] 2.2.2.5 (8, 9): why a bind was refused. */
export const BIND_NAK_REASON = [
  'reason_not_specified',
  'temporary_congestion',
  'local_limit_exceeded',
  'called_paddr_unknown',
  'protocol_version_not_supported',
  'default_context_not_supported',
  'user_data_not_readable',
  'no_psap_available',
  'authentication_type_not_recognized',
  'invalid_checksum',
] as const;

export function bindNakReasonName(reason: number): string {
  return BIND_NAK_REASON[reason] ?? `reason ${reason}`;
}

/** C706 12.6.3.1 common header fields. */
export interface CommonHeader {
  readonly ptype: number;
  readonly flags: number;
  readonly fragLength: number;
  readonly authLength: number;
  readonly callId: number;
}

interface Base {
  readonly header: CommonHeader;
  /** The verifier at the end of the PDU, when auth_length is not zero. */
  readonly auth?: AuthVerifier;
}

export interface BindPdu extends Base {
  readonly kind: 'bind' | 'alter_context';
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  readonly contexts: readonly PresentationContext[];
}

export interface BindAckPdu extends Base {
  readonly kind: 'bind_ack' | 'alter_context_resp';
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  /** The port_any_t secondary address without its NUL: "\PIPE\samr" on a pipe, a port number on TCP, "" on alter_context_resp. */
  readonly secondaryAddress: string;
  readonly results: readonly ContextResult[];
}

export interface BindNakPdu extends Base {
  readonly kind: 'bind_nak';
  readonly reason: number;
  readonly versions: ReadonlyArray<{ major: number; minor: number }>;
}

export interface RequestPdu extends Base {
  readonly kind: 'request';
  readonly allocHint: number;
  readonly contextId: number;
  readonly opnum: number;
  readonly object?: string;
  /** Offset of the stub in the PDU. */
  readonly bodyOffset: number;
  /** The stub with any auth padding (ciphertext at packet privacy). */
  readonly body: Buffer;
}

export interface ResponsePdu extends Base {
  readonly kind: 'response';
  readonly allocHint: number;
  readonly contextId: number;
  readonly cancelCount: number;
  readonly bodyOffset: number;
  readonly body: Buffer;
}

export interface FaultPdu extends Base {
  readonly kind: 'fault';
  readonly allocHint: number;
  readonly contextId: number;
  readonly cancelCount: number;
  /** The NCA status (C706 Appendix E) or Win32 error ([MS-ERREF] 2.2) the server reports. */
  readonly status: number;
}

export interface Auth3Pdu extends Base {
  readonly kind: 'auth3';
}

/** shutdown, co_cancel, orphaned: a header and nothing the client acts on beyond its type. */
export interface OtherPdu extends Base {
  readonly kind: 'shutdown' | 'co_cancel' | 'orphaned';
}

export type Pdu = BindPdu | BindAckPdu | BindNakPdu | RequestPdu | ResponsePdu | FaultPdu | Auth3Pdu | OtherPdu;

/** An auth verifier to append: the trailer fields (the pad length is computed) and the auth_value. */
export interface VerifierInput {
  readonly authType: number;
  readonly authLevel: number;
  readonly contextId: number;
  readonly value: Buffer;
}

// ---------------------------------------------------------------------------------------------------------------
// Common header

/** Checks and reads the 16-octet common header at the start of `data` (C706 12.6.3.1). */
export function parseHeader(data: Buffer, maxFragLength = 65535): CommonHeader {
  if (data.length < HEADER_LENGTH) throw new ProbeError('protocol-error', `DCE/RPC header needs 16 octets, ${data.length} given`);
  if (data[0] !== 5 || (data[1] !== 0 && data[1] !== 1)) throw new ProbeError('protocol-error', `DCE/RPC version ${data[0]}.${data[1]}, 5.0 or 5.1 expected`);
  if ((data[4]! & 0xf0) !== 0x10 || (data[4]! & 0x0f) !== 0 || data[5] !== 0) {
    throw new ProbeError('protocol-error', `data representation ${data.subarray(4, 8).toString('hex')} is not little-endian ASCII IEEE`);
  }
  const fragLength = data.readUInt16LE(8);
  const authLength = data.readUInt16LE(10);
  if (fragLength < HEADER_LENGTH) throw new ProbeError('protocol-error', `frag_length ${fragLength} is shorter than the header`);
  if (fragLength > maxFragLength) throw new ProbeError('protocol-error', `frag_length ${fragLength} exceeds ${maxFragLength}`);
  if (authLength > 0 && HEADER_LENGTH + SEC_TRAILER_LENGTH + authLength > fragLength) {
    throw new ProbeError('protocol-error', `auth_length ${authLength} does not fit frag_length ${fragLength}`);
  }
  return { ptype: data[2]!, flags: data[3]!, fragLength, authLength, callId: data.readUInt32LE(12) };
}

/**
 * Length of the complete PDU at the start of `data`, or 0 while more octets are needed (stream reassembly over a
 * byte transport). A header that cannot start a valid PDU, or one larger than `maxFragLength`, is refused.
 */
export function fragLength(data: Buffer, maxFragLength = 65535): number {
  if (data.length < HEADER_LENGTH) return 0;
  const n = parseHeader(data, maxFragLength).fragLength;
  return data.length >= n ? n : 0;
}

function header(ptype: number, flags: number, fragLength: number, authLength: number, callId: number): Buffer {
  const h = Buffer.alloc(HEADER_LENGTH);
  h[0] = 5; // rpc_vers
  h[1] = 0; // rpc_vers_minor
  h[2] = ptype;
  h[3] = flags;
  DREP.copy(h, 4);
  h.writeUInt16LE(fragLength, 8);
  h.writeUInt16LE(authLength, 10);
  h.writeUInt32LE(callId >>> 0, 12);
  return h;
}

/**
 * Header + body + (padding + sec_trailer + auth_value). `padAlign` is what the trailer is aligned to, counted from
 * `padFrom` (the start of the stub for request/response, [MS-RPCE] 2.2.2.11; the PDU start for the bind family,
 * which only needs C706's 4 octets).
 */
function assemble(ptype: number, flags: number, callId: number, body: Buffer, verifier?: VerifierInput, padFrom = 0, padAlign = 4): Buffer {
  let tail = Buffer.alloc(0);
  let authLength = 0;
  if (verifier) {
    const padded = HEADER_LENGTH + body.length - padFrom;
    const padLength = (padAlign - (padded % padAlign)) % padAlign;
    tail = Buffer.concat([Buffer.alloc(padLength), encodeSecTrailer({ ...verifier, padLength }), verifier.value]);
    authLength = verifier.value.length;
  }
  const total = HEADER_LENGTH + body.length + tail.length;
  if (total > 0xffff) throw new RangeError(`PDU of ${total} octets exceeds frag_length's 16 bits`);
  return Buffer.concat([header(ptype, flags, total, authLength, callId), body, tail]);
}

function syntax(s: SyntaxId): Buffer {
  const b = Buffer.alloc(20);
  uuidToBytes(s.uuid).copy(b, 0);
  b.writeUInt16LE(s.major, 16);
  b.writeUInt16LE(s.minor, 18);
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoders

export interface BindOptions {
  readonly callId: number;
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  /** 0 asks the server for a new association group. */
  readonly assocGroupId?: number;
  readonly contexts: readonly PresentationContext[];
  /** Defaults to FIRST_FRAG | LAST_FRAG; add SUPPORT_HEADER_SIGN to offer header signing. */
  readonly flags?: number;
  readonly auth?: VerifierInput;
}

/** C706 12.6.4.3 bind (or 12.6.4.1 alter_context when `ptype` says so). */
export function encodeBind(o: BindOptions, ptype: typeof PTYPE.bind | typeof PTYPE.alter_context = PTYPE.bind): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16LE(o.maxXmitFrag, 0);
  fixed.writeUInt16LE(o.maxRecvFrag, 2);
  fixed.writeUInt32LE(o.assocGroupId ?? 0, 4);
  fixed.writeUInt8(o.contexts.length, 8); // n_context_elem, then reserved (1) and reserved2 (2)
  const items = o.contexts.map((c) => {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(c.id, 0); // p_cont_id
    head.writeUInt8(c.transfer.length, 2); // n_transfer_syn, then reserved
    return Buffer.concat([head, syntax(c.abstract), ...c.transfer.map(syntax)]);
  });
  return assemble(ptype, o.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG, o.callId, Buffer.concat([fixed, ...items]), o.auth);
}

export interface BindAckOptions {
  readonly callId: number;
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  readonly secondaryAddress: string;
  readonly results: readonly ContextResult[];
  readonly flags?: number;
  readonly auth?: VerifierInput;
}

/** C706 12.6.4.4 bind_ack (or 12.6.4.2 alter_context_resp): what a server sends; used by test doubles. */
export function encodeBindAck(o: BindAckOptions, ptype: typeof PTYPE.bind_ack | typeof PTYPE.alter_context_resp = PTYPE.bind_ack): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(o.maxXmitFrag, 0);
  fixed.writeUInt16LE(o.maxRecvFrag, 2);
  fixed.writeUInt32LE(o.assocGroupId >>> 0, 4);
  const address = o.secondaryAddress ? Buffer.from(`${o.secondaryAddress}\0`, 'latin1') : Buffer.alloc(0);
  const port = Buffer.alloc(2);
  port.writeUInt16LE(address.length, 0);
  const before = HEADER_LENGTH + 8 + 2 + address.length;
  const align = Buffer.alloc((4 - (before % 4)) % 4);
  const list = Buffer.alloc(4);
  list.writeUInt8(o.results.length, 0);
  const results = o.results.map((r) => {
    const b = Buffer.alloc(4);
    b.writeUInt16LE(r.result, 0);
    b.writeUInt16LE(r.reason, 2);
    return Buffer.concat([b, syntax(r.transfer)]);
  });
  return assemble(ptype, o.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG, o.callId, Buffer.concat([fixed, port, address, align, list, ...results]), o.auth);
}

/** C706 12.6.4.5 bind_nak with the versions list; used by test doubles. */
export function encodeBindNak(callId: number, reason: number, versions: ReadonlyArray<{ major: number; minor: number }> = [{ major: 5, minor: 0 }]): Buffer {
  const body = Buffer.alloc(3 + 2 * versions.length);
  body.writeUInt16LE(reason, 0);
  body.writeUInt8(versions.length, 2);
  versions.forEach((v, i) => {
    body.writeUInt8(v.major, 3 + 2 * i);
    body.writeUInt8(v.minor, 4 + 2 * i);
  });
  return assemble(PTYPE.bind_nak, PFC.FIRST_FRAG | PFC.LAST_FRAG, callId, body);
}

/** [MS-RPCE] 2.2.2.10 rpc_auth_3: four octets of pad, then the verifier carrying the last token. */
export function encodeAuth3(callId: number, auth: VerifierInput, flags: number = PFC.FIRST_FRAG | PFC.LAST_FRAG): Buffer {
  return assemble(PTYPE.auth3, flags, callId, Buffer.alloc(4), auth);
}

export interface RequestOptions {
  readonly callId: number;
  readonly contextId: number;
  readonly opnum: number;
  readonly stub: Buffer;
  /** Stub octets still to come, this fragment's included (C706 12.6.4.9); defaults to the stub's length. */
  readonly allocHint?: number;
  readonly flags?: number;
  /** Object UUID: sets PFC_OBJECT_UUID. */
  readonly object?: string;
  /** Stub padded to 16 and the verifier appended; the value is a placeholder until signed. */
  readonly auth?: VerifierInput;
}

/** C706 12.6.4.9 request. The stub starts at 24 (40 with an object UUID). */
export function encodeRequest(o: RequestOptions): Buffer {
  const fixed = Buffer.alloc(o.object ? 24 : 8);
  fixed.writeUInt32LE(o.allocHint ?? o.stub.length, 0);
  fixed.writeUInt16LE(o.contextId, 4);
  fixed.writeUInt16LE(o.opnum, 6);
  if (o.object) uuidToBytes(o.object).copy(fixed, 8);
  const flags = (o.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG) | (o.object ? PFC.OBJECT_UUID : 0);
  return assemble(PTYPE.request, flags, o.callId, Buffer.concat([fixed, o.stub]), o.auth, HEADER_LENGTH + fixed.length, 16);
}

export interface ResponseOptions {
  readonly callId: number;
  readonly contextId: number;
  readonly stub: Buffer;
  readonly allocHint?: number;
  readonly flags?: number;
  readonly auth?: VerifierInput;
}

/** C706 12.6.4.10 response; used by test doubles. */
export function encodeResponse(o: ResponseOptions): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(o.allocHint ?? o.stub.length, 0);
  fixed.writeUInt16LE(o.contextId, 4); // then cancel_count and reserved, zero
  return assemble(PTYPE.response, o.flags ?? PFC.FIRST_FRAG | PFC.LAST_FRAG, o.callId, Buffer.concat([fixed, o.stub]), o.auth, HEADER_LENGTH + 8, 16);
}

/** C706 12.6.4.7 fault: alloc_hint, p_cont_id, cancel_count, reserved, status, reserved (4); used by test doubles. */
export function encodeFault(callId: number, status: number, contextId = 0, flags: number = PFC.FIRST_FRAG | PFC.LAST_FRAG): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt16LE(contextId, 4);
  fixed.writeUInt32LE(status >>> 0, 8);
  return assemble(PTYPE.fault, flags, callId, fixed);
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

function readSyntax(b: Buffer, at: number): SyntaxId {
  return { uuid: uuidFromBytes(b, at), major: b.readUInt16LE(at + 16), minor: b.readUInt16LE(at + 18) };
}

function need(pdu: Buffer, end: number, limit: number, what: string): void {
  if (end > limit) throw new ProbeError('protocol-error', `${what} runs past the ${limit}-octet PDU body`);
}

/** Parses exactly one PDU (its length must equal frag_length). Malformed input throws ProbeError('protocol-error'). */
export function parsePdu(pdu: Buffer, maxFragLength = 65535): Pdu {
  const h = parseHeader(pdu, maxFragLength);
  if (pdu.length !== h.fragLength) throw new ProbeError('protocol-error', `PDU of ${pdu.length} octets says frag_length ${h.fragLength}`);
  // Where the fixed fields may run: up to the verifier, when there is one.
  const end = h.authLength ? h.fragLength - h.authLength - SEC_TRAILER_LENGTH : h.fragLength;
  const verifierFrom = (bodyOffset: number) => parseAuthVerifier(pdu, bodyOffset)?.verifier;
  switch (h.ptype) {
    case PTYPE.bind:
    case PTYPE.alter_context: {
      need(pdu, 28, end, 'bind header');
      const count = pdu[24]!;
      const contexts: PresentationContext[] = [];
      let at = 28;
      for (let i = 0; i < count; i++) {
        need(pdu, at + 24, end, 'presentation context');
        const n = pdu[at + 2]!;
        need(pdu, at + 24 + 20 * n, end, 'transfer syntaxes');
        const transfer = Array.from({ length: n }, (_, j) => readSyntax(pdu, at + 24 + 20 * j));
        contexts.push({ id: pdu.readUInt16LE(at), abstract: readSyntax(pdu, at + 4), transfer });
        at += 24 + 20 * n;
      }
      return {
        kind: h.ptype === PTYPE.bind ? 'bind' : 'alter_context',
        header: h,
        maxXmitFrag: pdu.readUInt16LE(16),
        maxRecvFrag: pdu.readUInt16LE(18),
        assocGroupId: pdu.readUInt32LE(20),
        contexts,
        auth: verifierFrom(at),
      };
    }
    case PTYPE.bind_ack:
    case PTYPE.alter_context_resp: {
      need(pdu, 26, end, 'bind_ack header');
      const addressLength = pdu.readUInt16LE(24);
      need(pdu, 26 + addressLength, end, 'secondary address');
      const address = pdu.subarray(26, 26 + addressLength).toString('latin1').replace(/\0[\s\S]*$/, '');
      let at = 26 + addressLength;
      at += (4 - (at % 4)) % 4; // C706 12.6.4.4: the result list is 4-octet aligned
      need(pdu, at + 4, end, 'result list');
      const count = pdu[at]!;
      at += 4;
      need(pdu, at + 24 * count, end, 'results');
      const results: ContextResult[] = [];
      for (let i = 0; i < count; i++, at += 24) {
        results.push({ result: pdu.readUInt16LE(at), reason: pdu.readUInt16LE(at + 2), transfer: readSyntax(pdu, at + 4) });
      }
      return {
        kind: h.ptype === PTYPE.bind_ack ? 'bind_ack' : 'alter_context_resp',
        header: h,
        maxXmitFrag: pdu.readUInt16LE(16),
        maxRecvFrag: pdu.readUInt16LE(18),
        assocGroupId: pdu.readUInt32LE(20),
        secondaryAddress: address,
        results,
        auth: verifierFrom(at),
      };
    }
    case PTYPE.bind_nak: {
      need(pdu, 18, end, 'bind_nak reason');
      const reason = pdu.readUInt16LE(16);
      // The versions list is optional in practice ([MS-RPCE] 2.2.2.5 lets servers send the reason alone).
      const versions: Array<{ major: number; minor: number }> = [];
      if (end >= 19) {
        const n = pdu[18]!;
        for (let i = 0; i < n && 19 + 2 * i + 2 <= end; i++) versions.push({ major: pdu[19 + 2 * i]!, minor: pdu[20 + 2 * i]! });
      }
      return { kind: 'bind_nak', header: h, reason, versions };
    }
    case PTYPE.request: {
      const bodyOffset = h.flags & PFC.OBJECT_UUID ? 40 : 24;
      need(pdu, bodyOffset, end, 'request header');
      const auth = verifierFrom(bodyOffset);
      return {
        kind: 'request',
        header: h,
        allocHint: pdu.readUInt32LE(16),
        contextId: pdu.readUInt16LE(20),
        opnum: pdu.readUInt16LE(22),
        ...(bodyOffset === 40 ? { object: uuidFromBytes(pdu, 24) } : {}),
        bodyOffset,
        body: pdu.subarray(bodyOffset, end),
        auth,
      };
    }
    case PTYPE.response: {
      need(pdu, 24, end, 'response header');
      const auth = verifierFrom(24);
      return {
        kind: 'response',
        header: h,
        allocHint: pdu.readUInt32LE(16),
        contextId: pdu.readUInt16LE(20),
        cancelCount: pdu[22]!,
        bodyOffset: 24,
        body: pdu.subarray(24, end),
        auth,
      };
    }
    case PTYPE.fault: {
      // The second reserved word is not always sent; the status is what matters.
      need(pdu, 28, end, 'fault status');
      return { kind: 'fault', header: h, allocHint: pdu.readUInt32LE(16), contextId: pdu.readUInt16LE(20), cancelCount: pdu[22]!, status: pdu.readUInt32LE(24), auth: verifierFrom(28) };
    }
    case PTYPE.auth3:
      need(pdu, 20, end, 'rpc_auth_3 pad');
      if (!h.authLength) throw new ProbeError('protocol-error', 'rpc_auth_3 without a verifier');
      return { kind: 'auth3', header: h, auth: verifierFrom(20) };
    case PTYPE.shutdown:
      return { kind: 'shutdown', header: h };
    case PTYPE.co_cancel:
      return { kind: 'co_cancel', header: h };
    case PTYPE.orphaned:
      return { kind: 'orphaned', header: h };
    default:
      throw new ProbeError('protocol-error', `PTYPE ${h.ptype} is not a connection-oriented PDU`);
  }
}
