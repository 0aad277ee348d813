/**
 * MySQL/MariaDB initial handshake (MySQL client/server protocol: packet header, Protocol::HandshakeV10, ERR_Packet).
 */
import { ProbeError } from '../core/outcome.js';

export const CLIENT_PLUGIN_AUTH = 0x00080000;
export const CLIENT_SSL = 0x00000800;

export type Greeting =
  | { kind: 'handshake'; protocol: number; serverVersion: string; threadId: number; capabilities: number; charset: number; authPlugin: string | null }
  | { kind: 'error'; code: number; message: string };

/** Total length of the first packet (3-byte little-endian length + sequence id + payload), 0 while incomplete. */
export function packetLength(data: Buffer): number {
  if (data.length < 4) return 0;
  const length = data.readUIntLE(0, 3);
  if (length === 0 || length > 16384) throw new ProbeError('protocol-error', `MySQL packet length ${length} out of range`);
  return data.length >= 4 + length ? 4 + length : 0;
}

/** The payload of the first packet, or null while it is incomplete. */
export function firstPacket(data: Buffer): Buffer | null {
  const n = packetLength(data);
  return n ? data.subarray(4, n) : null;
}

function cstring(payload: Buffer, offset: number, what: string): [string, number] {
  const end = payload.indexOf(0, offset);
  if (end < 0) throw new ProbeError('protocol-error', `unterminated ${what}`);
  return [payload.subarray(offset, end).toString('latin1'), end + 1];
}

export function parseGreeting(payload: Buffer): Greeting {
  if (payload[0] === 0xff) {
    if (payload.length < 3) throw new ProbeError('protocol-error', 'truncated MySQL error packet');
    const code = payload.readUInt16LE(1);
    const text = payload.subarray(payload[3] === 0x23 ? 9 : 3).toString('utf8');
    return { kind: 'error', code, message: text.slice(0, 300) };
  }
  const protocol = payload[0]!;
  if (protocol !== 10 && protocol !== 9) throw new ProbeError('no-match', `not a MySQL handshake (protocol byte ${protocol})`);
  const [serverVersion, afterVersion] = cstring(payload, 1, 'server version');
  if (!/^[\x20-\x7e]{1,80}$/.test(serverVersion)) throw new ProbeError('no-match', 'MySQL server version is not printable');
  let offset = afterVersion;
  if (payload.length < offset + 4 + 8 + 1 + 2) throw new ProbeError('protocol-error', 'truncated MySQL handshake');
  const threadId = payload.readUInt32LE(offset);
  offset += 4 + 8 + 1; // thread id, auth-plugin-data-part-1, filler
  let capabilities = payload.readUInt16LE(offset);
  offset += 2;
  let charset = 0;
  let authPlugin: string | null = null;
  if (payload.length >= offset + 1 + 2 + 2 + 1 + 10) {
    charset = payload[offset]!;
    offset += 1 + 2; // charset, status flags
    capabilities |= payload.readUInt16LE(offset) << 16;
    offset += 2;
    const authDataLength = payload[offset]!;
    offset += 1 + 10; // length, reserved
    offset += Math.max(13, authDataLength - 8);
    if ((capabilities & CLIENT_PLUGIN_AUTH) !== 0 && offset < payload.length) {
      const end = payload.indexOf(0, offset);
      authPlugin = payload.subarray(offset, end < 0 ? payload.length : end).toString('latin1');
    }
  }
  return { kind: 'handshake', protocol, serverVersion, threadId, capabilities: capabilities >>> 0, charset, authPlugin };
}
