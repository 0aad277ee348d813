/** PostgreSQL frontend/backend protocol 3.0: SSLRequest, StartupMessage, and the first backend message. */
import { ProbeError } from '../core/outcome.js';

/** SSLRequest: length 8, code 80877103 (protocol docs, "SSLRequest"). */
export const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export function startupMessage(parameters: Record<string, string>, major = 3, minor = 0): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt16BE(major, 0);
  version.writeUInt16BE(minor, 2);
  const body = Buffer.concat([
    version,
    ...Object.entries(parameters).map(([k, v]) => Buffer.from(`${k}\0${v}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length + 4, 0);
  return Buffer.concat([head, body]);
}

const AUTH_METHODS: Record<number, string> = { 0: 'trust', 2: 'kerberos-v5', 3: 'password', 5: 'md5', 7: 'gss', 9: 'sspi', 10: 'sasl' };

export type BackendReply =
  | { kind: 'auth'; method: string; mechanisms: string[] }
  | { kind: 'error'; fields: Record<string, string> }
  | { kind: 'negotiate'; newestMinor: number };

/** Total length of the first backend message (type byte + length), or 0 when more bytes are needed. */
export function messageLength(data: Buffer): number {
  if (data.length < 5) return 0;
  const length = data.readUInt32BE(1);
  if (length < 4 || length > 16384) throw new ProbeError('protocol-error', `PostgreSQL message length ${length} out of range`);
  return data.length >= 1 + length ? 1 + length : 0;
}

export function parseBackendReply(message: Buffer): BackendReply {
  const type = String.fromCharCode(message[0]!);
  const body = message.subarray(5, 1 + message.readUInt32BE(1));
  if (type === 'R') {
    if (body.length < 4) throw new ProbeError('protocol-error', 'truncated authentication request');
    const code = body.readUInt32BE(0);
    const mechanisms = code === 10 ? body.subarray(4).toString('utf8').split('\0').filter(Boolean) : [];
    return { kind: 'auth', method: AUTH_METHODS[code] ?? `code ${code}`, mechanisms };
  }
  if (type === 'E') {
    const fields: Record<string, string> = {};
    for (const part of body.toString('utf8').split('\0')) if (part.length > 1) fields[part[0]!] = part.slice(1, 300);
    return { kind: 'error', fields };
  }
  if (type === 'v') return { kind: 'negotiate', newestMinor: body.length >= 4 ? body.readUInt32BE(0) : 0 };
  throw new ProbeError('no-match', `unexpected PostgreSQL message type ${JSON.stringify(type)}`);
}

/** From "unsupported frontend protocol 9.0: server supports 3.0 to 3.2": the range the server speaks. */
export function supportedProtocols(message: string): string | null {
  return /server supports (\d+\.\d+ to \d+\.\d+)/.exec(message)?.[1] ?? null;
}
