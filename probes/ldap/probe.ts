/**
 * LDAP: an anonymous read of the rootDSE (RFC 4512 5.1) through ldapts: naming contexts, the directory's DNS host
 * name, Active Directory's functional levels, vendor. No credential is sent.
 */
import { Client } from 'ldapts';
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe } from '../core/probe.js';
import { domainOfDn } from './codec.js';

const ATTRIBUTES = [
  'namingContexts', 'defaultNamingContext', 'rootDomainNamingContext', 'dnsHostName', 'serverName', 'ldapServiceName',
  'vendorName', 'vendorVersion', 'supportedLDAPVersion', 'supportedSASLMechanisms', 'domainFunctionality',
  'forestFunctionality', 'domainControllerFunctionality', 'isGlobalCatalogReady', 'objectClass', 'structuralObjectClass',
];

export const ldapProbe: Probe = {
  name: 'ldap',
  description: 'anonymous rootDSE read: naming contexts, DNS host name, functional levels, vendor',
  async run(ctx) {
    const host = ctx.host.includes(':') ? `[${ctx.host}]` : ctx.host;
    const budget = Math.max(200, ctx.remainingMs());
    const client = new Client({ url: `ldap://${host}:${ctx.port}`, timeout: budget, connectTimeout: budget });
    const onAbort = () => void client.unbind().catch(() => {});
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ATTRIBUTES, sizeLimit: 1 });
      const entry = searchEntries[0];
      if (!entry) throw new ProbeError('access-denied', 'the rootDSE is not readable anonymously');
      const evidence: Evidence[] = [];
      for (const name of ATTRIBUTES) {
        const raw = entry[name];
        const values = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
        if (values.length) evidence.push({ kind: 'attribute', name: `ldap.${name}`, value: values.join('; ') });
      }
      const dnsHostName = entry.dnsHostName ? String(entry.dnsHostName) : null;
      if (dnsHostName) evidence.push({ kind: 'hostname', name: dnsHostName.toLowerCase(), via: 'ldap dnsHostName' });
      const base = entry.defaultNamingContext ?? entry.rootDomainNamingContext;
      const domain = base ? domainOfDn(String(base)) : null;
      if (domain && entry.domainFunctionality !== undefined) evidence.push({ kind: 'domain', name: domain, via: 'ldap defaultNamingContext' });
      return { evidence };
    } catch (err) {
      if (err instanceof ProbeError) throw err;
      const message = (err as Error).message ?? String(err);
      throw new ProbeError(/timeout|timed out/i.test(message) ? 'timeout' : /ECONNREFUSED/.test(message) ? 'refused' : 'no-match', `LDAP: ${message}`);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await client.unbind().catch(() => {});
    }
  },
};
