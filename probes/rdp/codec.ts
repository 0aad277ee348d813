/**
 * RDP connection negotiation: TPKT (RFC 1006) + X.224 Connection Request/Confirm (ISO 8073) carrying
 * RDP_NEG_REQ / RDP_NEG_RSP / RDP_NEG_FAILURE ([MS-RDPBCGR] 2.2.1.1.1, 2.2.1.2.1, 2.2.1.2.2).
 */
import { ProbeError } from '../core/outcome.js';
import { der } from '../ntlm/codec.js';

export const PROTOCOL = { RDP: 0, SSL: 1, HYBRID: 2, RDSTLS: 4, HYBRID_EX: 8 } as const;
export const FAILURE_CODES: Record<number, string> = {
  1: 'SSL_REQUIRED_BY_SERVER', 2: 'SSL_NOT_ALLOWED_BY_SERVER', 3: 'SSL_CERT_NOT_ON_SERVER', 4: 'INCONSISTENT_FLAGS',
  5: 'HYBRID_REQUIRED_BY_SERVER', 6: 'SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER',
};

export function connectionRequest(requestedProtocols: number): Buffer {
  const b = Buffer.from([
    0x03, 0x00, 0x00, 0x13, // TPKT version 3, length 19
    0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, // X.224 CR TPDU: LI 14, CR, DST-REF, SRC-REF, class 0
    0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // RDP_NEG_REQ: type 1, flags, length 8, protocols
  ]);
  b.writeUInt32LE(requestedProtocols, 15);
  return b;
}

/** Bytes of the first TPKT at the start of `data`, or 0 when more are needed. */
export function tpktLength(data: Buffer): number {
  if (data.length < 4) return 0;
  if (data[0] !== 3) throw new ProbeError('no-match', 'not a TPKT (RDP) reply');
  const length = data.readUInt16BE(2);
  if (length < 7 || length > 4096) throw new ProbeError('protocol-error', `TPKT length ${length} out of range`);
  return data.length >= length ? length : 0;
}

export type Negotiation =
  | { kind: 'response'; selected: number; flags: number }
  | { kind: 'failure'; code: number; reason: string }
  | { kind: 'legacy' };

export function parseConnectionConfirm(tpkt: Buffer): Negotiation {
  if (tpkt.length < 11 || (tpkt[5]! & 0xf0) !== 0xd0) throw new ProbeError('no-match', 'not an X.224 Connection Confirm');
  if (tpkt.length < 19) return { kind: 'legacy' }; // a server from before RDP 5.2 sends no negotiation response
  const type = tpkt[11];
  if (type === 2) return { kind: 'response', selected: tpkt.readUInt32LE(15), flags: tpkt[12]! };
  if (type === 3) {
    const code = tpkt.readUInt32LE(15);
    return { kind: 'failure', code, reason: FAILURE_CODES[code] ?? `code ${code}` };
  }
  throw new ProbeError('protocol-error', `unknown RDP negotiation message type ${type}`);
}

export function protocolName(selected: number): string {
  return Object.entries(PROTOCOL).find(([, v]) => v === selected)?.[0] ?? `0x${selected.toString(16)}`;
}

/**
 * [MS-CSSP] 2.2.1 TSRequest carrying one SPNEGO-free NTLM token in negoTokens (version 6):
 * TSRequest ::= SEQUENCE { version [0] INTEGER, negoTokens [1] SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING } }
 */
export function tsRequest(token: Buffer, version = 6): Buffer {
  return der(0x30, der(0xa0, der(0x02, Buffer.from([version]))), der(0xa1, der(0x30, der(0x30, der(0xa0, der(0x04, token))))));
}
