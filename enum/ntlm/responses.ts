/**
 * NTLMv2 response computation ([MS-NLMP] 3.3.2) and the key exchange that follows it (3.4.5.1 KXKEY, 3.1.5.1.2).
 * Only version 2: NTLMv1 and LM are never computed (NTOWFv1 is here because NTOWFv2 is built on it).
 */
import { createHmac } from 'node:crypto';
import { md4 } from './md4.js';
import { rc4k } from './rc4.js';

const hmacMd5 = (key: Uint8Array, ...parts: Uint8Array[]): Buffer => {
  const h = createHmac('md5', key);
  for (const part of parts) h.update(part);
  return h.digest();
};

/**
 * Uppercase as Windows does for NTOWFv2's user name: UTF-16 code unit by code unit, never changing the length (so
 * "ß" stays "ß" where String.prototype.toUpperCase would write "SS"), with no locale rules (no Turkish dotted I).
 */
export function windowsUpper(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text[i]!;
    const code = unit.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) {
      out += unit; // half of a surrogate pair: Windows upcases UTF-16 code units, and leaves these alone
      continue;
    }
    const upper = unit.toUpperCase();
    out += upper.length === 1 ? upper : unit;
  }
  return out;
}

/** [MS-NLMP] 3.3.1 NTOWFv1: MD4(UNICODE(Passwd)), the NT hash that vaults also hold as is. */
export function ntowfv1(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/**
 * [MS-NLMP] 3.3.2 NTOWFv2 (and LMOWFv2, which is the same function):
 * HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(Uppercase(User), UserDom))), from the NT hash.
 */
export function ntowfv2(ntHash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(windowsUpper(user) + domain, 'utf16le'));
}

export const lmowfv2 = ntowfv2;

/** A Date as a FILETIME: 100 ns ticks since 1601-01-01 UTC, 8 bytes little-endian ([MS-DTYP] 2.3.3). */
export function fileTime(date: Date): Buffer {
  const ticks = (BigInt(date.getTime()) + 11644473600000n) * 10000n;
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(ticks < 0n ? 0n : ticks & 0xffffffffffffffffn, 0);
  return b;
}

/**
 * [MS-NLMP] 2.2.2.7 NTLMv2_CLIENT_CHALLENGE, the "temp" of 3.3.2: RespType 1, HiRespType 1, Z(6), TimeStamp,
 * ChallengeFromClient, Z(4), the AV pairs (ending in MsvAvEOL), Z(4).
 */
export function ntlmv2ClientChallenge(time: Buffer, clientChallenge: Buffer, targetInfo: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1, 1]), Buffer.alloc(6), time, clientChallenge, Buffer.alloc(4), targetInfo, Buffer.alloc(4)]);
}

export interface Ntlmv2Response {
  /** NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(ServerChallenge, temp)). */
  readonly ntProofStr: Buffer;
  /** NtChallengeResponse = ConcatenationOf(NTProofStr, temp) ([MS-NLMP] 2.2.2.8). */
  readonly ntChallengeResponse: Buffer;
  /** SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr). */
  readonly sessionBaseKey: Buffer;
}

/** [MS-NLMP] 3.3.2 ComputeResponse, the NT half, given temp (see `ntlmv2ClientChallenge`). */
export function ntlmv2Response(responseKeyNT: Buffer, serverChallenge: Buffer, temp: Buffer): Ntlmv2Response {
  const ntProofStr = hmacMd5(responseKeyNT, serverChallenge, temp);
  return { ntProofStr, ntChallengeResponse: Buffer.concat([ntProofStr, temp]), sessionBaseKey: hmacMd5(responseKeyNT, ntProofStr) };
}

/**
 * [MS-NLMP] 3.3.2 LMv2 response (2.2.2.4): HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) followed by
 * ClientChallenge.
 */
export function lmv2Response(responseKeyLM: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLM, serverChallenge, clientChallenge), clientChallenge]);
}

/** [MS-NLMP] 3.4.5.1 KXKEY: with NTLMv2 the key exchange key is the session base key itself. */
export function keyExchangeKeyV2(sessionBaseKey: Buffer): Buffer {
  return Buffer.from(sessionBaseKey);
}

/** [MS-NLMP] 3.1.5.1.2: EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey). */
export function encryptSessionKey(keyExchangeKey: Buffer, exportedSessionKey: Buffer): Buffer {
  return rc4k(keyExchangeKey, exportedSessionKey);
}

/** [MS-NLMP] 3.2.5.1.2 the server's inverse: ExportedSessionKey = RC4K(KeyExchangeKey, EncryptedRandomSessionKey). */
export const decryptSessionKey = encryptSessionKey;

export { hmacMd5 };
