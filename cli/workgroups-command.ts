/** `surveyor workgroups add|list|move-accounts`: the sites whose scanner nodes rotate the accounts onboarded into them. */
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { InputError } from '../scanner/errors.js';
import { addWorkgroup, checkMove, checkWorkgroup, moveAccounts, MoveResult } from '../app/workgroups.js';
import { FORMATS, renderListing, renderTable, SCHEMA_VERSION } from '../app/formats.js';
import { choiceOption, parseCommand } from './args.js';

export const WORKGROUPS_HELP = `usage: surveyor workgroups add NAME --site SITE [--description TEXT] [--db PATH]
       surveyor workgroups list [--format table|jsonl|json|csv] [--db PATH]
       surveyor workgroups move-accounts FROM TO [--dry-run] [--format table|json] [--db PATH]

A workgroup names the site whose scanner nodes will rotate the accounts onboarded into it. A rule's onboard
action must name an existing workgroup: rule files naming another one are refused before anything is applied.

move-accounts  when the site of workgroup FROM is lost: moves every account managed in FROM to workgroup TO (its
               policy, schedule and rule unchanged), as a rule run of its own with one journal entry per account.
               Prints the accounts moved and the run; "surveyor rules undo RUN" moves them back. Rule runs after it
               leave the moved accounts in TO while their rule names FROM (edit the rules to name TO, so that
               accounts onboarded from now on go there too). --dry-run lists them and writes nothing.
`;

const SUBCOMMANDS = ['add', 'list', 'move-accounts'];

function moveOutput(json: boolean, r: MoveResult): string {
  if (json) {
    return JSON.stringify({ schema: SCHEMA_VERSION, runId: r.runId, dryRun: r.dryRun, from: r.from, to: r.to, moved: r.accounts.length, accounts: r.accounts }, null, 2) + '\n';
  }
  if (!r.accounts.length) return `no managed accounts in workgroup ${r.from}: nothing moved, no run written\n`;
  const table = renderTable(['ADDRESS', 'ACCOUNT', 'FROM', 'TO'], r.accounts.map((a) => [a.address, a.account, r.from, r.to]));
  const n = r.accounts.length;
  return table + (r.runId === null
    ? `dry run (nothing written): ${n} managed account(s) would move from ${r.from} to ${r.to}\n`
    : `moved ${n} managed account(s) from ${r.from} to ${r.to}: rule run ${r.runId} (undo with: surveyor rules undo ${r.runId})\n`);
}

export async function workgroupsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(WORKGROUPS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!SUBCOMMANDS.includes(sub)) throw new InputError(`workgroups: unknown subcommand "${sub}" (${SUBCOMMANDS.join(', ')})`);
  const { values, positionals } = parseCommand(`workgroups ${sub}`, rest, {
    db: { type: 'string' }, format: { type: 'string' }, site: { type: 'string' }, description: { type: 'string' }, 'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(WORKGROUPS_HELP);
    return 0;
  }
  if (values['dry-run'] && sub !== 'move-accounts') throw new InputError(`workgroups ${sub}: --dry-run applies to move-accounts`);
  if (sub === 'add') {
    const name = positionals[0];
    if (positionals.length !== 1 || !name) throw new InputError('workgroups add: give one workgroup NAME');
    checkWorkgroup(name, values.site);
  } else if (sub === 'move-accounts') {
    if (positionals.length !== 2) throw new InputError(`workgroups move-accounts: give two workgroups, FROM and TO (${positionals.length} given)`);
    checkMove(positionals[0]!, positionals[1]!);
  } else if (positionals.length) throw new InputError(`workgroups list: unexpected "${positionals[0]}"`);
  // A move's result is one document (table or json), as a rule run's is; the list is a listing in all four formats.
  const format = sub === 'move-accounts' ? choiceOption('format', values.format, ['table', 'json'] as const, 'table') : choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db), { create: sub === 'add' });
  try {
    if (sub === 'add') {
      const { site } = await addWorkgroup(store, { name: positionals[0]!, site: values.site!, description: values.description });
      process.stdout.write(`workgroup ${positionals[0]} added (site ${site})\n`);
      return 0;
    }
    if (sub === 'move-accounts') {
      process.stdout.write(moveOutput(format === 'json', await moveAccounts(store, positionals[0]!, positionals[1]!, { dryRun: values['dry-run'] })));
      return 0;
    }
    process.stdout.write(renderListing(format, {
      key: 'workgroups', items: await store.listWorkgroups(), json: (g) => ({ ...g }), empty: 'no workgroups (surveyor workgroups add NAME --site SITE)',
      columns: [
        { name: 'name', value: (g) => g.name }, { name: 'site', value: (g) => g.site }, { name: 'managed', value: (g) => g.managed },
        { name: 'created', value: (g) => g.createdAt }, { name: 'description', value: (g) => g.description },
      ],
    }));
    return 0;
  } finally {
    await store.close();
  }
}
