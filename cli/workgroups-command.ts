/** `surveyor workgroups add|list`: the sites whose scanner nodes rotate the accounts onboarded into them. */
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { InputError } from '../scanner/errors.js';
import { addWorkgroup, checkWorkgroup } from '../app/workgroups.js';
import { FORMATS, renderListing } from '../app/formats.js';
import { choiceOption, parseCommand } from './args.js';

export const WORKGROUPS_HELP = `usage: surveyor workgroups add NAME --site SITE [--description TEXT] [--db PATH]
       surveyor workgroups list [--format table|jsonl|json|csv] [--db PATH]

A workgroup names the site whose scanner nodes will rotate the accounts onboarded into it. A rule's onboard
action must name an existing workgroup: rule files naming another one are refused before anything is applied.
`;

export async function workgroupsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(WORKGROUPS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'add' && sub !== 'list') throw new InputError(`workgroups: unknown subcommand "${sub}" (add, list)`);
  const { values, positionals } = parseCommand(`workgroups ${sub}`, rest, {
    db: { type: 'string' }, format: { type: 'string' }, site: { type: 'string' }, description: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(WORKGROUPS_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, FORMATS, 'table');
  if (sub === 'add') {
    const name = positionals[0];
    if (positionals.length !== 1 || !name) throw new InputError('workgroups add: give one workgroup NAME');
    checkWorkgroup(name, values.site);
  } else if (positionals.length) throw new InputError(`workgroups list: unexpected "${positionals[0]}"`);
  const store = await openStore(resolveDbLocation(values.db), { create: sub === 'add' });
  try {
    if (sub === 'add') {
      const { site } = await addWorkgroup(store, { name: positionals[0]!, site: values.site!, description: values.description });
      process.stdout.write(`workgroup ${positionals[0]} added (site ${site})\n`);
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
