/**
 * The client side of an NTLMv2 authentication, end to end: NEGOTIATE, then from the server's CHALLENGE the
 * AUTHENTICATE with its MIC, the session key and the session security state ([MS-NLMP] 3.1.5.1, 3.1.5.2).
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { FLAGS } from '../../probes/ntlm/codec.js';
import { InputError } from '../../scanner/errors.js';
import { clientTargetInfo } from './av-pairs.js';
import { buildAuthenticate, buildNegotiate, CLIENT_FLAGS, parseChallengeMessage, setMic, type ChallengeMessage } from './messages.js';
import {
  encryptSessionKey, fileTime, keyExchangeKeyV2, lmv2Response, ntlmv2ClientChallenge, ntlmv2Response, ntowfv1, ntowfv2,
} from './responses.js';
import { NtlmSession } from './session.js';

/** A secret as the vault hands it out (vault/credentials.ts Secret), or a plain string. */
type SecretText = string | { reveal(): string };

export interface NtlmClientOptions {
  /** The account's domain: a NetBIOS or DNS domain name, or the host's name for a local account. */
  readonly domain: string;
  readonly user: string;
  /** The password. Give this or `ntHash`, not both. */
  readonly password?: SecretText;
  /**
   * The NT hash (MD4 of the UTF-16LE password): 16 bytes, or 32 hex digits, optionally after "LMHASH:" as some
   * tools print it. How a vault may hold a Windows credential without its password (pass-the-hash).
   */
  readonly ntHash?: Buffer | SecretText;
  /** The client's name sent in the AUTHENTICATE_MESSAGE. @default '' */
  readonly workstation?: string;
  /** MsvAvTargetName, the SPN of the service ("cifs/host.example"). @default absent */
  readonly targetName?: string;
  /** MsvAvChannelBindings (16 bytes) when running over TLS. @default 16 zero bytes */
  readonly channelBindings?: Buffer;
  /** The clock for the NTLMv2 timestamp when the server sends none. @default () => new Date() */
  readonly now?: () => Date;
  /** Where the client challenge and the session key come from. @default crypto.randomBytes */
  readonly randomBytes?: (size: number) => Buffer;
}

export interface NtlmAuthentication {
  /** The AUTHENTICATE_MESSAGE to send. */
  readonly message: Buffer;
  /** The ExportedSessionKey: SMB2's Session.SessionKey, and the base of the NTLM session keys. */
  readonly sessionKey: Buffer;
  /** Signing and sealing for DCE/RPC packet integrity and privacy (and the SPNEGO mechListMIC). */
  readonly session: NtlmSession;
  /** The NegotiateFlags of the AUTHENTICATE_MESSAGE: what both sides agreed on. */
  readonly flags: number;
  /** The parsed CHALLENGE_MESSAGE (server names and OS version for the evidence). */
  readonly challenge: ChallengeMessage;
}

const utf16Length = (s: string): number => Buffer.byteLength(s, 'utf16le');

function reveal(value: SecretText): string {
  return typeof value === 'string' ? value : value.reveal();
}

/** The NT hash from the options, checked; errors name the option and never echo its value. */
function ntHashOf(options: NtlmClientOptions): Buffer {
  if (options.password !== undefined && options.ntHash !== undefined) {
    throw new InputError('NTLM credential: give a password or an NT hash, not both');
  }
  if (options.password !== undefined) return ntowfv1(reveal(options.password));
  if (options.ntHash === undefined) throw new InputError('NTLM credential: a password or an NT hash is required');
  if (Buffer.isBuffer(options.ntHash)) {
    if (options.ntHash.length !== 16) throw new InputError(`NTLM credential: an NT hash is 16 bytes, got ${options.ntHash.length}`);
    return Buffer.from(options.ntHash);
  }
  const text = reveal(options.ntHash).trim();
  const nt = text.includes(':') ? text.slice(text.lastIndexOf(':') + 1) : text;
  if (!/^[0-9a-fA-F]{32}$/.test(nt)) {
    throw new InputError(`NTLM credential: an NT hash is 32 hex digits (optionally after "LMHASH:"), got ${text.length} characters`);
  }
  return Buffer.from(nt, 'hex');
}

export class NtlmClient {
  readonly #responseKeyNT: Buffer;
  readonly #negotiate: Buffer;
  readonly #domain: string;
  readonly #user: string;
  readonly #workstation: string;
  readonly #targetName?: string;
  readonly #channelBindings?: Buffer;
  readonly #now: () => Date;
  readonly #random: (size: number) => Buffer;

  constructor(options: NtlmClientOptions) {
    if (!options.user) throw new InputError('NTLM credential: the user name is empty');
    for (const [name, value] of [['domain', options.domain], ['user', options.user], ['workstation', options.workstation ?? '']] as const) {
      if (utf16Length(value) > 0xffff) throw new InputError(`NTLM credential: the ${name} name is too long (${value.length} characters)`);
    }
    if (options.channelBindings !== undefined && options.channelBindings.length !== 16) {
      throw new InputError(`NTLM channelBindings: an MD5 hash of 16 bytes, got ${options.channelBindings.length}`);
    }
    // Only the NTLMv2 key is kept: neither the password nor the NT hash outlives the constructor
    this.#responseKeyNT = ntowfv2(ntHashOf(options), options.user, options.domain);
    this.#domain = options.domain;
    this.#user = options.user;
    this.#workstation = options.workstation ?? '';
    if (options.targetName !== undefined) this.#targetName = options.targetName;
    if (options.channelBindings !== undefined) this.#channelBindings = options.channelBindings;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.randomBytes ?? cryptoRandomBytes;
    this.#negotiate = buildNegotiate(CLIENT_FLAGS);
  }

  /** The NEGOTIATE_MESSAGE to send first ([MS-NLMP] 2.2.1.1). */
  negotiate(): Buffer {
    return Buffer.from(this.#negotiate);
  }

  /**
   * [MS-NLMP] 3.1.5.1.2: from the server's CHALLENGE_MESSAGE, the AUTHENTICATE_MESSAGE and the keys. Throws
   * NtlmError (a ProbeError) for a malformed challenge or one that offers only NTLMv1.
   */
  authenticate(challengeBytes: Buffer): NtlmAuthentication {
    const challenge = parseChallengeMessage(challengeBytes);
    // What both sides support; Unicode was checked by the parser
    const flags = (challenge.flags & CLIENT_FLAGS) >>> 0;
    const time = challenge.timestamp ?? fileTime(this.#now());
    const clientChallenge = this.#random(8);
    const targetInfo = clientTargetInfo(challenge.pairs, {
      ...(this.#channelBindings ? { channelBindings: this.#channelBindings } : {}),
      ...(this.#targetName ? { targetName: this.#targetName } : {}),
    });
    const temp = ntlmv2ClientChallenge(time, clientChallenge, targetInfo);
    const { ntChallengeResponse, sessionBaseKey } = ntlmv2Response(this.#responseKeyNT, challenge.serverChallenge, temp);
    // 3.1.5.1.2: with a server timestamp (and so a MIC) the LmChallengeResponse is Z(24); otherwise LMv2
    const lmChallengeResponse = challenge.timestamp
      ? Buffer.alloc(24)
      : lmv2Response(this.#responseKeyNT, challenge.serverChallenge, clientChallenge);
    const keyExchangeKey = keyExchangeKeyV2(sessionBaseKey);
    let exportedSessionKey: Buffer = keyExchangeKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (flags & FLAGS.KEY_EXCH && flags & (FLAGS.SIGN | FLAGS.SEAL)) {
      exportedSessionKey = this.#random(16);
      encryptedRandomSessionKey = encryptSessionKey(keyExchangeKey, exportedSessionKey);
    }
    const message = buildAuthenticate({
      flags, lmChallengeResponse, ntChallengeResponse, domain: this.#domain, user: this.#user,
      workstation: this.#workstation, encryptedRandomSessionKey,
    });
    setMic(message, exportedSessionKey, this.#negotiate, challenge.raw);
    return { message, sessionKey: exportedSessionKey, session: new NtlmSession(exportedSessionKey, flags, 'client'), flags, challenge };
  }

  [inspect.custom](): string {
    return `NtlmClient { user: ${JSON.stringify(this.#domain ? `${this.#domain}\\${this.#user}` : this.#user)} }`;
  }
}
