/**
 * SMB 3.x encryption: [MS-SMB2] 2.2.41 SMB2 TRANSFORM_HEADER, 3.1.4.3 encrypting a message and 3.2.5.1.1.1 / 3.3.5.2.1.1
 * decrypting one, with AES-128/256-CCM (11-byte nonce) and AES-128/256-GCM (12-byte nonce), 16-byte tags.
 *
 *   0  ProtocolId  0xFD 'S' 'M' 'B'         20  Nonce (16: the AEAD nonce, zero padded)   36  OriginalMessageSize
 *   4  Signature   (the AEAD tag)           40  Reserved   42  Flags / EncryptionAlgorithm = 1   44  SessionId
 *
 * The additional authenticated data is the 32 bytes from Nonce to the end of the header.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CIPHER, Cipher, CIPHER_NAMES } from './constants.js';
import { malformed, need } from './wire.js';

export const TRANSFORM_PROTOCOL_ID = Buffer.from([0xfd, 0x53, 0x4d, 0x42]);
export const TRANSFORM_HEADER_SIZE = 52;
/** [MS-SMB2] 2.2.41 Flags (3.1.1) / EncryptionAlgorithm (3.0, 3.0.2: SMB2_ENCRYPTION_AES128_CCM): both 0x0001. */
export const TRANSFORM_ENCRYPTED = 0x0001;
const TAG_SIZE = 16;
const AAD_AT = 20;

export interface TransformHeader {
  readonly signature: Buffer;
  /** The 16-byte Nonce field; the cipher uses its first 11 (CCM) or 12 (GCM) bytes. */
  readonly nonce: Buffer;
  readonly originalMessageSize: number;
  readonly flags: number;
  readonly sessionId: bigint;
}

/** True when `data` starts with the TRANSFORM_HEADER protocol id. */
export function isTransformed(data: Buffer): boolean {
  return data.length >= 4 && data.subarray(0, 4).equals(TRANSFORM_PROTOCOL_ID);
}

/** [MS-SMB2] 2.2.41 Decodes a TRANSFORM_HEADER and checks that the ciphertext after it is OriginalMessageSize long. */
export function parseTransformHeader(data: Buffer): TransformHeader & { readonly ciphertext: Buffer } {
  need(data, TRANSFORM_HEADER_SIZE, 'SMB2 TRANSFORM_HEADER');
  if (!isTransformed(data)) throw malformed(`not an SMB2 TRANSFORM_HEADER (protocol id ${data.subarray(0, 4).toString('hex')})`);
  const originalMessageSize = data.readUInt32LE(36);
  const flags = data.readUInt16LE(42);
  if (flags !== TRANSFORM_ENCRYPTED) throw malformed(`SMB2 TRANSFORM_HEADER Flags 0x${flags.toString(16)}, expected 0x0001 (encrypted)`);
  const ciphertext = data.subarray(TRANSFORM_HEADER_SIZE);
  if (ciphertext.length !== originalMessageSize) throw malformed(`SMB2 TRANSFORM_HEADER says ${originalMessageSize} bytes, ${ciphertext.length} follow`);
  return {
    signature: Buffer.from(data.subarray(4, 20)),
    nonce: Buffer.from(data.subarray(20, 36)),
    originalMessageSize,
    flags,
    sessionId: data.readBigUInt64LE(44),
    ciphertext,
  };
}

/** The AEAD nonce length of a cipher: 11 bytes for CCM, 12 for GCM. */
export function nonceLength(cipher: Cipher): 11 | 12 {
  return cipher === CIPHER.AES_128_CCM || cipher === CIPHER.AES_256_CCM ? 11 : 12;
}

function algorithm(cipher: Cipher, key: Buffer): 'aes-128-ccm' | 'aes-256-ccm' | 'aes-128-gcm' | 'aes-256-gcm' {
  const bits = cipher === CIPHER.AES_256_CCM || cipher === CIPHER.AES_256_GCM ? 256 : 128;
  if (!CIPHER_NAMES[cipher]) throw new RangeError(`unknown cipher ${String(cipher)}`);
  if (key.length * 8 !== bits) throw new RangeError(`${CIPHER_NAMES[cipher]} needs a ${bits / 8}-byte key, got ${key.length}`);
  return `aes-${bits}-${nonceLength(cipher) === 11 ? 'ccm' : 'gcm'}` as const;
}

export interface EncryptOptions {
  readonly cipher: Cipher;
  /** The session's EncryptionKey (client to server) or, for a server, its DecryptionKey. */
  readonly key: Buffer;
  readonly sessionId: bigint;
  /**
   * The nonce, 11 (CCM) or 12 (GCM) bytes, or the whole 16-byte Nonce field. It must never repeat under one key:
   * SessionEncryption draws it from a counter.
   */
  readonly nonce: Buffer;
}

/** [MS-SMB2] 3.1.4.3 Encrypts one SMB2 message (or compound chain) into a TRANSFORM_HEADER and its ciphertext. */
export function encryptMessage(message: Buffer, o: EncryptOptions): Buffer {
  const name = algorithm(o.cipher, o.key);
  const n = nonceLength(o.cipher);
  if (o.nonce.length !== n && o.nonce.length !== 16) throw new RangeError(`${CIPHER_NAMES[o.cipher]} takes an ${n}-byte nonce (or the 16-byte field), got ${o.nonce.length}`);
  const header = Buffer.alloc(TRANSFORM_HEADER_SIZE);
  TRANSFORM_PROTOCOL_ID.copy(header, 0);
  o.nonce.copy(header, 20);
  header.writeUInt32LE(message.length, 36);
  header.writeUInt16LE(TRANSFORM_ENCRYPTED, 42);
  header.writeBigUInt64LE(o.sessionId, 44);
  const aad = header.subarray(AAD_AT);
  const iv = header.subarray(20, 20 + n);
  const c = name.endsWith('ccm') ? createCipheriv(name as 'aes-128-ccm', o.key, iv, { authTagLength: TAG_SIZE }) : createCipheriv(name as 'aes-128-gcm', o.key, iv, { authTagLength: TAG_SIZE });
  c.setAAD(aad, { plaintextLength: message.length });
  const ciphertext = Buffer.concat([c.update(message), c.final()]);
  c.getAuthTag().copy(header, 4);
  return Buffer.concat([header, ciphertext]);
}

export interface DecryptOptions {
  readonly cipher: Cipher;
  /** The session's DecryptionKey (server to client). */
  readonly key: Buffer;
  /** When given, a message for another session is refused before any decryption. */
  readonly sessionId?: bigint;
}

/**
 * [MS-SMB2] 3.2.5.1.1.1 Decrypts a TRANSFORM_HEADER message and returns the SMB2 message inside. A wrong tag (a
 * tampered or misdirected message, or the wrong key) is a ProbeError; nothing of its plaintext is returned.
 */
export function decryptMessage(data: Buffer, o: DecryptOptions): Buffer {
  const t = parseTransformHeader(data);
  if (o.sessionId !== undefined && t.sessionId !== o.sessionId) throw malformed(`encrypted message for session 0x${t.sessionId.toString(16)}, expected 0x${o.sessionId.toString(16)}`);
  const name = algorithm(o.cipher, o.key);
  const iv = t.nonce.subarray(0, nonceLength(o.cipher));
  const d = name.endsWith('ccm') ? createDecipheriv(name as 'aes-128-ccm', o.key, iv, { authTagLength: TAG_SIZE }) : createDecipheriv(name as 'aes-128-gcm', o.key, iv, { authTagLength: TAG_SIZE });
  try {
    d.setAuthTag(t.signature);
    d.setAAD(data.subarray(AAD_AT, TRANSFORM_HEADER_SIZE), { plaintextLength: t.ciphertext.length });
    return Buffer.concat([d.update(t.ciphertext), d.final()]);
  } catch {
    throw malformed(`SMB2 decryption failed (${CIPHER_NAMES[o.cipher]}): the signature does not match the message`);
  }
}

/**
 * Nonces for one session's outgoing messages: a 64-bit counter (little-endian) followed by random bytes fixed for
 * the session, so no nonce repeats under the session's key. One per session, shared by all its connections.
 */
export class NonceSequence {
  #counter = 0n;
  readonly #salt: Buffer;

  constructor(readonly cipher: Cipher, salt: Buffer = randomBytes(nonceLength(cipher) - 8)) {
    if (salt.length !== nonceLength(cipher) - 8) throw new RangeError(`the nonce salt of ${CIPHER_NAMES[cipher]} is ${nonceLength(cipher) - 8} bytes, got ${salt.length}`);
    this.#salt = Buffer.from(salt);
  }

  next(): Buffer {
    this.#counter++;
    if (this.#counter > 0xffffffffffffffffn) throw new RangeError('the nonce counter is exhausted: the session must be set up again');
    const nonce = Buffer.alloc(nonceLength(this.cipher));
    nonce.writeBigUInt64LE(this.#counter, 0);
    this.#salt.copy(nonce, 8);
    return nonce;
  }
}

export interface SessionEncryptionOptions {
  readonly cipher: Cipher;
  readonly sessionId: bigint;
  /** Client to server (SessionKeys.encryptionKey). */
  readonly encryptionKey: Buffer;
  /** Server to client (SessionKeys.decryptionKey). */
  readonly decryptionKey: Buffer;
}

/** One session's encryption: seals outgoing messages with fresh nonces and opens incoming ones for this session only. */
export class SessionEncryption {
  readonly #nonces: NonceSequence;
  // Private, so that logging the object cannot print a key.
  readonly #options: SessionEncryptionOptions;

  constructor(options: SessionEncryptionOptions) {
    algorithm(options.cipher, options.encryptionKey);
    algorithm(options.cipher, options.decryptionKey);
    this.#options = { ...options, encryptionKey: Buffer.from(options.encryptionKey), decryptionKey: Buffer.from(options.decryptionKey) };
    this.#nonces = new NonceSequence(options.cipher);
  }

  get cipher(): Cipher {
    return this.#options.cipher;
  }

  get sessionId(): bigint {
    return this.#options.sessionId;
  }

  encrypt(message: Buffer): Buffer {
    const { cipher, encryptionKey: key, sessionId } = this.#options;
    return encryptMessage(message, { cipher, key, sessionId, nonce: this.#nonces.next() });
  }

  decrypt(data: Buffer): Buffer {
    const { cipher, decryptionKey: key, sessionId } = this.#options;
    return decryptMessage(data, { cipher, key, sessionId });
  }
}
