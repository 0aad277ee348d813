/** `surveyor directory scan|computers`: LDAP enumeration of Active Directory and OpenLDAP, and its computers. */
import { DirectoryUrl, parseDirectoryUrl, tlsPolicy } from '../enum/ldap/connect.js';
import type { DirectoryInventory } from '../enum/ldap/inventory.js';
import type { EnumerationRecord } from '../enum/types.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import type { DirectoryComputerRecord } from '../store/store.js';
import { InputError } from '../scanner/errors.js';
import { isIP } from 'node:net';
import { directoryAddress, runDirectoryScan } from '../app/directory-scan.js';
import { FORMATS, renderListing, renderTable, SCHEMA_VERSION } from '../app/formats.js';
import { choiceOption, intOption, parseCommand } from './args.js';

export const DIRECTORY_HELP = `usage: surveyor directory scan ldap[s]://HOST[:PORT] --creds NAME [--base DN] [--ca-file PEM] [--pin-sha256 HEX]
                                [--tls-name NAME] [--allow-plaintext-bind] [--privileged-group NAME]...
                                [--timeout-ms 30000] [--no-resolve] [--format table|json] [--db PATH]
       surveyor directory computers [--domain DOMAIN] [--format table|jsonl|json|csv] [--db PATH]

Reads a directory with an ldap credential (surveyor creds add --type ldap): users, groups with nested membership,
privileged groups with each member's path into them, computers and (Active Directory) the password and lockout
policy. Users are stored as accounts of kind "domain" on the directory server's asset (surveyor accounts --kind
domain); computers whose DNS names resolve become assets, not yet scanned (surveyor scan --from-directory).
"directory scan" prints its one result as a table or json; the accounts it found are then listed by
"surveyor accounts --kind domain" and its computers by "directory computers", in any of the four formats.

The password is only sent over TLS: ldaps://, or StartTLS on ldap://. The certificate must chain to the system's
CAs (or --ca-file) and carry the host name (or --tls-name), unless --pin-sha256 pins it. A server that offers no TLS
gets no password unless --allow-plaintext-bind is given.

  --base DN                 search base (default: the rootDSE's defaultNamingContext or first naming context)
  --ca-file PEM             trust these CA certificates instead of the system's
  --pin-sha256 HEX          trust exactly this certificate (SHA-256 fingerprint, colons optional)
  --tls-name NAME           the name the certificate must carry when HOST is an address
  --allow-plaintext-bind    bind in clear when the server offers no TLS (the password crosses the network readable)
  --privileged-group NAME   also treat this group (name or DN) as privileged; repeatable
  --no-resolve              do not look up the computers' DNS names (no assets are created for them)

Exit codes: 0 enumerated, 1 the directory refused or failed (the status says why; stored), 2 bad input.
`;

export async function directoryCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'scan') return directoryScan(rest);
  if (sub === 'computers') return directoryComputers(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(DIRECTORY_HELP);
    return sub === undefined ? 2 : 0;
  }
  throw new InputError(`directory: unknown subcommand "${sub}" (scan, computers)`);
}

async function directoryScan(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('directory scan', argv, {
    creds: { type: 'string' }, base: { type: 'string' }, 'ca-file': { type: 'string' }, 'pin-sha256': { type: 'string' },
    'tls-name': { type: 'string' }, 'allow-plaintext-bind': { type: 'boolean' }, 'privileged-group': { type: 'string', multiple: true },
    'timeout-ms': { type: 'string' }, 'no-resolve': { type: 'boolean' }, format: { type: 'string' }, db: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(DIRECTORY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError('directory scan: give exactly one ldap://HOST or ldaps://HOST URL');
  const url = parseDirectoryUrl(positionals[0]!);
  if (!values.creds) throw new InputError('directory scan: give --creds NAME (an ldap credential, see surveyor creds add --type ldap)');
  const format = choiceOption('format', values.format, ['table', 'json'] as const, 'table');
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 100, 3_600_000) ?? 30_000;
  if (values['tls-name'] !== undefined && !/^[A-Za-z0-9.-]{1,253}$/.test(values['tls-name'])) throw new InputError(`bad --tls-name "${values['tls-name']}": expected a DNS name`);
  const policy = tlsPolicy({
    caFile: values['ca-file'], pinSha256: values['pin-sha256'], allowPlaintextBind: values['allow-plaintext-bind'] === true,
    serverName: values['tls-name'] ?? (isIP(url.host) ? undefined : url.host),
  });
  const address = await directoryAddress(url);
  const store = await openStore(resolveDbLocation(values.db), { create: true });
  try {
    const { scanId, record, inventory, computers, ok } = await runDirectoryScan(store, {
      url, address, credential: values.creds, policy, caFile: values['ca-file'], timeoutMs, base: values.base,
      privilegedGroups: values['privileged-group'] ?? [], resolve: values['no-resolve'] !== true,
    });
    if (format === 'json') process.stdout.write(JSON.stringify(scanJson(scanId, url, address, record, computers), null, 2) + '\n');
    else process.stdout.write(scanTable(scanId, url, address, record, inventory, computers));
    process.stderr.write(`directory scan ${scanId}: ${record.status} in ${(record.elapsedMs / 1000).toFixed(2)} s; stored in ${store.location}\n`);
    return ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

function scanJson(scanId: number, url: DirectoryUrl, address: string, record: EnumerationRecord, computers: readonly DirectoryComputerRecord[]): Record<string, unknown> {
  const value = (name: string) => record.facts[name]?.value ?? null;
  return {
    schema: SCHEMA_VERSION, scan: scanId, url: url.text, address, status: record.status, notes: record.notes, elapsedMs: Math.round(record.elapsedMs),
    connection: value('connection'), directory: value('directory'), passwordPolicy: value('passwordPolicy'),
    privilegedGroups: value('privilegedGroups'), groups: value('groups'), searches: value('searches'),
    accounts: record.accounts, computers,
  };
}

function scanTable(scanId: number, url: DirectoryUrl, address: string, record: EnumerationRecord, inv: DirectoryInventory | undefined, computers: readonly DirectoryComputerRecord[]): string {
  const lines: string[] = [];
  const conn = record.facts.connection?.value as { transport: string; tls: { subject: string; sha256: string; trustedBy: string } | null } | undefined;
  const rows: string[][] = [['scan', String(scanId)], ['directory', `${url.text} (${address})`], ['status', record.status]];
  if (conn) rows.push(['connection', conn.tls ? `${conn.transport}, certificate ${conn.tls.subject} trusted by ${conn.tls.trustedBy}` : conn.transport]);
  if (inv) {
    rows.push(['kind', `${inv.kind}${inv.domain ? ` ${inv.domain}` : ''}${inv.netbiosName ? ` (${inv.netbiosName})` : ''}, base ${inv.base}`]);
    rows.push(['users', `${inv.users.length} (${inv.users.filter((u) => !u.enabled).length} disabled), ${record.accounts.filter((a) => a.privileged).length} privileged`]);
    rows.push(['groups', `${inv.groups.length}, ${inv.privilegedGroups.length} privileged`]);
    rows.push(['computers', `${computers.length}, ${computers.filter((c) => c.address).length} resolved`]);
    const p = inv.policy;
    if (p) rows.push(['policy', `min length ${p.minLength ?? '?'}, history ${p.historyLength ?? '?'}, max age ${p.maxAgeDays ?? 'never'} d, complexity ${p.complexity ? 'on' : 'off'}, lockout ${p.lockoutThreshold ? `after ${p.lockoutThreshold} for ${p.lockoutDurationMinutes ?? '?'} min` : 'off'}${p.fineGrained.length ? `, ${p.fineGrained.length} fine-grained` : ''}`]);
  }
  rows.push(['time', `${(record.elapsedMs / 1000).toFixed(2)} s`]);
  lines.push(renderTable(['DIRECTORY', ''], rows));
  for (const n of record.notes) lines.push(`note: ${n}\n`);
  const privileged = record.accounts.filter((a) => a.privileged);
  if (privileged.length) {
    lines.push('\n' + renderTable(['PRIVILEGED', 'ENABLED', 'WHY'], privileged.map((a) => [a.name, a.enabled === false ? 'no' : 'yes', a.reasons.join('; ')])));
  }
  return lines.join('');
}

async function directoryComputers(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('directory computers', argv, {
    domain: { type: 'string' }, format: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(DIRECTORY_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`directory computers: unexpected "${positionals[0]}"`);
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    process.stdout.write(renderListing(format, {
      key: 'computers', items: await store.listDirectoryComputers(values.domain), json: (c) => ({ ...c }),
      empty: 'no directory computers stored (run surveyor directory scan)',
      columns: [
        { name: 'domain', value: (c) => c.domain }, { name: 'name', value: (c) => c.name }, { name: 'dns_host_name', value: (c) => c.dnsHostName },
        { name: 'address', value: (c) => c.address ?? (format === 'table' ? 'unresolved' : null) },
        { name: 'os', value: (c) => [c.operatingSystem, c.operatingSystemVersion].filter(Boolean).join(' '), only: 'table' },
        { name: 'operating_system', value: (c) => c.operatingSystem, only: 'csv' }, { name: 'operating_system_version', value: (c) => c.operatingSystemVersion, only: 'csv' },
        { name: 'enabled', value: (c) => (format === 'table' ? (c.enabled ? 'yes' : 'no') : c.enabled) },
        { name: 'last_logon', value: (c) => (format === 'table' ? c.lastLogon?.slice(0, 19) : c.lastLogon) },
        { name: 'dn', value: (c) => c.dn, only: 'csv' }, { name: 'last_seen', value: (c) => c.lastSeen, only: 'csv' },
      ],
    }));
    return 0;
  } finally {
    await store.close();
  }
}
