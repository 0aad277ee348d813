/**
 * [MS-NLMP] 2.2.2.1 AV_PAIR lists: the target info a server sends in its CHALLENGE_MESSAGE and the client echoes,
 * amended, inside its NTLMv2 response (3.1.5.1.2).
 */
import { AV } from '../../probes/ntlm/codec.js';
import { NtlmError, malformed } from './errors.js';

export interface AvPair {
  readonly id: number;
  readonly value: Buffer;
}

/** [MS-NLMP] 2.2.2.1 MsvAvFlags bits. */
export const AV_FLAGS = { CONSTRAINED: 0x1, MIC_PRESENT: 0x2, UNTRUSTED_SPN: 0x4 } as const;

/** The pairs of a target info, without the closing MsvAvEOL, which must be there and be last. */
export function parseAvPairs(info: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let at = 0;
  while (at + 4 <= info.length) {
    const id = info.readUInt16LE(at);
    const length = info.readUInt16LE(at + 2);
    if (at + 4 + length > info.length) throw malformed('an NTLM AV_PAIR runs past the target info');
    if (id === AV.EOL) {
      if (length !== 0) throw malformed('the NTLM MsvAvEOL pair has a value');
      return pairs;
    }
    pairs.push({ id, value: info.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  throw malformed('the NTLM target info does not end with MsvAvEOL');
}

/** The pairs followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const { id, value } of pairs) {
    if (value.length > 0xffff) throw new NtlmError('too-long', `NTLM AV_PAIR ${id} is ${value.length} bytes, over 65535`);
    const header = Buffer.alloc(4);
    header.writeUInt16LE(id, 0);
    header.writeUInt16LE(value.length, 2);
    parts.push(header, value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

export interface ClientTargetInfoOptions {
  /**
   * MsvAvChannelBindings: the MD5 of the gss_channel_bindings_struct ([MS-NLMP] 2.2.2.1, RFC 5929) when the
   * transport is TLS. @default 16 zero bytes: no bindings (SMB and DCE/RPC over named pipes or TCP).
   */
  readonly channelBindings?: Buffer;
  /** MsvAvTargetName: the service principal name the client means to reach ("cifs/host"). @default absent */
  readonly targetName?: string;
}

/**
 * [MS-NLMP] 3.1.5.1.2: the target info the client puts in its NTLMv2 response: the server's pairs in their order,
 * MsvAvFlags with the MIC-present bit (0x2) set or added, then the channel bindings and the target name. Pairs
 * only a client sends (8, 9, 10) are not copied from the server.
 */
export function clientTargetInfo(serverPairs: readonly AvPair[], options: ClientTargetInfoOptions = {}): Buffer {
  const clientOnly = new Set<number>([AV.SINGLE_HOST, AV.TARGET_NAME, AV.CHANNEL_BINDINGS]);
  const pairs: AvPair[] = [];
  let flagged = false;
  for (const pair of serverPairs) {
    if (clientOnly.has(pair.id)) continue;
    if (pair.id === AV.FLAGS) {
      if (pair.value.length !== 4) throw malformed(`the NTLM MsvAvFlags pair is ${pair.value.length} bytes, not 4`);
      const value = Buffer.alloc(4);
      value.writeUInt32LE((pair.value.readUInt32LE(0) | AV_FLAGS.MIC_PRESENT) >>> 0, 0);
      pairs.push({ id: AV.FLAGS, value });
      flagged = true;
    } else {
      pairs.push(pair);
    }
  }
  if (!flagged) {
    const value = Buffer.alloc(4);
    value.writeUInt32LE(AV_FLAGS.MIC_PRESENT, 0);
    pairs.push({ id: AV.FLAGS, value });
  }
  const bindings = options.channelBindings ?? Buffer.alloc(16);
  if (bindings.length !== 16) throw new RangeError(`channel bindings are an MD5 hash of 16 bytes, got ${bindings.length}`);
  pairs.push({ id: AV.CHANNEL_BINDINGS, value: bindings });
  if (options.targetName) pairs.push({ id: AV.TARGET_NAME, value: Buffer.from(options.targetName, 'utf16le') });
  return encodeAvPairs(pairs);
}
