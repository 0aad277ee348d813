/** POP3 (RFC 1939, RFC 2449): the greeting and the CAPA list. */
import { ProbeError } from '../core/outcome.js';
import type { Probe } from '../core/probe.js';
import { printable } from '../core/probe.js';

export const pop3Probe: Probe = {
  name: 'pop3',
  description: 'POP3 greeting and capabilities',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 16384 });
    const greeting = printable(await conn.readUntil('\n', 'the POP3 greeting')).replace(/(\\x0d)?\\x0a$/, '');
    if (!greeting.startsWith('+OK')) throw new ProbeError('no-match', 'not a POP3 greeting');
    conn.write('CAPA\r\n');
    const capabilities: string[] = [];
    const first = printable(await conn.readUntil('\n', 'the CAPA reply')).replace(/(\\x0d)?\\x0a$/, '');
    if (first.startsWith('+OK')) {
      for (let i = 0; i < 64; i++) {
        const line = printable(await conn.readUntil('\n', 'a capability')).replace(/(\\x0d)?\\x0a$/, '');
        if (line === '.') break;
        capabilities.push(line);
      }
    }
    conn.write('QUIT\r\n');
    return {
      evidence: [
        { kind: 'banner', text: greeting },
        { kind: 'attribute', name: 'pop3.capabilities', value: capabilities.join(' ') },
      ],
    };
  },
};
