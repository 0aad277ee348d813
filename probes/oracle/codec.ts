/**
 * Oracle TNS: a CONNECT packet asking the listener for its version (connect data `(CONNECT_DATA=(COMMAND=version))`,
 * as the listener control utility does), and the listener's ACCEPT/REFUSE/RESEND reply. TNS is not publicly
 * specified by Oracle; the layout here is the commonly documented one (8-byte header: length, checksum, type,
 * flags, header checksum).
 */
import { ProbeError } from '../core/outcome.js';

export const TNS = { CONNECT: 1, ACCEPT: 2, REFUSE: 4, REDIRECT: 5, DATA: 6, RESEND: 11 } as const;

export function connectPacket(connectData = '(CONNECT_DATA=(COMMAND=version))'): Buffer {
  const data = Buffer.from(connectData, 'latin1');
  const body = Buffer.alloc(26);
  body.writeUInt16BE(0x0139, 0); // version
  body.writeUInt16BE(0x012c, 2); // lowest compatible version
  body.writeUInt16BE(0x0000, 4); // service options
  body.writeUInt16BE(0x0800, 6); // SDU
  body.writeUInt16BE(0x7fff, 8); // TDU
  body.writeUInt16BE(0x7f08, 10); // protocol characteristics
  body.writeUInt16BE(0x0000, 12); // line turnaround
  body.writeUInt16BE(0x0001, 14); // value of 1 in hardware
  body.writeUInt16BE(data.length, 16);
  body.writeUInt16BE(8 + 26 + 8, 18); // connect data offset (after the header, this body and 8 flag/reserved bytes)
  body.writeUInt32BE(0, 20); // max receivable data
  const header = Buffer.alloc(8);
  const total = 8 + 26 + 8 + data.length;
  header.writeUInt16BE(total, 0);
  header[4] = TNS.CONNECT;
  return Buffer.concat([header, body, Buffer.alloc(8), data]);
}

export function tnsLength(data: Buffer): number {
  if (data.length < 8) return 0;
  const length = data.readUInt16BE(0);
  const type = data[4]!;
  if (!Object.values(TNS).includes(type as never)) throw new ProbeError('no-match', `not a TNS packet (type ${type})`);
  // A listener leaves the packet and header checksums zero (checksumming is not negotiated in a CONNECT's reply):
  // random bytes that happen to carry a reply type are not taken for TNS.
  if (data.readUInt16BE(2) !== 0 || data.readUInt16BE(6) !== 0) throw new ProbeError('no-match', 'not a TNS packet (checksum fields are not zero)');
  if (length < 8 || length > 8192) throw new ProbeError('protocol-error', `TNS packet length ${length} out of range`);
  return data.length >= length ? length : 0;
}

export interface TnsReply {
  readonly type: keyof typeof TNS | 'UNKNOWN';
  /** Printable text the listener sent (its version banner or a DESCRIPTION with an error). */
  readonly text: string;
  readonly version?: string;
  readonly error?: string;
}

export function parseTnsReply(packet: Buffer): TnsReply {
  const type = (Object.entries(TNS).find(([, v]) => v === packet[4])?.[0] ?? 'UNKNOWN') as TnsReply['type'];
  const text = packet.subarray(8).toString('latin1').replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 500);
  const version = /Version ([\d.]+)/.exec(text)?.[1] ?? /VSNNUM=(\d+)/.exec(text)?.[1];
  const error = /\(ERR=(\d+)\)/.exec(text)?.[1];
  return { type, text, version: version && /^\d+$/.test(version) ? vsnnum(Number(version)) : version, error };
}

/** A listener's VSNNUM (e.g. 318767104) as a release number (19.0.0.0.0): 8, 4, 4, 8, 8 bits. */
export function vsnnum(n: number): string {
  return [n >>> 24, (n >>> 20) & 0xf, (n >>> 16) & 0xf, (n >>> 8) & 0xff, n & 0xff].join('.');
}
