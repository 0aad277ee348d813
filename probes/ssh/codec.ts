/** SSH transport codec: identification string, SSH_MSG_KEXINIT and host key fingerprints (RFC 4253 4.2, 6, 6.6, 7.1). */
import { createHash } from 'node:crypto';
import { ProbeError } from '../core/outcome.js';

/** RFC 4253 6.1: implementations must handle packets of 35000 bytes; anything larger is hostile. */
export const MAX_PACKET = 35000;
export const SSH_MSG_KEXINIT = 20;

export interface Identification {
  readonly protocol: string;
  readonly software: string;
  readonly comments: string | null;
}

/** RFC 4253 4.2: `SSH-protoversion-softwareversion SP comments CR LF`. */
export function parseIdentification(line: string): Identification | null {
  const m = /^SSH-([\d.]+)-(\S+)(?: (.*))?$/.exec(line.replace(/\r?\n$/, ''));
  return m ? { protocol: m[1]!, software: m[2]!, comments: m[3] ?? null } : null;
}

export interface KexInit {
  readonly kexAlgorithms: string[];
  readonly serverHostKeyAlgorithms: string[];
  readonly encryptionAlgorithms: string[];
  readonly macAlgorithms: string[];
  readonly compressionAlgorithms: string[];
}

/** RFC 4253 6: a packet_length the probe will read (at least a padding byte and a message byte, at most 35000). */
export function checkPacketLength(length: number): number {
  if (length < 5 || length > MAX_PACKET) throw new ProbeError('protocol-error', `SSH packet length ${length} out of range 5-${MAX_PACKET}`);
  return length;
}

/** RFC 4253 7.1: the payload of an unencrypted SSH_MSG_KEXINIT packet. */
export function parseKexInit(packet: Buffer): KexInit {
  if (packet.length < 6) throw new ProbeError('protocol-error', 'truncated SSH packet');
  const length = checkPacketLength(packet.readUInt32BE(0));
  if (packet.length < 4 + length) throw new ProbeError('protocol-error', 'truncated SSH packet');
  const padding = packet[4]!;
  if (padding >= length) throw new ProbeError('protocol-error', 'SSH padding longer than the packet');
  const payload = packet.subarray(5, 4 + length - padding);
  if (payload[0] !== SSH_MSG_KEXINIT) throw new ProbeError('protocol-error', `expected SSH_MSG_KEXINIT, got message ${payload[0]}`);
  let offset = 17; // message byte + 16-byte cookie
  const nameList = (): string[] => {
    if (offset + 4 > payload.length) throw new ProbeError('protocol-error', 'truncated KEXINIT');
    const n = payload.readUInt32BE(offset);
    offset += 4;
    if (offset + n > payload.length) throw new ProbeError('protocol-error', 'KEXINIT name-list runs past the packet');
    const text = payload.subarray(offset, offset + n).toString('latin1');
    offset += n;
    if (!/^[\x21-\x7e]*$/.test(text)) throw new ProbeError('protocol-error', 'KEXINIT name-list is not printable ASCII');
    return text ? text.split(',') : [];
  };
  const kexAlgorithms = nameList();
  const serverHostKeyAlgorithms = nameList();
  const encryption = nameList();
  nameList(); // server to client encryption (reported through the client-to-server list)
  const mac = nameList();
  nameList();
  const compression = nameList();
  return { kexAlgorithms, serverHostKeyAlgorithms, encryptionAlgorithms: encryption, macAlgorithms: mac, compressionAlgorithms: compression };
}

/** The SHA-256 fingerprint of a public key blob (RFC 4253 6.6), as `ssh-keygen -l` prints it. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
