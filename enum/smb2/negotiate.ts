/**
 * [MS-SMB2] 2.2.3 NEGOTIATE Request with the 3.1.1 negotiate contexts (2.2.3.1.1 preauth integrity, 2.2.3.1.2
 * encryption, 2.2.3.1.4 netname, 2.2.3.1.7 signing) and 2.2.4 NEGOTIATE Response with the contexts a server chose.
 */
import { randomBytes } from 'node:crypto';
import {
  CAPABILITIES, CIPHER, Cipher, COMMAND, DIALECT, DIALECTS, HASH_ALGORITHM, HEADER_SIZE, NEGOTIATE_CONTEXT, SECURITY_MODE, SIGNING_ALGORITHM, SigningAlgorithm,
} from './constants.js';
import { request, RequestHeader, Smb2Header } from './header.js';
import { expectResponse } from './status.js';
import { align8, fileTime, fits, guidBytes, malformed, need, pad8, region } from './wire.js';

export interface NegotiateRequestOptions {
  /** Dialects offered, in any order. @default every dialect from 2.0.2 to 3.1.1 */
  readonly dialects?: readonly number[];
  /** SECURITY_MODE bits. @default SIGNING_ENABLED */
  readonly securityMode?: number;
  /** CAPABILITIES bits. @default ENCRYPTION (which 3.0 and 3.0.2 need to encrypt; 3.1.1 negotiates a cipher instead) */
  readonly capabilities?: number;
  /** 16 bytes. @default random */
  readonly clientGuid?: Buffer;
  /** The preauth integrity salt (3.1.1). @default 32 random bytes */
  readonly salt?: Buffer;
  /** Ciphers offered in order of preference (3.1.1); empty sends no encryption context. @default AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM */
  readonly ciphers?: readonly number[];
  /** Signing algorithms offered in order of preference (3.1.1); empty sends no signing context. @default AES-GMAC, AES-CMAC, HMAC-SHA256 */
  readonly signingAlgorithms?: readonly number[];
  /** The server name for a NETNAME_NEGOTIATE_CONTEXT_ID context (3.1.1). @default none */
  readonly netName?: string;
}

export const DEFAULT_CIPHERS: readonly Cipher[] = [CIPHER.AES_128_GCM, CIPHER.AES_128_CCM, CIPHER.AES_256_GCM, CIPHER.AES_256_CCM];
export const DEFAULT_SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [SIGNING_ALGORITHM.AES_GMAC, SIGNING_ALGORITHM.AES_CMAC, SIGNING_ALGORITHM.HMAC_SHA256];

function u16List(values: readonly number[], field: string): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(fits(v, 0xffff, field), i * 2));
  return b;
}

function count16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(fits(n, 0xffff, 'a negotiate context count'), 0);
  return b;
}

/** [MS-SMB2] 2.2.3.1 NEGOTIATE_CONTEXT: type, data length, 4 reserved bytes, data. */
function context(type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(fits(data.length, 0xffff, 'negotiate context data length'), 2);
  return Buffer.concat([h, data]);
}

/** The 3.1.1 contexts to send: preauth first, as 3.2.4.2.2.2 requires, then encryption, signing and netname. */
function requestContexts(o: NegotiateRequestOptions): Buffer[] {
  const salt = o.salt ?? randomBytes(32);
  const hashes = u16List([HASH_ALGORITHM.SHA_512], 'HashAlgorithms');
  const preauthHead = Buffer.alloc(4);
  preauthHead.writeUInt16LE(1, 0); // HashAlgorithmCount
  preauthHead.writeUInt16LE(fits(salt.length, 0xffff, 'salt length'), 2);
  const contexts = [context(NEGOTIATE_CONTEXT.PREAUTH_INTEGRITY_CAPABILITIES, Buffer.concat([preauthHead, hashes, salt]))];
  const ciphers = o.ciphers ?? DEFAULT_CIPHERS;
  if (ciphers.length) contexts.push(context(NEGOTIATE_CONTEXT.ENCRYPTION_CAPABILITIES, Buffer.concat([count16(ciphers.length), u16List(ciphers, 'Ciphers')])));
  const signing = o.signingAlgorithms ?? DEFAULT_SIGNING_ALGORITHMS;
  if (signing.length) contexts.push(context(NEGOTIATE_CONTEXT.SIGNING_CAPABILITIES, Buffer.concat([count16(signing.length), u16List(signing, 'SigningAlgorithms')])));
  if (o.netName) contexts.push(context(NEGOTIATE_CONTEXT.NETNAME_NEGOTIATE_CONTEXT_ID, Buffer.from(o.netName, 'utf16le')));
  return contexts;
}

/** [MS-SMB2] 2.2.3 NEGOTIATE Request; with 3.1.1 offered, its contexts follow the dialects, 8-byte aligned. */
export function negotiateRequest(h: RequestHeader, o: NegotiateRequestOptions = {}): Buffer {
  const dialects = o.dialects ?? DIALECTS;
  if (dialects.length === 0) throw new RangeError('dialects must name at least one dialect');
  const fixed = Buffer.alloc(36);
  fixed.writeUInt16LE(36, 0); // StructureSize
  fixed.writeUInt16LE(dialects.length, 2);
  fixed.writeUInt16LE(fits(o.securityMode ?? SECURITY_MODE.SIGNING_ENABLED, 0xffff, 'securityMode'), 4);
  fixed.writeUInt32LE(fits(o.capabilities ?? CAPABILITIES.ENCRYPTION, 0xffffffff, 'capabilities'), 8);
  guidBytes(o.clientGuid ?? randomBytes(16), 'clientGuid').copy(fixed, 12);
  const dialectList = u16List(dialects, 'dialects');
  if (!dialects.includes(DIALECT.SMB_3_1_1)) return request(COMMAND.NEGOTIATE, h, Buffer.concat([fixed, dialectList])); // ClientStartTime stays 0
  const contexts = requestContexts(o);
  const beforeContexts = pad8(Buffer.concat([Buffer.alloc(HEADER_SIZE), fixed, dialectList])).length;
  fixed.writeUInt32LE(beforeContexts, 28); // NegotiateContextOffset, from the start of the header
  fixed.writeUInt16LE(contexts.length, 32); // NegotiateContextCount
  // Every context but the last is padded to 8 bytes; Windows sends no padding after the last one.
  const list = Buffer.concat(contexts.map((c, i) => (i < contexts.length - 1 ? pad8(c) : c)));
  const body = Buffer.concat([fixed, dialectList]);
  return request(COMMAND.NEGOTIATE, h, Buffer.concat([body, Buffer.alloc(beforeContexts - HEADER_SIZE - body.length), list]));
}

export interface NegotiateContext {
  readonly type: number;
  readonly data: Buffer;
}

/** [MS-SMB2] 2.2.4 NEGOTIATE Response. */
export interface NegotiateResponse {
  readonly header: Smb2Header;
  readonly securityMode: number;
  readonly dialect: number;
  readonly serverGuid: Buffer;
  readonly capabilities: number;
  readonly maxTransactSize: number;
  readonly maxReadSize: number;
  readonly maxWriteSize: number;
  readonly systemTime: Date | null;
  readonly serverStartTime: Date | null;
  /** The GSS token (SPNEGO negTokenInit) the server offers, possibly empty. */
  readonly securityBuffer: Buffer;
  /** 3.1.1: the preauth integrity hash the server chose and its salt. */
  readonly preauth: { readonly hashAlgorithm: number; readonly salt: Buffer } | null;
  /** 3.1.1: the cipher the server chose, null when none (no context, or the "no common cipher" value 0). */
  readonly cipher: Cipher | null;
  /** 3.1.1: the signing algorithm the server chose, null without a signing context (then AES-CMAC applies). */
  readonly signingAlgorithm: SigningAlgorithm | null;
  /** Every negotiate context as sent, the ones above included. */
  readonly contexts: readonly NegotiateContext[];
}

function parseContexts(message: Buffer, offset: number, count: number): NegotiateContext[] {
  if (offset % 8 !== 0) throw malformed(`NegotiateContextOffset ${offset} is not 8-byte aligned`);
  const contexts: NegotiateContext[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const head = region(message, at, 8, `negotiate context ${i + 1} of ${count}`);
    const length = head.readUInt16LE(2);
    contexts.push({ type: head.readUInt16LE(0), data: region(message, at + 8, length, `negotiate context ${i + 1} data`) });
    at = align8(at + 8 + length);
  }
  return contexts;
}

/** A response context that names one choice: a 16-bit count that must be 1, then the choice. */
function oneChoice(data: Buffer, what: string): number {
  need(data, 4, what);
  const n = data.readUInt16LE(0);
  if (n !== 1) throw malformed(`${what} lists ${n} choices, a response must list exactly 1`);
  return data.readUInt16LE(2);
}

function only(contexts: readonly NegotiateContext[], type: number, what: string): NegotiateContext | null {
  const found = contexts.filter((c) => c.type === type);
  if (found.length > 1) throw malformed(`the NEGOTIATE response has ${found.length} ${what} contexts`);
  return found[0] ?? null;
}

export function parseNegotiateResponse(message: Buffer): NegotiateResponse {
  const { header, body } = expectResponse(message, COMMAND.NEGOTIATE);
  need(body, 64, 'SMB2 NEGOTIATE response');
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== 65) throw malformed(`SMB2 NEGOTIATE response StructureSize ${structureSize}, expected 65`);
  const dialect = body.readUInt16LE(4);
  const securityBuffer = Buffer.from(region(message, body.readUInt16LE(56), body.readUInt16LE(58), 'NEGOTIATE security buffer'));
  let contexts: NegotiateContext[] = [];
  let preauth: NegotiateResponse['preauth'] = null;
  let cipher: Cipher | null = null;
  let signingAlgorithm: SigningAlgorithm | null = null;
  if (dialect === DIALECT.SMB_3_1_1) {
    contexts = parseContexts(message, body.readUInt32LE(60), body.readUInt16LE(6)).map((c) => ({ type: c.type, data: Buffer.from(c.data) }));
    // [MS-SMB2] 3.2.5.2: a 3.1.1 response without exactly one preauth context is refused.
    const p = only(contexts, NEGOTIATE_CONTEXT.PREAUTH_INTEGRITY_CAPABILITIES, 'PREAUTH_INTEGRITY_CAPABILITIES');
    if (!p) throw malformed('the 3.1.1 NEGOTIATE response has no PREAUTH_INTEGRITY_CAPABILITIES context');
    need(p.data, 6, 'PREAUTH_INTEGRITY_CAPABILITIES context');
    const hashCount = p.data.readUInt16LE(0);
    const saltLength = p.data.readUInt16LE(2);
    if (hashCount !== 1) throw malformed(`PREAUTH_INTEGRITY_CAPABILITIES lists ${hashCount} hash algorithms, a response must list exactly 1`);
    need(p.data, 6 + saltLength, 'PREAUTH_INTEGRITY_CAPABILITIES salt');
    preauth = { hashAlgorithm: p.data.readUInt16LE(4), salt: p.data.subarray(6, 6 + saltLength) };
    const e = only(contexts, NEGOTIATE_CONTEXT.ENCRYPTION_CAPABILITIES, 'ENCRYPTION_CAPABILITIES');
    if (e) {
      const id = oneChoice(e.data, 'ENCRYPTION_CAPABILITIES');
      if (id !== 0 && !Object.values(CIPHER).includes(id as Cipher)) throw malformed(`the server chose unknown cipher 0x${id.toString(16)}`);
      cipher = id === 0 ? null : (id as Cipher);
    }
    const s = only(contexts, NEGOTIATE_CONTEXT.SIGNING_CAPABILITIES, 'SIGNING_CAPABILITIES');
    if (s) {
      const id = oneChoice(s.data, 'SIGNING_CAPABILITIES');
      if (!Object.values(SIGNING_ALGORITHM).includes(id as SigningAlgorithm)) throw malformed(`the server chose unknown signing algorithm 0x${id.toString(16)}`);
      signingAlgorithm = id as SigningAlgorithm;
    }
  }
  return {
    header,
    securityMode: body.readUInt16LE(2),
    dialect,
    serverGuid: Buffer.from(body.subarray(8, 24)),
    capabilities: body.readUInt32LE(24),
    maxTransactSize: body.readUInt32LE(28),
    maxReadSize: body.readUInt32LE(32),
    maxWriteSize: body.readUInt32LE(36),
    systemTime: fileTime(body.readBigUInt64LE(40)),
    serverStartTime: fileTime(body.readBigUInt64LE(48)),
    securityBuffer,
    preauth,
    cipher,
    signingAlgorithm,
    contexts,
  };
}
