/**
 * Directory users as accounts of kind `domain`: privileged when they reach a privileged group (directly, through
 * nested groups, or as their primary group), each reason naming the chain of groups; AD's built-in
 * administrator (RID 500) and krbtgt (RID 502) and LDAP's uidNumber 0 count too.
 */
import type { AccountObservation } from '../types.js';
import { dnKey, ridOf } from './codecs.js';
import type { DirectoryInventory, DirectoryUser } from './inventory.js';
import { MembershipGraph } from './membership.js';

const WELL_KNOWN_USERS: Record<number, string> = { 500: 'the domain\'s built-in Administrator (RID 500)', 502: 'krbtgt, whose key signs every Kerberos ticket (RID 502)' };

export interface PrivilegePath {
  readonly group: string;
  /** Account name, then each group on the way, ending with the privileged group. */
  readonly path: readonly string[];
}

export function membershipGraph(inv: DirectoryInventory): MembershipGraph {
  return new MembershipGraph(inv.groups, inv.users.flatMap((u) => u.memberOf.map((group) => ({ member: u.dn, group }))));
}

export function directoryAccounts(inv: DirectoryInventory, source: string, graph = membershipGraph(inv)): AccountObservation[] {
  const privileged = new Map(inv.privilegedGroups.map((g) => [dnKey(g.dn), g]));
  const nameOf = (dn: string) => graph.group(dn)?.name ?? dn;
  return inv.users.map((u) => {
    const reached = graph.groupsOf(u.dn);
    const paths: PrivilegePath[] = reached
      .filter((r) => privileged.has(dnKey(r.group)))
      .map((r) => ({ group: nameOf(r.group), path: [u.name, ...r.via.map(nameOf)] }));
    const reasons = paths.map((p) => (p.path.length === 2 ? `member of ${p.group}` : `member of ${p.group} through ${p.path.slice(1, -1).join(' > ')}`));
    const special = userReason(inv, u);
    if (special) reasons.unshift(special);
    const direct = u.memberOf.map(nameOf);
    return {
      kind: 'domain',
      key: u.key,
      name: u.name,
      uid: u.sid ?? (u.uidNumber !== undefined ? String(u.uidNumber) : undefined),
      privileged: reasons.length > 0,
      reasons,
      enabled: u.enabled,
      lastLogon: u.lastLogon,
      passwordLastSet: u.passwordLastSet,
      details: {
        directory: inv.kind, domain: inv.domain, dn: u.dn,
        ...(u.upn ? { upn: u.upn } : {}),
        ...(u.displayName ? { displayName: u.displayName } : {}),
        ...(u.uidNumber !== undefined ? { uidNumber: u.uidNumber } : {}),
        ...(u.gidNumber !== undefined ? { gidNumber: u.gidNumber } : {}),
        ...(u.adminCount !== undefined ? { adminCount: u.adminCount } : {}),
        servicePrincipalNames: u.servicePrincipalNames, hasSpn: u.servicePrincipalNames.length > 0,
        flags: u.flags,
        groups: direct,
        nestedGroups: reached.map((r) => nameOf(r.group)).filter((g) => !direct.includes(g)),
        privilegePaths: paths,
        ...u.attributes,
      },
      source,
    } satisfies AccountObservation;
  });
}

function userReason(inv: DirectoryInventory, u: DirectoryUser): string | null {
  if (u.sid && inv.domainSid && u.sid.startsWith(`${inv.domainSid}-`)) return WELL_KNOWN_USERS[ridOf(u.sid)] ?? null;
  if (u.uidNumber === 0) return 'uidNumber 0';
  return null;
}
