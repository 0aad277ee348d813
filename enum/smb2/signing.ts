/**
 * [MS-SMB2] 3.1.4.1 signing an outgoing message and 3.1.5.1 verifying an incoming one. The 16-byte Signature field
 * of the header is zeroed while the signature is computed over the whole message:
 *   2.0.2, 2.1     HMAC-SHA256 keyed with the session key, first 16 bytes
 *   3.0, 3.0.2     AES-128-CMAC (RFC 4493) keyed with the signing key
 *   3.1.1          the algorithm of SIGNING_CAPABILITIES, or AES-128-CMAC without that context; AES-128-GMAC is
 *                  AES-GCM over an empty plaintext with the message as additional data (RFC 4543) and a 12-byte
 *                  nonce: MessageId (8 bytes LE), then 32 bits whose bit 0 is set by the server (a response) and
 *                  bit 1 for a CANCEL request.
 */
import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { aesCmac } from './cmac.js';
import { COMMAND, DIALECT, FLAGS, SIGNING_ALGORITHM, SigningAlgorithm } from './constants.js';
import { parseHeader } from './header.js';

const SIGNATURE_AT = 48;
const SIGNATURE_SIZE = 16;

/** The algorithm a connection signs with: 3.1.4.1's choice by dialect and the negotiated signing context. */
export function signingAlgorithmFor(dialect: number, negotiated: SigningAlgorithm | null = null): SigningAlgorithm {
  if (dialect === DIALECT.SMB_2_0_2 || dialect === DIALECT.SMB_2_1) return SIGNING_ALGORITHM.HMAC_SHA256;
  if (dialect === DIALECT.SMB_3_1_1 && negotiated !== null) return negotiated;
  return SIGNING_ALGORITHM.AES_CMAC;
}

/** [MS-SMB2] 3.1.4.1 The AES-GMAC nonce of a message. */
export function gmacNonce(message: Buffer): Buffer {
  const h = parseHeader(message);
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(h.messageId, 0);
  const role = h.flags & FLAGS.SERVER_TO_REDIR ? 1 : 0;
  const cancel = h.command === COMMAND.CANCEL && !(h.flags & FLAGS.SERVER_TO_REDIR) ? 2 : 0;
  nonce.writeUInt32LE(role | cancel, 8);
  return nonce;
}

function compute(message: Buffer, key: Buffer, algorithm: SigningAlgorithm): Buffer {
  switch (algorithm) {
    case SIGNING_ALGORITHM.HMAC_SHA256:
      return createHmac('sha256', key).update(message).digest().subarray(0, SIGNATURE_SIZE);
    case SIGNING_ALGORITHM.AES_CMAC:
      return aesCmac(key, message);
    case SIGNING_ALGORITHM.AES_GMAC: {
      const gcm = createCipheriv(key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm', key, gmacNonce(message));
      gcm.setAAD(message);
      gcm.final();
      return gcm.getAuthTag();
    }
    default:
      throw new RangeError(`unknown signing algorithm ${String(algorithm)}`);
  }
}

/** The signature `message` should carry, computed with its Signature field zeroed; the message is left as it was. */
export function signatureOf(message: Buffer, key: Buffer, algorithm: SigningAlgorithm): Buffer {
  parseHeader(message);
  const copy = Buffer.from(message);
  copy.fill(0, SIGNATURE_AT, SIGNATURE_AT + SIGNATURE_SIZE);
  return compute(copy, key, algorithm);
}

/** Signs a message in place: sets SMB2_FLAGS_SIGNED (which the signature covers), then writes the Signature field. */
export function sign(message: Buffer, key: Buffer, algorithm: SigningAlgorithm): Buffer {
  parseHeader(message);
  message.writeUInt32LE((message.readUInt32LE(16) | FLAGS.SIGNED) >>> 0, 16);
  message.fill(0, SIGNATURE_AT, SIGNATURE_AT + SIGNATURE_SIZE);
  compute(message, key, algorithm).copy(message, SIGNATURE_AT);
  return message;
}

/**
 * [MS-SMB2] 3.1.5.1 True when the message's Signature is the one its content and `key` give. The message is
 * unchanged afterwards; a message too short to hold a header is a ProbeError.
 */
export function verify(message: Buffer, key: Buffer, algorithm: SigningAlgorithm): boolean {
  const expected = signatureOf(message, key, algorithm);
  return timingSafeEqual(expected, message.subarray(SIGNATURE_AT, SIGNATURE_AT + SIGNATURE_SIZE));
}
