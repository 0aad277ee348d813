/** MySQL/MariaDB: the server's greeting (version, capabilities, TLS support, auth plugin); nothing is sent. */
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe } from '../core/probe.js';
import { CLIENT_SSL, firstPacket, packetLength, parseGreeting } from './codec.js';

export const mysqlProbe: Probe = {
  name: 'mysql',
  description: 'MySQL/MariaDB handshake: version, TLS support, auth plugin',
  async run(ctx) {
    const banner = ctx.previous.get('banner')?.raw;
    const payload = banner && firstPacket(banner);
    const greeting = parseGreeting(payload || (await (await ctx.connect({ maxBytes: 16384 })).readFrame(packetLength, 'the MySQL greeting')).subarray(4));
    if (greeting.kind === 'error') {
      return { evidence: [{ kind: 'attribute', name: 'mysql.error', value: `${greeting.code} ${greeting.message}` }] satisfies Evidence[] };
    }
    if (greeting.protocol !== 10) throw new ProbeError('unsupported', `MySQL protocol ${greeting.protocol}`);
    const evidence: Evidence[] = [
      { kind: 'attribute', name: 'mysql.version', value: greeting.serverVersion },
      { kind: 'attribute', name: 'mysql.tls', value: (greeting.capabilities & CLIENT_SSL) !== 0 ? 'supported' : 'not offered' },
    ];
    if (greeting.authPlugin) evidence.push({ kind: 'attribute', name: 'mysql.auth-plugin', value: greeting.authPlugin });
    return { evidence };
  },
};
