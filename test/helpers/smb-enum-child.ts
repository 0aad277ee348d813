/**
 * Runs the SMB2 + SAMR + LSARPC walk in a process of its own, for a server that lives in another network namespace
 * (`ip netns exec NS node smb-enum-child.js`). Reads `{ address, credential }` as JSON on stdin (so the password
 * is never in an argument list) and prints the result, or the error's name, status and message, as JSON.
 */
import { readFileSync } from 'node:fs';
import { enumerateLsa } from '../../enum/msrpc/lsarpc.js';
import { aliasMembers, enumerateSam } from '../../enum/msrpc/samr.js';
import { Smb2Client } from '../../enum/smb2/client.js';
import { ProbeError } from '../../probes/core/outcome.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as { address: string; credential: { domain: string; user: string; password: string } };
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
try {
  const smb = await Smb2Client.connect({ address: input.address, timeoutMs: 15_000 });
  try {
    await smb.login(input.credential);
    const sam = await enumerateSam(smb);
    const administrators = aliasMembers(sam, 'S-1-5-32-544');
    const sids = [...new Set([...sam.aliases.flatMap((a) => a.members ?? []), ...administrators.flatMap((m) => [m.sid, ...m.path])])];
    const lsa = await enumerateLsa(smb, { sids });
    process.stdout.write(json({ negotiated: { dialectName: smb.negotiated.dialectName, serverRequiresSigning: smb.negotiated.serverRequiresSigning }, session: smb.session, traffic: smb.traffic, sam, lsa, administrators }));
  } finally {
    await smb.close();
  }
} catch (err) {
  const e = err as Error;
  process.stdout.write(json({ error: { name: e.name, status: err instanceof ProbeError ? err.status : null, message: e.message } }));
}
