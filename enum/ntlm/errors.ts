/**
 * NTLM failures, as ProbeErrors so that a probe or enumerator turns them into an outcome like any other. `code`
 * lets a caller branch without parsing the message; messages never carry a secret (no password, hash, key or
 * response bytes).
 */
import type { ProbeStatus } from '../../model/evidence.js';
import { ProbeError } from '../../probes/core/outcome.js';

export const NTLM_ERROR_CODES = {
  /** A message that does not parse: truncated, a field past its end, a wrong type or signature. */
  malformed: 'protocol-error',
  /** The server offers no NTLMv2 (no extended session security or no target info): we never fall back to v1. */
  'ntlmv1-only': 'unsupported',
  /** The server did not negotiate what the operation needs (Unicode, sealing). */
  'not-negotiated': 'unsupported',
  /** A signature that does not verify, or one out of sequence: the message is rejected, the state is unchanged. */
  'bad-signature': 'protocol-error',
  /** A field would not fit its 16-bit length (a huge target info or name). */
  'too-long': 'protocol-error',
} as const satisfies Record<string, Exclude<ProbeStatus, 'success'>>;
export type NtlmErrorCode = keyof typeof NTLM_ERROR_CODES;

export class NtlmError extends ProbeError {
  constructor(readonly code: NtlmErrorCode, message: string) {
    super(NTLM_ERROR_CODES[code], message);
    this.name = 'NtlmError';
  }
}

export const malformed = (message: string): NtlmError => new NtlmError('malformed', message);
