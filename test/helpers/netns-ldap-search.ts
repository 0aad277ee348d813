/**
 * Runs inside a lab namespace (`ip netns exec NS node netns-ldap-search.js ...`): binds with ldapts over LDAPS and
 * prints the entries of one paged search as JSON. Node cannot enter a namespace itself, so tests of servers that
 * live in one (the AD DC) run their client through this script.
 *   node netns-ldap-search.js URL BIND_DN PASSWORD BASE FILTER ATTRIBUTE...
 */
import { Client } from 'ldapts';

const [url, bindDn, password, base, filter, ...attributes] = process.argv.slice(2);
const client = new Client({ url: url!, tlsOptions: { rejectUnauthorized: false }, timeout: 10000, connectTimeout: 5000 });
try {
  await client.bind(bindDn!, password!);
  const { searchEntries } = await client.search(base!, { scope: 'sub', filter: filter!, attributes, paged: { pageSize: 200 } });
  process.stdout.write(JSON.stringify(searchEntries));
} finally {
  await client.unbind().catch(() => {});
}
