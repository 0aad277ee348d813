/**
 * Active Directory value formats: binary SIDs ([MS-DTYP] 2.4.2.2), FILETIME timestamps and negative 100 ns
 * intervals ([MS-ADTS] 3.1.1.3 / 6.1.1.1), userAccountControl bits ([MS-ADTS] 2.2.16), and the RFC 4514 escaping of
 * values put into filters (RFC 4515 3).
 */
import { ProbeError } from '../../probes/core/outcome.js';

/** `S-1-5-21-...` from the binary form; a truncated or inconsistent buffer is a protocol error. */
export function sidToString(buf: Buffer): string {
  if (buf.length < 8) throw new ProbeError('protocol-error', `SID of ${buf.length} bytes is too short`);
  const revision = buf[0]!;
  const count = buf[1]!;
  if (buf.length !== 8 + 4 * count) throw new ProbeError('protocol-error', `SID says ${count} sub-authorities but has ${buf.length} bytes`);
  const authority = buf.readUIntBE(2, 6);
  const subs = Array.from({ length: count }, (_, i) => buf.readUInt32LE(8 + 4 * i));
  return ['S', revision, authority, ...subs].join('-');
}

/** The last sub-authority of a SID: the relative identifier. */
export function ridOf(sid: string): number {
  return Number(sid.slice(sid.lastIndexOf('-') + 1));
}

const FILETIME_EPOCH_MS = Date.UTC(1601, 0, 1);
const NEVER = 0x7fffffffffffffffn;

/**
 * A FILETIME (100 ns since 1601, as decimal text) as an ISO time. 0 and the maximum mean "never" (pwdLastSet 0:
 * must change at next logon; accountExpires max: never expires); both give null.
 */
export function fileTimeToIso(text: string | undefined): string | null {
  if (text === undefined || !/^-?\d+$/.test(text)) return null;
  const v = BigInt(text);
  if (v <= 0n || v >= NEVER) return null;
  const ms = Number(v / 10_000n) + FILETIME_EPOCH_MS;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * A domain policy interval (negative 100 ns units: maxPwdAge, lockoutDuration...) in seconds. "Never" (the
 * most negative value, or 0 for maxPwdAge) gives null.
 */
export function intervalSeconds(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d+$/.test(text)) return null;
  const v = BigInt(text);
  if (v === 0n || v <= -NEVER) return null;
  return Number((v < 0n ? -v : v) / 10_000_000n);
}

/** userAccountControl flags surveyor reports. */
export const UAC = {
  disabled: 0x2,
  lockedOut: 0x10,
  passwordNotRequired: 0x20,
  normalAccount: 0x200,
  workstationTrust: 0x1000,
  serverTrust: 0x2000,
  passwordNeverExpires: 0x10000,
  smartcardRequired: 0x40000,
  trustedForDelegation: 0x80000,
  notDelegated: 0x100000,
  dontRequirePreauth: 0x400000,
  trustedToAuthForDelegation: 0x1000000,
} as const;

export type UacFlag = keyof typeof UAC;

export function uacFlags(value: number): Record<UacFlag, boolean> {
  const out = {} as Record<UacFlag, boolean>;
  for (const [name, bit] of Object.entries(UAC) as Array<[UacFlag, number]>) out[name] = (value & bit) !== 0;
  return out;
}

/** Escapes a value for use inside an LDAP filter (RFC 4515 3): `*`, `(`, `)`, `\` and NUL. */
export function filterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The value of the first RDN: `CN=Lab Tier0,CN=Users,...` -> `Lab Tier0` (escapes, hex UTF-8 ones too, undone). */
export function rdnValue(dn: string): string {
  const bytes: number[] = [];
  const start = dn.indexOf('=') + 1;
  for (let i = start; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === ',' || c === '+') break;
    if (c === '\\' && i + 1 < dn.length) {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      i++;
    }
    bytes.push(...Buffer.from(dn[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** DNs compared the way directories do for our purposes: case-insensitive, blanks around separators ignored. */
export function dnKey(dn: string): string {
  return dn.replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
}
