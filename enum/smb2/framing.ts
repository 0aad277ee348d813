/**
 * [MS-SMB2] 2.1 Direct TCP transport: a zero byte and a 24-bit big-endian length before every SMB2 message or
 * TRANSFORM_HEADER message. The framing code is the anonymous probe's (probes/smb/codec.ts); this adds the larger
 * bound a client needs once MaxReadSize allows reads past 64 KiB, and splitting a buffer into messages.
 */
import { frame as frameMessage, framedLength as probeFramedLength } from '../../probes/smb/codec.js';

/** The largest message the 24-bit length can carry. */
export const MAX_FRAME_BYTES = 0xffffff;

/** Puts the 4-byte Direct TCP header in front of one message. */
export function frame(message: Buffer): Buffer {
  if (message.length > MAX_FRAME_BYTES) throw new RangeError(`an SMB2 message over Direct TCP is at most ${MAX_FRAME_BYTES} bytes, got ${message.length}`);
  return frameMessage(message);
}

/**
 * Length of the framed message at the start of `data` (4 + its length), or 0 while more bytes are needed. A frame
 * longer than `maxBytes`, shorter than an SMB2 header, or not starting with a zero byte is a ProbeError.
 * @param maxBytes the largest message accepted; the client passes what its negotiated sizes allow. @default MAX_FRAME_BYTES
 */
export function framedLength(data: Buffer, maxBytes = MAX_FRAME_BYTES): number {
  return probeFramedLength(data, maxBytes);
}

/** Takes the first complete message off `data`: the message without its frame and what follows it, or null. */
export function unframe(data: Buffer, maxBytes = MAX_FRAME_BYTES): { message: Buffer; rest: Buffer } | null {
  const n = framedLength(data, maxBytes);
  return n ? { message: data.subarray(4, n), rest: data.subarray(n) } : null;
}
