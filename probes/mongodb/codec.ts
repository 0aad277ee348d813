/** MongoDB wire protocol: OP_MSG (opCode 2013) carrying one body section ("MongoDB Wire Protocol", OP_MSG). */
import { ProbeError } from '../core/outcome.js';
import { BsonValue, decode, encode } from './bson.js';

export const OP_MSG = 2013;

export function opMsg(requestId: number, doc: Record<string, number | string>): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), encode(doc)]); // flagBits, section kind 0, document
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(OP_MSG, 12);
  return Buffer.concat([header, body]);
}

export function messageLength(data: Buffer): number {
  if (data.length < 16) return 0;
  const length = data.readInt32LE(0);
  if (length < 21 || length > 65536) throw new ProbeError('protocol-error', `MongoDB message length ${length} out of range`);
  return data.length >= length ? length : 0;
}

export function parseOpMsgReply(message: Buffer): { [key: string]: BsonValue } {
  if (message.readInt32LE(12) !== OP_MSG) throw new ProbeError('no-match', `not an OP_MSG reply (opCode ${message.readInt32LE(12)})`);
  if (message[20] !== 0) throw new ProbeError('protocol-error', 'OP_MSG reply does not start with a body section');
  return decode(message.subarray(21));
}

/** Server release by maxWireVersion (MongoDB's own table of wire versions). */
const WIRE_RELEASES: Array<[number, string]> = [[25, '8.0'], [21, '7.0'], [17, '6.0'], [13, '5.0'], [9, '4.4'], [8, '4.2'], [7, '4.0'], [6, '3.6']];

export function releaseOfWire(maxWireVersion: number): string | null {
  return WIRE_RELEASES.find(([w]) => maxWireVersion >= w)?.[1] ?? null;
}
