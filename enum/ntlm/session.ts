/**
 * [MS-NLMP] 3.4 session security with extended session security, connection-oriented: one RC4 state and one
 * sequence number per direction for the life of the connection. What DCE/RPC packet integrity and privacy use;
 * SMB2 needs only the ExportedSessionKey (its own signing and encryption derive from it).
 */
import { timingSafeEqual } from 'node:crypto';
import { FLAGS } from '../../probes/ntlm/codec.js';
import { NtlmError, malformed } from './errors.js';
import { sealKey, signKey, type Mode } from './keys.js';
import { Rc4 } from './rc4.js';
import { hmacMd5 } from './responses.js';

/** [MS-NLMP] 2.2.2.9.2 NTLMSSP_MESSAGE_SIGNATURE with extended session security: Version, Checksum, SeqNum. */
export const SIGNATURE_LENGTH = 16;

interface Direction {
  readonly signKey: Buffer;
  readonly handle: Rc4;
  seq: number;
}

export class NtlmSession {
  readonly #out: Direction;
  readonly #in: Direction;
  readonly #flags: number;

  /**
   * @param exportedSessionKey the 16-byte key the AUTHENTICATE_MESSAGE established
   * @param flags the NegotiateFlags both sides agreed on
   * @param mode `client` signs with the client-to-server keys and verifies with the server-to-client ones;
   *   `server` the other way round. @default 'client'
   */
  constructor(exportedSessionKey: Buffer, flags: number, mode: Mode = 'client') {
    if (exportedSessionKey.length !== 16) throw new RangeError(`an NTLM session key is 16 bytes, got ${exportedSessionKey.length}`);
    if ((flags & FLAGS.EXTENDED_SESSIONSECURITY) === 0) {
      throw new NtlmError('ntlmv1-only', 'NTLM session security without extended session security is not supported');
    }
    const peer: Mode = mode === 'client' ? 'server' : 'client';
    this.#flags = flags >>> 0;
    this.#out = { signKey: signKey(exportedSessionKey, mode), handle: new Rc4(sealKey(flags, exportedSessionKey, mode)), seq: 0 };
    this.#in = { signKey: signKey(exportedSessionKey, peer), handle: new Rc4(sealKey(flags, exportedSessionKey, peer)), seq: 0 };
  }

  get flags(): number {
    return this.#flags;
  }

  /** The sequence number the next outgoing message will carry. */
  get sendSequence(): number {
    return this.#out.seq;
  }

  /** The sequence number the next incoming message must carry. */
  get receiveSequence(): number {
    return this.#in.seq;
  }

  /** [MS-NLMP] 3.4.4.2 MAC: the signature of an outgoing message (GSS_GetMIC); the sequence number moves on. */
  sign(message: Buffer): Buffer {
    const signature = mac(this.#out, this.#flags, message);
    this.#out.seq = (this.#out.seq + 1) >>> 0;
    return signature;
  }

  /**
   * [MS-NLMP] 3.4.3 SEAL (GSS_WrapEx): RC4 over `message` with the outgoing sealing state, then the MAC, whose
   * checksum is encrypted by the same continuing keystream. `signed` is what the signature covers when it is not
   * the plaintext itself: DCE/RPC privacy seals the stub but signs the whole PDU ([MS-RPCE] 3.3.1.5.2.2).
   */
  seal(message: Buffer, signed: Buffer = message): { sealed: Buffer; signature: Buffer } {
    this.#requireSeal();
    const sealed = this.#out.handle.update(message);
    return { sealed, signature: this.sign(signed) };
  }

  /**
   * [MS-NLMP] 3.4.4 verification of an incoming signature (GSS_VerifyMIC). A signature that does not match, or
   * that carries another sequence number than the one expected, throws NtlmError('bad-signature') and leaves the
   * state as it was, so the next genuine message still verifies.
   */
  verify(message: Buffer, signature: Buffer): void {
    const saved = this.#in.handle.clone();
    try {
      this.#check(message, signature);
    } catch (err) {
      this.#in.handle.restore(saved);
      throw err;
    }
    this.#in.seq = (this.#in.seq + 1) >>> 0;
  }

  /**
   * [MS-NLMP] 3.4.3 UNSEAL (GSS_UnwrapEx): RC4 over `sealed` with the incoming state, then verification of the
   * signature over `signed(plaintext)` (the plaintext by default). On failure nothing is returned and the state
   * is rolled back.
   */
  unseal(sealed: Buffer, signature: Buffer, signed: (plaintext: Buffer) => Buffer = (p) => p): Buffer {
    this.#requireSeal();
    const saved = this.#in.handle.clone();
    let plaintext: Buffer;
    try {
      plaintext = this.#in.handle.update(sealed);
      this.#check(signed(plaintext), signature);
    } catch (err) {
      this.#in.handle.restore(saved);
      if (err instanceof NtlmError) throw err;
      throw malformed(`cannot unseal the NTLM message: ${(err as Error).message}`);
    }
    this.#in.seq = (this.#in.seq + 1) >>> 0;
    return plaintext;
  }

  #check(message: Buffer, signature: Buffer): void {
    if (signature.length !== SIGNATURE_LENGTH) {
      throw new NtlmError('bad-signature', `an NTLM signature is ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
    }
    if (signature.readUInt32LE(0) !== 1) throw new NtlmError('bad-signature', `NTLM signature version ${signature.readUInt32LE(0)}, not 1`);
    const seq = signature.readUInt32LE(12);
    if (seq !== this.#in.seq) throw new NtlmError('bad-signature', `NTLM signature out of sequence: expected ${this.#in.seq}, got ${seq}`);
    if (!timingSafeEqual(mac(this.#in, this.#flags, message), signature)) {
      throw new NtlmError('bad-signature', `the NTLM signature of message ${seq} does not verify`);
    }
  }

  #requireSeal(): void {
    if ((this.#flags & FLAGS.SEAL) === 0) throw new NtlmError('not-negotiated', 'NTLM sealing was not negotiated');
  }
}

/**
 * [MS-NLMP] 3.4.4.2 MAC with extended session security: Version 1, the first 8 bytes of
 * HMAC_MD5(SigningKey, ConcatenationOf(SeqNum, Message)), RC4-encrypted with the sealing state when key exchange
 * was negotiated, then SeqNum.
 */
function mac(direction: Direction, flags: number, message: Buffer): Buffer {
  const seq = Buffer.alloc(4);
  seq.writeUInt32LE(direction.seq, 0);
  let checksum = hmacMd5(direction.signKey, seq, message).subarray(0, 8);
  if (flags & FLAGS.KEY_EXCH) checksum = direction.handle.update(checksum);
  const signature = Buffer.alloc(SIGNATURE_LENGTH);
  signature.writeUInt32LE(1, 0);
  checksum.copy(signature, 4);
  seq.copy(signature, 12);
  return signature;
}
