/**
 * [MS-SMB2] 3.2.5.2 / 3.3.5.4 and 3.2.4.2.3 / 3.2.5.3: the 3.1.1 pre-authentication integrity hash. A SHA-512 chain
 * H = SHA-512(H || message), from 64 zero bytes, over the NEGOTIATE request and response (the connection's value),
 * then, from that value, over every SESSION_SETUP request and every SESSION_SETUP response except the final
 * STATUS_SUCCESS one (the session's value, the context of the 3.1.1 key derivations). A message is the whole SMB2
 * message, header included, without the 4-byte transport frame.
 */
import { createHash } from 'node:crypto';
import { COMMAND, FLAGS } from './constants.js';
import { parseHeader } from './header.js';
import { NT_STATUS } from './status.js';

export const PREAUTH_HASH_SIZE = 64;

/** One step of the chain: SHA-512(previous || message). */
export function preauthStep(previous: Buffer, message: Buffer): Buffer {
  if (previous.length !== PREAUTH_HASH_SIZE) throw new RangeError(`a preauth hash is ${PREAUTH_HASH_SIZE} bytes, got ${previous.length}`);
  return createHash('sha512').update(previous).update(message).digest();
}

/** The running hash of one connection or of one session being set up on it. */
export class PreauthHash {
  #value: Buffer;

  constructor(initial: Buffer = Buffer.alloc(PREAUTH_HASH_SIZE)) {
    if (initial.length !== PREAUTH_HASH_SIZE) throw new RangeError(`a preauth hash is ${PREAUTH_HASH_SIZE} bytes, got ${initial.length}`);
    this.#value = Buffer.from(initial);
  }

  /** Folds one message into the chain. */
  update(message: Buffer): this {
    this.#value = preauthStep(this.#value, message);
    return this;
  }

  /**
   * Folds a SESSION_SETUP exchange message in unless it is the final successful response, which the chain leaves
   * out (3.2.5.3.1): the keys are derived before that response, whose signature they then verify. Returns whether
   * the message was included.
   */
  updateSessionSetup(message: Buffer): boolean {
    const h = parseHeader(message);
    if (h.command !== COMMAND.SESSION_SETUP) throw new RangeError(`expected a SESSION_SETUP message, got command ${h.command}`);
    const isResponse = (h.flags & FLAGS.SERVER_TO_REDIR) !== 0;
    if (isResponse && h.status === NT_STATUS.SUCCESS) return false;
    this.update(message);
    return true;
  }

  /** A new chain starting from this value: a session's chain starts from its connection's after NEGOTIATE. */
  fork(): PreauthHash {
    return new PreauthHash(this.#value);
  }

  get value(): Buffer {
    return Buffer.from(this.#value);
  }
}
