/**
 * sudoers evaluated as sudo evaluates it (sudoers(5), "User specification" and "Host_List"): a list is read from its
 * last item back and the first item that says anything decides: allow, or deny when it is negated. An alias says
 * what its own list says, flipped by a `!` before it. A rule gives a user rights on this host when its user list
 * allows the user and the host list of one of its privileges allows the host: the host's name (short, or the
 * canonical name with sudo's `fqdn` option, for a pattern with a dot; case-insensitive, with shell wildcards), the
 * addresses and networks of its interfaces that are up and not loopback (sudo's own interface list), Host_Alias,
 * ALL. Netgroups (`+name`) and non-Unix groups (`%:name`) cannot be resolved here and match nothing.
 */
import { bitsOf, type Family, parseAddress } from '../../scanner/targets/ip.js';
import type { NetworkInterface } from './parse-system.js';
import type { Sudoers, SudoersRule } from './sudoers.js';

export interface SudoUser {
  readonly name: string;
  readonly uid: number;
  /** Names and ids of every group the user is in, the primary one included. */
  readonly groups: readonly string[];
  readonly gids: readonly number[];
}

/** The host as sudo sees it, from the enumeration's own commands. */
export interface SudoHost {
  /** The name the host gives itself (`uname -n`). */
  readonly hostname: string;
  /** Its canonical name (`hostname -f`): what sudo matches with its `fqdn` option on. */
  readonly fqdn?: string;
  /** Whether this sudo was built with `fqdn` on (`sudo -V` as root lists it); a global `Defaults [!]fqdn` overrides it. */
  readonly fqdnDefault?: boolean;
  /** `address/prefix` of each address of the interfaces that are up and not loopback, the ones sudo reads. */
  readonly addresses: readonly string[];
}

/**
 * The host as sudo sees it, from what the enumeration read: its names (`uname -n`, `hostname -f`), the addresses of
 * its interfaces that are up and not loopback (`ip -o link`, `ip -o addr`), and whether sudo was built with `fqdn`
 * on (`sudo -V` run as root lists the defaults it starts from). Undefined when the host's name is unknown.
 */
export function sudoHostFrom(names: { hostname?: string; fqdn?: string } | undefined, interfaces: readonly NetworkInterface[], sudoVersion: string | undefined): SudoHost | undefined {
  if (!names?.hostname) return undefined;
  return {
    hostname: names.hostname,
    fqdn: names.fqdn,
    fqdnDefault: sudoVersion === undefined ? undefined : /^Require fully-qualified hostnames in the sudoers file$/m.test(sudoVersion),
    addresses: interfaces.filter((i) => i.flags?.includes('UP') && !i.flags.includes('LOOPBACK')).flatMap((i) => i.addresses),
  };
}

/** true: allows; false: denies (a negated item matched); undefined: says nothing. */
type Verdict = boolean | undefined;

const ALIAS_NAME = /^[A-Z][A-Z0-9_]*$/;
/** sudo refuses alias cycles when it parses; this bounds the walk of a file it would refuse. */
const MAX_ALIAS_DEPTH = 16;

function verdict(items: readonly string[], aliases: ReadonlyMap<string, readonly string[]>, word: (bare: string) => Verdict, depth = 0): Verdict {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    const bangs = /^!*/.exec(item)![0].length;
    const bare = item.slice(bangs);
    let v: Verdict;
    if (bare === 'ALL') v = true;
    else if (ALIAS_NAME.test(bare) && aliases.has(bare)) v = depth < MAX_ALIAS_DEPTH ? verdict(aliases.get(bare)!, aliases, word, depth + 1) : undefined;
    else v = word(bare);
    if (v !== undefined) return bangs % 2 ? !v : v;
  }
  return undefined;
}

function unquote(item: string): string {
  return item.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
}

function userWord(user: SudoUser): (bare: string) => Verdict {
  return (it) => {
    let hit: boolean;
    if (it.startsWith('%:') || it.startsWith('+')) return undefined;
    if (it.startsWith('%#')) hit = user.gids.includes(Number(it.slice(2)));
    else if (it.startsWith('%')) hit = user.groups.includes(unquote(it.slice(1)));
    else if (/^#\d+$/.test(it)) hit = user.uid === Number(it.slice(1)) || user.name === it;
    else hit = unquote(it) === user.name;
    return hit ? true : undefined;
  };
}

interface Interface {
  readonly family: Family;
  readonly value: bigint;
  readonly mask: bigint;
}

const maskOf = (family: Family, bits: number): bigint => {
  const width = BigInt(bitsOf(family));
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(bits))) - 1n);
};

/** `192.0.2.2/24` and the like; an address without a prefix is a host of its own. */
function interfacesOf(addresses: readonly string[]): Interface[] {
  const out: Interface[] = [];
  for (const text of addresses) {
    const [addr, prefix] = text.split('/');
    const parsed = parseAddress(addr!);
    if (!parsed.ok) continue;
    const { family, value } = parsed.address;
    const bits = prefix === undefined ? bitsOf(family) : Number(prefix);
    if (Number.isInteger(bits) && bits >= 0 && bits <= bitsOf(family)) out.push({ family, value, mask: maskOf(family, bits) });
  }
  return out;
}

/**
 * Whether a host-list address matches: a bare address names one of the host's addresses or the network one of its
 * interfaces is on; `addr/mask` (bits, or a dotted IPv4 or an IPv6 mask) names a network one of them is in.
 * undefined when the item is not an address (then it is a host name).
 */
function addressMatches(item: string, ifs: readonly Interface[]): boolean | undefined {
  const slash = item.indexOf('/');
  const parsed = parseAddress(slash < 0 ? item : item.slice(0, slash));
  if (!parsed.ok) return undefined;
  const { family, value } = parsed.address;
  const same = ifs.filter((i) => i.family === family);
  if (slash < 0) return same.some((i) => i.value === value || (i.value & i.mask) === value);
  const m = item.slice(slash + 1);
  const asAddress = parseAddress(m);
  let mask: bigint;
  let network = value;
  // As sudo does: an IPv4 address is masked whatever the mask's form; an IPv6 one only by a prefix length.
  if (asAddress.ok && asAddress.address.family === family && (family === 6 || m.includes('.'))) {
    mask = asAddress.address.value;
    if (family === 4) network &= mask;
  } else if (/^\d+$/.test(m) && Number(m) >= 1 && Number(m) <= bitsOf(family)) {
    mask = maskOf(family, Number(m));
    network &= mask;
  } else return false;
  return same.some((i) => (i.value & mask) === network);
}

/** fnmatch(3) with FNM_CASEFOLD, as sudo matches a host name pattern: `*`, `?`, `[...]` (`[!...]`), `\x`. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    else if (c === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

/** The names sudo matches: the canonical name with `fqdn` on, else the host's own; the short one is its first label. */
export function sudoHostNames(host: SudoHost, sudoers: Sudoers): { long: string; short: string; fqdn: boolean } {
  const fqdn = sudoers.fqdn ?? host.fqdnDefault ?? false;
  const long = fqdn && host.fqdn ? host.fqdn : host.hostname;
  return { long, short: long.split('.')[0]!, fqdn };
}

function hostWord(host: SudoHost, sudoers: Sudoers): (bare: string) => Verdict {
  const { long, short } = sudoHostNames(host, sudoers);
  const ifs = interfacesOf(host.addresses);
  return (it) => {
    if (it.startsWith('+')) return undefined;
    const address = addressMatches(it, ifs);
    if (address !== undefined) return address ? true : undefined;
    const name = it.includes('.') ? long : short;
    const hit = /[\\?*[\]]/.test(it) ? globRegExp(it).test(name) : it.toLowerCase() === name.toLowerCase();
    return hit ? true : undefined;
  };
}

/**
 * The privileges of the rules that give `user` rights on `host`, each with its rule. Without a host (its name is
 * unknown), every host list counts as naming it: a rule is not dropped for want of the host's name.
 */
function matching(user: SudoUser, sudoers: Sudoers, host: SudoHost | undefined): Array<{ rule: SudoersRule; privilege: SudoersRule['privileges'][number] }> {
  const byUser = userWord(user);
  const byHost = host ? hostWord(host, sudoers) : undefined;
  const out: Array<{ rule: SudoersRule; privilege: SudoersRule['privileges'][number] }> = [];
  for (const rule of sudoers.rules) {
    if (verdict(rule.users, sudoers.aliases.user, byUser) !== true) continue;
    for (const privilege of rule.privileges) if (!byHost || verdict(privilege.hosts, sudoers.aliases.host, byHost) === true) out.push({ rule, privilege });
  }
  return out;
}

/** The rules that give `user` sudo rights on `host`: what `sudo -l -U user` lists there. */
export function rulesFor(user: SudoUser, sudoers: Sudoers, host: SudoHost | undefined): SudoersRule[] {
  return [...new Set(matching(user, sudoers, host).map((m) => m.rule))];
}

/** A list with its aliases replaced by their members, a `!` before an alias flipping each member's. */
function flatten(items: readonly string[], aliases: ReadonlyMap<string, readonly string[]>, negated = false, depth = 0): string[] {
  return items.flatMap((item) => {
    const bangs = /^!*/.exec(item)![0].length;
    const bare = item.slice(bangs);
    const neg = negated !== (bangs % 2 === 1);
    if (ALIAS_NAME.test(bare) && aliases.has(bare) && depth < MAX_ALIAS_DEPTH) return flatten(aliases.get(bare)!, aliases, neg, depth + 1);
    return [`${neg ? '!' : ''}${bare}`];
  });
}

export interface SudoGrant {
  readonly rule: SudoersRule;
  /** Who the commands run as; without a Runas spec sudo's default, root; `(:group)` alone runs as the user. */
  readonly runasUsers: readonly string[];
  readonly runasGroups: readonly string[];
  readonly tags: readonly string[];
  /** The commands, aliases replaced by their members. */
  readonly commands: readonly string[];
}

/** What `user` may run on `host` and as whom, one entry per command specification, aliases expanded. */
export function grantsFor(user: SudoUser, sudoers: Sudoers, host: SudoHost | undefined): SudoGrant[] {
  return matching(user, sudoers, host).flatMap(({ rule, privilege }) => privilege.commands.map((c) => ({
    rule,
    runasUsers: c.runasUsers === undefined ? ['root'] : c.runasUsers.length ? flatten(c.runasUsers, sudoers.aliases.runas) : [user.name],
    runasGroups: flatten(c.runasGroups ?? [], sudoers.aliases.runas),
    tags: c.tags,
    commands: flatten([c.command], sudoers.aliases.cmnd),
  })));
}
