/**
 * PostgreSQL: does it answer an SSLRequest, and what does it ask of a client that starts up (the authentication
 * method, or an error)? No password is sent; the connection ends before authentication.
 */
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe } from '../core/probe.js';
import type { ProbeContext } from '../core/probe.js';
import { messageLength, parseBackendReply, SSL_REQUEST, startupMessage, supportedProtocols } from './codec.js';

async function firstReply(ctx: ProbeContext, message: Buffer): Promise<ReturnType<typeof parseBackendReply>> {
  const conn = await ctx.connect({ maxBytes: 16384 });
  conn.write(message);
  const reply = await conn.readFrame(messageLength, 'a startup reply');
  conn.write(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
  return parseBackendReply(reply);
}

export const postgresProbe: Probe = {
  name: 'postgresql',
  description: 'PostgreSQL SSLRequest and startup: TLS support, authentication method',
  async run(ctx) {
    const evidence: Evidence[] = [];
    const first = await ctx.connect({ maxBytes: 1024 });
    first.write(SSL_REQUEST);
    const answer = (await first.readExactly(1, 'the SSLRequest answer'))[0];
    if (answer !== 0x53 && answer !== 0x4e) throw new ProbeError('no-match', `SSLRequest answered with byte ${answer}`);
    evidence.push({ kind: 'attribute', name: 'postgresql.tls', value: answer === 0x53 ? 'supported' : 'not offered' });
    first.close();
    const reply = await firstReply(ctx, startupMessage({ user: 'surveyor', database: 'surveyor', application_name: 'surveyor-probe' }));
    if (reply.kind === 'auth') {
      evidence.push({ kind: 'attribute', name: 'postgresql.auth', value: [reply.method, ...reply.mechanisms].join(' ') });
    } else if (reply.kind === 'error') {
      evidence.push({ kind: 'attribute', name: 'postgresql.error', value: `${reply.fields.C ?? ''} ${reply.fields.M ?? ''}`.trim() });
    }
    // The version is not disclosed before login; the refusal of an unknown protocol names the range the server
    // speaks and the source line that refused it (evidence for version rules).
    if (ctx.remainingMs() > 100) {
      const refusal = await firstReply(ctx, startupMessage({ user: 'surveyor' }, 9, 0)).catch(() => null);
      if (refusal?.kind === 'error') {
        const range = supportedProtocols(refusal.fields.M ?? '');
        if (range) evidence.push({ kind: 'attribute', name: 'postgresql.protocols', value: range });
        if (refusal.fields.F && refusal.fields.L) evidence.push({ kind: 'attribute', name: 'postgresql.error-location', value: `${refusal.fields.F}:${refusal.fields.L} ${refusal.fields.R ?? ''}`.trim() });
      }
    }
    return { evidence };
  },
};
