/** MongoDB: `hello` over OP_MSG (no authentication needed): wire versions, replica set, router. */
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe } from '../core/probe.js';
import { messageLength, opMsg, parseOpMsgReply, releaseOfWire } from './codec.js';

export const mongodbProbe: Probe = {
  name: 'mongodb',
  description: 'hello over OP_MSG: wire version (release), replica set, mongos',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 65536 });
    conn.write(opMsg(1, { hello: 1, $db: 'admin' }));
    const reply = parseOpMsgReply(await conn.readFrame(messageLength, 'the hello reply'));
    if (typeof reply.maxWireVersion !== 'number') throw new ProbeError('protocol-error', 'hello reply without maxWireVersion');
    const evidence: Evidence[] = [{ kind: 'attribute', name: 'mongodb.max-wire-version', value: String(reply.maxWireVersion) }];
    const release = releaseOfWire(reply.maxWireVersion);
    if (release) evidence.push({ kind: 'attribute', name: 'mongodb.release', value: release });
    if (typeof reply.setName === 'string') evidence.push({ kind: 'attribute', name: 'mongodb.replica-set', value: reply.setName });
    if (reply.msg === 'isdbgrid') evidence.push({ kind: 'attribute', name: 'mongodb.role', value: 'mongos router' });
    return { evidence };
  },
};
