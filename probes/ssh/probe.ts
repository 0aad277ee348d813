/**
 * SSH: identification string, the server's KEXINIT (key exchange and host key algorithms), and the SHA-256
 * fingerprint of each host key type the server offers, fetched through ssh2 (a full key exchange per type, then a
 * refusal of the host key, so no credential is ever sent).
 */
import { Client } from 'ssh2';
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe, ProbeContext } from '../core/probe.js';
import { printable } from '../core/probe.js';
import { checkPacketLength, parseIdentification, parseKexInit, sshFingerprint } from './codec.js';

/** Host key algorithms we fetch, one family each (OpenSSH's names). */
const FAMILIES: ReadonlyArray<[string, string[]]> = [
  ['ssh-ed25519', ['ssh-ed25519']],
  ['ecdsa', ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']],
  ['rsa', ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']],
];

function hostKey(ctx: ProbeContext, algorithm: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let fingerprint: string | null = null;
    const done = () => {
      client.end();
      if (fingerprint) resolve(fingerprint);
      else reject(new ProbeError('protocol-error', `no ${algorithm} host key`));
    };
    client.on('error', done);
    client.on('close', done);
    client.connect({
      host: ctx.host,
      port: ctx.port,
      username: 'surveyor-probe',
      readyTimeout: Math.max(500, ctx.remainingMs()),
      algorithms: { serverHostKey: [algorithm as never] },
      hostVerifier: (key: Buffer) => {
        fingerprint = sshFingerprint(key);
        return false; // stop here: never authenticate
      },
    });
  });
}

export const sshProbe: Probe = {
  name: 'ssh',
  description: 'SSH identification, KEXINIT algorithms and host key fingerprints',
  async run(ctx) {
    const conn = await ctx.connect({ maxBytes: 40000 });
    const line = printable(await conn.readUntil('\n', 'the SSH identification'), 255).replace(/(\\x0d)?\\x0a$/, '');
    const ident = parseIdentification(line);
    if (!ident) throw new ProbeError('no-match', 'not an SSH identification string');
    conn.write('SSH-2.0-surveyor_probe\r\n');
    const head = await conn.readExactly(4, 'the KEXINIT packet length');
    const body = await conn.readExactly(checkPacketLength(head.readUInt32BE(0)), 'the KEXINIT packet');
    const kex = parseKexInit(Buffer.concat([head, body]));
    conn.close();
    const evidence: Evidence[] = [
      { kind: 'banner', text: line },
      { kind: 'attribute', name: 'ssh.protocol', value: ident.protocol },
      { kind: 'attribute', name: 'ssh.software', value: ident.software },
      { kind: 'attribute', name: 'ssh.kex', value: kex.kexAlgorithms.join(',') },
      { kind: 'attribute', name: 'ssh.hostkey-algorithms', value: kex.serverHostKeyAlgorithms.join(',') },
      { kind: 'attribute', name: 'ssh.ciphers', value: kex.encryptionAlgorithms.join(',') },
    ];
    for (const [family, names] of FAMILIES) {
      const offered = names.find((n) => kex.serverHostKeyAlgorithms.includes(n));
      if (!offered || ctx.remainingMs() < 200) continue;
      try {
        evidence.push({ kind: 'ssh-hostkey', algorithm: family === 'rsa' ? 'ssh-rsa' : offered, sha256: await hostKey(ctx, offered) });
      } catch {
        // one key type failing leaves the others
      }
    }
    return { evidence };
  },
};
