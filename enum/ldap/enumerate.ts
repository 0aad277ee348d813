/**
 * Enumerates one directory: secure connection and bind, rootDSE, the AD or generic LDAP collection, and the
 * result as an enumeration record (method `ldap`) with domain accounts, plus the inventory for the store
 * (computers) and the CLI. Never throws for what the server does: every failure is a status with notes.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { Credential } from '../../vault/credentials.js';
import type { EnumerationRecord } from '../types.js';
import { directoryAccounts, membershipGraph } from './accounts.js';
import { AD_USER_FILTER, collectActiveDirectory } from './active-directory.js';
import { Collector, isActiveDirectory, readRootDse } from './collector.js';
import { dnKey } from './codecs.js';
import { classify, DirectoryUrl, openDirectory, TlsPolicy } from './connect.js';
import type { DirectoryInventory } from './inventory.js';
import { collectLdap, LDAP_USER_FILTER } from './openldap.js';
import { namesGroup } from './membership.js';
import { first } from './search.js';

export interface DirectoryScanOptions {
  readonly url: DirectoryUrl;
  readonly credential: Credential;
  readonly policy: TlsPolicy;
  readonly timeoutMs: number;
  readonly base?: string;
  readonly privilegedGroups?: readonly string[];
}

export interface DirectoryResult {
  readonly record: EnumerationRecord;
  readonly inventory?: DirectoryInventory;
}

export async function enumerateDirectory(o: DirectoryScanOptions): Promise<DirectoryResult> {
  const started = performance.now();
  const base = { method: 'ldap' as const, port: o.url.port, credential: o.credential.name };
  const failed = (err: ProbeError, facts: Record<string, unknown> = {}): DirectoryResult => ({
    record: { ...base, status: err.status, notes: [err.message], facts: Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, { source: 'connection', value: v }])), accounts: [], elapsedMs: performance.now() - started },
  });
  let conn;
  try {
    conn = await openDirectory(o);
  } catch (err) {
    if (err instanceof ProbeError) return failed(err);
    throw err;
  }
  try {
    const rootDse = await readRootDse(conn.client);
    const collector = new Collector(conn.client);
    const ad = isActiveDirectory(rootDse);
    const inventory = ad
      ? await collectActiveDirectory(collector, rootDse!, o.base, o.privilegedGroups ?? [])
      : await collectLdap(collector, rootDse, o.base, o.privilegedGroups ?? []);
    const notes = [...conn.notes, ...inventory.notes, ...inventory.incomplete];
    for (const wanted of o.privilegedGroups ?? []) {
      if (!inventory.groups.some((g) => namesGroup(wanted, g))) {
        notes.push(`--privileged-group "${wanted}": no such group under ${inventory.base}`);
      }
    }
    const graph = membershipGraph(inventory);
    const userName = new Map(inventory.users.map((u) => [dnKey(u.dn), u.name]));
    const source = `ldap search ${ad ? AD_USER_FILTER : LDAP_USER_FILTER} under ${inventory.base}`;
    const accounts = directoryAccounts(inventory, source, graph);
    const connection = `${conn.url.text} (${conn.transport})`;
    const facts: EnumerationRecord['facts'] = {
      connection: { source: connection, value: { url: conn.url.text, transport: conn.transport, tls: conn.tls ?? null, bindAs: o.credential.username } },
      directory: {
        source: 'rootDSE',
        value: {
          kind: inventory.kind, base: inventory.base, domain: inventory.domain, netbiosName: inventory.netbiosName ?? null,
          domainSid: inventory.domainSid ?? null, dnsHostName: rootDse ? first(rootDse, 'dnshostname') ?? null : null,
          vendor: rootDse ? first(rootDse, 'vendorname') ?? null : null,
          domainFunctionality: rootDse ? first(rootDse, 'domainfunctionality') ?? null : null,
        },
      },
      groups: {
        source: `ldap groups under ${inventory.base}`,
        value: inventory.groups.map((g) => ({
          dn: g.dn, name: g.name, sid: g.sid ?? null, gidNumber: g.gidNumber ?? null, objectClass: g.objectClass, members: g.members,
          ...(g.unresolved.length ? { unresolvedMembers: g.unresolved } : {}),
          recursiveMembers: graph.membersOf(g.dn).length,
        })),
      },
      privilegedGroups: {
        source: 'well-known SIDs and names, and --privileged-group',
        value: inventory.privilegedGroups.map((g) => ({ ...g, members: graph.membersOf(g.dn).map((m) => userName.get(dnKey(m)) ?? m) })),
      },
      computers: { source: `ldap computers under ${inventory.base}`, value: inventory.computers },
      ...(inventory.policy ? { passwordPolicy: { source: inventory.policy.source, value: inventory.policy } } : {}),
      searches: { source: connection, value: inventory.searches },
    };
    return {
      record: { ...base, status: inventory.incomplete.length ? 'incomplete' : 'success', notes, facts, accounts, elapsedMs: performance.now() - started },
      inventory,
    };
  } catch (err) {
    return failed(classify(err, 'search', o), { transport: conn.transport, tls: conn.tls ?? null });
  } finally {
    await conn.close();
  }
}
