/** `surveyor hostkeys list|accept`: the SSH host keys pinned on first use, and accepting a changed one. */
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { InputError } from '../scanner/errors.js';
import { acceptHostKeys } from '../app/hostkeys.js';
import { FORMATS, renderListing } from '../app/formats.js';
import { addressArg, choiceOption, intOption, parseCommand } from './args.js';

export const HOSTKEYS_HELP = `usage: surveyor hostkeys list [--format table|jsonl|json|csv] [--db PATH]
       surveyor hostkeys accept ADDRESS [--port N] [--db PATH]

SSH host keys are pinned the first time surveyor connects with a credential. When a server later shows another
key, the credential is not sent, the scan reports "hostkey-changed", and the new key is kept as "offered".
"accept" makes the offered key the pinned one (after you have checked it is expected).
`;

export async function hostkeysCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(HOSTKEYS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'list' && sub !== 'accept') throw new InputError(`hostkeys: unknown subcommand "${sub}" (list, accept)`);
  const { values, positionals } = parseCommand(`hostkeys ${sub}`, rest, {
    db: { type: 'string' }, format: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HOSTKEYS_HELP);
    return 0;
  }
  const store = await openStore(resolveDbLocation(values.db));
  try {
    if (sub === 'list') {
      const format = choiceOption('format', values.format, FORMATS, 'table');
      process.stdout.write(renderListing(format, {
        key: 'hostKeys', items: await store.listHostKeys(), json: (p) => ({ ...p }), empty: 'no host keys pinned',
        columns: [
          { name: 'address', value: (p) => p.address }, { name: 'port', value: (p) => p.port }, { name: 'type', value: (p) => p.algorithm },
          { name: 'pinned', value: (p) => p.sha256 }, { name: 'last_seen', value: (p) => p.lastSeen },
          { name: 'offered (changed)', value: (p) => (p.offered ? `${p.offered.algorithm} ${p.offered.sha256} at ${p.offered.at}` : null), only: 'table' },
          { name: 'offered_type', value: (p) => p.offered?.algorithm, only: 'csv' }, { name: 'offered_sha256', value: (p) => p.offered?.sha256, only: 'csv' },
          { name: 'offered_at', value: (p) => p.offered?.at, only: 'csv' },
        ],
      }));
      return 0;
    }
    if (positionals.length > 1) throw new InputError('hostkeys accept: give exactly one ADDRESS');
    const address = addressArg('hostkeys accept', positionals[0]);
    const port = intOption('port', values.port, 1, 65535);
    const changes = await acceptHostKeys(store, address, port);
    for (const c of changes) {
      process.stdout.write(`${c.after.address} port ${c.after.port}: pinned ${c.after.algorithm} ${c.after.sha256} (was ${c.before.algorithm} ${c.before.sha256})\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
