/**
 * Password hashes for the web page's users: scrypt (RFC 7914) from node:crypto, a 16-byte random salt per user, and
 * the parameters kept in the hash (`$scrypt$ln=15,r=8,p=1$SALT$HASH`, base64 without padding, as the PHC string
 * format writes them), so a later release can raise them and still check the hashes stored before.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { InputError } from '../scanner/errors.js';

/** log2 of scrypt's cost N: 2^15 with r=8 takes 32 MiB and about 0.1 s on one core, per check. */
export const SCRYPT_LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Shortest and longest password accepted (characters). */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number, bytes = KEY_BYTES): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    // Node's default maxmem (32 MiB) is exactly what N=2^15, r=8 needs, which it refuses: allow twice that.
    scrypt(password.normalize('NFC'), salt, bytes, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Refuses a password that is too short, too long, or holds control characters (naming the rule, never the password). */
export function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw new InputError(`the password is too short: ${length} characters, at least ${PASSWORD_MIN} needed`);
  if (length > PASSWORD_MAX) throw new InputError(`the password is too long: at most ${PASSWORD_MAX} characters`);
  if (/[\x00-\x1f\x7f]/.test(password)) throw new InputError('the password holds a control character');
}

export async function hashPassword(password: string, logN = SCRYPT_LOG_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, logN, R, P);
  return `$scrypt$ln=${logN},r=${R},p=${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const HASH = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** Whether the password gives the hash; compared in constant time. A hash it cannot read is never a match. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = HASH.exec(stored);
  if (!m) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5]!, 'base64url');
  if (logN < 10 || logN > 22 || r < 1 || p < 1 || expected.length < 16 || expected.length > 64) return false;
  const key = await derive(password, Buffer.from(m[4]!, 'base64url'), logN, r, p, expected.length);
  return timingSafeEqual(expected, key);
}

/**
 * A hash of a random password, made once: checked against when a login names no user, so an unknown name costs
 * the same time as a wrong password and the answer's timing does not tell which names exist.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64url'));
  return decoy;
}
