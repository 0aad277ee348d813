/**
 * SMB: negotiate (highest dialect, signing enabled/required) and an anonymous NTLMSSP exchange whose CHALLENGE
 * reveals the NetBIOS and DNS names of the server and its domain, and the OS version it claims. The probe stops at
 * the challenge: no credential is sent.
 */
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe } from '../core/probe.js';
import type { ProbeConnection } from '../core/connection.js';
import { challengeEvidence, negotiateMessage, parseChallenge, spnegoInit } from '../ntlm/codec.js';
import { DIALECT_NAMES, frame, framedLength, negotiateRequest, parseNegotiate, parseResponse, Response, SECURITY_MODE, sessionSetupBlob, sessionSetupRequest, STATUS } from './codec.js';

async function exchange(conn: ProbeConnection, message: Buffer, what: string): Promise<Response> {
  conn.write(frame(message));
  return parseResponse((await conn.readFrame((b) => framedLength(b), what)).subarray(4));
}

/** A server GUID that is a short ASCII name padded with zeros (Samba derives it from its NetBIOS name). */
export function asciiName(guid: Buffer): string | null {
  const end = guid.indexOf(0);
  if (end <= 0 || guid.subarray(end).some((b) => b !== 0)) return null;
  const text = guid.subarray(0, end).toString('latin1');
  return /^[\x21-\x7e]+$/.test(text) ? text : null;
}

export const smbProbe: Probe = {
  name: 'smb',
  description: 'SMB2/3 negotiate (dialect, signing) and the NTLM challenge (names, domain, OS build)',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 65536 });
    const negotiated = await exchange(conn, negotiateRequest(0), 'the NEGOTIATE response');
    if (negotiated.status !== STATUS.SUCCESS) throw new ProbeError('unsupported', `NEGOTIATE failed with status 0x${negotiated.status.toString(16)}`);
    const n = parseNegotiate(negotiated);
    const evidence: Evidence[] = [
      { kind: 'attribute', name: 'smb.dialect', value: DIALECT_NAMES[n.dialect] ?? `0x${n.dialect.toString(16)}` },
      { kind: 'attribute', name: 'smb.signing', value: (n.securityMode & SECURITY_MODE.SIGNING_REQUIRED) ? 'required' : (n.securityMode & SECURITY_MODE.SIGNING_ENABLED) ? 'enabled, not required' : 'disabled' },
      { kind: 'attribute', name: 'smb.server-guid', value: n.serverGuid },
    ];
    const guidName = asciiName(Buffer.from(n.serverGuid, 'hex'));
    if (guidName) evidence.push({ kind: 'attribute', name: 'smb.guid-name', value: guidName });
    const setup = await exchange(conn, sessionSetupRequest(1, spnegoInit(negotiateMessage())), 'the SESSION_SETUP response');
    if (setup.status !== STATUS.MORE_PROCESSING_REQUIRED) {
      evidence.push({ kind: 'attribute', name: 'smb.session-setup', value: `status 0x${setup.status.toString(16)}` });
      return { evidence };
    }
    evidence.push(...challengeEvidence(parseChallenge(sessionSetupBlob(setup)), 'SMB'));
    return { evidence };
  },
};
