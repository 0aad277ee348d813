/**
 * Which account runs which service, cron job and at job on this host, from the host's own tools, independently of
 * surveyor's parsers. systemctl needs a running systemd, which this host has not: the units come from systemd's
 * own `systemd-analyze unit-paths` and `systemd-analyze cat-config` (systemd's resolution of a unit's file and
 * drop-ins); per-user crontabs from `crontab -l -u USER`; at jobs from `atq` and `at -c N`. The system crontabs
 * have no tool but cron itself: they are read as cron(8) reads them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface TruthService { readonly unit: string; readonly account: string; readonly group?: string }
export interface TruthCron { readonly account: string; readonly schedule: string; readonly command: string; readonly file: string }
export interface TruthAt { readonly job: number; readonly queue: string; readonly account: string; readonly time: string; readonly command: string }

const text = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });

/** Units (not templates or their instances) whose resolved [Service] sets User=, Group= or DynamicUser=. */
export function servicesTruth(): TruthService[] {
  const first = new Map<string, string>();
  for (const dir of text('systemd-analyze', ['unit-paths']).split('\n').filter((d) => d && existsSync(d))) {
    for (const name of readdirSync(dir)) if (name.endsWith('.service') && !name.includes('@') && !first.has(name)) first.set(name, join(dir, name));
  }
  const out: TruthService[] = [];
  for (const [unit, path] of first) {
    if (lstatSync(path).isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(path);
      } catch {
        continue; // dangling: no unit
      }
      if (target === '/dev/null' || basename(target) !== unit) continue; // masked, or an alias of another unit
    }
    let section = '';
    let user: string | undefined;
    let group: string | undefined;
    let dynamic = false;
    for (const line of text('systemd-analyze', ['cat-config', `systemd/system/${unit}`]).split('\n').map((l) => l.trim())) {
      if (line.startsWith('[')) section = line;
      const m = /^(User|Group|DynamicUser)\s*=\s*(.*)$/.exec(line);
      if (!m || section !== '[Service]') continue;
      if (m[1] === 'User') user = m[2] || undefined;
      else if (m[1] === 'Group') group = m[2] || undefined;
      else dynamic = /^(1|yes|true|on)$/i.test(m[2]!);
    }
    if (user || group || dynamic) out.push({ unit, account: user ?? (dynamic ? unit.replace(/\.service$/, '') : 'root'), ...(group ? { group } : {}) });
  }
  return out;
}

/** Job lines of a crontab: not blank, not a comment, not an environment setting. */
function jobLines(content: string): string[] {
  return content.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(l));
}

export function cronTruth(): TruthCron[] {
  const out: TruthCron[] = [];
  const system = ['/etc/crontab', ...(existsSync('/etc/cron.d') ? readdirSync('/etc/cron.d').filter((n) => /^[A-Za-z0-9_-]+$/.test(n)).map((n) => `/etc/cron.d/${n}`) : [])];
  for (const file of system.filter((f) => existsSync(f))) {
    for (const line of jobLines(readFileSync(file, 'utf8'))) {
      const m = /^(@\w+|(?:\S+\s+){4}\S+)\s+(\S+)\s+(.*)$/.exec(line);
      if (m) out.push({ account: m[2]!, schedule: m[1]!.replace(/\s+/g, ' '), command: m[3]!, file });
    }
  }
  const spool = '/var/spool/cron/crontabs';
  for (const user of existsSync(spool) ? readdirSync(spool) : []) {
    for (const line of jobLines(text('crontab', ['-l', '-u', user]))) {
      const m = /^(@\w+|(?:\S+\s+){4}\S+)\s+(.*)$/.exec(line);
      if (m) out.push({ account: user, schedule: m[1]!.replace(/\s+/g, ' '), command: m[2]!, file: join(spool, user) });
    }
  }
  return out;
}

/** `atq`: "N<TAB>Tue Jan  1 16:00:00 2036 q user"; the commands from `at -c N`, after its `cd ... || { }` block. */
export function atTruth(): TruthAt[] {
  return text('atq', []).split('\n').filter(Boolean).map((line) => {
    const [job, rest] = line.split('\t');
    const m = /^(.*\d{4}) (\S) (\S+)$/.exec(rest!)!;
    const script = text('at', ['-c', job!]).split('\n');
    const command = script.slice(script.indexOf('}') + 1).map((l) => l.trim()).filter(Boolean).join('; ');
    return { job: Number(job), queue: m[2]!, account: m[3]!, time: new Date(m[1]!).toISOString(), command };
  });
}
