/** MSSQL TDS PRELOGIN ([MS-TDS] 2.2.3.1 packet header, 2.2.6.5 PRELOGIN), request and response. */
import { ProbeError } from '../core/outcome.js';

export const TDS_PRELOGIN = 0x12;
export const TDS_RESPONSE = 0x04;
export const OPTION = { VERSION: 0x00, ENCRYPTION: 0x01, INSTOPT: 0x02, THREADID: 0x03, MARS: 0x04, TERMINATOR: 0xff } as const;
export const ENCRYPTION = { 0: 'off', 1: 'on', 2: 'not supported', 3: 'required' } as Record<number, string>;

/** [MS-TDS] 2.2.3.1: type, status (EOM), length (big-endian, header included), SPID, packet id, window. */
function packet(type: number, payload: Buffer): Buffer {
  const h = Buffer.from([type, 0x01, 0, 0, 0, 0, 0x01, 0x00]);
  h.writeUInt16BE(payload.length + 8, 2);
  return Buffer.concat([h, payload]);
}

/** PRELOGIN with VERSION (client 0.0.0.0), ENCRYPTION (off), INSTOPT (empty string), THREADID and MARS (off). */
export function preloginRequest(): Buffer {
  const data: Array<[number, Buffer]> = [
    [OPTION.VERSION, Buffer.alloc(6)], [OPTION.ENCRYPTION, Buffer.from([0x00])], [OPTION.INSTOPT, Buffer.from([0x00])],
    [OPTION.THREADID, Buffer.alloc(4)], [OPTION.MARS, Buffer.from([0x00])],
  ];
  const tableLength = data.length * 5 + 1;
  const table: Buffer[] = [];
  let offset = tableLength;
  for (const [token, value] of data) {
    const entry = Buffer.alloc(5);
    entry[0] = token;
    entry.writeUInt16BE(offset, 1);
    entry.writeUInt16BE(value.length, 3);
    table.push(entry);
    offset += value.length;
  }
  return packet(TDS_PRELOGIN, Buffer.concat([...table, Buffer.from([OPTION.TERMINATOR]), ...data.map(([, v]) => v)]));
}

/** Total length of the TDS packet at the start of `data`, 0 when more bytes are needed. */
export function tdsLength(data: Buffer): number {
  if (data.length < 8) return 0;
  if (data[0] !== TDS_RESPONSE && data[0] !== TDS_PRELOGIN) throw new ProbeError('no-match', `not a TDS packet (type ${data[0]})`);
  const length = data.readUInt16BE(2);
  if (length < 8 || length > 4096) throw new ProbeError('protocol-error', `TDS packet length ${length} out of range`);
  return data.length >= length ? length : 0;
}

export interface Prelogin {
  readonly version?: { major: number; minor: number; build: number; subBuild: number };
  readonly encryption?: string;
  readonly instance?: string;
}

export function parsePreloginResponse(tds: Buffer): Prelogin {
  const payload = tds.subarray(8, tds.readUInt16BE(2));
  const result: { -readonly [K in keyof Prelogin]: Prelogin[K] } = {};
  for (let at = 0, n = 0; at < payload.length && n < 32; at += 5, n++) {
    const token = payload[at]!;
    if (token === OPTION.TERMINATOR) return result;
    if (at + 5 > payload.length) break;
    const offset = payload.readUInt16BE(at + 1);
    const length = payload.readUInt16BE(at + 3);
    if (offset + length > payload.length) throw new ProbeError('protocol-error', 'PRELOGIN option runs past the packet');
    const value = payload.subarray(offset, offset + length);
    if (token === OPTION.VERSION && length >= 6) result.version = { major: value[0]!, minor: value[1]!, build: value.readUInt16BE(2), subBuild: value.readUInt16BE(4) };
    else if (token === OPTION.ENCRYPTION && length >= 1) result.encryption = ENCRYPTION[value[0]!] ?? `0x${value[0]!.toString(16)}`;
    else if (token === OPTION.INSTOPT && length >= 1) result.instance = value.subarray(0, Math.max(0, value.indexOf(0))).toString('latin1');
  }
  throw new ProbeError('protocol-error', 'PRELOGIN option table has no terminator');
}
