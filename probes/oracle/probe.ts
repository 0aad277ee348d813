/** Oracle TNS listener: does it answer, and does it say its version? */
import type { Evidence } from '../../model/evidence.js';
import type { Probe } from '../core/probe.js';
import { connectPacket, parseTnsReply, tnsLength } from './codec.js';

export const oracleProbe: Probe = {
  name: 'oracle-tns',
  description: 'TNS CONNECT with COMMAND=version: listener answer and version',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 16384 });
    conn.write(connectPacket());
    const reply = parseTnsReply(await conn.readFrame(tnsLength, 'a TNS reply'));
    const evidence: Evidence[] = [{ kind: 'attribute', name: 'oracle.reply', value: reply.type }];
    if (reply.version) evidence.push({ kind: 'attribute', name: 'oracle.version', value: reply.version });
    if (reply.error) evidence.push({ kind: 'attribute', name: 'oracle.error', value: reply.error });
    return { evidence };
  },
};
