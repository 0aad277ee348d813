/**
 * Generic LDAP (OpenLDAP and the like): inetOrgPerson/posixAccount users, posixGroup (memberUid) and
 * groupOfNames/groupOfUniqueNames (member DNs, nested) groups. Nothing is privileged by a well-known identifier
 * here, so privilege comes from uidNumber 0, gidNumber 0 groups, the conventional admin group names and the
 * admin's --privileged-group.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { domainOfDn } from '../../probes/ldap/codec.js';
import { rdnValue } from './codecs.js';
import { Collector } from './collector.js';
import { namesGroup } from './membership.js';
import type { DirectoryGroup, DirectoryInventory, DirectoryUser, PrivilegedGroup } from './inventory.js';
import { all, first, Row } from './search.js';

export const LDAP_USER_FILTER = '(|(objectClass=posixAccount)(objectClass=inetOrgPerson))';
export const LDAP_GROUP_FILTER = '(|(objectClass=posixGroup)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))';
/** The conventional names of administrators' groups (as for local accounts: sudo, wheel, admin). */
const ADMIN_NAMES = ['admins', 'admin', 'wheel', 'sudo'];

function int(row: Row, name: string): number | undefined {
  const v = first(row, name);
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** `20240101120000Z` (generalized time) as ISO; undefined when it is not one. */
function generalized(v: string | undefined): string | undefined {
  const m = v && /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : undefined;
}

export async function collectLdap(c: Collector, rootDse: Row | undefined, baseOption: string | undefined, extraPrivileged: readonly string[], now = Date.now()): Promise<DirectoryInventory> {
  const contexts = rootDse ? all(rootDse, 'namingcontexts') : [];
  const base = baseOption ?? contexts[0];
  if (!base) throw new ProbeError('protocol-error', 'the rootDSE names no naming context; give --base');
  if (!baseOption && contexts.length > 1) c.notes.push(`the server holds ${contexts.length} naming contexts (${contexts.join('; ')}); searched ${base} (choose with --base)`);
  const today = Math.floor(now / 86_400_000);
  const userRows = await c.search({
    base, filter: LDAP_USER_FILTER,
    attributes: ['uid', 'cn', 'uidNumber', 'gidNumber', 'homeDirectory', 'loginShell', 'mail', 'description', 'shadowExpire', 'shadowLastChange',
      'pwdChangedTime', 'pwdAccountLockedTime', 'authTimestamp', 'entryUUID', 'memberOf', 'objectClass'],
  });
  const groupRows = await c.search({
    base, filter: LDAP_GROUP_FILTER, attributes: ['cn', 'gidNumber', 'memberUid', 'member', 'uniqueMember', 'entryUUID', 'objectClass', 'description'],
  });
  const byUid = new Map<string, string>();
  for (const u of userRows) for (const uid of all(u, 'uid')) byUid.set(uid, u.dn);
  const groups: DirectoryGroup[] = groupRows.map((g) => {
    const classes = all(g, 'objectclass').map((x) => x.toLowerCase());
    const uids = all(g, 'memberuid');
    return {
      dn: g.dn, name: first(g, 'cn') ?? rdnValue(g.dn), gidNumber: int(g, 'gidnumber'),
      objectClass: classes.includes('posixgroup') ? 'posixGroup' : classes.includes('groupofuniquenames') ? 'groupOfUniqueNames' : 'groupOfNames',
      // uniqueMember values may carry an optional "#'0101'B" uid (RFC 4517 3.3.21).
      members: [...all(g, 'member'), ...all(g, 'uniquemember').map((m) => m.replace(/#'[01]*'B$/, '')), ...uids.filter((u) => byUid.has(u)).map((u) => byUid.get(u)!)],
      unresolved: uids.filter((u) => !byUid.has(u)),
    };
  });
  const groupByGid = new Map(groups.filter((g) => g.gidNumber !== undefined && g.objectClass === 'posixGroup').map((g) => [g.gidNumber!, g]));
  const users: DirectoryUser[] = userRows.map((u) => {
    const shadowExpire = int(u, 'shadowexpire');
    const expired = shadowExpire !== undefined && shadowExpire >= 0 && shadowExpire <= today;
    const locked = all(u, 'pwdaccountlockedtime').length > 0;
    const gidNumber = int(u, 'gidnumber');
    const primary = gidNumber === undefined ? undefined : groupByGid.get(gidNumber);
    const shadowLastChange = int(u, 'shadowlastchange');
    const passwordLastSet = generalized(first(u, 'pwdchangedtime')) ?? (shadowLastChange && shadowLastChange > 0 ? new Date(shadowLastChange * 86_400_000).toISOString() : undefined);
    return {
      dn: u.dn, name: first(u, 'uid') ?? first(u, 'cn') ?? rdnValue(u.dn), key: first(u, 'entryuuid') ?? u.dn,
      uidNumber: int(u, 'uidnumber'), gidNumber, displayName: first(u, 'cn'),
      enabled: !expired && !locked, flags: { expired, locked },
      passwordLastSet, lastLogon: generalized(first(u, 'authtimestamp')),
      servicePrincipalNames: [],
      memberOf: [...all(u, 'memberof'), ...(primary ? [primary.dn] : [])],
      attributes: {
        homeDirectory: first(u, 'homedirectory') ?? null, loginShell: first(u, 'loginshell') ?? null, mail: first(u, 'mail') ?? null,
        description: first(u, 'description') ?? null, shadowExpire: shadowExpire ?? null, objectClass: all(u, 'objectclass'),
      },
    };
  });
  const privilegedGroups: PrivilegedGroup[] = [];
  for (const g of groups) {
    const why = extraPrivileged.some((p) => namesGroup(p, g)) ? '--privileged-group'
      : g.gidNumber === 0 ? 'gidNumber 0'
        : ADMIN_NAMES.includes(g.name.toLowerCase()) ? 'conventional administrators\' group name' : null;
    if (why) privilegedGroups.push({ dn: g.dn, name: g.name, why });
  }
  return {
    kind: 'ldap', base, domain: domainOfDn(base), users, groups, computers: [], privilegedGroups,
    searches: c.searches, notes: c.notes, incomplete: c.incomplete,
  };
}
