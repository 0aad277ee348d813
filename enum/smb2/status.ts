/**
 * NTSTATUS values an SMB2 client of IPC$ meets ([MS-ERREF] 2.3.1, checked against Samba's table), the outcome each
 * means for an enumeration, the ERROR response that carries a failure ([MS-SMB2] 2.2.2) and the typed error thrown
 * for one.
 */
import type { ProbeStatus } from '../../model/evidence.js';
import { ProbeError } from '../../probes/core/outcome.js';
import { commandName, FLAGS, HEADER_SIZE } from './constants.js';
import { parseHeader, Smb2Header } from './header.js';
import { align8, malformed, need } from './wire.js';

export const NT_STATUS = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  SOME_NOT_MAPPED: 0x00000107,
  NOTIFY_ENUM_DIR: 0x0000010c,
  BUFFER_OVERFLOW: 0x80000005,
  NO_MORE_FILES: 0x80000006,
  STOPPED_ON_SYMLINK: 0x8000002d,
  NOT_IMPLEMENTED: 0xc0000002,
  INVALID_INFO_CLASS: 0xc0000003,
  INVALID_HANDLE: 0xc0000008,
  INVALID_PARAMETER: 0xc000000d,
  NO_SUCH_FILE: 0xc000000f,
  INVALID_DEVICE_REQUEST: 0xc0000010,
  END_OF_FILE: 0xc0000011,
  MORE_PROCESSING_REQUIRED: 0xc0000016,
  ACCESS_DENIED: 0xc0000022,
  BUFFER_TOO_SMALL: 0xc0000023,
  OBJECT_NAME_INVALID: 0xc0000033,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  SHARING_VIOLATION: 0xc0000043,
  NO_LOGON_SERVERS: 0xc000005e,
  NO_SUCH_USER: 0xc0000064,
  WRONG_PASSWORD: 0xc000006a,
  LOGON_FAILURE: 0xc000006d,
  ACCOUNT_RESTRICTION: 0xc000006e,
  INVALID_LOGON_HOURS: 0xc000006f,
  INVALID_WORKSTATION: 0xc0000070,
  PASSWORD_EXPIRED: 0xc0000071,
  ACCOUNT_DISABLED: 0xc0000072,
  NONE_MAPPED: 0xc0000073,
  INSUFFICIENT_RESOURCES: 0xc000009a,
  BAD_IMPERSONATION_LEVEL: 0xc00000a5,
  PIPE_NOT_AVAILABLE: 0xc00000ac,
  INVALID_PIPE_STATE: 0xc00000ad,
  PIPE_BUSY: 0xc00000ae,
  PIPE_DISCONNECTED: 0xc00000b0,
  PIPE_CLOSING: 0xc00000b1,
  IO_TIMEOUT: 0xc00000b5,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_SUPPORTED: 0xc00000bb,
  INVALID_NETWORK_RESPONSE: 0xc00000c3,
  NETWORK_NAME_DELETED: 0xc00000c9,
  NETWORK_ACCESS_DENIED: 0xc00000ca,
  BAD_NETWORK_NAME: 0xc00000cc,
  TOO_MANY_SESSIONS: 0xc00000ce,
  REQUEST_NOT_ACCEPTED: 0xc00000d0,
  PIPE_EMPTY: 0xc00000d9,
  INVALID_SERVER_STATE: 0xc00000dc,
  INTERNAL_ERROR: 0xc00000e5,
  CANCELLED: 0xc0000120,
  FILE_CLOSED: 0xc0000128,
  TIME_DIFFERENCE_AT_DC: 0xc0000133,
  PIPE_BROKEN: 0xc000014b,
  LOGON_TYPE_NOT_GRANTED: 0xc000015b,
  ACCOUNT_EXPIRED: 0xc0000193,
  NO_USER_SESSION_KEY: 0xc0000202,
  USER_SESSION_DELETED: 0xc0000203,
  INSUFF_SERVER_RESOURCES: 0xc0000205,
  CONNECTION_DISCONNECTED: 0xc000020c,
  CONNECTION_RESET: 0xc000020d,
  PASSWORD_MUST_CHANGE: 0xc0000224,
  NOT_FOUND: 0xc0000225,
  ACCOUNT_LOCKED_OUT: 0xc0000234,
  PATH_NOT_COVERED: 0xc0000257,
  ENCRYPTION_FAILED: 0xc000028a,
  DECRYPTION_FAILED: 0xc000028b,
  NETWORK_SESSION_EXPIRED: 0xc000035c,
  DOWNGRADE_DETECTED: 0xc0000388,
  INVALID_SIGNATURE: 0xc000a000,
} as const;
export type NtStatusName = keyof typeof NT_STATUS;

const NAMES = new Map<number, NtStatusName>(Object.entries(NT_STATUS).map(([k, v]) => [v, k as NtStatusName]));

/** What a failure means to an enumeration; anything not listed is a protocol error. */
const OUTCOME: Partial<Record<NtStatusName, Exclude<ProbeStatus, 'success'>>> = {
  LOGON_FAILURE: 'auth-failed',
  NO_SUCH_USER: 'auth-failed',
  WRONG_PASSWORD: 'auth-failed',
  ACCOUNT_RESTRICTION: 'auth-failed',
  INVALID_LOGON_HOURS: 'auth-failed',
  INVALID_WORKSTATION: 'auth-failed',
  PASSWORD_EXPIRED: 'auth-failed',
  PASSWORD_MUST_CHANGE: 'auth-failed',
  ACCOUNT_DISABLED: 'auth-failed',
  ACCOUNT_EXPIRED: 'auth-failed',
  ACCOUNT_LOCKED_OUT: 'auth-failed',
  LOGON_TYPE_NOT_GRANTED: 'auth-failed',
  TIME_DIFFERENCE_AT_DC: 'auth-failed',
  NO_LOGON_SERVERS: 'auth-failed',
  ACCESS_DENIED: 'access-denied',
  NETWORK_ACCESS_DENIED: 'access-denied',
  BAD_IMPERSONATION_LEVEL: 'access-denied',
  NOT_SUPPORTED: 'unsupported',
  NOT_IMPLEMENTED: 'unsupported',
  INVALID_DEVICE_REQUEST: 'unsupported',
  BAD_NETWORK_NAME: 'unsupported',
  OBJECT_NAME_NOT_FOUND: 'unsupported',
  PIPE_NOT_AVAILABLE: 'unsupported',
  IO_TIMEOUT: 'timeout',
};

/** `STATUS_LOGON_FAILURE`, or the value in hex for one the table does not know. */
export function statusName(status: number): string {
  const name = NAMES.get(status >>> 0);
  return name ? `STATUS_${name}` : `NTSTATUS 0x${(status >>> 0).toString(16).padStart(8, '0')}`;
}

/** [MS-ERREF] 2.3: severity 3 (0xC...) is an error; 2 (0x8...) a warning such as BUFFER_OVERFLOW. */
export function isError(status: number): boolean {
  return status >>> 30 === 3;
}

/** [MS-SMB2] 2.2.2.1 SMB2 ERROR Context Response. */
export interface ErrorContext {
  readonly errorId: number;
  readonly data: Buffer;
}

/** [MS-SMB2] 2.2.2 SMB2 ERROR Response. */
export interface ErrorResponse {
  readonly header: Smb2Header;
  readonly errorContextCount: number;
  /** ErrorData: the whole variable part (3.1.1 error contexts, or the status-specific data of 2.2.2.2). */
  readonly errorData: Buffer;
  /** The 3.1.1 error contexts, decoded when ErrorContextCount is not zero. */
  readonly contexts: readonly ErrorContext[];
}

export function parseErrorResponse(message: Buffer): ErrorResponse {
  const header = parseHeader(message);
  const body = message.subarray(HEADER_SIZE);
  need(body, 8, 'SMB2 ERROR response');
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== 9) throw malformed(`SMB2 ERROR response StructureSize ${structureSize}, expected 9`);
  const errorContextCount = body[2]!;
  const byteCount = body.readUInt32LE(4);
  if (8 + byteCount > body.length) throw malformed(`SMB2 ERROR response ByteCount ${byteCount} runs past the ${body.length}-byte body`);
  const errorData = body.subarray(8, 8 + byteCount);
  const contexts: ErrorContext[] = [];
  let at = 0;
  for (let i = 0; i < errorContextCount; i++) {
    if (at + 8 > errorData.length) throw malformed(`SMB2 ERROR context ${i + 1} of ${errorContextCount} runs past ErrorData`);
    const length = errorData.readUInt32LE(at);
    if (at + 8 + length > errorData.length) throw malformed(`SMB2 ERROR context ${i + 1} (${length} bytes) runs past ErrorData`);
    contexts.push({ errorId: errorData.readUInt32LE(at + 4), data: errorData.subarray(at + 8, at + 8 + length) });
    at = align8(at + 8 + length);
  }
  return { header, errorContextCount, errorData, contexts };
}

/** A server's failure answer to one request, named from the status table. Callers branch on `ntStatus`. */
export class Smb2StatusError extends ProbeError {
  readonly statusName: string;
  constructor(
    readonly ntStatus: number,
    readonly command: number,
    /** The ERROR response's ErrorData, when the failure came with one (2.2.2.2: e.g. the size a buffer needs). */
    readonly errorData: Buffer = Buffer.alloc(0),
  ) {
    const name = statusName(ntStatus);
    const known = NAMES.get(ntStatus >>> 0);
    super((known && OUTCOME[known]) ?? 'protocol-error', `SMB2 ${commandName(command)} failed: ${name} (0x${(ntStatus >>> 0).toString(16).padStart(8, '0')})`);
    this.name = 'Smb2StatusError';
    this.statusName = name;
  }
}

/**
 * Checks that `message` is a response to `command` whose status is one of `allowed`; a failure status becomes an
 * Smb2StatusError carrying the ERROR response's data. Returns the header and the body after it.
 */
export function expectResponse(message: Buffer, command: number, allowed: readonly number[] = [NT_STATUS.SUCCESS]): { header: Smb2Header; body: Buffer } {
  const header = parseHeader(message);
  if (header.command !== command) throw malformed(`expected an SMB2 ${commandName(command)} response, got ${commandName(header.command)}`);
  if (!(header.flags & FLAGS.SERVER_TO_REDIR)) throw malformed(`SMB2 ${commandName(command)} message is a request, not a response`);
  if (!allowed.includes(header.status)) {
    let errorData: Buffer = Buffer.alloc(0);
    try {
      errorData = parseErrorResponse(message).errorData;
    } catch {
      // The status is the answer; a malformed ERROR body only loses its optional detail.
    }
    throw new Smb2StatusError(header.status, command, Buffer.from(errorData));
  }
  return { header, body: message.subarray(HEADER_SIZE) };
}
