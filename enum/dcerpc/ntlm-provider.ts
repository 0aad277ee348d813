/**
 * NTLMSSP as a DCE/RPC security provider (auth_type RPC_C_AUTHN_WINNT = 10, [MS-RPCE] 2.2.1.1.7): the three legs
 * of [MS-NLMP] 3.1.5 carried by bind, bind_ack and auth3 ([MS-RPCE] 3.3.1.5.2.1), then every PDU signed at packet
 * integrity or sealed and signed at packet privacy with the NtlmSession's connection-oriented state.
 *
 * What is covered follows auth.ts: NTLMv2 with extended session security signs the header, the body and the
 * sec_trailer ([MS-NLMP] 3.4.4.2 over the whole PDU up to the signature, [MS-RPCE] 3.3.1.5.2.2); privacy
 * encrypts only the body. The RC4 stream of each direction is shared by sealing and the signature's checksum, so
 * the order is the one [MS-NLMP] 3.4.3 gives: the body through RC4 first, then the checksum.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { NtlmClient, type NtlmAuthentication, type NtlmClientOptions } from '../ntlm/client.js';
import { NtlmError } from '../ntlm/errors.js';
import { SIGNATURE_LENGTH, type NtlmSession } from '../ntlm/session.js';
import { AUTH_TYPE, type AuthStep, type ProtectedPdu, type SecurityProvider, signedBytes } from './auth.js';

export class NtlmSecurityProvider implements SecurityProvider {
  readonly authType = AUTH_TYPE.ntlm;
  readonly signatureLength = SIGNATURE_LENGTH;
  readonly #ntlm: NtlmClient;
  #auth: NtlmAuthentication | null = null;

  /** The credential is turned into its NTLMv2 key at once; the provider keeps no password or NT hash. */
  constructor(credential: NtlmClientOptions) {
    this.#ntlm = new NtlmClient(credential);
  }

  /** The server's names and the negotiated flags, once the challenge has been answered. */
  get authentication(): NtlmAuthentication | null {
    return this.#auth;
  }

  start(): Buffer {
    return this.#ntlm.negotiate();
  }

  next(serverToken: Buffer): AuthStep {
    if (this.#auth) return { send: 'nothing' };
    if (serverToken.length === 0) throw new ProbeError('auth-failed', 'the bind_ack carries no NTLM challenge');
    this.#auth = this.#ntlm.authenticate(serverToken);
    return { send: 'auth3', token: this.#auth.message };
  }

  sign(pdu: ProtectedPdu): Buffer {
    return this.#session().sign(signedBytes(pdu));
  }

  verify(pdu: ProtectedPdu, signature: Buffer): boolean {
    try {
      this.#session().verify(signedBytes(pdu), signature);
      return true;
    } catch (err) {
      if (err instanceof NtlmError && err.code === 'bad-signature') return false;
      throw err;
    }
  }

  seal(pdu: ProtectedPdu): { body: Buffer; signature: Buffer } {
    const { sealed, signature } = this.#session().seal(pdu.body, signedBytes(pdu));
    return { body: sealed, signature };
  }

  unseal(pdu: ProtectedPdu, signature: Buffer): Buffer | undefined {
    try {
      return this.#session().unseal(pdu.body, signature, (plain) => Buffer.concat([pdu.header, plain, pdu.trailer]));
    } catch (err) {
      if (err instanceof NtlmError && (err.code === 'bad-signature' || err.code === 'malformed')) return undefined;
      throw err;
    }
  }

  #session(): NtlmSession {
    if (!this.#auth) throw new ProbeError('protocol-error', 'a protected PDU before the NTLM authentication finished');
    return this.#auth.session;
  }
}
