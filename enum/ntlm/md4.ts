/**
 * MD4 (RFC 1320), which Node's OpenSSL 3 default provider no longer offers. NTLM needs it only for the NT one-way
 * function, NTOWF = MD4(UNICODE(password)) ([MS-NLMP] 3.3.1, 3.3.2). Not for any other use: MD4 is broken.
 */

// RFC 1320 3.4: the per-round shift amounts, indexed by step within a group of four
const R1 = [3, 7, 11, 19] as const;
const R2 = [3, 5, 9, 13] as const;
const R3 = [3, 9, 11, 15] as const;
// RFC 1320 3.4 round 3 processes the words in bit-reversed order
const R3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15] as const;

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

/** The 16-byte MD4 digest of `data`. */
export function md4(data: Uint8Array): Buffer {
  // RFC 1320 3.1, 3.2: pad with a 1 bit and zeros to 56 mod 64 bytes, then the bit length as 64 bits little-endian
  const padded = Buffer.alloc((((data.length + 8) >>> 6) + 1) << 6);
  padded.set(data, 0);
  padded[data.length] = 0x80;
  const bits = BigInt(data.length) * 8n;
  padded.writeBigUInt64LE(bits & 0xffffffffffffffffn, padded.length - 8);

  // RFC 1320 3.3: the initial buffer
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(block + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    // Round 1: F(X,Y,Z) = XY v not(X) Z
    for (let i = 0; i < 16; i++) {
      const f = (b & c) | (~b & d);
      const t = rotl((a + f + x[i]!) >>> 0, R1[i & 3]!);
      [a, b, c, d] = [d, t, b, c];
    }
    // Round 2: G(X,Y,Z) = XY v XZ v YZ, constant 0x5a827999, words by column
    for (let i = 0; i < 16; i++) {
      const g = (b & c) | (b & d) | (c & d);
      const k = (i & 3) * 4 + (i >>> 2);
      const t = rotl((a + g + x[k]! + 0x5a827999) >>> 0, R2[i & 3]!);
      [a, b, c, d] = [d, t, b, c];
    }
    // Round 3: H(X,Y,Z) = X xor Y xor Z, constant 0x6ed9eba1
    for (let i = 0; i < 16; i++) {
      const h = b ^ c ^ d;
      const t = rotl((a + h + x[R3_ORDER[i]!]! + 0x6ed9eba1) >>> 0, R3[i & 3]!);
      [a, b, c, d] = [d, t, b, c];
    }
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = Buffer.alloc(16);
  out.writeUInt32LE(a, 0);
  out.writeUInt32LE(b, 4);
  out.writeUInt32LE(c, 8);
  out.writeUInt32LE(d, 12);
  return out;
}
