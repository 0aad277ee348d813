/**
 * UUIDs as DCE/RPC puts them on the wire (C706 Appendix A, "uuid_t"; [MS-DTYP] 2.3.4.2 GUID packet
 * representation under NDR's little-endian data representation): the first three fields (time_low u32,
 * time_mid u16, time_hi_and_version u16) in the sender's byte order, which is little-endian for every peer we
 * speak to, and the last eight octets (clock_seq and node) as written.
 */
import { ProbeError } from '../../probes/core/outcome.js';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The 16 wire octets of `uuid` ("12345778-1234-abcd-ef00-0123456789ac"); a malformed string is a caller bug. */
export function uuidToBytes(uuid: string): Buffer {
  if (!UUID_TEXT.test(uuid)) throw new TypeError(`"${uuid}" is not a UUID in 8-4-4-4-12 hex form`);
  const hex = uuid.replace(/-/g, '');
  const out = Buffer.from(hex, 'hex');
  out.writeUInt32LE(Number.parseInt(hex.slice(0, 8), 16), 0);
  out.writeUInt16LE(Number.parseInt(hex.slice(8, 12), 16), 4);
  out.writeUInt16LE(Number.parseInt(hex.slice(12, 16), 16), 6);
  return out;
}

/** The lower-case text form of the 16 wire octets at `offset`. */
export function uuidFromBytes(buf: Buffer, offset = 0): string {
  if (offset < 0 || buf.length < offset + 16) throw new ProbeError('protocol-error', `UUID at ${offset} runs past ${buf.length} bytes`);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const tail = buf.subarray(offset + 8, offset + 16).toString('hex');
  return [hex(buf.readUInt32LE(offset), 8), hex(buf.readUInt16LE(offset + 4), 4), hex(buf.readUInt16LE(offset + 6), 4), tail.slice(0, 4), tail.slice(4)].join('-');
}
