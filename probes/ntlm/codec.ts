/**
 * NTLMSSP, the parts an anonymous probe needs: NEGOTIATE_MESSAGE out, CHALLENGE_MESSAGE in, whose target info
 * names the server and its domain and whose version field names the OS build ([MS-NLMP] 2.2.1.1, 2.2.1.2,
 * 2.2.2.1 AV_PAIR, 2.2.2.10 VERSION). Plus the minimal SPNEGO wrapping SMB servers expect (RFC 4178).
 */
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';

export const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

// [MS-NLMP] 2.2.2.5 NEGOTIATE flags
export const FLAGS = {
  UNICODE: 0x00000001, OEM: 0x00000002, REQUEST_TARGET: 0x00000004, SIGN: 0x00000010, SEAL: 0x00000020,
  DATAGRAM: 0x00000040, LM_KEY: 0x00000080, NTLM: 0x00000200, ANONYMOUS: 0x00000800, ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000, TARGET_TYPE_SERVER: 0x00020000, EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000, REQUEST_NON_NT_SESSION_KEY: 0x00400000, TARGET_INFO: 0x00800000, VERSION: 0x02000000,
  KEY_128: 0x20000000, KEY_EXCH: 0x40000000, KEY_56: 0x80000000,
} as const;

/** [MS-NLMP] 2.2.1.1 NEGOTIATE_MESSAGE with no domain or workstation (anonymous). */
export function negotiateMessage(): Buffer {
  const flags = FLAGS.UNICODE | FLAGS.OEM | FLAGS.REQUEST_TARGET | FLAGS.NTLM | FLAGS.ALWAYS_SIGN
    | FLAGS.EXTENDED_SESSIONSECURITY | FLAGS.TARGET_INFO | FLAGS.VERSION | FLAGS.KEY_128 | FLAGS.KEY_EXCH | FLAGS.KEY_56;
  const m = Buffer.alloc(40);
  SIGNATURE.copy(m, 0);
  m.writeUInt32LE(1, 8); // MessageType
  m.writeUInt32LE(flags >>> 0, 12);
  // DomainNameFields (16) and WorkstationFields (24) stay zero; Version (32): 10.0 build 0, NTLMSSP_REVISION_W2K3
  m[32] = 10;
  m[33] = 0;
  m[39] = 15;
  return m;
}

// [MS-NLMP] 2.2.2.1 AvId
export const AV = {
  EOL: 0, NB_COMPUTER: 1, NB_DOMAIN: 2, DNS_COMPUTER: 3, DNS_DOMAIN: 4, DNS_TREE: 5, FLAGS: 6, TIMESTAMP: 7,
  SINGLE_HOST: 8, TARGET_NAME: 9, CHANNEL_BINDINGS: 10,
} as const;

export interface Challenge {
  readonly targetName: string;
  readonly flags: number;
  readonly nbComputerName?: string;
  readonly nbDomainName?: string;
  readonly dnsComputerName?: string;
  readonly dnsDomainName?: string;
  readonly dnsTreeName?: string;
  readonly timestamp?: Date;
  /** [MS-NLMP] 2.2.2.10 VERSION: the OS the server claims to be. */
  readonly version?: { major: number; minor: number; build: number; ntlmRevision: number };
}

/** A (length, maxLength, offset) field pointing into the message, checked against its bounds. */
function field(m: Buffer, at: number, what: string): Buffer {
  const length = m.readUInt16LE(at);
  const offset = m.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset > m.length || offset + length > m.length) throw new ProbeError('protocol-error', `NTLM ${what} runs past the message`);
  return m.subarray(offset, offset + length);
}

/** [MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE found anywhere in `blob` (raw or inside SPNEGO). */
export function parseChallenge(blob: Buffer): Challenge {
  const start = blob.indexOf(SIGNATURE);
  if (start < 0) throw new ProbeError('protocol-error', 'no NTLMSSP message in the security blob');
  const m = blob.subarray(start);
  if (m.length < 48) throw new ProbeError('protocol-error', 'truncated NTLM CHALLENGE_MESSAGE');
  if (m.readUInt32LE(8) !== 2) throw new ProbeError('protocol-error', `expected an NTLM CHALLENGE_MESSAGE, got type ${m.readUInt32LE(8)}`);
  const flags = m.readUInt32LE(20);
  const unicode = (flags & FLAGS.UNICODE) !== 0;
  const text = (b: Buffer) => (unicode ? b.toString('utf16le') : b.toString('latin1'));
  const result: { -readonly [K in keyof Challenge]: Challenge[K] } = { targetName: text(field(m, 12, 'target name')), flags };
  if (m.length >= 56 && (flags & FLAGS.VERSION) !== 0) {
    result.version = { major: m[48]!, minor: m[49]!, build: m.readUInt16LE(50), ntlmRevision: m[55]! };
  }
  const info = field(m, 40, 'target info');
  let at = 0;
  for (let pairs = 0; at + 4 <= info.length && pairs < 64; pairs++) {
    const id = info.readUInt16LE(at);
    const length = info.readUInt16LE(at + 2);
    if (at + 4 + length > info.length) throw new ProbeError('protocol-error', 'NTLM AV_PAIR runs past the target info');
    const value = info.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    if (id === AV.EOL) break;
    if (id === AV.NB_COMPUTER) result.nbComputerName = value.toString('utf16le');
    else if (id === AV.NB_DOMAIN) result.nbDomainName = value.toString('utf16le');
    else if (id === AV.DNS_COMPUTER) result.dnsComputerName = value.toString('utf16le');
    else if (id === AV.DNS_DOMAIN) result.dnsDomainName = value.toString('utf16le');
    else if (id === AV.DNS_TREE) result.dnsTreeName = value.toString('utf16le');
    else if (id === AV.TIMESTAMP && length === 8) {
      // FILETIME: 100 ns intervals since 1601-01-01
      const ticks = value.readBigUInt64LE(0);
      result.timestamp = new Date(Number(ticks / 10000n) - 11644473600000);
    }
  }
  return result;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n < 0x1000000) return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.from([0x84, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

/** A DER TLV (X.690) with definite length. */
export function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

export const OID_SPNEGO = Buffer.from([0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]); // 1.3.6.1.5.5.2
export const OID_NTLMSSP = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a]); // 1.3.6.1.4.1.311.2.2.10

/** RFC 4178 4.2.1 NegTokenInit offering NTLMSSP, carrying `token`, inside the GSS-API framing (RFC 2743 3.1). */
export function spnegoInit(token: Buffer): Buffer {
  const negTokenInit = der(0x30, der(0xa0, der(0x30, OID_NTLMSSP)), der(0xa2, der(0x04, token)));
  return der(0x60, OID_SPNEGO, der(0xa0, negTokenInit));
}

/** The evidence a CHALLENGE_MESSAGE gives (shared by SMB and RDP/CredSSP). */
export function challengeEvidence(challenge: Challenge, via: string): Evidence[] {
  const evidence: Evidence[] = [];
  const names: Array<[string, string | undefined]> = [
    ['ntlm.netbios-computer', challenge.nbComputerName], ['ntlm.netbios-domain', challenge.nbDomainName],
    ['ntlm.dns-computer', challenge.dnsComputerName], ['ntlm.dns-domain', challenge.dnsDomainName], ['ntlm.dns-tree', challenge.dnsTreeName],
  ];
  for (const [name, value] of names) if (value) evidence.push({ kind: 'attribute', name, value });
  if (challenge.version) {
    const v = challenge.version;
    evidence.push({ kind: 'attribute', name: 'ntlm.os-version', value: `${v.major}.${v.minor}.${v.build}` });
  }
  if (challenge.dnsComputerName && challenge.dnsComputerName.includes('.')) {
    evidence.push({ kind: 'hostname', name: challenge.dnsComputerName.toLowerCase(), via: `${via} NTLM DNS computer name` });
  }
  if (challenge.dnsDomainName) evidence.push({ kind: 'domain', name: challenge.dnsDomainName.toLowerCase(), via: `${via} NTLM DNS domain name` });
  return evidence;
}
