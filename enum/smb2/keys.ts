/**
 * [MS-SMB2] 3.1.4.2 the SMB 3.x key derivation function and the keys of a session (3.2.5.3.1 / 3.3.5.5.3).
 *
 * KDF: NIST SP 800-108 in counter mode with HMAC-SHA256 as the PRF (r = 32), one block being enough for L <= 256:
 *   K = HMAC-SHA256(Ki, [i]_32 || Label || 0x00 || Context || [L]_32), i = 1, integers big-endian, first L bits.
 * Label and Context are the strings below with their terminating NUL, so "SMB2AESCMAC" contributes 12 bytes and is
 * followed by the KDF's own 0x00 separator; "ServerIn " keeps its trailing space to be as long as "ServerOut".
 *
 *   dialect       signing                       encryption (client->server)    decryption (server->client)     application
 *   3.0, 3.0.2    SMB2AESCMAC / SmbSign         SMB2AESCCM / "ServerIn "       SMB2AESCCM / ServerOut          SMB2APP / SmbRpc
 *   3.1.1         SMBSigningKey / preauth hash  SMBC2SCipherKey / preauth hash SMBS2CCipherKey / preauth hash  SMBAppKey / preauth hash
 *
 * For AES-256-CCM and AES-256-GCM (3.1.1) the cipher keys are 256 bits (L = 256) derived from the full session key
 * (Session.FullSessionKey: the whole GSS key, where the other keys use its first 16 bytes); the signing and
 * application keys stay 128 bits. Dialects 2.0.2 and 2.1 derive nothing: the session key signs (HMAC-SHA256).
 */
import { createHmac } from 'node:crypto';
import { CIPHER, Cipher, DIALECT } from './constants.js';
import { PREAUTH_HASH_SIZE } from './preauth.js';

/** A label or context: the ASCII string and its terminating NUL. */
function z(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'latin1');
}

/** [MS-SMB2] 3.1.4.2 KDF(Ki, Label, Context) with L = `bits`. */
export function kdf(key: Buffer, label: Buffer, context: Buffer, bits: 128 | 256 = 128): Buffer {
  const counter = Buffer.from([0, 0, 0, 1]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bits, 0);
  return createHmac('sha256', key).update(Buffer.concat([counter, label, Buffer.from([0]), context, length])).digest().subarray(0, bits / 8);
}

/** The keys one session uses. `encryptionKey` seals what the client sends; `decryptionKey` opens what it receives. */
export interface SessionKeys {
  readonly signingKey: Buffer;
  readonly encryptionKey: Buffer | null;
  readonly decryptionKey: Buffer | null;
  /** What an application protocol over the session (DCE/RPC's session key) is given, 3.2.4.25. */
  readonly applicationKey: Buffer;
}

export interface DeriveKeysOptions {
  readonly dialect: number;
  /** The GSS session key (NTLM's ExportedSessionKey, 16 bytes; Kerberos may give 32). */
  readonly sessionKey: Buffer;
  /** 3.1.1: the session's preauth integrity hash (see PreauthHash). */
  readonly preauthHash?: Buffer;
  /**
   * 3.1.1: the negotiated cipher (AES-256 ones get 256-bit cipher keys); null when the server chose none, which
   * leaves the cipher keys null. Ignored before 3.1.1 (3.0 and 3.0.2 know AES-128-CCM only).
   * @default a 128-bit cipher
   */
  readonly cipher?: Cipher | null;
}

/** [MS-SMB2] 3.2.1.3 Session.SessionKey: the first 16 bytes of the GSS key, right-padded with zeros. */
export function sessionKey16(key: Buffer): Buffer {
  const b = Buffer.alloc(16);
  key.copy(b, 0, 0, Math.min(16, key.length));
  return b;
}

export function deriveKeys(o: DeriveKeysOptions): SessionKeys {
  if (o.sessionKey.length === 0) throw new RangeError('sessionKey is empty: an anonymous or guest session has no keys');
  const key = sessionKey16(o.sessionKey);
  switch (o.dialect) {
    case DIALECT.SMB_2_0_2:
    case DIALECT.SMB_2_1:
      return { signingKey: key, encryptionKey: null, decryptionKey: null, applicationKey: key };
    case DIALECT.SMB_3_0:
    case DIALECT.SMB_3_0_2:
      return {
        signingKey: kdf(key, z('SMB2AESCMAC'), z('SmbSign')),
        encryptionKey: kdf(key, z('SMB2AESCCM'), z('ServerIn ')),
        decryptionKey: kdf(key, z('SMB2AESCCM'), z('ServerOut')),
        applicationKey: kdf(key, z('SMB2APP'), z('SmbRpc')),
      };
    case DIALECT.SMB_3_1_1: {
      const hash = o.preauthHash;
      if (!hash || hash.length !== PREAUTH_HASH_SIZE) throw new RangeError(`3.1.1 keys need the ${PREAUTH_HASH_SIZE}-byte preauth integrity hash`);
      const wide = o.cipher === CIPHER.AES_256_CCM || o.cipher === CIPHER.AES_256_GCM;
      const cipherKey = wide ? o.sessionKey : key;
      const bits = wide ? 256 : 128;
      return {
        signingKey: kdf(key, z('SMBSigningKey'), hash),
        encryptionKey: o.cipher === null ? null : kdf(cipherKey, z('SMBC2SCipherKey'), hash, bits),
        decryptionKey: o.cipher === null ? null : kdf(cipherKey, z('SMBS2CCipherKey'), hash, bits),
        applicationKey: kdf(key, z('SMBAppKey'), hash),
      };
    }
    default:
      throw new RangeError(`no keys are defined for dialect 0x${o.dialect.toString(16)}`);
  }
}
