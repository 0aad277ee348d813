/**
 * The three NTLMSSP messages of an authenticated session: NEGOTIATE out ([MS-NLMP] 2.2.1.1), CHALLENGE in
 * (2.2.1.2, parsed strictly and refused when it offers only NTLMv1), AUTHENTICATE out (2.2.1.3) with its MIC.
 * The anonymous fingerprinting probe keeps its own lenient codec (probes/ntlm/codec.ts), whose constants and name
 * parsing this reuses.
 */
import { createHmac } from 'node:crypto';
import { AV, FLAGS, SIGNATURE, parseChallenge, type Challenge } from '../../probes/ntlm/codec.js';
import { parseAvPairs, type AvPair } from './av-pairs.js';
import { NtlmError, malformed } from './errors.js';

/** The NegotiateFlags this client asks for: NTLMv2 with session security, 128-bit keys, key exchange. */
export const CLIENT_FLAGS = (FLAGS.UNICODE | FLAGS.REQUEST_TARGET | FLAGS.SIGN | FLAGS.SEAL | FLAGS.NTLM | FLAGS.ALWAYS_SIGN
  | FLAGS.EXTENDED_SESSIONSECURITY | FLAGS.TARGET_INFO | FLAGS.VERSION | FLAGS.KEY_128 | FLAGS.KEY_EXCH | FLAGS.KEY_56) >>> 0;

/**
 * [MS-NLMP] 2.2.2.10 VERSION: 10.0, build 0, NTLMSSP_REVISION_W2K3 (15). Only for debugging on the server; it
 * claims no real build.
 */
export const CLIENT_VERSION = Buffer.from([10, 0, 0, 0, 0, 0, 0, 15]);

/** [MS-NLMP] 2.2.1.1 NEGOTIATE_MESSAGE: no domain or workstation supplied (fields zero), then the version. */
export function buildNegotiate(flags: number = CLIENT_FLAGS): Buffer {
  const m = Buffer.alloc(40);
  SIGNATURE.copy(m, 0);
  m.writeUInt32LE(1, 8);
  m.writeUInt32LE(flags >>> 0, 12);
  // DomainNameFields (16) and WorkstationFields (24) stay zero: NTLMSSP_NEGOTIATE_OEM_*_SUPPLIED are not set
  CLIENT_VERSION.copy(m, 32);
  return m;
}

export interface ChallengeMessage {
  /** The message exactly as received: the MIC covers these bytes. */
  readonly raw: Buffer;
  readonly flags: number;
  readonly serverChallenge: Buffer;
  /** The TargetInfo payload as received. */
  readonly targetInfo: Buffer;
  /** Its AV pairs, in order, without MsvAvEOL. */
  readonly pairs: readonly AvPair[];
  /** The MsvAvTimestamp value (a FILETIME) when the server sent one. */
  readonly timestamp?: Buffer;
  /** What the server says about itself (names, OS version), as the fingerprinting probe reads it. */
  readonly server: Challenge;
}

/** A (Len, MaxLen, BufferOffset) field ([MS-NLMP] 2.2.1.2) checked against the message's bounds. */
function payload(m: Buffer, at: number, what: string): Buffer {
  const length = m.readUInt16LE(at);
  const offset = m.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > m.length) throw malformed(`the NTLM ${what} runs past the CHALLENGE_MESSAGE`);
  return m.subarray(offset, offset + length);
}

/**
 * [MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE, which must start at the first byte of `message` (the SPNEGO responseToken or
 * the DCE/RPC auth value). Refuses a server that offers only NTLMv1: without NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
 * and a target info there is no NTLMv2 response to compute (3.1.5.1.2), and no fallback is made.
 */
export function parseChallengeMessage(message: Buffer): ChallengeMessage {
  if (message.length < 48) throw malformed(`an NTLM CHALLENGE_MESSAGE is at least 48 bytes, got ${message.length}`);
  if (!message.subarray(0, 8).equals(SIGNATURE)) throw malformed('not an NTLMSSP message (bad signature)');
  const type = message.readUInt32LE(8);
  if (type !== 2) throw malformed(`expected an NTLM CHALLENGE_MESSAGE (type 2), got type ${type}`);
  const flags = message.readUInt32LE(20);
  payload(message, 12, 'target name');
  const targetInfo = payload(message, 40, 'target info');
  if ((flags & FLAGS.EXTENDED_SESSIONSECURITY) === 0) {
    throw new NtlmError('ntlmv1-only', 'the server does not offer NTLM extended session security: it speaks only NTLMv1, which is refused');
  }
  if ((flags & FLAGS.TARGET_INFO) === 0 || targetInfo.length === 0) {
    throw new NtlmError('ntlmv1-only', 'the server sends no NTLM target info: NTLMv2 cannot be computed, and NTLMv1 is refused');
  }
  if ((flags & FLAGS.UNICODE) === 0) throw new NtlmError('not-negotiated', 'the server does not accept Unicode NTLM messages');
  const pairs = parseAvPairs(targetInfo);
  const stamp = pairs.find((p) => p.id === AV.TIMESTAMP);
  if (stamp && stamp.value.length !== 8) throw malformed(`the NTLM MsvAvTimestamp is ${stamp.value.length} bytes, not 8`);
  let server: Challenge;
  try {
    server = parseChallenge(message);
  } catch (err) {
    throw malformed(`unreadable NTLM CHALLENGE_MESSAGE: ${(err as Error).message}`);
  }
  return {
    raw: message, flags, serverChallenge: message.subarray(24, 32), targetInfo, pairs,
    ...(stamp ? { timestamp: stamp.value } : {}), server,
  };
}

export interface AuthenticateFields {
  readonly flags: number;
  readonly lmChallengeResponse: Buffer;
  readonly ntChallengeResponse: Buffer;
  readonly domain: string;
  readonly user: string;
  readonly workstation: string;
  /** Empty when no key exchange was negotiated. */
  readonly encryptedRandomSessionKey: Buffer;
}

/** Where the MIC sits in our AUTHENTICATE_MESSAGE: after the fixed fields (64) and the VERSION (8). */
export const MIC_OFFSET = 72;
const AUTHENTICATE_HEADER = 88;

/**
 * [MS-NLMP] 2.2.1.3 AUTHENTICATE_MESSAGE with Unicode names, our VERSION, and a zeroed MIC to be filled by
 * `setMic`. Payload order: domain, user, workstation, LM response, NT response, session key.
 */
export function buildAuthenticate(fields: AuthenticateFields): Buffer {
  const parts: Array<[number, Buffer, string]> = [
    [28, Buffer.from(fields.domain, 'utf16le'), 'domain name'],
    [36, Buffer.from(fields.user, 'utf16le'), 'user name'],
    [44, Buffer.from(fields.workstation, 'utf16le'), 'workstation name'],
    [12, fields.lmChallengeResponse, 'LM challenge response'],
    [20, fields.ntChallengeResponse, 'NT challenge response'],
    [52, fields.encryptedRandomSessionKey, 'session key'],
  ];
  const header = Buffer.alloc(AUTHENTICATE_HEADER);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = AUTHENTICATE_HEADER;
  for (const [at, value, what] of parts) {
    if (value.length > 0xffff) throw new NtlmError('too-long', `the NTLM ${what} is ${value.length} bytes, over 65535`);
    header.writeUInt16LE(value.length, at);
    header.writeUInt16LE(value.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += value.length;
  }
  header.writeUInt32LE(fields.flags >>> 0, 60);
  CLIENT_VERSION.copy(header, 64);
  return Buffer.concat([header, ...parts.map(([, value]) => value)]);
}

/**
 * [MS-NLMP] 3.1.5.1.2 MIC = HMAC_MD5(ExportedSessionKey, ConcatenationOf(NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE,
 * AUTHENTICATE_MESSAGE)), the last with its MIC field zero; written into `authenticate` in place.
 */
export function setMic(authenticate: Buffer, exportedSessionKey: Buffer, negotiate: Buffer, challenge: Buffer): Buffer {
  authenticate.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
  const mic = createHmac('md5', exportedSessionKey).update(negotiate).update(challenge).update(authenticate).digest();
  mic.copy(authenticate, MIC_OFFSET);
  return mic;
}
