/** MSSQL: PRELOGIN reveals the server version and its encryption setting before any login. */
import type { Evidence } from '../../model/evidence.js';
import type { Probe } from '../core/probe.js';
import { parsePreloginResponse, preloginRequest, tdsLength } from './codec.js';

export const mssqlProbe: Probe = {
  name: 'mssql',
  description: 'TDS PRELOGIN: version, encryption',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 8192 });
    conn.write(preloginRequest());
    const p = parsePreloginResponse(await conn.readFrame(tdsLength, 'the PRELOGIN response'));
    const evidence: Evidence[] = [];
    if (p.version) evidence.push({ kind: 'attribute', name: 'mssql.version', value: `${p.version.major}.${p.version.minor}.${p.version.build}.${p.version.subBuild}` });
    if (p.encryption) evidence.push({ kind: 'attribute', name: 'mssql.encryption', value: p.encryption });
    return { evidence };
  },
};
