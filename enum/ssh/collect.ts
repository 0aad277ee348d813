/**
 * Runs the host commands over an authenticated session and turns their output into facts, each carrying the
 * command it came from. Follow-up rounds fetch what the first round names: sudoers includes, the sshd
 * configurations of running daemons, and every authorized_keys file they point to; and which accounts run the
 * host's services, cron jobs and at jobs.
 */
import { randomBytes } from 'node:crypto';
import type { Fact } from '../types.js';
import { catFilesScript, commandLine, HostCommand, listDirsScript, runsScript, splitFiles, STAGE_ONE } from './commands.js';
import { HostRuns, parseRuns } from './parse-runs.js';
import { parseAuthorizedKeys, AuthorizedKey } from './keys.js';
import { GroupEntry, LastlogEntry, parseGroup, parseLastlog, parsePasswd, parseShadow, PasswdEntry, ShadowEntry } from './parse-accounts.js';
import {
  NetworkInterface, parseCpuinfo, parseIp, parseKeyValues, parseMeminfo, parseOsRelease, parsePackages, parsePairs, parseServices, parseSockets, parseUname,
} from './parse-system.js';
import type { ExecResult, SshSession } from './session.js';
import { loadSudoers, Sudoers } from './sudoers.js';
import { SudoHost, sudoHostFrom, sudoHostNames } from './sudoers-match.js';

const LIMIT = { timeoutMs: 60_000, maxBytes: 32 * 1024 * 1024 };

export interface KeyFile {
  readonly user: string;
  readonly path: string;
  readonly keys: readonly AuthorizedKey[];
  readonly problems: readonly string[];
}

export interface Collected {
  readonly sudo: boolean;
  readonly facts: Record<string, Fact>;
  readonly notes: string[];
  readonly passwd?: PasswdEntry[];
  readonly groups?: GroupEntry[];
  readonly shadow?: Map<string, ShadowEntry>;
  readonly lastlog?: Map<string, LastlogEntry>;
  readonly sudoers?: Sudoers;
  /** The host's names and addresses, for the host lists of sudoers (absent when the host name is unknown). */
  readonly sudoHost?: SudoHost;
  readonly sudoSelf?: string;
  readonly keyFiles: KeyFile[];
  /** Services, cron jobs and at jobs with the accounts they run as (absent when the script failed). */
  readonly runs?: HostRuns;
}

class Runner {
  constructor(private readonly session: SshSession, readonly sudo: boolean) {}

  sourceOf(script: string, elevated = false): string {
    return `${elevated && this.sudo ? 'sudo -n ' : ''}sh -c ${JSON.stringify(script)}`;
  }

  run(script: string, elevated = false): Promise<ExecResult> {
    return this.session.exec(commandLine(script, elevated && this.sudo), LIMIT);
  }
}

function failure(r: ExecResult): string | undefined {
  if (r.truncated) return 'the output was cut (too large or too slow)';
  if (r.code !== 0 && r.stdout.trim() === '') return (r.stderr.trim().split('\n')[0] || `exit code ${r.code}`).slice(0, 200);
  return undefined;
}

export async function collectHost(session: SshSession, wantSudo: boolean): Promise<Collected> {
  const notes: string[] = [];
  let sudo = false;
  if (wantSudo) {
    const probe = await session.exec(commandLine('true', true), LIMIT);
    sudo = probe.code === 0;
    if (!sudo) notes.push('sudo -n was refused (a password is required or no rule allows it): collected without elevation');
  }
  const runner = new Runner(session, sudo);
  const outputs = new Map<string, { cmd: HostCommand; result: ExecResult }>();
  await Promise.all(STAGE_ONE.map(async (cmd) => {
    if (cmd.name === 'sudo-self' && sudo) return; // with root the sudoers files say more
    outputs.set(cmd.name, { cmd, result: await runner.run(cmd.script, cmd.elevated) });
  }));
  const facts: Record<string, Fact> = {};
  const fact = <T>(name: string, key: string, parse: (text: string) => T, usable: (text: string) => boolean = (t) => t.trim() !== ''): T | undefined => {
    const o = outputs.get(name);
    if (!o) return undefined;
    const source = runner.sourceOf(o.cmd.script, o.cmd.elevated);
    const error = failure(o.result) ?? (usable(o.result.stdout) ? undefined : 'no output');
    if (error) {
      facts[key] = { source, error };
      return undefined;
    }
    const value = parse(o.result.stdout);
    facts[key] = { source, value };
    return value;
  };
  const osRelease = fact('os-release', 'os-release', parseOsRelease);
  const uname = fact('uname', 'uname', parseUname);
  fact('cpuinfo', 'cpu', parseCpuinfo);
  fact('meminfo', 'memory', parseMeminfo);
  fact('disks', 'disks', (t) => parsePairs(t).filter((d) => d.type === 'disk'), () => true);
  fact('dmi', 'dmi', parseKeyValues, () => true);
  const link = outputs.get('ip-link')?.result.stdout ?? '';
  fact('ip-addr', 'interfaces', (addr) => parseIp(link, addr));
  fact('packages', 'software', parsePackages);
  fact('services', 'services', parseServices);
  fact('sockets', 'sockets', parseSockets, () => true);
  const passwd = fact('passwd', 'passwd', parsePasswd);
  const groups = fact('group', 'groups', parseGroup);
  const shadowList = fact('shadow', 'shadow', parseShadow);
  const lastlog = fact('lastlog', 'lastlog', parseLastlog);
  const sudoSelf = outputs.get('sudo-self')?.result.stdout;
  if (facts.shadow?.error || !shadowList?.length) notes.push('shadow was not readable (needs root): account locks, expiry and password age are unknown');
  if (facts.lastlog?.error) notes.push(`last logins unknown: lastlog failed (${facts.lastlog.error})`);
  if (osRelease || uname) {
    facts.os = {
      source: `${facts['os-release']?.source ?? ''}; ${facts.uname?.source ?? ''}`,
      value: {
        name: osRelease?.NAME, version: osRelease?.VERSION_ID, id: osRelease?.ID, prettyName: osRelease?.PRETTY_NAME,
        kernel: uname?.kernel, release: uname?.release, arch: uname?.arch, hostname: uname?.hostname, fqdn: uname?.fqdn, domain: uname?.domain,
      },
    };
  }
  const sudoersRead = await readSudoers(runner, outputs.get('sudoers')?.result, facts, notes);
  const [keyFiles, runs] = await Promise.all([
    passwd ? readKeyFiles(runner, passwd, outputs.get('sshd-configs')?.result.stdout ?? '', facts, notes) : [],
    readRuns(runner, passwd ?? [], facts, notes),
  ]);
  if (passwd) facts.passwd = { source: facts.passwd!.source, value: { count: passwd.length } };
  return {
    sudo, facts, notes, passwd, groups, sudoers: sudoersRead?.sudoers, sudoHost: sudoersRead?.host, sudoSelf, keyFiles, runs,
    shadow: shadowList?.length ? new Map(shadowList.map((s) => [s.name, s])) : undefined,
    lastlog: facts.lastlog?.error ? undefined : lastlog,
  };
}

async function readSudoers(runner: Runner, main: ExecResult | undefined, facts: Record<string, Fact>, notes: string[]): Promise<{ sudoers: Sudoers; host?: SudoHost } | undefined> {
  const source = runner.sourceOf('cat /etc/sudoers', true);
  if (!main || failure(main) || !main.stdout.trim()) {
    facts.sudoers = { source, error: main ? failure(main) ?? 'no output' : 'not run' };
    notes.push('sudoers was not readable (needs root): sudo rights come from admin groups and the user\'s own sudo -l only');
    return undefined;
  }
  const boundary = randomBytes(12).toString('hex');
  const hostname = (facts.os?.value as { hostname?: string } | undefined)?.hostname ?? '';
  const { sudoers, files } = await loadSudoers(main.stdout, '/etc/sudoers', {
    listDirs: async (dirs) => (await runner.run(listDirsScript(dirs), true)).stdout.split('\n').filter(Boolean),
    readFiles: async (paths) => splitFiles((await runner.run(catFilesScript(paths, boundary), true)).stdout, boundary),
  }, hostname.split('.')[0]!);
  // Whether this sudo matches the canonical host name (its fqdn option, on in Debian's build): sudo -V as root says.
  const version = await runner.run('sudo -V', true);
  const host = sudoHostFrom(facts.os?.value as { hostname?: string; fqdn?: string } | undefined, (facts.interfaces?.value ?? []) as NetworkInterface[],
    version.code === 0 ? version.stdout : undefined);
  if (!host) notes.push('the host name is unknown: sudoers rules are matched by their user lists only');
  const names = host ? sudoHostNames(host, sudoers) : undefined;
  facts.sudoers = {
    source: `${source}; ${runner.sourceOf('sudo -V', true)}`,
    value: {
      files, rules: sudoers.rules.map((r) => ({ file: r.file, line: r.line, text: r.text })),
      ...(host && names ? { host: { name: names.long, shortName: names.short, fqdnOption: names.fqdn, addresses: host.addresses } } : {}),
    },
  };
  return { sudoers, host };
}

/** Which account runs which systemd service, cron job and at job (per-user crontabs and at jobs need root). */
async function readRuns(runner: Runner, passwd: readonly PasswdEntry[], facts: Record<string, Fact>, notes: string[]): Promise<HostRuns | undefined> {
  const boundary = randomBytes(12).toString('hex');
  const result = await runner.run(runsScript(boundary), true);
  const source = runner.sourceOf(runsScript('<boundary>'), true);
  const error = failure(result);
  if (error) {
    facts.dependencies = { source, error };
    notes.push(`services, cron and at jobs unknown: ${error}`);
    return undefined;
  }
  const nameOf = new Map(passwd.map((u) => [u.uid, u.name]));
  const runs = parseRuns(result.stdout, boundary, (uid) => nameOf.get(uid));
  facts.dependencies = { source, value: runs };
  if (runs.unreadable.length) notes.push(`per-user crontabs and at jobs were not all readable (needs root): ${runs.unreadable.join(', ')}`);
  return runs;
}

/** AuthorizedKeysFile patterns of every sshd configuration in use (the default file and each daemon's -f). */
function keyPatterns(configs: Map<string, string>): string[] {
  const patterns = new Set<string>();
  for (const text of configs.values()) {
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (/^Match\s/i.test(t)) break; // settings after Match apply conditionally; the global value comes first
      const m = /^AuthorizedKeysFile\s+(.+)$/i.exec(t);
      if (m) {
        m[1]!.split(/\s+/).filter((p) => p !== 'none').forEach((p) => patterns.add(p));
        break;
      }
    }
  }
  if (patterns.size === 0 || [...configs.values()].some((t) => !/^\s*AuthorizedKeysFile\s/im.test(t))) {
    patterns.add('.ssh/authorized_keys');
    patterns.add('.ssh/authorized_keys2');
  }
  return [...patterns];
}

function expand(pattern: string, user: PasswdEntry): string {
  const p = pattern.replace(/%(.)/g, (_, c: string) => (c === '%' ? '%' : c === 'u' ? user.name : c === 'h' ? user.home : c === 'U' ? String(user.uid) : `%${c}`));
  if (p.startsWith('~/')) return `${user.home}/${p.slice(2)}`;
  return p.startsWith('/') ? p : `${user.home.replace(/\/$/, '')}/${p}`;
}

async function readKeyFiles(runner: Runner, passwd: PasswdEntry[], daemons: string, facts: Record<string, Fact>, notes: string[]): Promise<KeyFile[]> {
  const boundary = randomBytes(12).toString('hex');
  const configPaths = new Set(['/etc/ssh/sshd_config']);
  for (const line of daemons.split('\n')) {
    const m = /(?:^|\s)-f\s*(\S+)/.exec(line);
    if (m) configPaths.add(m[1]!);
  }
  const configs = splitFiles((await runner.run(catFilesScript([...configPaths], boundary), true)).stdout, boundary);
  const patterns = keyPatterns(configs);
  const owner = new Map<string, PasswdEntry>();
  for (const user of passwd) {
    for (const pattern of patterns) {
      const path = expand(pattern, user);
      if (!owner.has(path)) owner.set(path, user);
    }
  }
  const paths = [...owner.keys()];
  const files: KeyFile[] = [];
  const script = (chunk: string[]) => catFilesScript(chunk, boundary);
  for (let i = 0; i < paths.length; i += 400) {
    const texts = splitFiles((await runner.run(script(paths.slice(i, i + 400)), true)).stdout, boundary);
    for (const [path, text] of texts) {
      const user = owner.get(path);
      if (!user) continue;
      const { keys, problems } = parseAuthorizedKeys(text);
      files.push({ user: user.name, path, keys, problems });
    }
  }
  facts['authorized-keys'] = {
    source: runner.sourceOf(script(['<AuthorizedKeysFile of each user>']), true),
    value: { configs: [...configs.keys()], patterns, files: files.map((f) => ({ user: f.user, path: f.path, keys: f.keys.length, problems: f.problems })) },
  };
  if (!runner.sudo) notes.push('authorized_keys of other users are only read where they are readable without root');
  return files;
}
