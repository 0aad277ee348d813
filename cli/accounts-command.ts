/** `surveyor accounts`: the accounts credentialed enumerations found, privileged ones marked with why. */
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { ACCOUNT_KINDS, AccountView } from '../model/account.js';
import { InputError } from '../scanner/errors.js';
import { addressArg, choiceOption, FORMATS, parseCommand } from './args.js';
import { csvField, renderTable, SCHEMA_VERSION } from '../app/formats.js';
import { noScanNote } from '../app/assets.js';

export const ACCOUNTS_HELP = `usage: surveyor accounts [--privileged] [--asset ADDRESS] [--kind local|ssh-key|domain|database] [--all]
                        [--format table|jsonl|json|csv] [--db PATH]

Accounts found by credentialed enumeration: local accounts, SSH keys (one per authorized key, named for the
account it logs in as), domain accounts, and database accounts (MySQL/MariaDB user@host, PostgreSQL roles, SQL Server
logins). --privileged keeps the privileged ones (uid 0, sudo rights, an admin group, a privileged directory group,
database privileges such as SUPER, SUPERUSER or sysadmin), with the reason. --all adds accounts the latest
enumeration of their asset no longer saw.
`;

const CSV_HEADER = 'address,kind,name,uid,privileged,reasons,enabled,last_logon,password_last_set,credential,first_seen,last_seen,current';

function json(a: AccountView): Record<string, unknown> {
  return { schema: SCHEMA_VERSION, ...a };
}

export async function accountsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('accounts', argv, {
    privileged: { type: 'boolean' }, asset: { type: 'string' }, kind: { type: 'string' }, all: { type: 'boolean' },
    format: { type: 'string' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(ACCOUNTS_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`accounts: unexpected "${positionals[0]}"`);
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const kind = values.kind === undefined ? undefined : choiceOption('kind', values.kind, ACCOUNT_KINDS, 'local');
  if (values.asset !== undefined) addressArg('bad --asset', values.asset);
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const accounts = (await store.listAccounts({ privileged: values.privileged, address: values.asset, includeGone: values.all }))
      .filter((a) => kind === undefined || a.kind === kind);
    process.stderr.write(await noScanNote(store) ?? '');
    const out = (t: string) => process.stdout.write(t);
    if (format === 'json') out(JSON.stringify({ schema: SCHEMA_VERSION, accounts: accounts.map(json) }, null, 2) + '\n');
    else if (format === 'jsonl') for (const a of accounts) out(JSON.stringify(json(a)) + '\n');
    else if (format === 'csv') {
      out(CSV_HEADER + '\n');
      for (const a of accounts) {
        out([a.address, a.kind, a.name, a.uid ?? '', a.privileged, a.reasons.join('; '), a.enabled ?? '', a.lastLogon ?? (a.neverLoggedOn ? 'never' : ''), a.passwordLastSet ?? '',
          a.credential ?? '', a.firstSeen, a.lastSeen, a.current].map((v) => csvField(String(v))).join(',') + '\n');
      }
    } else if (!accounts.length) out('no accounts stored (scan with --creds to enumerate accounts)\n');
    else {
      out(renderTable(['ADDRESS', 'KIND', 'NAME', 'UID', 'ENABLED', 'LAST_LOGON', 'PRIVILEGED (WHY)'], accounts.map((a) => [
        a.address, a.kind, a.kind === 'ssh-key' ? `${a.name} ${String(a.details.fingerprint ?? '')}` : a.name, a.uid ?? '-',
        a.kind === 'ssh-key' ? '-' : a.enabled === null ? '?' : a.enabled ? 'yes' : 'no',
        a.kind === 'ssh-key' ? '-' : a.lastLogon?.slice(0, 19) ?? (a.neverLoggedOn ? 'never' : 'unknown'),
        a.privileged ? `yes: ${a.reasons.join('; ')}` : 'no',
      ])));
    }
    return 0;
  } finally {
    await store.close();
  }
}
