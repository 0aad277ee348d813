/**
 * RDP: which security protocol the server selects when offered everything (standard RDP, TLS, CredSSP/NLA), whether
 * it still accepts standard RDP security, and the TLS certificate when TLS is selected.
 */
import type { Evidence } from '../../model/evidence.js';
import type { Probe, ProbeContext } from '../core/probe.js';
import { tlsEvidence } from '../tls/probe.js';
import { challengeEvidence, negotiateMessage, parseChallenge } from '../ntlm/codec.js';
import { connectionRequest, Negotiation, parseConnectionConfirm, PROTOCOL, protocolName, tpktLength, tsRequest } from './codec.js';

async function negotiate(ctx: ProbeContext, protocols: number, upgrade: boolean): Promise<{ result: Negotiation; tls?: Evidence; ntlm?: Evidence[] }> {
  const conn = await ctx.connect({ maxBytes: 4096 });
  conn.write(connectionRequest(protocols));
  const result = parseConnectionConfirm(await conn.readFrame(tpktLength, 'an X.224 Connection Confirm'));
  if (upgrade && result.kind === 'response' && result.selected !== PROTOCOL.RDP) {
    const tls = tlsEvidence(await conn.startTls());
    if (result.selected !== PROTOCOL.HYBRID && result.selected !== PROTOCOL.HYBRID_EX) return { result, tls };
    // CredSSP: an NTLM NEGOTIATE in a TSRequest; the server's CHALLENGE names it ([MS-CSSP] 3.1.5). Nothing more is sent.
    conn.write(tsRequest(negotiateMessage()));
    try {
      return { result, tls, ntlm: challengeEvidence(parseChallenge(await conn.readIdle(200, 'the CredSSP challenge')), 'RDP') };
    } catch {
      return { result, tls };
    }
  }
  return { result };
}

export const rdpProbe: Probe = {
  name: 'rdp',
  description: 'X.224 negotiation: selected security protocol, NLA requirement, TLS certificate',
  async run(ctx) {
    const all = PROTOCOL.SSL | PROTOCOL.HYBRID | PROTOCOL.HYBRID_EX;
    const offered = await negotiate(ctx, all, true);
    const evidence: Evidence[] = [];
    if (offered.result.kind === 'response') evidence.push({ kind: 'attribute', name: 'rdp.selected-protocol', value: protocolName(offered.result.selected) });
    else if (offered.result.kind === 'failure') evidence.push({ kind: 'attribute', name: 'rdp.negotiation-failure', value: offered.result.reason });
    else evidence.push({ kind: 'attribute', name: 'rdp.selected-protocol', value: 'RDP (legacy, no negotiation)' });
    if (offered.tls) evidence.push(offered.tls);
    if (offered.ntlm) evidence.push(...offered.ntlm);
    if (ctx.remainingMs() > 100) {
      const legacy = await negotiate(ctx, PROTOCOL.RDP, false).catch(() => null);
      if (legacy) {
        const nla = legacy.result.kind === 'failure' && legacy.result.code === 5;
        evidence.push({ kind: 'attribute', name: 'rdp.standard-security', value: legacy.result.kind === 'response' ? 'accepted' : `refused (${legacy.result.kind === 'failure' ? legacy.result.reason : 'legacy'})` });
        evidence.push({ kind: 'attribute', name: 'rdp.nla-required', value: nla ? 'yes' : 'no' });
      }
    }
    return { evidence };
  },
};
