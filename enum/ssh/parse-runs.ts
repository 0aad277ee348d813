/**
 * Which account runs what on a Linux host, from the output of `runsScript`: systemd services that name their
 * account (User=, Group=, DynamicUser=), cron jobs (system crontabs with a user field, /etc/cron.d, per-user
 * crontabs) and at jobs. Commands are kept with likely secrets masked (`redactCommand`); a crontab's environment
 * lines and an at job's saved environment are never kept.
 */
import { posix } from 'node:path';
import { splitFiles } from './commands.js';

export const RUN_KINDS = ['service', 'cron', 'at'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export interface RunEntry {
  readonly kind: RunKind;
  /** The account it runs as: User= (root when only Group= is set), the crontab's user, the at job's owner. */
  readonly account: string;
  readonly group?: string;
  /** A unit's name, a cron job's file and line, an at job's number and queue. */
  readonly name: string;
  /** When it runs: a cron schedule (`17 * * * *`, `@daily`) or an at job's time (ISO 8601 UTC). */
  readonly schedule?: string;
  readonly command: string;
  /** Where it is defined: the unit file (and its drop-ins), the crontab file and line, the at spool file. */
  readonly source: string;
  /** A unit with DynamicUser=: systemd makes the account when it starts (its name need not be in passwd). */
  readonly dynamicUser?: boolean;
}

export interface HostRuns {
  readonly entries: RunEntry[];
  /** Spools or files that exist but could not be read (per-user crontabs and at jobs need root). */
  readonly unreadable: string[];
}

/** The longest command kept, in characters. */
const MAX_COMMAND = 400;

/**
 * A command with what looks like a secret masked: `password=...`, `--password ...`, `-pSECRET` after a database
 * client, `*_PASSWORD=...` and the like, and the password of a URL (`scheme://user:secret@`).
 */
export function redactCommand(command: string): string {
  const masked = command
    .replace(/(\b[A-Za-z0-9_]*(?:pass(?:word|wd)?|pwd|secret|token|api_?key)[A-Za-z0-9_]*=)("[^"]*"|'[^']*'|\S+)/gi, '$1***')
    .replace(/(--?(?:pass(?:word|wd)?|pwd|secret|token|api-?key)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi, '$1***')
    .replace(/(\b(?:mysql|mysqldump|mariadb|mariadb-dump|mysqladmin)\b[^|;&]*?\s-p)(?!\s)\S+/g, '$1***')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s@/]+@/gi, '$1***@');
  return masked.length > MAX_COMMAND ? `${masked.slice(0, MAX_COMMAND - 3)}...` : masked;
}

interface UnitFile {
  readonly path: string;
  readonly dir: string;
  readonly name: string;
  readonly target: string;
  readonly text: string;
}

/** The [Service] assignments of a unit's files in order (later ones override; an empty one resets). */
function serviceSettings(texts: readonly string[]): { user?: string; group?: string; dynamic: boolean; exec: string[] } {
  let user: string | undefined;
  let group: string | undefined;
  let dynamic = false;
  let exec: string[] = [];
  for (const text of texts) {
    let inService = false;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('[')) {
        inService = line === '[Service]';
        continue;
      }
      const m = /^(User|Group|DynamicUser|ExecStart)\s*=\s*(.*)$/.exec(line);
      if (!m || !inService) continue;
      const value = m[2]!.trim();
      if (m[1] === 'User') user = value || undefined;
      else if (m[1] === 'Group') group = value || undefined;
      else if (m[1] === 'DynamicUser') dynamic = /^(1|yes|true|on)$/i.test(value);
      else exec = value ? [...exec, value] : [];
    }
  }
  return { user, group, dynamic, exec };
}

/** systemd's specifiers in a template instance's settings: %i, %I, %p, %P, %n, %N, %%. */
function specifiers(value: string, unit: string): string {
  const base = unit.replace(/\.service$/, '');
  const at = base.indexOf('@');
  const prefix = at < 0 ? base : base.slice(0, at);
  const instance = at < 0 ? '' : base.slice(at + 1);
  const unescape = (s: string) => s.replace(/-/g, '/').replace(/\\x([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  const table: Record<string, string> = { i: instance, I: unescape(instance), p: prefix, P: unescape(prefix), n: unit, N: base, '%': '%' };
  return value.replace(/%(.)/g, (all, c: string) => table[c] ?? all);
}

/**
 * The services that name their account, as systemd resolves unit files: the first directory of the search path
 * that has a unit wins (a link to /dev/null masks it; a link to another name is an alias, counted under that
 * name); drop-ins (`NAME.d/*.conf`, and for an instance those of its template) apply in file-name order, the first
 * directory's file of a given name winning; a template counts once per instance that is enabled.
 */
function services(files: readonly UnitFile[], dirs: readonly string[]): RunEntry[] {
  const rank = (f: UnitFile) => dirs.indexOf(f.dir);
  const mains = new Map<string, UnitFile>();
  const dropIns = new Map<string, Map<string, UnitFile>>();
  const instances = new Map<string, string>();
  for (const f of [...files].sort((a, b) => rank(a) - rank(b))) {
    const dropIn = /\/([^/]+\.service)\.d\/([^/]+\.conf)$/.exec(f.path);
    if (dropIn) {
      const byName = dropIns.get(dropIn[1]!) ?? new Map<string, UnitFile>();
      if (!byName.has(dropIn[2]!)) byName.set(dropIn[2]!, f);
      dropIns.set(dropIn[1]!, byName);
    } else if (/\.wants\/[^/]+$/.test(f.path)) {
      if (/@[^.]+\.service$/.test(f.name)) instances.set(f.name, f.target);
    } else if (!mains.has(f.name)) mains.set(f.name, f);
  }
  for (const [name, f] of mains) if (/@[^.]+\.service$/.test(name) && f.target) instances.set(name, f.target);
  const out: RunEntry[] = [];
  const emit = (unit: string, main: UnitFile | undefined, dropInUnits: readonly string[]) => {
    if (!main || main.target === '/dev/null') return;
    const confs = new Map<string, UnitFile>();
    for (const u of dropInUnits) for (const [n, f] of dropIns.get(u) ?? []) confs.set(n, f);
    const ordered = [...confs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
    const s = serviceSettings([main.text, ...ordered.map((f) => f.text)]);
    if (!s.user && !s.group && !s.dynamic) return;
    const account = s.user ? specifiers(s.user, unit) : s.dynamic ? unit.replace(/\.service$/, '') : 'root';
    out.push({
      kind: 'service', account, ...(s.group ? { group: specifiers(s.group, unit) } : {}), name: unit,
      command: redactCommand(s.exec.map((e) => specifiers(e, unit)).join('; ')),
      source: [main.target && posix.basename(main.target) === unit ? main.target : main.path, ...ordered.map((f) => f.path)].join(', '),
      ...(s.dynamic ? { dynamicUser: true } : {}),
    });
  };
  for (const [name, f] of mains) {
    if (/@\.service$/.test(name) || instances.has(name)) continue; // templates run as their instances
    if (f.target && f.target !== '/dev/null' && posix.basename(f.target) !== name) continue; // an alias
    emit(name, f, [name]);
  }
  for (const [name] of [...instances].sort()) {
    const template = name.replace(/@[^.]+\.service$/, '@.service');
    if (mains.get(name)?.target === '/dev/null') continue;
    emit(name, mains.get(template), [template, name]);
  }
  return out;
}

/** `@reboot`, `@daily`, ... and the five time fields of a crontab line. */
const CRON_LINE = /^(@\w+|(?:\S+\s+){4}\S+)\s+(.*)$/;

/** One crontab file's jobs: with a user field (system crontabs) or run by `owner` (a per-user crontab). */
function cronJobs(text: string, path: string, owner?: string): RunEntry[] {
  const out: RunEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    // Comments, blank lines and environment settings (which may hold secrets) are not jobs.
    if (line === '' || line.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) return;
    const m = CRON_LINE.exec(line);
    if (!m) return;
    let rest = m[2]!;
    let account = owner;
    if (!account) {
      const u = /^(\S+)\s+(.*)$/.exec(rest);
      if (!u) return;
      account = u[1]!;
      rest = u[2]!;
    }
    out.push({
      kind: 'cron', account, name: `${posix.basename(path)}:${i + 1}`, schedule: m[1]!.replace(/\s+/g, ' '), command: redactCommand(rest.trim()), source: `${path}:${i + 1}`,
    });
  });
  return out;
}

/**
 * One at job: its spool file is named for its queue, number and time (a letter, 5 hex digits, the minutes since
 * 1970 in 8), its `# atrun uid=` line says whose it is, and its commands follow the `cd ... || { ... }` block (at
 * 3.2) or sit in a here-document (older at).
 */
function atJob(text: string, path: string, userOf: (uid: number) => string | undefined): RunEntry | undefined {
  const file = posix.basename(path);
  const m = /^([a-zA-Z=])([0-9a-f]{5})([0-9a-f]{8})$/.exec(file);
  const uid = /^# atrun uid=(\d+)/m.exec(text)?.[1];
  if (!m || uid === undefined) return undefined;
  const lines = text.split('\n');
  const close = lines.indexOf('}');
  let body = close < 0 ? [] : lines.slice(close + 1);
  const heredoc = body.findIndex((l) => /<< '(marcinDELIMITER[0-9a-f]+)'$/.test(l));
  if (heredoc >= 0) {
    const end = /<< '(marcinDELIMITER[0-9a-f]+)'$/.exec(body[heredoc]!)![1]!;
    body = body.slice(heredoc + 1, body.indexOf(end, heredoc + 1) < 0 ? undefined : body.indexOf(end, heredoc + 1));
  }
  const command = body.map((l) => l.trim()).filter(Boolean).join('; ');
  return {
    kind: 'at', account: userOf(Number(uid)) ?? `uid ${uid}`, name: `job ${parseInt(m[2]!, 16)} (queue ${m[1]})`,
    schedule: new Date(parseInt(m[3]!, 16) * 60_000).toISOString(), command: redactCommand(command), source: path,
  };
}

/** A cron.d file name cron reads: letters, digits, "_" and "-" (Debian's rule; it also skips package backups). */
export function cronFileName(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name);
}

/** Parses `runsScript`'s output. `userOf`: the account name of a uid (at jobs record a uid). */
export function parseRuns(text: string, boundary: string, userOf: (uid: number) => string | undefined): HostRuns {
  const unitTexts = new Map<string, string>();
  const targets = new Map<string, string>();
  const entries: RunEntry[] = [];
  const unreadable: string[] = [];
  let unitDirs: string[] = [];
  for (const [header, body] of splitFiles(text, boundary)) {
    const space = header.indexOf(' ');
    const section = header.slice(0, space);
    const rest = header.slice(space + 1);
    if (section === 'dirs') unitDirs = rest.split(' ').filter(Boolean);
    else if (section === 'link') {
      const tab = rest.indexOf('\t');
      targets.set(rest.slice(0, tab), rest.slice(tab + 1));
      if (!unitTexts.has(rest.slice(0, tab))) unitTexts.set(rest.slice(0, tab), '');
    } else if (section === 'unit') unitTexts.set(rest, body);
    else if (section === 'cron') {
      if (posix.dirname(rest) === '/etc' || cronFileName(posix.basename(rest))) entries.push(...cronJobs(body, rest));
    } else if (section === 'crontab') entries.push(...cronJobs(body, rest, posix.basename(rest)));
    else if (section === 'at') {
      const job = atJob(body, rest, userOf);
      if (job) entries.push(job);
    } else if (section === 'unreadable') unreadable.push(rest);
  }
  const units = [...unitTexts].map(([path, body]): UnitFile => ({
    path, dir: unitDirs.find((d) => path.startsWith(`${d}/`)) ?? posix.dirname(path), name: posix.basename(path), target: targets.get(path) ?? '', text: body,
  }));
  return { entries: [...services(units, unitDirs), ...entries], unreadable };
}

/** How many services, cron jobs and at jobs each account runs. */
export function runsByAccount(entries: readonly RunEntry[]): Map<string, { services: number; cronJobs: number; atJobs: number }> {
  const out = new Map<string, { services: number; cronJobs: number; atJobs: number }>();
  for (const e of entries) {
    const c = out.get(e.account) ?? { services: 0, cronJobs: 0, atJobs: 0 };
    if (e.kind === 'service') c.services++;
    else if (e.kind === 'cron') c.cronJobs++;
    else c.atJobs++;
    out.set(e.account, c);
  }
  return out;
}
