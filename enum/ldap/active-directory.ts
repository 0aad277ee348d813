/**
 * Active Directory: users, groups, computers and the domain's password and lockout policy, with the privileged
 * groups found by well-known SID ([MS-DTYP] 2.4.2.4) rather than by name, since names are localised.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { domainOfDn } from '../../probes/ldap/codec.js';
import { fileTimeToIso, filterValue, intervalSeconds, rdnValue, ridOf, sidToString, uacFlags } from './codecs.js';
import { Collector } from './collector.js';
import { namesGroup } from './membership.js';
import type { DirectoryComputer, DirectoryGroup, DirectoryInventory, DirectoryUser, PasswordPolicy, PrivilegedGroup } from './inventory.js';
import { all, first, Row } from './search.js';

/** Relative identifiers of the domain's privileged groups. */
const DOMAIN_RIDS: Record<number, string> = { 512: 'Domain Admins', 518: 'Schema Admins', 519: 'Enterprise Admins', 520: 'Group Policy Creator Owners' };
/** Privileged groups of the BUILTIN domain. */
const BUILTIN_SIDS: Record<string, string> = {
  'S-1-5-32-544': 'Administrators', 'S-1-5-32-548': 'Account Operators', 'S-1-5-32-549': 'Server Operators',
  'S-1-5-32-550': 'Print Operators', 'S-1-5-32-551': 'Backup Operators',
};
/** Privileged groups without a fixed SID (DnsAdmins), or with the forest root's SID seen from a child domain. */
const BY_NAME = ['DnsAdmins', 'Enterprise Admins', 'Schema Admins'];

const USER_ATTRIBUTES = [
  'sAMAccountName', 'userPrincipalName', 'objectSid', 'userAccountControl', 'pwdLastSet', 'lastLogonTimestamp', 'adminCount',
  'servicePrincipalName', 'memberOf', 'primaryGroupID', 'displayName', 'description', 'accountExpires', 'whenCreated', 'lockoutTime',
];
export const AD_USER_FILTER = '(&(objectCategory=person)(objectClass=user))';

function sidOf(row: Row): string | undefined {
  const raw = row.binary.get('objectsid')?.[0];
  if (!raw) return undefined;
  try {
    return sidToString(raw);
  } catch (err) {
    if (err instanceof ProbeError) return undefined; // a malformed SID: the entry keeps its DN as key
    throw err;
  }
}

function num(row: Row, name: string): number | null {
  const v = first(row, name);
  return v === undefined || !/^-?\d+$/.test(v) ? null : Number(v);
}

function days(seconds: number | null): number | null {
  return seconds === null ? null : Math.round((seconds / 86400) * 100) / 100;
}

function minutes(seconds: number | null): number | null {
  return seconds === null ? null : Math.round((seconds / 60) * 100) / 100;
}

export async function collectActiveDirectory(c: Collector, rootDse: Row, baseOption: string | undefined, extraPrivileged: readonly string[]): Promise<DirectoryInventory> {
  const base = baseOption ?? first(rootDse, 'defaultnamingcontext');
  if (!base) throw new ProbeError('protocol-error', 'the rootDSE names no defaultNamingContext; give --base');
  const head = (await c.search({
    base, scope: 'base', filter: '(objectClass=*)', binary: ['objectSid'],
    attributes: ['objectSid', 'minPwdLength', 'pwdHistoryLength', 'maxPwdAge', 'minPwdAge', 'pwdProperties', 'lockoutThreshold', 'lockoutDuration', 'lockOutObservationWindow'],
  }))[0];
  if (!head) throw new ProbeError('access-denied', `the base ${base} is not readable with this credential`);
  const domainSid = sidOf(head);
  const config = first(rootDse, 'configurationnamingcontext');
  const partitions = config
    ? await c.optional({ base: `CN=Partitions,${config}`, scope: 'one', filter: `(&(objectClass=crossRef)(nCName=${filterValue(base)}))`, attributes: ['nETBIOSName'] }, 'the NetBIOS domain name')
    : [];
  const netbiosName = partitions[0] ? first(partitions[0], 'netbiosname') : undefined;

  const [userRows, groupRows, computerRows, psoRows] = [
    await c.search({ base, filter: AD_USER_FILTER, attributes: USER_ATTRIBUTES, binary: ['objectSid'] }),
    await c.search({ base, filter: '(objectClass=group)', attributes: ['sAMAccountName', 'objectSid', 'member', 'groupType', 'description'], binary: ['objectSid'] }),
    await c.search({
      base, filter: '(objectClass=computer)', binary: ['objectSid'],
      attributes: ['sAMAccountName', 'dNSHostName', 'operatingSystem', 'operatingSystemVersion', 'lastLogonTimestamp', 'objectSid', 'userAccountControl'],
    }),
    await c.optional({
      base: `CN=Password Settings Container,CN=System,${base}`, scope: 'one', filter: '(objectClass=msDS-PasswordSettings)',
      attributes: ['cn', 'msDS-PasswordSettingsPrecedence', 'msDS-MinimumPasswordLength', 'msDS-MaximumPasswordAge', 'msDS-LockoutThreshold', 'msDS-PSOAppliesTo'],
    }, 'fine-grained password policies'),
  ];

  const groups: DirectoryGroup[] = groupRows.map((g) => ({
    dn: g.dn, name: first(g, 'samaccountname') ?? rdnValue(g.dn), sid: sidOf(g), objectClass: 'group', members: all(g, 'member'), unresolved: [],
  }));
  const groupBySid = new Map(groups.filter((g) => g.sid).map((g) => [g.sid!, g]));
  const users: DirectoryUser[] = userRows.map((u) => {
    const uac = num(u, 'useraccountcontrol') ?? 0;
    const flags = uacFlags(uac);
    const sid = sidOf(u);
    const primary = num(u, 'primarygroupid');
    const primaryGroup = primary !== null && domainSid ? groupBySid.get(`${domainSid}-${primary}`) : undefined;
    const adminCount = num(u, 'admincount');
    return {
      dn: u.dn, name: first(u, 'samaccountname') ?? rdnValue(u.dn), key: sid ?? u.dn, sid, upn: first(u, 'userprincipalname'),
      displayName: first(u, 'displayname'), enabled: !flags.disabled, flags,
      passwordLastSet: fileTimeToIso(first(u, 'pwdlastset')) ?? undefined, lastLogon: fileTimeToIso(first(u, 'lastlogontimestamp')) ?? undefined,
      ...(adminCount !== null ? { adminCount } : {}),
      servicePrincipalNames: all(u, 'serviceprincipalname'),
      memberOf: [...all(u, 'memberof'), ...(primaryGroup ? [primaryGroup.dn] : [])],
      attributes: {
        userAccountControl: uac, primaryGroupId: primary, description: first(u, 'description') ?? null,
        accountExpires: fileTimeToIso(first(u, 'accountexpires')), lockoutTime: fileTimeToIso(first(u, 'lockouttime')),
        whenCreated: first(u, 'whencreated') ?? null, mustChangePassword: first(u, 'pwdlastset') === '0',
      },
    };
  });
  const computers: DirectoryComputer[] = computerRows.map((r) => {
    const sid = sidOf(r);
    return {
      dn: r.dn, key: sid ?? r.dn, name: (first(r, 'samaccountname') ?? rdnValue(r.dn)).replace(/\$$/, ''), sid,
      dnsHostName: first(r, 'dnshostname')?.toLowerCase(), operatingSystem: first(r, 'operatingsystem'),
      operatingSystemVersion: first(r, 'operatingsystemversion'), lastLogon: fileTimeToIso(first(r, 'lastlogontimestamp')) ?? undefined,
      enabled: ((num(r, 'useraccountcontrol') ?? 0) & 0x2) === 0,
    };
  });

  const privilegedGroups: PrivilegedGroup[] = [];
  for (const g of groups) {
    const rid = g.sid ? ridOf(g.sid) : NaN;
    const why = g.sid && domainSid && g.sid === `${domainSid}-${rid}` && DOMAIN_RIDS[rid] ? `well-known RID ${rid}`
      : g.sid && BUILTIN_SIDS[g.sid] ? `well-known SID ${g.sid}`
        : BY_NAME.some((n) => n.toLowerCase() === g.name.toLowerCase()) ? 'well-known name'
          : extraPrivileged.some((p) => namesGroup(p, g)) ? '--privileged-group' : null;
    if (why) privilegedGroups.push({ dn: g.dn, name: g.name, why });
  }
  const policy = policyOf(head, psoRows);
  return {
    kind: 'active-directory', base, domain: domainOfDn(base), netbiosName, domainSid, users, groups, computers, policy, privilegedGroups,
    searches: c.searches, notes: c.notes, incomplete: c.incomplete,
  };
}

function policyOf(head: Row, psos: readonly Row[]): PasswordPolicy {
  const props = num(head, 'pwdproperties');
  return {
    minLength: num(head, 'minpwdlength'),
    historyLength: num(head, 'pwdhistorylength'),
    maxAgeDays: days(intervalSeconds(first(head, 'maxpwdage'))),
    minAgeDays: days(intervalSeconds(first(head, 'minpwdage'))),
    complexity: props === null ? null : (props & 1) !== 0,
    reversibleEncryption: props === null ? null : (props & 16) !== 0,
    lockoutThreshold: num(head, 'lockoutthreshold'),
    lockoutDurationMinutes: minutes(intervalSeconds(first(head, 'lockoutduration'))),
    lockoutWindowMinutes: minutes(intervalSeconds(first(head, 'lockoutobservationwindow'))),
    fineGrained: psos.map((p) => ({
      name: first(p, 'cn') ?? rdnValue(p.dn), precedence: num(p, 'msds-passwordsettingsprecedence'),
      minLength: num(p, 'msds-minimumpasswordlength'), maxAgeDays: days(intervalSeconds(first(p, 'msds-maximumpasswordage'))),
      lockoutThreshold: num(p, 'msds-lockoutthreshold'), appliesTo: [...all(p, 'msds-psoappliesto')],
    })),
    source: `domain object ${head.dn}`,
  };
}
