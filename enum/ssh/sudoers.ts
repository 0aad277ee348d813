/**
 * A reader for sudoers(5), as sudo parses it, for one question: which rules give an account sudo rights on this
 * host, and what they let it run. It knows comments, line continuations, quotes and backslash escapes, the four
 * alias kinds (nested, with negation), user specifications with several privileges (`hosts = cmnds : hosts =
 * cmnds`), Runas specs (carried over to the next commands, as sudo does), options and tags, the global `fqdn`
 * setting, and the include directives (#include, @include, #includedir, @includedir), which `loadSudoers` fetches
 * through the caller's I/O. sudoers-match.ts evaluates the result.
 */
import { dirname, posix } from 'node:path';

export interface CmndSpec {
  /** Runas users and groups in effect (written here or carried over); both undefined: no Runas spec, sudo's default. */
  readonly runasUsers?: readonly string[];
  readonly runasGroups?: readonly string[];
  /** Tags in effect (NOPASSWD, SETENV, ...), written here or carried over. */
  readonly tags: readonly string[];
  /** The command, a directory, `sudoedit ...`, a Cmnd_Alias or ALL, with any `!`. */
  readonly command: string;
}

/** One `hosts = commands` part of a user specification. */
export interface Privilege {
  readonly hosts: readonly string[];
  readonly commands: readonly CmndSpec[];
}

export interface SudoersRule {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly users: readonly string[];
  readonly privileges: readonly Privilege[];
}

export interface SudoersInclude {
  readonly kind: 'file' | 'dir';
  /** Absolute (a relative path is resolved against the including file's directory); `%h` is left for the loader. */
  readonly path: string;
}

export const ALIAS_KINDS = { User_Alias: 'user', Host_Alias: 'host', Runas_Alias: 'runas', Cmnd_Alias: 'cmnd', Cmd_Alias: 'cmnd' } as const;
export type AliasKind = (typeof ALIAS_KINDS)[keyof typeof ALIAS_KINDS];

export interface Sudoers {
  readonly rules: SudoersRule[];
  readonly aliases: Readonly<Record<AliasKind, Map<string, string[]>>>;
  readonly includes: SudoersInclude[];
  /** The last global `Defaults fqdn` or `Defaults !fqdn` of the files, when one sets it. */
  fqdn?: boolean;
}

export function emptySudoers(): Sudoers {
  return { rules: [], aliases: { user: new Map(), host: new Map(), runas: new Map(), cmnd: new Map() }, includes: [] };
}

const TAGS = new Set(['EXEC', 'NOEXEC', 'FOLLOW', 'NOFOLLOW', 'LOG_INPUT', 'NOLOG_INPUT', 'LOG_OUTPUT', 'NOLOG_OUTPUT', 'MAIL', 'NOMAIL',
  'INTERCEPT', 'NOINTERCEPT', 'PASSWD', 'NOPASSWD', 'SETENV', 'NOSETENV']);
const OPTION = /^(?:TIMEOUT|CWD|CHROOT|NOTBEFORE|NOTAFTER|ROLE|TYPE|APPARMOR_PROFILE|PRIVS|LIMITPRIVS)\s*=\s*(?:"(?:[^"\\]|\\.)*"|\S+)\s*/;

/** Positions where `is` holds, outside double quotes and parentheses and not escaped by a backslash. */
function topLevel(text: string, is: (c: string, i: number) => boolean): number[] {
  const out: number[] = [];
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && is(c, i)) out.push(i);
  }
  return out;
}

/** Splits at the one-character separators at `positions`. */
function splitAt(text: string, positions: readonly number[]): string[] {
  const out: string[] = [];
  let start = 0;
  for (const p of positions) {
    out.push(text.slice(start, p));
    start = p + 1;
  }
  out.push(text.slice(start));
  return out;
}

const splitTop = (text: string, char: string): string[] => splitAt(text, topLevel(text, (c) => c === char));

/** A comma-separated list, each item trimmed, `! x` written `!x`. */
function list(text: string): string[] {
  return splitTop(text, ',').map((s) => s.trim().replace(/^(!+)\s+/, '$1').replace(/\s+/g, ' ')).filter((s) => s !== '');
}

/** A host list as it may stand before a privilege's `=`: items without blanks (after any `!`), comma-separated. */
const HOST_LIST = /^\s*(!*\s*[^\s,=()!]+(?:\s*,\s*!*\s*[^\s,=()!]+)*)\s*=(?!=)/;

/**
 * The user specification's privileges, from the text after its first host list's `=`: a `:` starts another one
 * when a host list and `=` follow it and it does not end a tag ("NOPASSWD:").
 */
function privilegesOf(firstHosts: string[], rest: string): Privilege[] {
  const parts: Array<{ hosts: string[]; text: string }> = [];
  let hosts = firstHosts;
  let start = 0;
  for (const i of topLevel(rest, (c) => c === ':')) {
    // The colons of an IPv6 address in the host list just read are not separators.
    if (i < start) continue;
    const before = rest.slice(start, i);
    const word = /(?:^|[\s,)])([A-Z_]+)\s*$/.exec(before)?.[1];
    if (word && TAGS.has(word)) continue;
    const m = HOST_LIST.exec(rest.slice(i + 1));
    if (!m) continue;
    parts.push({ hosts, text: before });
    hosts = list(m[1]!);
    start = i + 1 + m[0].length;
  }
  parts.push({ hosts, text: rest.slice(start) });
  return parts.map(({ hosts: h, text }) => ({ hosts: h, commands: commandsOf(text) }));
}

/** The Cmnd_Spec_List of one privilege, with Runas and tags carried over from one command to the next. */
function commandsOf(text: string): CmndSpec[] {
  const out: CmndSpec[] = [];
  let runasUsers: string[] | undefined;
  let runasGroups: string[] | undefined;
  let tags: string[] = [];
  for (const raw of splitTop(text, ',')) {
    let s = raw.trim();
    if (s === '') continue;
    if (s.startsWith('(')) {
      const close = s.indexOf(')');
      if (close < 0) continue;
      const [users, groups] = splitTop(s.slice(1, close), ':');
      runasUsers = list(users ?? '');
      runasGroups = groups === undefined ? undefined : list(groups);
      s = s.slice(close + 1).trim();
    }
    for (let m = OPTION.exec(s); m; m = OPTION.exec(s)) s = s.slice(m[0].length);
    const written: string[] = [];
    for (let m = /^([A-Z_]+)\s*:\s*/.exec(s); m && TAGS.has(m[1]!); m = /^([A-Z_]+)\s*:\s*/.exec(s)) {
      written.push(m[1]!);
      s = s.slice(m[0].length);
    }
    if (written.length) {
      // A tag replaces its opposite (PASSWD after NOPASSWD) and keeps the others.
      const opposite = (t: string) => (t.startsWith('NO') ? t.slice(2) : `NO${t}`);
      tags = [...tags.filter((t) => !written.some((w) => w === t || opposite(w) === t)), ...written];
    }
    const command = s.replace(/^(!+)\s+/, '$1').replace(/\s+/g, ' ');
    if (command) out.push({ ...(runasUsers || runasGroups ? { runasUsers: runasUsers ?? [], runasGroups } : {}), tags, command });
  }
  return out;
}

/** The items of the user and first host list: blanks separate the two lists, commas the items of each. */
function leftLists(text: string): string[] {
  const normal = text.replace(/\s*,\s*/g, ',').replace(/!\s+/g, '!').trim();
  return splitAt(normal, topLevel(normal, (c) => /\s/.test(c))).filter((s) => s !== '');
}

/** Adds the rules, aliases, settings and includes of one file to `into`. */
export function parseSudoers(text: string, file: string, into: Sudoers = emptySudoers()): Sudoers {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!;
    line = line.trim();
    const include = /^[#@](include(dir)?)\s+(.+)$/.exec(line);
    if (include) {
      const path = include[3]!.trim().replace(/^"(.*)"$/, '$1');
      into.includes.push({ kind: include[2] ? 'dir' : 'file', path: path.startsWith('/') ? path : posix.join(dirname(file), path) });
      continue;
    }
    if (line.startsWith('#') && !/^#\d/.test(line)) continue;
    line = line.replace(/\s#(?!\d).*$/, '').trim();
    if (line === '') continue;
    const defaults = /^Defaults(\S?)\s*(.*)$/.exec(line);
    if (defaults) {
      // Only the global setting decides the host name sudo matches (`Defaults@host` and the like apply later).
      if (defaults[1] === '') for (const d of list(defaults[2]!)) if (d === 'fqdn' || d === '!fqdn') into.fqdn = d === 'fqdn';
      continue;
    }
    const alias = /^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$/.exec(line);
    if (alias) {
      const body = alias[2]!;
      const defs = splitAt(body, topLevel(body, (c, j) => c === ':' && /^\s*[A-Z][A-Z0-9_]*\s*=/.test(body.slice(j + 1))));
      for (const def of defs) {
        const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/s.exec(def);
        if (m) into.aliases[ALIAS_KINDS[alias[1] as keyof typeof ALIAS_KINDS]].set(m[1]!, list(m[2]!));
      }
      continue;
    }
    const [left, ...right] = splitTop(line, '=');
    if (!right.length) continue;
    const lists = leftLists(left!);
    if (lists.length !== 2) continue;
    into.rules.push({
      file, line: start + 1, text: line.replace(/\s+/g, ' '), users: list(lists[0]!),
      privileges: privilegesOf(list(lists[1]!), right.join('=')),
    });
  }
  return into;
}

/** The files an #includedir names that sudo reads: no dot in the name and no trailing "~". */
export function includedFileName(name: string): boolean {
  return !name.includes('.') && !name.endsWith('~');
}

/** How `loadSudoers` reads the host's files (over SSH in a scan, from disk in a test). */
export interface SudoersFiles {
  /** The files in these directories, one path each. */
  listDirs(dirs: readonly string[]): Promise<string[]>;
  /** The readable ones among these files, by path. */
  readFiles(paths: readonly string[]): Promise<Map<string, string>>;
}

/**
 * The main file and everything it includes, to a depth of 8 (sudo stops at 128; 8 is plenty for real files).
 * `%h` in an include path is the host's short name, as sudo expands it.
 */
export async function loadSudoers(mainText: string, mainPath: string, io: SudoersFiles, shortHost: string): Promise<{ sudoers: Sudoers; files: string[] }> {
  const sudoers = parseSudoers(mainText, mainPath, emptySudoers());
  const files = [mainPath];
  const seen = new Set(files);
  for (let depth = 0; depth < 8 && sudoers.includes.length; depth++) {
    const pending = sudoers.includes.splice(0).map((i) => ({ ...i, path: i.path.replace(/%h/g, shortHost).replace(/%%/g, '%') }));
    const dirs = pending.filter((i) => i.kind === 'dir').map((i) => i.path);
    const listed = dirs.length ? await io.listDirs(dirs) : [];
    const next = [...pending.filter((i) => i.kind === 'file').map((i) => i.path), ...listed.filter((p) => includedFileName(p.slice(p.lastIndexOf('/') + 1)))]
      .filter((p) => !seen.has(p)).sort();
    if (!next.length) break;
    next.forEach((p) => seen.add(p));
    for (const [path, text] of await io.readFiles(next)) {
      parseSudoers(text, path, sudoers);
      files.push(path);
    }
  }
  return { sudoers, files };
}
