/**
 * SSH public keys: key sizes read from the key blob
 * (RFC 4253 §6.6, RFC 5656, RFC 8709, OpenSSH PROTOCOL.certkeys and PROTOCOL.u2f), and authorized_keys lines
 * with their options (sshd(8) AUTHORIZED_KEYS FILE FORMAT).
 */
import { sshFingerprint } from '../../probes/ssh/codec.js';

/** Reads the SSH strings of a blob; stops (returns what it has) at the first malformed length. */
function sshStrings(blob: Buffer, max: number): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (out.length < max && at + 4 <= blob.length) {
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) break;
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

function mpintBits(n: Buffer | undefined): number {
  if (!n) return 0;
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

export function keyType(blob: Buffer): string | undefined {
  const [type] = sshStrings(blob, 1);
  return type?.toString('latin1');
}

/** The key size in bits, as ssh-keygen reports it; undefined for a type it cannot size. */
export function keyBits(blob: Buffer): number | undefined {
  const parts = sshStrings(blob, 3);
  let type = parts[0]?.toString('latin1');
  if (!type) return undefined;
  let fields = parts.slice(1);
  const cert = /^(.*)-cert-v0[01]@openssh\.com$/.exec(type);
  if (cert) {
    type = cert[1]!;
    fields = sshStrings(blob, 4).slice(2); // type, nonce, then the key's own fields
  }
  if (type === 'ssh-rsa') return mpintBits(fields[1]);
  if (type === 'ssh-dss') return mpintBits(fields[0]);
  const ec = /nistp(256|384|521)/.exec(type);
  if (ec) return Number(ec[1]);
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') return 256;
  if (type === 'ssh-ed448') return 456;
  return undefined;
}

/** The host key algorithms that negotiate a key of this type (an RSA key signs with several). */
export function algorithmsForKeyType(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

export interface AuthorizedKey {
  readonly type: string;
  readonly bits?: number;
  readonly fingerprint: string;
  readonly comment: string;
  readonly options: readonly string[];
  readonly line: number;
}

const KEY_TYPE = /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)(-cert-v0[01]@openssh\.com)?$/;

/** Splits an options field at commas outside double quotes (a quote may be escaped with a backslash). */
function splitOptions(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quoted && text[i + 1] === '"') {
      current += '\\"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.filter((o) => o !== '');
}

/** The end of the options field: the first blank outside double quotes. */
function optionsEnd(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if ((ch === ' ' || ch === '\t') && !quoted) return i;
  }
  return -1;
}

/** Parses an authorized_keys file; lines that are not keys are returned as problems (with their line number). */
export function parseAuthorizedKeys(text: string): { keys: AuthorizedKey[]; problems: string[] } {
  const keys: AuthorizedKey[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    let options: string[] = [];
    let rest = line;
    if (!KEY_TYPE.test(line.split(/\s+/)[0]!)) {
      const end = optionsEnd(line);
      if (end < 0) {
        problems.push(`line ${i + 1}: no key`);
        return;
      }
      options = splitOptions(line.slice(0, end));
      rest = line.slice(end).trim();
    }
    const [type, data, ...comment] = rest.split(/\s+/);
    if (!type || !KEY_TYPE.test(type) || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
      problems.push(`line ${i + 1}: not a key of a known type`);
      return;
    }
    const blob = Buffer.from(data, 'base64');
    if (keyType(blob) !== type) {
      problems.push(`line ${i + 1}: the key data is not a ${type} key`);
      return;
    }
    keys.push({ type, bits: keyBits(blob), fingerprint: sshFingerprint(blob), comment: comment.join(' '), options, line: i + 1 });
  });
  return { keys, problems };
}
