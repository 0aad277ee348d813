/**
 * The empty probe (nmap's NULL probe): connect, send nothing, and keep what a server-first protocol (SSH, POP3,
 * SMTP, FTP, MySQL) says on its own. Run first on every port; other probes reuse its bytes.
 */
import type { Probe } from '../core/probe.js';
import { printable } from '../core/probe.js';
import { ProbeError } from '../core/outcome.js';

/** How long a server that speaks first has to say something. */
export const BANNER_WAIT_MS = 1500;

export const bannerProbe: Probe = {
  name: 'banner',
  description: 'connects and reads what the server sends unprompted',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 16384 });
    const waitUntil = Math.min(ctx.deadline, performance.now() + BANNER_WAIT_MS);
    let raw: Buffer;
    try {
      raw = await conn.readSome('a banner', waitUntil);
      // a banner may come in pieces: collect what follows within 100 ms
      const more = await conn.readSome('more banner', Math.min(ctx.deadline, performance.now() + 100)).catch(() => Buffer.alloc(0));
      raw = Buffer.concat([raw, more]);
    } catch (err) {
      if (err instanceof ProbeError && err.status === 'timeout') throw new ProbeError('no-match', 'the server sent nothing unprompted');
      throw err;
    }
    const firstLine = raw.subarray(0, Math.max(0, raw.indexOf(0x0a)) || raw.length);
    return { evidence: [{ kind: 'banner', text: printable(firstLine).replace(/\r$/, '').replace(/\\x0d$/, '') }], raw };
  },
};
