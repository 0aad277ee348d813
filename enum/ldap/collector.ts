/** Runs the searches of one collection and keeps their counts, timings and limits for the record. */
import type { Client } from 'ldapts';
import { Row, searchAll, SearchSpec } from './search.js';

export class Collector {
  readonly searches: Array<{ base: string; filter: string; entries: number; ms: number }> = [];
  readonly notes: string[] = [];
  readonly incomplete: string[] = [];
  readonly #referrals = new Set<string>();

  constructor(readonly client: Client) {}

  async search(spec: SearchSpec): Promise<Row[]> {
    const started = performance.now();
    const out = await searchAll(this.client, spec);
    this.searches.push({ base: spec.base, filter: spec.filter, entries: out.rows.length, ms: Math.round(performance.now() - started) });
    const fresh = [...new Set(out.references)].filter((r) => !this.#referrals.has(r));
    for (const r of fresh) this.#referrals.add(r);
    if (fresh.length) this.notes.push(`referral(s) under ${spec.base} not followed (other partitions or servers): ${fresh.slice(0, 5).join(' ')}${fresh.length > 5 ? ` and ${fresh.length - 5} more` : ''}`);
    if (out.incomplete) this.incomplete.push(out.incomplete);
    return out.rows;
  }

  /** A search whose failure is a note, not the end of the collection (optional data such as policies). */
  async optional(spec: SearchSpec, what: string): Promise<Row[]> {
    try {
      return await this.search(spec);
    } catch (err) {
      this.notes.push(`${what} could not be read: ${(err as Error).message.split('\n')[0]}`);
      return [];
    }
  }
}

export async function readRootDse(client: Client): Promise<Row | undefined> {
  const rows = await searchAll(client, {
    base: '', scope: 'base', filter: '(objectClass=*)',
    attributes: ['namingContexts', 'defaultNamingContext', 'rootDomainNamingContext', 'configurationNamingContext', 'dnsHostName',
      'domainFunctionality', 'forestFunctionality', 'domainControllerFunctionality', 'supportedCapabilities', 'vendorName', 'vendorVersion',
      'supportedControl', 'supportedExtension'],
  });
  return rows.rows[0];
}

/** Active Directory answers with its functional levels or its capability OID (LDAP_CAP_ACTIVE_DIRECTORY_OID). */
export function isActiveDirectory(rootDse: Row | undefined): boolean {
  if (!rootDse) return false;
  return (rootDse.attrs.get('domainfunctionality') ?? []).length > 0 || (rootDse.attrs.get('supportedcapabilities') ?? []).includes('1.2.840.113556.1.4.800');
}
