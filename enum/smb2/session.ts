/**
 * [MS-SMB2] 2.2.5 / 2.2.6 SESSION_SETUP carrying the GSS (SPNEGO) tokens, and 2.2.7 / 2.2.8 LOGOFF.
 */
import { COMMAND, HEADER_SIZE, SECURITY_MODE, SESSION_FLAGS } from './constants.js';
import { request, RequestHeader, Smb2Header } from './header.js';
import { expectResponse, NT_STATUS } from './status.js';
import { fits, malformed, need, region } from './wire.js';

export interface SessionSetupRequestOptions {
  /** The GSS token of this leg (SPNEGO-wrapped NTLM NEGOTIATE or AUTHENTICATE). */
  readonly securityBuffer: Buffer;
  /** SECURITY_MODE bits (one byte here). @default SIGNING_ENABLED */
  readonly securityMode?: number;
  /** Only CAPABILITIES.DFS is meaningful here. @default 0 */
  readonly capabilities?: number;
  /** SESSION_SETUP_FLAGS (BINDING, for multichannel). @default 0 */
  readonly flags?: number;
  /** A session of this client's lost connection, to be reclaimed. @default 0n */
  readonly previousSessionId?: bigint;
}

const SETUP_FIXED = 24;

/** [MS-SMB2] 2.2.5 SESSION_SETUP Request. */
export function sessionSetupRequest(h: RequestHeader, o: SessionSetupRequestOptions): Buffer {
  const fixed = Buffer.alloc(SETUP_FIXED);
  fixed.writeUInt16LE(25, 0); // StructureSize
  fixed[2] = fits(o.flags ?? 0, 0xff, 'flags');
  fixed[3] = fits(o.securityMode ?? SECURITY_MODE.SIGNING_ENABLED, 0xff, 'securityMode');
  fixed.writeUInt32LE(fits(o.capabilities ?? 0, 0xffffffff, 'capabilities'), 4);
  // Channel (4 bytes) is reserved and 0.
  fixed.writeUInt16LE(HEADER_SIZE + SETUP_FIXED, 12); // SecurityBufferOffset
  fixed.writeUInt16LE(fits(o.securityBuffer.length, 0xffff, 'securityBuffer length'), 14);
  fixed.writeBigUInt64LE(o.previousSessionId ?? 0n, 16);
  return request(COMMAND.SESSION_SETUP, h, Buffer.concat([fixed, o.securityBuffer]));
}

/** [MS-SMB2] 2.2.6 SESSION_SETUP Response. The header's SessionId names the session from the first answer on. */
export interface SessionSetupResponse {
  readonly header: Smb2Header;
  readonly sessionFlags: number;
  readonly isGuest: boolean;
  readonly isNull: boolean;
  /** The server requires every message of this session to be encrypted. */
  readonly encryptData: boolean;
  /** STATUS_MORE_PROCESSING_REQUIRED: the server awaits another leg. */
  readonly moreProcessing: boolean;
  readonly securityBuffer: Buffer;
}

/** Accepts STATUS_SUCCESS and STATUS_MORE_PROCESSING_REQUIRED; any other status is an Smb2StatusError. */
export function parseSessionSetupResponse(message: Buffer): SessionSetupResponse {
  const { header, body } = expectResponse(message, COMMAND.SESSION_SETUP, [NT_STATUS.SUCCESS, NT_STATUS.MORE_PROCESSING_REQUIRED]);
  need(body, 8, 'SMB2 SESSION_SETUP response');
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== 9) throw malformed(`SMB2 SESSION_SETUP response StructureSize ${structureSize}, expected 9`);
  const sessionFlags = body.readUInt16LE(2);
  return {
    header,
    sessionFlags,
    isGuest: (sessionFlags & SESSION_FLAGS.IS_GUEST) !== 0,
    isNull: (sessionFlags & SESSION_FLAGS.IS_NULL) !== 0,
    encryptData: (sessionFlags & SESSION_FLAGS.ENCRYPT_DATA) !== 0,
    moreProcessing: header.status === NT_STATUS.MORE_PROCESSING_REQUIRED,
    securityBuffer: Buffer.from(region(message, body.readUInt16LE(4), body.readUInt16LE(6), 'SESSION_SETUP security buffer')),
  };
}

/** The 4-byte body of LOGOFF, TREE_DISCONNECT, ECHO and CANCEL requests and of their responses. */
export function emptyBody(): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(4, 0);
  return b;
}

/** Checks a StructureSize-4 response body (2.2.8, 2.2.12, 2.2.29). */
export function parseEmptyResponse(message: Buffer, command: number, what: string): { header: Smb2Header } {
  const { header, body } = expectResponse(message, command);
  need(body, 4, `SMB2 ${what} response`);
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== 4) throw malformed(`SMB2 ${what} response StructureSize ${structureSize}, expected 4`);
  return { header };
}

/** [MS-SMB2] 2.2.7 LOGOFF Request. */
export function logoffRequest(h: RequestHeader): Buffer {
  return request(COMMAND.LOGOFF, h, emptyBody());
}

/** [MS-SMB2] 2.2.8 LOGOFF Response. */
export function parseLogoffResponse(message: Buffer): { header: Smb2Header } {
  return parseEmptyResponse(message, COMMAND.LOGOFF, 'LOGOFF');
}

/** [MS-SMB2] 2.2.28 ECHO Request: keeps an idle connection alive. */
export function echoRequest(h: RequestHeader): Buffer {
  return request(COMMAND.ECHO, h, emptyBody());
}

/** [MS-SMB2] 2.2.29 ECHO Response. */
export function parseEchoResponse(message: Buffer): { header: Smb2Header } {
  return parseEmptyResponse(message, COMMAND.ECHO, 'ECHO');
}

/**
 * [MS-SMB2] 2.2.30 CANCEL Request for the request with this header's MessageId, or with its `asyncId` for one the
 * server answered STATUS_PENDING. It costs no credit and gets no response of its own.
 */
export function cancelRequest(h: RequestHeader): Buffer {
  return request(COMMAND.CANCEL, { ...h, creditCharge: h.creditCharge ?? 0, creditRequest: h.creditRequest ?? 0 }, emptyBody());
}
