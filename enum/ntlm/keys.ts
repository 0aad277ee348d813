/** [MS-NLMP] 3.4.5.2 SIGNKEY and 3.4.5.3 SEALKEY, with extended session security (the only mode we speak). */
import { createHash } from 'node:crypto';
import { FLAGS } from '../../probes/ntlm/codec.js';

export type Mode = 'client' | 'server';

// The magic constants are null-terminated ASCII, and the terminator is hashed too
const MAGIC = {
  clientSign: Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1'),
  serverSign: Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1'),
  clientSeal: Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1'),
  serverSeal: Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1'),
} as const;

const md5 = (...parts: Buffer[]): Buffer => {
  const h = createHash('md5');
  for (const part of parts) h.update(part);
  return h.digest();
};

/** [MS-NLMP] 3.4.5.2: MD5(ExportedSessionKey || the mode's signing constant). */
export function signKey(exportedSessionKey: Buffer, mode: Mode): Buffer {
  return md5(exportedSessionKey, mode === 'client' ? MAGIC.clientSign : MAGIC.serverSign);
}

/**
 * [MS-NLMP] 3.4.5.3: the session key cut to 16, 7 or 5 bytes as NTLMSSP_NEGOTIATE_128 / _56 / neither was
 * negotiated, then MD5 with the mode's sealing constant.
 */
export function sealKey(flags: number, exportedSessionKey: Buffer, mode: Mode): Buffer {
  const strength = flags & FLAGS.KEY_128 ? 16 : flags & FLAGS.KEY_56 ? 7 : 5;
  return md5(exportedSessionKey.subarray(0, strength), mode === 'client' ? MAGIC.clientSeal : MAGIC.serverSeal);
}
