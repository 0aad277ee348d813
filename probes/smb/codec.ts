/**
 * SMB2/3 messages an anonymous probe sends and reads: Direct TCP transport framing ([MS-SMB2] 2.1), the SMB2 header
 * (2.2.1.2), NEGOTIATE request/response (2.2.3, 2.2.3.1, 2.2.4) and SESSION_SETUP request/response (2.2.5, 2.2.6).
 */
import { randomBytes } from 'node:crypto';
import { ProbeError } from '../core/outcome.js';

export const SMB2_MAGIC = Buffer.from([0xfe, 0x53, 0x4d, 0x42]);
export const COMMAND = { NEGOTIATE: 0, SESSION_SETUP: 1 } as const;
export const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311] as const;
export const DIALECT_NAMES: Record<number, string> = { 0x0202: '2.0.2', 0x0210: '2.1', 0x0300: '3.0', 0x0302: '3.0.2', 0x0311: '3.1.1', 0x02ff: '2.???' };
export const STATUS = { SUCCESS: 0, MORE_PROCESSING_REQUIRED: 0xc0000016, ACCESS_DENIED: 0xc0000022, NOT_SUPPORTED: 0xc00000bb, INVALID_PARAMETER: 0xc000000d } as const;
export const SECURITY_MODE = { SIGNING_ENABLED: 0x01, SIGNING_REQUIRED: 0x02 } as const;

/** [MS-SMB2] 2.1: a zero byte and a 24-bit big-endian length in front of every message. */
export function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(message.length, 0);
  return Buffer.concat([head, message]);
}

/** Length of the framed message at the start of `data` (4 + length), 0 when more bytes are needed. */
export function framedLength(data: Buffer, max = 65536): number {
  if (data.length < 4) return 0;
  if (data[0] !== 0) throw new ProbeError('no-match', 'not an SMB Direct TCP frame');
  const length = data.readUInt32BE(0) & 0xffffff;
  if (length < 64 || length > max) throw new ProbeError('protocol-error', `SMB message length ${length} out of range`);
  return data.length >= 4 + length ? 4 + length : 0;
}

/** [MS-SMB2] 2.2.1.2 SMB2 Packet Header - SYNC. */
export function header(command: number, messageId: number, sessionId = 0n): Buffer {
  const h = Buffer.alloc(64);
  SMB2_MAGIC.copy(h, 0);
  h.writeUInt16LE(64, 4); // StructureSize
  h.writeUInt16LE(command, 12);
  h.writeUInt16LE(31, 14); // CreditRequest
  h.writeBigUInt64LE(BigInt(messageId), 24);
  h.writeBigUInt64LE(sessionId, 40);
  return h;
}

function pad8(b: Buffer): Buffer {
  return b.length % 8 === 0 ? b : Buffer.concat([b, Buffer.alloc(8 - (b.length % 8))]);
}

/** [MS-SMB2] 2.2.3 NEGOTIATE offering every dialect, with the 3.1.1 contexts (2.2.3.1.1 preauth, 2.2.3.1.2 encryption). */
export function negotiateRequest(messageId = 0): Buffer {
  const dialects = Buffer.alloc(DIALECTS.length * 2);
  DIALECTS.forEach((d, i) => dialects.writeUInt16LE(d, i * 2));
  const fixed = Buffer.alloc(36);
  fixed.writeUInt16LE(36, 0); // StructureSize
  fixed.writeUInt16LE(DIALECTS.length, 2);
  fixed.writeUInt16LE(SECURITY_MODE.SIGNING_ENABLED, 4);
  fixed.writeUInt32LE(0x7f, 8); // Capabilities: DFS, LEASING, LARGE_MTU, MULTI_CHANNEL, PERSISTENT, DIR_LEASING, ENCRYPTION
  randomBytes(16).copy(fixed, 12); // ClientGuid
  const contextsAt = pad8(Buffer.concat([header(COMMAND.NEGOTIATE, messageId), fixed, dialects])).length;
  fixed.writeUInt32LE(contextsAt, 28); // NegotiateContextOffset
  fixed.writeUInt16LE(2, 32); // NegotiateContextCount
  const preauth = Buffer.alloc(38);
  preauth.writeUInt16LE(1, 0); // HashAlgorithmCount
  preauth.writeUInt16LE(32, 2); // SaltLength
  preauth.writeUInt16LE(1, 4); // SHA-512
  randomBytes(32).copy(preauth, 6);
  const encryption = Buffer.alloc(10);
  encryption.writeUInt16LE(4, 0); // CipherCount
  [2, 1, 4, 3].forEach((c, i) => encryption.writeUInt16LE(c, 2 + i * 2)); // AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM
  const context = (type: number, data: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(type, 0);
    h.writeUInt16LE(data.length, 2);
    return pad8(Buffer.concat([h, data]));
  };
  const body = pad8(Buffer.concat([header(COMMAND.NEGOTIATE, messageId), fixed, dialects]));
  return Buffer.concat([body, context(1, preauth), context(2, encryption)]);
}

export interface Response {
  readonly status: number;
  readonly command: number;
  readonly sessionId: bigint;
  readonly body: Buffer;
  readonly message: Buffer;
}

export function parseResponse(message: Buffer): Response {
  if (message.length < 64 || !message.subarray(0, 4).equals(SMB2_MAGIC)) {
    if (message.subarray(0, 4).equals(Buffer.from([0xff, 0x53, 0x4d, 0x42]))) throw new ProbeError('unsupported', 'the server answered with SMB1 only');
    throw new ProbeError('no-match', 'not an SMB2 message');
  }
  return { status: message.readUInt32LE(8), command: message.readUInt16LE(12), sessionId: message.readBigUInt64LE(40), body: message.subarray(64), message };
}

export interface NegotiateResult {
  readonly dialect: number;
  readonly securityMode: number;
  readonly serverGuid: string;
  readonly capabilities: number;
  readonly systemTime: Date | null;
  readonly securityBlob: Buffer;
}

/** [MS-SMB2] 2.2.4 NEGOTIATE Response. */
export function parseNegotiate(res: Response): NegotiateResult {
  const b = res.body;
  if (b.length < 64 || b.readUInt16LE(0) !== 65) throw new ProbeError('protocol-error', 'malformed SMB2 NEGOTIATE response');
  const blobOffset = b.readUInt16LE(56);
  const blobLength = b.readUInt16LE(58);
  const blob = blobLength && blobOffset + blobLength <= res.message.length ? res.message.subarray(blobOffset, blobOffset + blobLength) : Buffer.alloc(0);
  const ticks = b.readBigUInt64LE(40);
  return {
    securityMode: b.readUInt16LE(2),
    dialect: b.readUInt16LE(4),
    serverGuid: b.subarray(8, 24).toString('hex'),
    capabilities: b.readUInt32LE(24),
    systemTime: ticks ? new Date(Number(ticks / 10000n) - 11644473600000) : null,
    securityBlob: blob,
  };
}

/** [MS-SMB2] 2.2.5 SESSION_SETUP Request carrying a security token. */
export function sessionSetupRequest(messageId: number, token: Buffer): Buffer {
  const fixed = Buffer.alloc(24);
  fixed.writeUInt16LE(25, 0); // StructureSize
  fixed[3] = SECURITY_MODE.SIGNING_ENABLED;
  fixed.writeUInt16LE(64 + 24, 12); // SecurityBufferOffset
  fixed.writeUInt16LE(token.length, 14);
  return Buffer.concat([header(COMMAND.SESSION_SETUP, messageId), fixed, token]);
}

/** [MS-SMB2] 2.2.6 SESSION_SETUP Response: its security buffer. */
export function sessionSetupBlob(res: Response): Buffer {
  const b = res.body;
  if (b.length < 8 || b.readUInt16LE(0) !== 9) throw new ProbeError('protocol-error', 'malformed SMB2 SESSION_SETUP response');
  const offset = b.readUInt16LE(4);
  const length = b.readUInt16LE(6);
  if (offset + length > res.message.length) throw new ProbeError('protocol-error', 'SESSION_SETUP security buffer runs past the message');
  return res.message.subarray(offset, offset + length);
}
