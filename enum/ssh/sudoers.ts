/**
 * A reader for sudoers(5) that answers one question: which rules give a user sudo rights. It knows comments,
 * line continuations, Defaults, User_Alias (nested), %group, %#gid, #uid, ALL, negation (last match wins) and the
 * include directives (#include, @include, #includedir, @includedir), which it reports for the caller to fetch.
 */

export interface SudoersRule {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly users: readonly string[];
}

export interface SudoersInclude {
  readonly kind: 'file' | 'dir';
  readonly path: string;
}

export interface Sudoers {
  readonly rules: SudoersRule[];
  readonly userAliases: Map<string, string[]>;
  readonly includes: SudoersInclude[];
}

export function emptySudoers(): Sudoers {
  return { rules: [], userAliases: new Map(), includes: [] };
}

/** Splits a list at commas, dropping blanks around items. */
function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Adds the rules, aliases and includes of one file to `into`. */
export function parseSudoers(text: string, file: string, into: Sudoers = emptySudoers()): Sudoers {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!;
    line = line.trim();
    const include = /^[#@](include(dir)?)\s+(.+)$/.exec(line);
    if (include) {
      into.includes.push({ kind: include[2] ? 'dir' : 'file', path: include[3]!.trim().replace(/^"(.*)"$/, '$1') });
      continue;
    }
    if (line.startsWith('#') && !/^#\d/.test(line)) continue;
    line = line.replace(/\s#(?!\d).*$/, '').trim();
    if (line === '' || /^Defaults([:@!>\s]|$)/.test(line)) continue;
    const alias = /^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$/.exec(line);
    if (alias) {
      if (alias[1] !== 'User_Alias') continue;
      for (const def of alias[2]!.split(':')) {
        const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(def);
        if (m) into.userAliases.set(m[1]!, list(m[2]!));
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    // "alice, %ops  ALL = ..." -> user list "alice,%ops", host list "ALL"
    const left = line.slice(0, eq).replace(/\s*,\s*/g, ',').trim().split(/\s+/);
    if (left.length < 2) continue;
    into.rules.push({ file, line: start + 1, text: line.replace(/\s+/g, ' '), users: list(left[0]!) });
  }
  return into;
}

export interface SudoUser {
  readonly name: string;
  readonly uid: number;
  /** Names and ids of every group the user is in, the primary one included. */
  readonly groups: readonly string[];
  readonly gids: readonly number[];
}

function unquote(item: string): string {
  return item.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
}

function matches(item: string, user: SudoUser, aliases: Map<string, string[]>, depth: number): boolean | undefined {
  let negated = false;
  let it = item;
  while (it.startsWith('!')) {
    negated = !negated;
    it = it.slice(1).trim();
  }
  let hit: boolean;
  if (it === 'ALL') hit = true;
  else if (it.startsWith('%#')) hit = user.gids.includes(Number(it.slice(2)));
  else if (it.startsWith('%:') || it.startsWith('+')) hit = false; // non-Unix groups and netgroups: not resolvable here
  else if (it.startsWith('%')) hit = user.groups.includes(unquote(it.slice(1)));
  else if (/^#\d+$/.test(it)) hit = user.uid === Number(it.slice(1));
  else if (/^[A-Z][A-Z0-9_]*$/.test(it) && aliases.has(it)) hit = depth < 16 && listMatches(aliases.get(it)!, user, aliases, depth + 1) === true;
  else hit = unquote(it) === user.name;
  if (!hit) return undefined;
  return !negated;
}

/** A list matches when its last matching item is not negated. */
function listMatches(items: readonly string[], user: SudoUser, aliases: Map<string, string[]>, depth = 0): boolean {
  let result = false;
  for (const item of items) {
    const m = matches(item, user, aliases, depth);
    if (m !== undefined) result = m;
  }
  return result;
}

export function rulesFor(user: SudoUser, sudoers: Sudoers): SudoersRule[] {
  return sudoers.rules.filter((r) => listMatches(r.users, user, sudoers.userAliases));
}

/** The files an #includedir names that sudo reads: no dot in the name and no trailing "~". */
export function includedFileName(name: string): boolean {
  return !name.includes('.') && !name.endsWith('~');
}
