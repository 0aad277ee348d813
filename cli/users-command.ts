/** `surveyor users add|list|remove|passwd`: the people who may sign in to the web page (surveyor serve). */
import { addUser, checkRole, checkUserName, listUsers, removeUser, requireUser, setPassword } from '../app/users.js';
import { checkPassword } from '../app/passwords.js';
import { cliActor, journal } from '../app/journal.js';
import { FORMATS, renderListing } from '../app/formats.js';
import { InputError } from '../scanner/errors.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { choiceOption, parseCommand } from './args.js';
import { readSecret } from './secrets-input.js';

export const USERS_HELP = `usage: surveyor users add NAME --role admin|author|auditor --password-stdin [--db PATH]
       surveyor users list [--format table|jsonl|json|csv] [--db PATH]
       surveyor users passwd NAME --password-stdin [--db PATH]
       surveyor users remove NAME [--db PATH]

The people who may sign in to the web page (surveyor serve), and their role:
  auditor   reads everything (inventory, accounts, reports, rules, jobs, the journal), changes nothing
  author    also edits and dry-runs rules
  admin     also applies and undoes rules, and manages jobs, credentials, workgroups and users

--password-stdin reads the password from standard input (at a terminal: a prompt without echo; in a script: one
line), never from the command line. At least 12 characters. It is stored as an scrypt hash only. "passwd" sets a
new one and ends the user's sessions; "remove" ends them too (what the user did stays in the journal).
Every change is journaled as cli:OSUSER.

Names: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.
`;

const SUBS = ['add', 'list', 'passwd', 'remove'] as const;

export async function usersCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USERS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!(SUBS as readonly string[]).includes(sub)) throw new InputError(`users: unknown subcommand "${sub}" (${SUBS.join(', ')})`);
  const { values, positionals } = parseCommand(`users ${sub}`, rest, {
    db: { type: 'string' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USERS_HELP);
    return 0;
  }
  const only = (option: string, subs: readonly string[], given: unknown) => {
    if (given !== undefined && !subs.includes(sub)) throw new InputError(`users ${sub}: --${option} applies to users ${subs.join(' and ')}`);
  };
  only('role', ['add'], values.role);
  only('password-stdin', ['add', 'passwd'], values['password-stdin']);
  only('format', ['list'], values.format);
  const dbLocation = resolveDbLocation(values.db);
  if (sub === 'list') {
    if (positionals.length) throw new InputError(`users list: unexpected "${positionals[0]}"`);
    const format = choiceOption('format', values.format, FORMATS, 'table');
    const store = await openStore(dbLocation);
    try {
      process.stdout.write(renderListing(format, {
        key: 'users', items: await listUsers(store), json: (u) => ({ ...u }), empty: 'no users (surveyor users add NAME --role ROLE --password-stdin)',
        columns: [
          { name: 'name', value: (u) => u.name }, { name: 'role', value: (u) => u.role }, { name: 'created', value: (u) => u.createdAt },
          { name: 'password_changed', value: (u) => u.passwordChangedAt },
        ],
      }));
      return 0;
    } finally {
      await store.close();
    }
  }
  if (positionals.length !== 1) throw new InputError(`users ${sub}: give one user NAME${positionals.length ? ` (${positionals.length} given)` : ''}`);
  const name = checkUserName(positionals[0]);
  const role = sub === 'add' ? checkRole(values.role) : undefined;
  if ((sub === 'add' || sub === 'passwd') && !values['password-stdin']) throw new InputError(`users ${sub}: give --password-stdin (the password is read from standard input, never from the command line)`);
  // Everything the password can be refused for is refused before the database is opened (or made).
  const password = sub === 'add' || sub === 'passwd' ? await readSecret('password') : undefined;
  if (password !== undefined) checkPassword(password);
  const store = await openStore(dbLocation, { create: sub === 'add' });
  const actor = cliActor();
  try {
    if (sub === 'add') {
      const user = await addUser(store, { name, role: role!, password: password! });
      await journal(store, actor, 'users.add', name, 'ok', `role ${user.role}`);
      process.stderr.write(`user ${name} added (${user.role})\n`);
    } else if (sub === 'passwd') {
      await requireUser(store, name);
      await setPassword(store, name, password!);
      await journal(store, actor, 'users.passwd', name, 'ok');
      process.stderr.write(`password of ${name} set; their sessions are ended\n`);
    } else {
      await removeUser(store, name);
      await journal(store, actor, 'users.remove', name, 'ok');
      process.stderr.write(`user ${name} removed; their sessions are ended\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
