/**
 * [MS-SMB2] 2.2.1 The SMB2 packet header: SYNC (2.2.1.2) for every request this client sends, SYNC or ASYNC
 * (2.2.1.1, an interim STATUS_PENDING answer and its final response) for what a server sends back.
 */
import { FLAGS, HEADER_SIZE, SMB2_MAGIC } from './constants.js';
import { fits, malformed, need } from './wire.js';

export interface Smb2Header {
  readonly creditCharge: number;
  /** NTSTATUS in a response; in a 3.x request the ChannelSequence (low 16 bits) and Reserved. */
  readonly status: number;
  readonly command: number;
  /** CreditRequest in a request, CreditResponse (credits granted) in a response. */
  readonly credits: number;
  readonly flags: number;
  readonly nextCommand: number;
  readonly messageId: bigint;
  /** AsyncId when SMB2_FLAGS_ASYNC_COMMAND is set, else null. */
  readonly asyncId: bigint | null;
  /** The SYNC header's Reserved field (once ProcessId; Windows sends 0xFEFF); 0 in an ASYNC header. */
  readonly reserved: number;
  /** 0 in an ASYNC header, whose TreeId bytes hold the AsyncId. */
  readonly treeId: number;
  readonly sessionId: bigint;
  readonly signature: Buffer;
}

/** What a caller chooses for the header of one request. */
export interface RequestHeader {
  readonly messageId: bigint;
  /** @default 0n (NEGOTIATE and the first SESSION_SETUP) */
  readonly sessionId?: bigint;
  /** @default 0 */
  readonly treeId?: number;
  /**
   * Credits this request costs: 1 per started 64 KiB of its payload or expected answer once LARGE_MTU is
   * negotiated ([MS-SMB2] 3.1.5.2, see `creditCharge`). The field is reserved in 2.0.2: send 0 once 2.0.2 is the
   * negotiated dialect.
   * @default 1
   */
  readonly creditCharge?: number;
  /** Credits asked for. @default 64 */
  readonly creditRequest?: number;
  /** FLAGS bits; SIGNED is set by `sign`, not here. @default 0 */
  readonly flags?: number;
  /** [MS-SMB2] 3.2.4.1.1 ChannelSequence (3.x), in the low 16 bits of the Status field. @default 0 */
  readonly channelSequence?: number;
  /** The Reserved field (0xFEFF from Windows clients). @default 0 */
  readonly reserved?: number;
  /**
   * Makes this an ASYNC header (2.2.1.1) for the request with this AsyncId: only a CANCEL of a request the server
   * answered with an interim STATUS_PENDING is sent so. @default none (a SYNC header)
   */
  readonly asyncId?: bigint;
}

/** [MS-SMB2] 3.1.5.2 CreditCharge for a payload or expected answer of `bytes` (at least 1). */
export function creditCharge(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 65536));
}

/** [MS-SMB2] 2.2.1.2 A SYNC request header, or 2.2.1.1 an ASYNC one when `asyncId` is given. */
export function encodeHeader(command: number, h: RequestHeader): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  SMB2_MAGIC.copy(b, 0);
  b.writeUInt16LE(HEADER_SIZE, 4);
  b.writeUInt16LE(fits(h.creditCharge ?? 1, 0xffff, 'creditCharge'), 6);
  b.writeUInt16LE(fits(h.channelSequence ?? 0, 0xffff, 'channelSequence'), 8);
  b.writeUInt16LE(fits(command, 0xffff, 'command'), 12);
  b.writeUInt16LE(fits(h.creditRequest ?? 64, 0xffff, 'creditRequest'), 14);
  const flags = fits(h.flags ?? 0, 0xffffffff, 'flags');
  b.writeUInt32LE(h.asyncId === undefined ? flags : (flags | FLAGS.ASYNC_COMMAND) >>> 0, 16);
  b.writeBigUInt64LE(h.messageId, 24);
  if (h.asyncId === undefined) {
    b.writeUInt32LE(fits(h.reserved ?? 0, 0xffffffff, 'reserved'), 32);
    b.writeUInt32LE(fits(h.treeId ?? 0, 0xffffffff, 'treeId'), 36);
  } else {
    b.writeBigUInt64LE(h.asyncId, 32);
  }
  b.writeBigUInt64LE(h.sessionId ?? 0n, 40);
  return b;
}

/** A request: its header followed by its body. */
export function request(command: number, h: RequestHeader, body: Buffer): Buffer {
  return Buffer.concat([encodeHeader(command, h), body]);
}

/** [MS-SMB2] 2.2.1.1 / 2.2.1.2 Decodes the header at the start of one SMB2 message. */
export function parseHeader(message: Buffer): Smb2Header {
  need(message, HEADER_SIZE, 'SMB2 header');
  if (!message.subarray(0, 4).equals(SMB2_MAGIC)) throw malformed(`not an SMB2 message (protocol id ${message.subarray(0, 4).toString('hex')})`);
  const structureSize = message.readUInt16LE(4);
  if (structureSize !== HEADER_SIZE) throw malformed(`SMB2 header StructureSize ${structureSize}, expected 64`);
  const flags = message.readUInt32LE(16);
  const async = (flags & FLAGS.ASYNC_COMMAND) !== 0;
  return {
    creditCharge: message.readUInt16LE(6),
    status: message.readUInt32LE(8),
    command: message.readUInt16LE(12),
    credits: message.readUInt16LE(14),
    flags,
    nextCommand: message.readUInt32LE(20),
    messageId: message.readBigUInt64LE(24),
    asyncId: async ? message.readBigUInt64LE(32) : null,
    reserved: async ? 0 : message.readUInt32LE(32),
    treeId: async ? 0 : message.readUInt32LE(36),
    sessionId: message.readBigUInt64LE(40),
    signature: Buffer.from(message.subarray(48, 64)),
  };
}

/** True for a message that starts with the SMB2 protocol id (0xFE 'S' 'M' 'B'). */
export function isSmb2(message: Buffer): boolean {
  return message.length >= 4 && message.subarray(0, 4).equals(SMB2_MAGIC);
}
