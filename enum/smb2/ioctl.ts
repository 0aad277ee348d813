/**
 * [MS-SMB2] 2.2.31 / 2.2.32 IOCTL: FSCTL_PIPE_TRANSCEIVE (a DCE/RPC request written and its answer read in one
 * round trip, [MS-FSCC] 2.3.50) and FSCTL_VALIDATE_NEGOTIATE_INFO (2.2.31.4 / 2.2.32.6, the 3.0 / 3.0.2
 * downgrade check).
 */
import { COMMAND, FSCTL, HEADER_SIZE, IOCTL_FLAGS } from './constants.js';
import { FileId, decodeFileId, encodeFileId } from './files.js';
import { request, RequestHeader, Smb2Header } from './header.js';
import { expectResponse, NT_STATUS } from './status.js';
import { fits, guidBytes, malformed, need, region } from './wire.js';

export interface IoctlRequestOptions {
  readonly ctlCode: number;
  readonly fileId: FileId;
  readonly input?: Buffer;
  /** Most output bytes the server may return; at most the negotiated MaxTransactSize. @default 65536 */
  readonly maxOutputResponse?: number;
  /** @default 0 */
  readonly maxInputResponse?: number;
  /** @default IS_FSCTL */
  readonly flags?: number;
}

const IOCTL_FIXED = 56;

/** [MS-SMB2] 2.2.31 IOCTL Request. */
export function ioctlRequest(h: RequestHeader, o: IoctlRequestOptions): Buffer {
  const input = o.input ?? Buffer.alloc(0);
  const fixed = Buffer.alloc(IOCTL_FIXED);
  fixed.writeUInt16LE(57, 0); // StructureSize
  fixed.writeUInt32LE(fits(o.ctlCode, 0xffffffff, 'ctlCode'), 4);
  encodeFileId(o.fileId).copy(fixed, 8);
  fixed.writeUInt32LE(input.length ? HEADER_SIZE + IOCTL_FIXED : 0, 24); // InputOffset
  fixed.writeUInt32LE(fits(input.length, 0xffffffff, 'input length'), 28);
  fixed.writeUInt32LE(fits(o.maxInputResponse ?? 0, 0xffffffff, 'maxInputResponse'), 32);
  // OutputOffset and OutputCount stay 0: a request carries no output buffer.
  fixed.writeUInt32LE(fits(o.maxOutputResponse ?? 65536, 0xffffffff, 'maxOutputResponse'), 44);
  fixed.writeUInt32LE(fits(o.flags ?? IOCTL_FLAGS.IS_FSCTL, 0xffffffff, 'flags'), 48);
  return request(COMMAND.IOCTL, h, Buffer.concat([fixed, input]));
}

/** FSCTL_PIPE_TRANSCEIVE on an open pipe: `data` is written and the pipe's answer comes back in the output. */
export function transceiveRequest(h: RequestHeader, fileId: FileId, data: Buffer, maxOutputResponse = 65536): Buffer {
  return ioctlRequest(h, { ctlCode: FSCTL.PIPE_TRANSCEIVE, fileId, input: data, maxOutputResponse });
}

/** [MS-SMB2] 2.2.32 IOCTL Response. */
export interface IoctlResponse {
  readonly header: Smb2Header;
  readonly ctlCode: number;
  readonly fileId: FileId;
  readonly input: Buffer;
  readonly output: Buffer;
  readonly flags: number;
  /** STATUS_BUFFER_OVERFLOW: the pipe holds more of this message than fitted; READ the rest. */
  readonly more: boolean;
}

/** Accepts STATUS_SUCCESS and STATUS_BUFFER_OVERFLOW (a transceive whose answer did not fit). */
export function parseIoctlResponse(message: Buffer): IoctlResponse {
  const { header, body } = expectResponse(message, COMMAND.IOCTL, [NT_STATUS.SUCCESS, NT_STATUS.BUFFER_OVERFLOW]);
  need(body, 48, 'SMB2 IOCTL response');
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== 49) throw malformed(`SMB2 IOCTL response StructureSize ${structureSize}, expected 49`);
  return {
    header,
    ctlCode: body.readUInt32LE(4),
    fileId: decodeFileId(body, 8),
    input: Buffer.from(region(message, body.readUInt32LE(24), body.readUInt32LE(28), 'IOCTL input')),
    output: Buffer.from(region(message, body.readUInt32LE(32), body.readUInt32LE(36), 'IOCTL output')),
    flags: body.readUInt32LE(40),
    more: header.status === NT_STATUS.BUFFER_OVERFLOW,
  };
}

/** The FileId of an IOCTL that concerns no open ([MS-SMB2] 2.2.31: every bit set). */
export const NO_FILE: FileId = { persistent: 0xffffffffffffffffn, volatile: 0xffffffffffffffffn };

/** What a 3.0 / 3.0.2 client sent in its NEGOTIATE, repeated for the server to compare. */
export interface ValidateNegotiateInfo {
  readonly capabilities: number;
  readonly guid: Buffer;
  readonly securityMode: number;
  readonly dialects: readonly number[];
}

/** [MS-SMB2] 2.2.31.4 VALIDATE_NEGOTIATE_INFO Request, sent as FSCTL_VALIDATE_NEGOTIATE_INFO (3.2.5.14.x). */
export function validateNegotiateInfoRequest(h: RequestHeader, v: ValidateNegotiateInfo): Buffer {
  const input = Buffer.alloc(24 + v.dialects.length * 2);
  input.writeUInt32LE(fits(v.capabilities, 0xffffffff, 'capabilities'), 0);
  guidBytes(v.guid, 'guid').copy(input, 4);
  input.writeUInt16LE(fits(v.securityMode, 0xffff, 'securityMode'), 20);
  input.writeUInt16LE(fits(v.dialects.length, 0xffff, 'dialect count'), 22);
  v.dialects.forEach((d, i) => input.writeUInt16LE(fits(d, 0xffff, 'dialect'), 24 + i * 2));
  return ioctlRequest(h, { ctlCode: FSCTL.VALIDATE_NEGOTIATE_INFO, fileId: NO_FILE, input, maxOutputResponse: 24 });
}

/** [MS-SMB2] 2.2.32.6 VALIDATE_NEGOTIATE_INFO Response: what the server negotiated, to compare with its NEGOTIATE answer. */
export interface ValidateNegotiateInfoResponse {
  readonly capabilities: number;
  readonly guid: Buffer;
  readonly securityMode: number;
  readonly dialect: number;
}

export function parseValidateNegotiateInfo(output: Buffer): ValidateNegotiateInfoResponse {
  need(output, 24, 'VALIDATE_NEGOTIATE_INFO response');
  return { capabilities: output.readUInt32LE(0), guid: Buffer.from(output.subarray(4, 20)), securityMode: output.readUInt16LE(20), dialect: output.readUInt16LE(22) };
}
