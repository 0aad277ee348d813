/**
 * [MS-SMB2] 2.2.9 / 2.2.10 TREE_CONNECT and 2.2.11 / 2.2.12 TREE_DISCONNECT.
 */
import { COMMAND, HEADER_SIZE, SHARE_FLAGS, SHARE_TYPE } from './constants.js';
import { request, RequestHeader, Smb2Header } from './header.js';
import { emptyBody, parseEmptyResponse } from './session.js';
import { expectResponse } from './status.js';
import { fits, malformed, need } from './wire.js';

/** `\\server\IPC$`, the share that carries named pipes. */
export function ipcPath(server: string): string {
  if (!server || /[\\/]/.test(server)) throw new RangeError(`server must be a host name or address without slashes, got "${server}"`);
  return `\\\\${server}\\IPC$`;
}

const TREE_FIXED = 8;

/**
 * [MS-SMB2] 2.2.9 TREE_CONNECT Request for a `\\server\share` path in UTF-16LE. The 3.1.1 extension
 * (2.2.9.1, flag EXTENSION_PRESENT) is not used: the plain form is valid in every dialect.
 */
export function treeConnectRequest(h: RequestHeader, path: string, flags = 0): Buffer {
  if (!path.startsWith('\\\\')) throw new RangeError(`path must have the form \\\\server\\share, got "${path}"`);
  const name = Buffer.from(path, 'utf16le');
  const fixed = Buffer.alloc(TREE_FIXED);
  fixed.writeUInt16LE(9, 0); // StructureSize
  fixed.writeUInt16LE(fits(flags, 0xffff, 'flags'), 2);
  fixed.writeUInt16LE(HEADER_SIZE + TREE_FIXED, 4); // PathOffset
  fixed.writeUInt16LE(fits(name.length, 0xffff, 'path length'), 6);
  return request(COMMAND.TREE_CONNECT, h, Buffer.concat([fixed, name]));
}

/** [MS-SMB2] 2.2.10 TREE_CONNECT Response. The header's TreeId names the tree connect. */
export interface TreeConnectResponse {
  readonly header: Smb2Header;
  readonly treeId: number;
  readonly shareType: number;
  readonly isPipe: boolean;
  readonly shareFlags: number;
  /** The share requires encrypted messages (SMB2_SHAREFLAG_ENCRYPT_DATA). */
  readonly encryptData: boolean;
  readonly capabilities: number;
  readonly maximalAccess: number;
}

export function parseTreeConnectResponse(message: Buffer): TreeConnectResponse {
  const { header, body } = expectResponse(message, COMMAND.TREE_CONNECT);
  need(body, 16, 'SMB2 TREE_CONNECT response');
  const structureSize = body.readUInt16LE(0);
  if (structureSize !== 16) throw malformed(`SMB2 TREE_CONNECT response StructureSize ${structureSize}, expected 16`);
  const shareType = body[2]!;
  const shareFlags = body.readUInt32LE(4);
  return {
    header,
    treeId: header.treeId,
    shareType,
    isPipe: shareType === SHARE_TYPE.PIPE,
    shareFlags,
    encryptData: (shareFlags & SHARE_FLAGS.ENCRYPT_DATA) !== 0,
    capabilities: body.readUInt32LE(8),
    maximalAccess: body.readUInt32LE(12),
  };
}

/** [MS-SMB2] 2.2.11 TREE_DISCONNECT Request (the header carries the TreeId). */
export function treeDisconnectRequest(h: RequestHeader): Buffer {
  return request(COMMAND.TREE_DISCONNECT, h, emptyBody());
}

/** [MS-SMB2] 2.2.12 TREE_DISCONNECT Response. */
export function parseTreeDisconnectResponse(message: Buffer): { header: Smb2Header } {
  return parseEmptyResponse(message, COMMAND.TREE_DISCONNECT, 'TREE_DISCONNECT');
}
