/** Ground truth about this host's accounts from its own tools (getent, sudo -l), independent of surveyor's parsers. */
import { execFileSync } from 'node:child_process';

/** Users of the lifecycle tests' labs (tags 21 and 22) come and go while other files run; they are left out of comparisons. */
export const OTHER_LAB = /^sv2[1-9]/;

/** getent passwd / group on this host, split by hand. */
export function getent(db: 'passwd' | 'group'): string[][] {
  return execFileSync('getent', [db]).toString().trim().split('\n').map((l) => l.split(':')).filter((f) => !OTHER_LAB.test(f[0]!));
}

/** Privileged by the rule, from the host's own tools: uid 0, sudo/wheel/admin members, sudo -l grants. */
export function privilegedTruth(): string[] {
  const passwd = getent('passwd');
  const groups = getent('group');
  const admin = groups.filter((g) => ['sudo', 'wheel', 'admin'].includes(g[0]!));
  const out = new Set<string>();
  for (const [name, , uid, gid] of passwd) {
    if (uid === '0') out.add(name!);
    if (admin.some((g) => g[2] === gid || (g[3] ?? '').split(',').includes(name!))) out.add(name!);
    const sudo = execFileSync('sudo', ['-l', '-U', name!]).toString();
    if (/may run the following commands/.test(sudo)) out.add(name!);
  }
  return [...out].sort();
}
