/** Parsers for the account databases as getent and lastlog print them. */

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: string[];
}

export interface ShadowEntry {
  readonly name: string;
  /** `set`: a password hash; `locked`: "!" before it (usermod -L); `none`: "*" or empty, no password login. */
  readonly password: 'set' | 'locked' | 'none' | 'empty';
  readonly lastChanged?: string;
  readonly maxDays?: number;
  readonly expires?: string;
}

function fields(text: string, count: number): string[][] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.split(':')).filter((f) => f.length >= count);
}

const int = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

export function parsePasswd(text: string): PasswdEntry[] {
  return fields(text, 7).flatMap(([name, , uid, gid, gecos, home, ...shell]) => {
    const u = int(uid);
    const g = int(gid);
    return u === undefined || g === undefined ? [] : [{ name: name!, uid: u, gid: g, gecos: gecos!, home: home!, shell: shell.join(':') }];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return fields(text, 4).flatMap(([name, , gid, members]) => {
    const g = int(gid);
    return g === undefined ? [] : [{ name: name!, gid: g, members: members ? members.split(',').filter(Boolean) : [] }];
  });
}

const day = (days: number | undefined): string | undefined => (days === undefined ? undefined : new Date(days * 86_400_000).toISOString().slice(0, 10));

export function parseShadow(text: string): ShadowEntry[] {
  return fields(text, 9).map(([name, hash, last, , max, , , expire]) => {
    const password = hash === '' ? 'empty' : hash!.startsWith('!') ? 'locked' : hash === '*' || hash!.startsWith('*') ? 'none' : 'set';
    const maxDays = int(max);
    return {
      name: name!, password, lastChanged: int(last) ? day(int(last)) : undefined,
      maxDays: maxDays !== undefined && maxDays < 99999 ? maxDays : undefined, expires: day(int(expire)),
    };
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One user's lastlog line: the time of the last login, or null where lastlog says "**Never logged in**". */
export interface LastlogEntry {
  readonly at: string | null;
  readonly from?: string;
  readonly port?: string;
}

/**
 * `lastlog` lines: "name  port  from  Sun Nov 22 10:00:00 +0000 2026", or "**Never logged in**". The columns are
 * padded, and port and from may be empty, so the date is found from the end of the line. A user with no line (or
 * a line that is neither) is not in the map: unknown, not never.
 */
export function parseLastlog(text: string): Map<string, LastlogEntry> {
  const out = new Map<string, LastlogEntry>();
  for (const line of text.split('\n').slice(1)) {
    const never = /^(\S+)\s.*\*\*Never logged in\*\*\s*$/.exec(line);
    if (never) {
      out.set(never[1]!, { at: null });
      continue;
    }
    const m = /^(\S+)\s+(.*?)\s*\w{3} (\w{3}) +(\d{1,2}) (\d\d:\d\d:\d\d) ([+-]\d{4}) (\d{4})\s*$/.exec(line);
    if (!m) continue;
    const month = MONTHS.indexOf(m[3]!);
    if (month < 0) continue;
    const iso = `${m[7]}-${String(month + 1).padStart(2, '0')}-${m[4]!.padStart(2, '0')}T${m[5]}${m[6]!.slice(0, 3)}:${m[6]!.slice(3)}`;
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) continue;
    const [port, from] = m[2]!.split(/\s+/).filter(Boolean);
    out.set(m[1]!, { at: at.toISOString(), port, from });
  }
  return out;
}
