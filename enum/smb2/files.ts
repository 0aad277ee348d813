/**
 * Opening, reading, writing and closing a file or named pipe: [MS-SMB2] 2.2.13 / 2.2.14 CREATE, 2.2.15 / 2.2.16
 * CLOSE, 2.2.19 / 2.2.20 READ, 2.2.21 / 2.2.22 WRITE.
 */
import {
  COMMAND, CREATE_DISPOSITION, CREATE_OPTIONS, HEADER_SIZE, IMPERSONATION, OPLOCK_LEVEL, PIPE_ACCESS, SHARE_ACCESS,
} from './constants.js';
import { request, RequestHeader, Smb2Header } from './header.js';
import { expectResponse, NT_STATUS } from './status.js';
import { fileTime, fits, malformed, need, region } from './wire.js';

/** [MS-SMB2] 2.2.14.1 SMB2_FILEID: the handle of an open. */
export interface FileId {
  readonly persistent: bigint;
  readonly volatile: bigint;
}

export function encodeFileId(id: FileId): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(id.persistent, 0);
  b.writeBigUInt64LE(id.volatile, 8);
  return b;
}

export function decodeFileId(b: Buffer, at: number): FileId {
  return { persistent: b.readBigUInt64LE(at), volatile: b.readBigUInt64LE(at + 8) };
}

function expectSize(body: Buffer, size: number, what: string): void {
  need(body, size - (size % 2), `SMB2 ${what} response`);
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== size) throw malformed(`SMB2 ${what} response StructureSize ${structureSize}, expected ${size}`);
}

export interface CreateRequestOptions {
  /** Path relative to the share, without a leading backslash: a pipe's name on IPC$ ("samr", "srvsvc"). */
  readonly name: string;
  /** @default PIPE_ACCESS (0x0012019f) */
  readonly desiredAccess?: number;
  /** @default READ | WRITE */
  readonly shareAccess?: number;
  /** @default OPEN */
  readonly disposition?: number;
  /** @default NON_DIRECTORY_FILE */
  readonly createOptions?: number;
  /** @default IMPERSONATION (the level a DCE/RPC server needs to act as the caller) */
  readonly impersonationLevel?: number;
  /** @default 0 */
  readonly fileAttributes?: number;
  /** @default NONE */
  readonly oplockLevel?: number;
}

const CREATE_FIXED = 56;

/** [MS-SMB2] 2.2.13 CREATE Request, without create contexts. */
export function createRequest(h: RequestHeader, o: CreateRequestOptions): Buffer {
  if (o.name.startsWith('\\')) throw new RangeError(`name must not start with a backslash, got "${o.name}"`);
  const name = Buffer.from(o.name, 'utf16le');
  const fixed = Buffer.alloc(CREATE_FIXED);
  fixed.writeUInt16LE(57, 0); // StructureSize
  fixed[3] = fits(o.oplockLevel ?? OPLOCK_LEVEL.NONE, 0xff, 'oplockLevel');
  fixed.writeUInt32LE(fits(o.impersonationLevel ?? IMPERSONATION.IMPERSONATION, 3, 'impersonationLevel'), 4);
  fixed.writeUInt32LE(fits(o.desiredAccess ?? PIPE_ACCESS, 0xffffffff, 'desiredAccess'), 24);
  fixed.writeUInt32LE(fits(o.fileAttributes ?? 0, 0xffffffff, 'fileAttributes'), 28);
  fixed.writeUInt32LE(fits(o.shareAccess ?? SHARE_ACCESS.READ | SHARE_ACCESS.WRITE, 7, 'shareAccess'), 32);
  fixed.writeUInt32LE(fits(o.disposition ?? CREATE_DISPOSITION.OPEN, 5, 'disposition'), 36);
  fixed.writeUInt32LE(fits(o.createOptions ?? CREATE_OPTIONS.NON_DIRECTORY_FILE, 0xffffffff, 'createOptions'), 40);
  fixed.writeUInt16LE(HEADER_SIZE + CREATE_FIXED, 44); // NameOffset
  fixed.writeUInt16LE(fits(name.length, 0xffff, 'name length'), 46);
  // CreateContextsOffset and CreateContextsLength stay 0. The Buffer is at least one byte, even for an empty name.
  return request(COMMAND.CREATE, h, Buffer.concat([fixed, name.length ? name : Buffer.alloc(1)]));
}

/** [MS-SMB2] 2.2.14 CREATE Response. */
export interface CreateResponse {
  readonly header: Smb2Header;
  readonly oplockLevel: number;
  readonly flags: number;
  readonly createAction: number;
  readonly creationTime: Date | null;
  readonly lastAccessTime: Date | null;
  readonly lastWriteTime: Date | null;
  readonly changeTime: Date | null;
  readonly allocationSize: bigint;
  readonly endOfFile: bigint;
  readonly fileAttributes: number;
  readonly fileId: FileId;
  /** The raw create contexts (2.2.14.2), empty when the server sent none. */
  readonly createContexts: Buffer;
}

export function parseCreateResponse(message: Buffer): CreateResponse {
  const { header, body } = expectResponse(message, COMMAND.CREATE);
  expectSize(body, 89, 'CREATE');
  return {
    header,
    oplockLevel: body[2]!,
    flags: body[3]!,
    createAction: body.readUInt32LE(4),
    creationTime: fileTime(body.readBigUInt64LE(8)),
    lastAccessTime: fileTime(body.readBigUInt64LE(16)),
    lastWriteTime: fileTime(body.readBigUInt64LE(24)),
    changeTime: fileTime(body.readBigUInt64LE(32)),
    allocationSize: body.readBigUInt64LE(40),
    endOfFile: body.readBigUInt64LE(48),
    fileAttributes: body.readUInt32LE(56),
    fileId: decodeFileId(body, 64),
    createContexts: Buffer.from(region(message, body.readUInt32LE(80), body.readUInt32LE(84), 'CREATE create contexts')),
  };
}

/** [MS-SMB2] 2.2.15 CLOSE Request. */
export function closeRequest(h: RequestHeader, fileId: FileId, flags = 0): Buffer {
  const body = Buffer.alloc(24);
  body.writeUInt16LE(24, 0); // StructureSize
  body.writeUInt16LE(fits(flags, 0xffff, 'flags'), 2);
  encodeFileId(fileId).copy(body, 8);
  return request(COMMAND.CLOSE, h, body);
}

/** [MS-SMB2] 2.2.16 CLOSE Response (the attributes are zero unless POSTQUERY_ATTRIB was asked). */
export interface CloseResponse {
  readonly header: Smb2Header;
  readonly flags: number;
  readonly allocationSize: bigint;
  readonly endOfFile: bigint;
  readonly fileAttributes: number;
}

export function parseCloseResponse(message: Buffer): CloseResponse {
  const { header, body } = expectResponse(message, COMMAND.CLOSE);
  expectSize(body, 60, 'CLOSE');
  return { header, flags: body.readUInt16LE(2), allocationSize: body.readBigUInt64LE(40), endOfFile: body.readBigUInt64LE(48), fileAttributes: body.readUInt32LE(56) };
}

export interface ReadRequestOptions {
  readonly fileId: FileId;
  /** Bytes asked for, at most the negotiated MaxReadSize. */
  readonly length: number;
  /** @default 0n (a pipe has no position) */
  readonly offset?: bigint;
  /** @default 0 */
  readonly minimumCount?: number;
  /** READ_FLAGS bits. @default 0 */
  readonly flags?: number;
}

const READ_FIXED = 48;

/** [MS-SMB2] 2.2.19 READ Request. */
export function readRequest(h: RequestHeader, o: ReadRequestOptions): Buffer {
  const body = Buffer.alloc(READ_FIXED + 1); // the Buffer field is one byte even when empty
  body.writeUInt16LE(49, 0); // StructureSize
  body[2] = 0x50; // Padding: where the data should start in the response (header + 16-byte body), as Windows asks
  body[3] = fits(o.flags ?? 0, 0xff, 'flags');
  body.writeUInt32LE(fits(o.length, 0xffffffff, 'length'), 4);
  body.writeBigUInt64LE(o.offset ?? 0n, 8);
  encodeFileId(o.fileId).copy(body, 16);
  body.writeUInt32LE(fits(o.minimumCount ?? 0, 0xffffffff, 'minimumCount'), 32);
  // Channel, RemainingBytes, ReadChannelInfoOffset and ReadChannelInfoLength stay 0.
  return request(COMMAND.READ, h, body);
}

/** [MS-SMB2] 2.2.20 READ Response. */
export interface ReadResponse {
  readonly header: Smb2Header;
  readonly data: Buffer;
  readonly dataRemaining: number;
  /** STATUS_BUFFER_OVERFLOW: a pipe message longer than the read; read again for the rest. */
  readonly more: boolean;
}

/** Accepts STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW (a partial pipe message). */
export function parseReadResponse(message: Buffer): ReadResponse {
  const { header, body } = expectResponse(message, COMMAND.READ, [NT_STATUS.SUCCESS, NT_STATUS.BUFFER_OVERFLOW]);
  expectSize(body, 17, 'READ');
  return {
    header,
    data: Buffer.from(region(message, body[2]!, body.readUInt32LE(4), 'READ data')),
    dataRemaining: body.readUInt32LE(8),
    more: header.status === NT_STATUS.BUFFER_OVERFLOW,
  };
}

export interface WriteRequestOptions {
  readonly fileId: FileId;
  readonly data: Buffer;
  /** @default 0n */
  readonly offset?: bigint;
  /** WRITE_FLAGS bits. @default 0 */
  readonly flags?: number;
}

const WRITE_FIXED = 48;

/** [MS-SMB2] 2.2.21 WRITE Request. */
export function writeRequest(h: RequestHeader, o: WriteRequestOptions): Buffer {
  const fixed = Buffer.alloc(WRITE_FIXED);
  fixed.writeUInt16LE(49, 0); // StructureSize
  fixed.writeUInt16LE(HEADER_SIZE + WRITE_FIXED, 2); // DataOffset
  fixed.writeUInt32LE(fits(o.data.length, 0xffffffff, 'data length'), 4);
  fixed.writeBigUInt64LE(o.offset ?? 0n, 8);
  encodeFileId(o.fileId).copy(fixed, 16);
  // Channel and RemainingBytes stay 0. WriteChannelInfoOffset points at the data with a zero length, as Windows
  // sends it; with no channel info the value means nothing to a server.
  fixed.writeUInt16LE(HEADER_SIZE + WRITE_FIXED, 40);
  fixed.writeUInt32LE(fits(o.flags ?? 0, 0xffffffff, 'flags'), 44);
  return request(COMMAND.WRITE, h, Buffer.concat([fixed, o.data]));
}

/** [MS-SMB2] 2.2.22 WRITE Response. */
export interface WriteResponse {
  readonly header: Smb2Header;
  readonly count: number;
  readonly remaining: number;
}

export function parseWriteResponse(message: Buffer): WriteResponse {
  const { header, body } = expectResponse(message, COMMAND.WRITE);
  expectSize(body, 17, 'WRITE');
  return { header, count: body.readUInt32LE(4), remaining: body.readUInt32LE(8) };
}
