/**
 * RFC 4493 AES-CMAC, the SMB 3.x signature ([MS-SMB2] 3.1.4.1) when AES-GMAC is not negotiated. Built on Node's
 * AES: the subkeys from AES-ECB of the zero block (RFC 4493 2.3), the MAC as the last block of AES-CBC with a zero
 * IV over the message whose last block is masked with K1 (complete) or padded 10* and masked with K2 (2.4).
 */
import { createCipheriv } from 'node:crypto';

const BLOCK = 16;
const RB = 0x87;

/** RFC 4493 2.3 doubling in GF(2^128): shift left one bit, XOR Rb into the last byte when the top bit fell off. */
function double(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >>> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[BLOCK - 1]! ^= RB;
  return out;
}

function aesName(key: Buffer, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError(`an AES key is 16, 24 or 32 bytes, got ${key.length}`);
  return `aes-${key.length * 8}-${mode}`;
}

/** RFC 4493 2.3 Generate_Subkey: K1 and K2. */
export function cmacSubkeys(key: Buffer): { k1: Buffer; k2: Buffer } {
  const ecb = createCipheriv(aesName(key, 'ecb'), key, null).setAutoPadding(false);
  const l = Buffer.concat([ecb.update(Buffer.alloc(BLOCK)), ecb.final()]);
  const k1 = double(l);
  return { k1, k2: double(k1) };
}

/** RFC 4493 2.4 AES-CMAC(K, M): the 16-byte tag. */
export function aesCmac(key: Buffer, message: Buffer): Buffer {
  const { k1, k2 } = cmacSubkeys(key);
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const lastAt = complete ? message.length - BLOCK : message.length - (message.length % BLOCK);
  const last = Buffer.alloc(BLOCK);
  message.copy(last, 0, lastAt);
  if (!complete) last[message.length - lastAt] = 0x80;
  const mask = complete ? k1 : k2;
  for (let i = 0; i < BLOCK; i++) last[i]! ^= mask[i]!;
  const cbc = createCipheriv(aesName(key, 'cbc'), key, Buffer.alloc(BLOCK)).setAutoPadding(false);
  const out = Buffer.concat([cbc.update(message.subarray(0, lastAt)), cbc.update(last), cbc.final()]);
  return out.subarray(out.length - BLOCK);
}
