/** `surveyor creds add|list|remove|test`: the scan credential vault. */
import ssh2 from 'ssh2';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { findKey } from '../vault/key.js';
import { CREDENTIAL_TYPES, Scope, Secret, Secrets, StoredCredential, validateName } from '../vault/credentials.js';
import { InputError } from '../scanner/errors.js';
import { addCredential, NewCredential, removeCredential, testCredential } from '../app/credentials.js';
import { FORMATS, renderListing } from '../app/formats.js';
import { addressArg, choiceOption, intOption, parseCommand } from './args.js';
import { readKeyFile, readSecret } from './secrets-input.js';
import { SNMP_ONLY_OPTIONS, snmpCredentialInput } from './snmp-credential-input.js';

export const CREDS_HELP = `usage: surveyor creds add --name N --type ssh --username U (--password-stdin | --key FILE [--passphrase-stdin])
                          [--elevate sudo] --scope CIDR,...|any [--replace]
       surveyor creds add --name N --type ldap (--bind-dn DN | --username USER@DOMAIN | --username DOMAIN\\USER)
                          --password-stdin --scope CIDR,...|any [--replace]
       surveyor creds add --name N --type snmp --community-stdin --scope CIDR,...|any [--replace]
       surveyor creds add --name N --type snmp --username U --auth md5|sha|sha224|sha256|sha384|sha512 --auth-stdin
                          [--priv des|aes|aes256b|aes256r --priv-stdin] --scope CIDR,...|any [--replace]
       surveyor creds add --name N --type mysql|postgres|mssql --username U --password-stdin
                          --scope CIDR,...|any [--replace]
       surveyor creds list [--format table|jsonl|json|csv]
       surveyor creds remove NAME
       surveyor creds test NAME ADDRESS [--port N] [--timeout-ms 10000]

Scan credentials. Secrets are read from standard input or a key file, never from the command line (at a terminal,
--password-stdin and --passphrase-stdin prompt without echo, as ssh and sudo do: type it and press Enter), and stored
sealed with AES-256-GCM under the vault key: $SURVEYOR_KEY (64 hex digits or base64 of 32 bytes), else the key file
$SURVEYOR_KEY_FILE (default ~/.config/surveyor/key): yours, mode 0600, in a directory only you can write to. It is
made by the first "creds add" while no credential is stored, never after (a new key could not open the stored ones).
A secret on standard input is at most 64 KiB. The database alone reveals no secret. A credential is only sent to
addresses inside its --scope.

  --elevate sudo     run the commands that need root through "sudo -n" when the account may
  --scope LIST       addresses, CIDR blocks and ranges the credential may be sent to ("any": everywhere)
  --bind-dn DN       (ldap) the DN of a simple bind; Active Directory also takes --username user@domain
  --type mysql|postgres|mssql
                     a database login (MySQL and MariaDB; PostgreSQL; SQL Server's SQL authentication): a scan
                     logs in to the database services it finds and lists their accounts and privileges
  --replace          overwrite a credential of the same name
  --community-stdin  (snmp) an SNMPv2c community
  --auth, --priv     (snmp) an SNMPv3 user's authentication and privacy protocols; --auth-stdin and --priv-stdin
                     read their passphrases (at least 8 characters): the authentication passphrase on the first line
                     of standard input, the privacy passphrase on the second (at a terminal, two prompts)

"creds test" connects once (for ssh checking the host key pin like a scan does), authenticates with exactly one
attempt, and reports whether sudo -n works (ssh) or the server's product and version (mysql, postgres, mssql; the
port defaults to 3306, 5432 and 1433). Exit code 0 when the credential works, 1 when it does not.
All commands take --db PATH.
`;

const ADD_OPTIONS = {
  name: { type: 'string' }, type: { type: 'string' }, username: { type: 'string' }, 'password-stdin': { type: 'boolean' },
  key: { type: 'string' }, 'passphrase-stdin': { type: 'boolean' }, elevate: { type: 'string' }, scope: { type: 'string', multiple: true },
  replace: { type: 'boolean' }, db: { type: 'string' }, help: { type: 'boolean', short: 'h' }, 'bind-dn': { type: 'string' },
  'community-stdin': { type: 'boolean' }, auth: { type: 'string' }, 'auth-stdin': { type: 'boolean' }, priv: { type: 'string' }, 'priv-stdin': { type: 'boolean' },
} as const;

export async function credsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return credsAdd(rest);
  if (sub === 'list') return credsList(rest);
  if (sub === 'remove') return credsRemove(rest);
  if (sub === 'test') return credsTest(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(CREDS_HELP);
    return sub === undefined ? 2 : 0;
  }
  throw new InputError(`creds: unknown subcommand "${sub}" (add, list, remove, test)`);
}

function sshUsername(username: string | undefined, bindDn: string | undefined): string {
  if (bindDn !== undefined) throw new InputError('creds add: --bind-dn is for --type ldap');
  if (!username || /[\s:\x00-\x1f]/.test(username)) throw new InputError('creds add: give --username USER (no blanks, colons or control characters)');
  return username;
}

/** A database login name: MySQL, PostgreSQL and SQL Server names may hold blanks, but no control characters. */
function databaseUsername(type: string, username: string | undefined, bindDn: string | undefined): string {
  if (bindDn !== undefined) throw new InputError('creds add: --bind-dn is for --type ldap');
  if (!username || /[\x00-\x1f\x7f]/.test(username) || username.trim() !== username) {
    throw new InputError(`creds add: a ${type} credential needs --username LOGIN (no control characters, no blanks at an end)`);
  }
  return username;
}

/** An LDAP bind name: a DN (--bind-dn), or user@domain / DOMAIN\\user (--username), which Active Directory takes. */
function ldapIdentity(username: string | undefined, bindDn: string | undefined): string {
  if ((username === undefined) === (bindDn === undefined)) throw new InputError('creds add: an ldap credential needs exactly one of --bind-dn DN and --username USER@DOMAIN');
  const value = (bindDn ?? username)!;
  if (/[\x00-\x1f]/.test(value) || value.trim() !== value || !value) throw new InputError(`creds add: bad ${bindDn !== undefined ? '--bind-dn' : '--username'} "${value}": empty, blanks at an end, or control characters`);
  if (bindDn !== undefined && !/^[A-Za-z][\w-]*=[^,]+(,\s*[A-Za-z][\w-]*=[^,]+)*$/.test(bindDn.replace(/\\,/g, ''))) {
    throw new InputError(`creds add: bad --bind-dn "${bindDn}": expected a DN such as cn=admin,dc=example,dc=org`);
  }
  if (username !== undefined && !/^[^@\s\\]+@[^@\s]+$|^[^\\\s@]+\\[^\\\s@]+$/.test(username)) {
    throw new InputError(`creds add: bad --username "${username}" for ldap: expected user@domain or DOMAIN\\user (or give --bind-dn DN)`);
  }
  return value;
}

async function credsAdd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('creds add', argv, ADD_OPTIONS);
  if (values.help) {
    process.stdout.write(CREDS_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`creds add: unexpected "${positionals[0]}"`);
  const name = validateName(values.name);
  const type = choiceOption('type', values.type, CREDENTIAL_TYPES, 'ssh');
  const scopeTokens = (values.scope ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (type === 'snmp') return saveCredential(values, await snmpCredential(values, name, scopeTokens));
  const snmpOption = SNMP_ONLY_OPTIONS.find((o) => values[o] !== undefined);
  if (snmpOption) throw new InputError(`creds add: --${snmpOption} is for --type snmp`);
  const username = type === 'ldap' ? ldapIdentity(values.username, values['bind-dn'])
    : type === 'ssh' ? sshUsername(values.username, values['bind-dn']) : databaseUsername(type, values.username, values['bind-dn']);
  if (type === 'ldap' && (values.key !== undefined || values.elevate !== undefined)) throw new InputError('creds add: an ldap credential is a bind name and a password (--password-stdin); --key and --elevate are for ssh');
  if (type !== 'ssh' && type !== 'ldap' && (values.key !== undefined || values.elevate !== undefined || values['passphrase-stdin'])) {
    throw new InputError(`creds add: a ${type} credential is a login name and a password (--password-stdin); --key, --passphrase-stdin and --elevate are for ssh`);
  }
  const elevate = values.elevate === undefined ? null : choiceOption('elevate', values.elevate, ['sudo'] as const, 'sudo');
  Scope.parse(scopeTokens);
  const usesPassword = values['password-stdin'] === true;
  if (usesPassword === (values.key !== undefined)) throw new InputError('creds add: give exactly one of --password-stdin and --key FILE');
  if (values['passphrase-stdin'] && !values.key) throw new InputError('creds add: --passphrase-stdin goes with --key FILE');
  let secrets: Secrets;
  if (usesPassword) secrets = { password: new Secret(await readSecret('password')) };
  else {
    const privateKey = readKeyFile(values.key!);
    const passphrase = values['passphrase-stdin'] ? await readSecret('passphrase') : undefined;
    const parsed = ssh2.utils.parseKey(privateKey, passphrase);
    if (parsed instanceof Error) throw new InputError(`bad --key "${values.key}": not a private key ssh2 can use (${parsed.message.slice(0, 120)})`);
    if (Array.isArray(parsed) || !parsed.isPrivateKey()) throw new InputError(`bad --key "${values.key}": holds no private key`);
    secrets = { privateKey: new Secret(privateKey), passphrase: passphrase === undefined ? undefined : new Secret(passphrase) };
  }
  return saveCredential(values, { name, type, username, secrets, elevate, scope: scopeTokens });
}

/** An snmp credential from the options and standard input: everything else refused first. */
async function snmpCredential(values: ParsedAddOptions, name: string, scope: string[]): Promise<NewCredentialInput> {
  const other = (['password-stdin', 'key', 'passphrase-stdin', 'elevate', 'bind-dn'] as const).find((o) => values[o] !== undefined);
  if (other) throw new InputError(`creds add: --${other} is not for --type snmp (give --community-stdin, or --username, --auth and --auth-stdin)`);
  Scope.parse(scope);
  return { name, type: 'snmp', elevate: null, scope, ...(await snmpCredentialInput(values)) };
}

type ParsedAddOptions = ReturnType<typeof parseCommand<typeof ADD_OPTIONS>>['values'];
type NewCredentialInput = Omit<NewCredential, 'replace' | 'key'>;

async function saveCredential(values: ParsedAddOptions, c: NewCredentialInput): Promise<number> {
  const { name, type, username, elevate, scope: scopeTokens } = c;
  // Everything that can be refused is refused before the key file is made: the key found (not made) is checked,
  // then the database (by openStore, before it writes anything); a new key only when the store holds no
  // credential, since it could not open a stored one.
  const found = findKey();
  const store = await openStore(resolveDbLocation(values.db), { create: true });
  try {
    const { result, credential: stored, keyOrigin } = await addCredential(store, {
      ...c, replace: values.replace === true, key: found,
    });
    process.stderr.write(`credential ${name} ${result} (${type}, ${username ? `user ${username}` : 'no user'}, ${stored.auth}${elevate ? ', sudo' : ''}, scope ${scopeTokens.join(',')}; sealed with the key from ${keyOrigin})\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function publicView(c: StoredCredential): Record<string, unknown> {
  return { name: c.name, type: c.type, username: c.username, auth: c.auth, elevate: c.elevate, scope: c.scope, createdAt: c.createdAt, updatedAt: c.updatedAt };
}

async function credsList(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('creds list', argv, { db: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(CREDS_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`creds list: unexpected "${positionals[0]}"`);
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    // Names, types and scopes only: a secret never leaves the vault in any format.
    process.stdout.write(renderListing(format, {
      key: 'credentials', items: await store.listCredentials(), json: publicView, empty: 'no credentials stored',
      columns: [
        { name: 'name', value: (c) => c.name }, { name: 'type', value: (c) => c.type }, { name: 'username', value: (c) => c.username },
        { name: 'auth', value: (c) => c.auth }, { name: 'elevate', value: (c) => c.elevate }, { name: 'scope', value: (c) => (format === 'table' ? c.scope.join(',') : c.scope) },
        { name: 'created', value: (c) => c.createdAt, only: 'csv' }, { name: 'updated', value: (c) => c.updatedAt },
      ],
    }));
    return 0;
  } finally {
    await store.close();
  }
}

async function credsRemove(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('creds remove', argv, { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(CREDS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError('creds remove: give exactly one credential NAME');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    await removeCredential(store, positionals[0]!);
    process.stderr.write(`credential ${positionals[0]} removed\n`);
    return 0;
  } finally {
    await store.close();
  }
}

async function credsTest(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('creds test', argv, {
    db: { type: 'string' }, port: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(CREDS_HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new InputError('creds test: give a credential NAME and one ADDRESS');
  const name = positionals[0]!;
  const address = addressArg('creds test', positionals[1]);
  const port = intOption('port', values.port, 1, 65535);
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 100, 600_000) ?? 10_000;
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const result = await testCredential(store, { name, address, port, timeoutMs });
    if (!result.ok) {
      process.stdout.write(`${name} on ${address} port ${result.port}: ${result.status}: ${result.why}\n`);
      return 1;
    }
    if ('database' in result) {
      process.stdout.write(`${name} on ${address} port ${result.port}: success: logged in as ${result.username} to ${result.database.product} ${result.database.version}\n`);
      return 0;
    }
    const pin = result.matchedPin ? 'matches the pinned key' : 'pinned now (first use)';
    const lines = [`${name} on ${address} port ${result.port}: success: authenticated as ${result.username}`, `  host key ${result.hostKey.type} ${result.hostKey.sha256} ${pin}`];
    if (result.sudo !== undefined) lines.push(`  sudo -n: ${result.sudo ? 'works' : 'refused (collection will run without root)'}`);
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await store.close();
  }
}
