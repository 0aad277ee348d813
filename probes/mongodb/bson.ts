/** The sliver of BSON (bsonspec.org 1.1) a `hello` needs: encode a flat document, decode with depth and size caps. */
import { ProbeError } from '../core/outcome.js';

export type BsonValue = number | bigint | string | boolean | null | Date | BsonValue[] | { [key: string]: BsonValue };

export function encode(doc: Record<string, number | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const name = Buffer.from(`${key}\0`, 'utf8');
    if (typeof value === 'number') {
      const v = Buffer.alloc(4);
      v.writeInt32LE(value, 0);
      parts.push(Buffer.from([0x10]), name, v);
    } else {
      const s = Buffer.from(`${value}\0`, 'utf8');
      const len = Buffer.alloc(4);
      len.writeInt32LE(s.length, 0);
      parts.push(Buffer.from([0x02]), name, len, s);
    }
  }
  const body = Buffer.concat([...parts, Buffer.from([0])]);
  const head = Buffer.alloc(4);
  head.writeInt32LE(body.length + 4, 0);
  return Buffer.concat([head, body]);
}

export function decode(buf: Buffer, depth = 0): { [key: string]: BsonValue } {
  if (depth > 8) throw new ProbeError('protocol-error', 'BSON nested too deep');
  if (buf.length < 5) throw new ProbeError('protocol-error', 'truncated BSON document');
  const length = buf.readInt32LE(0);
  if (length < 5 || length > buf.length) throw new ProbeError('protocol-error', 'BSON document length out of range');
  const out: { [key: string]: BsonValue } = {};
  let at = 4;
  const need = (n: number) => {
    if (at + n > length) throw new ProbeError('protocol-error', 'BSON element runs past its document');
  };
  for (let count = 0; at < length - 1; count++) {
    if (count > 1000) throw new ProbeError('protocol-error', 'too many BSON elements');
    const type = buf[at++]!;
    const end = buf.indexOf(0, at);
    if (end < 0 || end >= length) throw new ProbeError('protocol-error', 'unterminated BSON key');
    const key = buf.subarray(at, end).toString('utf8');
    at = end + 1;
    switch (type) {
      case 0x01: need(8); out[key] = buf.readDoubleLE(at); at += 8; break;
      case 0x02: {
        need(4);
        const n = buf.readInt32LE(at);
        if (n < 1 || at + 4 + n > length) throw new ProbeError('protocol-error', 'BSON string length out of range');
        out[key] = buf.subarray(at + 4, at + 4 + n - 1).toString('utf8');
        at += 4 + n;
        break;
      }
      case 0x03: case 0x04: {
        need(4);
        const n = buf.readInt32LE(at);
        if (n < 5 || at + n > length) throw new ProbeError('protocol-error', 'embedded BSON document length out of range');
        const inner = decode(buf.subarray(at, at + n), depth + 1);
        out[key] = type === 0x04 ? Object.values(inner) : inner;
        at += n;
        break;
      }
      case 0x07: need(12); out[key] = buf.subarray(at, at + 12).toString('hex'); at += 12; break;
      case 0x08: need(1); out[key] = buf[at] === 1; at += 1; break;
      case 0x09: need(8); out[key] = new Date(Number(buf.readBigInt64LE(at))); at += 8; break;
      case 0x0a: out[key] = null; break;
      case 0x10: need(4); out[key] = buf.readInt32LE(at); at += 4; break;
      case 0x11: case 0x12: need(8); out[key] = buf.readBigInt64LE(at); at += 8; break;
      default: throw new ProbeError('protocol-error', `unsupported BSON type 0x${type.toString(16)}`);
    }
  }
  return out;
}
