/**
 * Local accounts and SSH keys from what was collected, with privilege decided by the rule of the issue: uid 0,
 * membership in an admin group (sudo, wheel, admin), or a sudoers rule that applies; each reason names its source.
 * Each local account also counts the services, cron jobs and at jobs it runs (`details.runs`).
 */
import type { AccountObservation } from '../types.js';
import type { Collected } from './collect.js';
import type { GroupEntry, PasswdEntry } from './parse-accounts.js';
import { runsByAccount } from './parse-runs.js';
import { rulesFor, SudoUser } from './sudoers-match.js';

export const ADMIN_GROUPS = ['sudo', 'wheel', 'admin'] as const;

/** A user as sudoers sees it: its name and uid, and the names and ids of its groups, the primary one first. */
export function sudoUserOf(u: PasswdEntry, groups: readonly GroupEntry[]): SudoUser {
  const primary = groups.find((g) => g.gid === u.gid);
  const memberOf = groups.filter((g) => g.members.includes(u.name));
  return {
    name: u.name, uid: u.uid,
    groups: [...new Set([...(primary ? [primary.name] : []), ...memberOf.map((g) => g.name)])],
    gids: [...new Set([u.gid, ...memberOf.map((g) => g.gid)])],
  };
}

export function accountsOf(c: Collected, connectedAs: string): AccountObservation[] {
  if (!c.passwd) return [];
  const groups = c.groups ?? [];
  const groupByGid = new Map(groups.map((g) => [g.gid, g]));
  const passwdSource = c.facts.passwd?.source ?? 'getent passwd';
  const out: AccountObservation[] = [];
  const privilegeOf = new Map<string, string[]>();
  const runs = c.runs ? runsByAccount(c.runs.entries) : undefined;
  for (const u of c.passwd) {
    const memberOf = groups.filter((g) => g.members.includes(u.name)).map((g) => g.name);
    const primary = groupByGid.get(u.gid)?.name;
    const sudoUser = sudoUserOf(u, groups);
    const all = sudoUser.groups;
    const reasons: string[] = [];
    if (u.uid === 0) reasons.push('uid 0 (getent passwd)');
    for (const g of ADMIN_GROUPS) {
      if (memberOf.includes(g)) reasons.push(`member of group ${g} (getent group)`);
      else if (primary === g) reasons.push(`primary group ${g} (getent passwd)`);
    }
    if (c.sudoers) {
      for (const r of rulesFor(sudoUser, c.sudoers, c.sudoHost)) reasons.push(`sudoers: ${r.text} (${r.file}:${r.line})`);
    } else if (u.name === connectedAs && c.sudoSelf && /may run the following commands/.test(c.sudoSelf)) {
      reasons.push('sudo -l lists commands it may run');
    }
    privilegeOf.set(u.name, reasons);
    const shadow = c.shadow?.get(u.name);
    const expired = shadow?.expires !== undefined && shadow.expires < new Date().toISOString().slice(0, 10);
    const last = c.lastlog?.get(u.name);
    out.push({
      kind: 'local',
      key: u.name,
      name: u.name,
      uid: String(u.uid),
      privileged: reasons.length > 0,
      reasons,
      enabled: shadow ? !(shadow.password === 'locked' || expired) : undefined,
      // No lastlog (it failed) or no line for the user: unknown, which is not never.
      lastLogon: last?.at ?? undefined,
      ...(last?.at === null ? { neverLoggedOn: true } : {}),
      passwordLastSet: shadow?.lastChanged,
      details: {
        gid: u.gid, primaryGroup: primary ?? null, groups: all, gecos: u.gecos, home: u.home, shell: u.shell,
        loginShell: !/(nologin|false|sync|shutdown|halt)$/.test(u.shell),
        ...(shadow ? { password: shadow.password, passwordMaxDays: shadow.maxDays ?? null, expires: shadow.expires ?? null, expired } : {}),
        ...(last?.at ? { lastLogonFrom: last.from ?? null } : {}),
        ...(runs ? { runs: runs.get(u.name) ?? { services: 0, cronJobs: 0, atJobs: 0 } } : {}),
      },
      source: passwdSource,
    });
  }
  const keySource = c.facts['authorized-keys']?.source ?? 'authorized_keys';
  const uidOf = new Map(c.passwd.map((u) => [u.name, u.uid]));
  for (const file of c.keyFiles) {
    const userReasons = privilegeOf.get(file.user) ?? [];
    for (const k of file.keys) {
      out.push({
        kind: 'ssh-key',
        key: `${file.user} ${k.fingerprint}`,
        name: file.user,
        uid: String(uidOf.get(file.user)),
        privileged: userReasons.length > 0,
        reasons: userReasons.map((r) => `logs in as ${file.user}: ${r}`),
        details: { type: k.type, bits: k.bits ?? null, fingerprint: k.fingerprint, comment: k.comment, options: k.options, file: file.path, line: k.line },
        source: keySource,
      });
    }
  }
  return out;
}
