/** `surveyor lab up|down|status`: the test lab for people trying surveyor by hand (root only). */
import { DEFAULT_BUDGET_MS, DEFAULT_TAG, labDown, labStatus, labUp, parseOnly } from '../fixtures/lab/lab.js';
import { SERVERS } from '../fixtures/lab/servers/index.js';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { SurveyorError } from '../scanner/errors.js';
import { choiceOption, intOption, parseCommand } from './args.js';
import { FORMATS, renderListing, renderTable } from '../app/formats.js';

export const LAB_HELP = `usage: surveyor lab up [--only ssh,ldap,...] [--tag N] [--budget-s N]
       surveyor lab status [--tag N] [--format table|jsonl|json|csv]
       surveyor lab down [--tag N]

Starts real servers from Debian's packages on loopback addresses 127.<tag>.0.x (default tag ${DEFAULT_TAG}), each
with its own configuration and data in a temporary directory: ssh (OpenSSH), ldap (OpenLDAP), snmp (net-snmp),
http (nginx, HTTP and HTTPS), pop3 (Dovecot), rdp (xrdp), mysql (MariaDB), postgres (PostgreSQL), smb (Samba
standalone) and addc (Samba AD DC, in its own network namespace). "lab down" stops every process and removes every
address, namespace, user and directory the lab created. The credentials shown are the lab's own test accounts.
Needs root.

"lab up" waits for every server until the budget runs out (--budget-s, default ${DEFAULT_BUDGET_MS / 1000}: the whole lab,
including the AD DC's first provision, on a busy machine), reports how long each took, and prints commands that use
each server. If a server fails, the message names it, says why and shows its log; everything else the lab took is
released, and the servers' files and logs are kept in /tmp/surveyor-lab-<tag>-failed/.
`;

const OPTIONS = {
  only: { type: 'string' },
  tag: { type: 'string' },
  'budget-s': { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function credentialsText(info: ServerInfo): string {
  const parts = Object.values(info.credentials).map((c) => `${c.username}${c.password ? `/${c.password}` : ''}${c.note ? ` (${c.note})` : ''}`);
  return parts.join('; ') || '-';
}

function table(rows: ReadonlyArray<{ info: ServerInfo; ready: boolean }>): string {
  return renderTable(
    ['SERVER', 'ADDRESS', 'PORTS', 'NETNS', 'STATE', 'VERSION', 'CREDENTIALS'],
    rows.map(({ info, ready }) => [
      info.name, info.address, Object.entries(info.ports).map(([n, p]) => `${p}/${n === 'snmp' ? 'udp' : 'tcp'}`).join(','),
      info.netns ?? '-', ready ? 'ready' : 'NOT READY', info.version, credentialsText(info),
    ]),
  );
}

/** Ready-to-paste commands for each server, as the servers themselves word them. */
function usageText(rows: ReadonlyArray<{ info: ServerInfo }>): string {
  const blocks = rows.map(({ info }) => {
    const lines = SERVERS.find((s) => s.name === info.name)?.usage(info) ?? [];
    return lines.length ? `# ${info.name}: ${info.title} on ${info.address}\n${lines.join('\n')}\n` : '';
  });
  return `\nTry it (as root; surveyor is \`npx surveyor\` from the checkout):\n\n${blocks.filter(Boolean).join('\n')}`;
}

export async function labCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('lab', argv, OPTIONS);
  const action = positionals[0];
  if (values.help || !action) {
    process.stdout.write(LAB_HELP);
    return values.help ? 0 : 2;
  }
  const tag = intOption('tag', values.tag, 1, 254) ?? DEFAULT_TAG;
  const budgetS = intOption('budget-s', values['budget-s'], 1, 3600) ?? DEFAULT_BUDGET_MS / 1000;
  try {
    if (action === 'up') {
      const only = parseOnly(values.only);
      const started = performance.now();
      const state = await labUp({
        only, tag, budgetMs: budgetS * 1000,
        onReady: (info, seconds) => process.stderr.write(`lab: ${info.name} ready on ${info.address} after ${seconds.toFixed(2)} s\n`),
      });
      process.stderr.write(`lab: ${Object.keys(state.servers).length} servers up in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      const status = (await labStatus(tag)) ?? [];
      process.stdout.write(table(status) + usageText(status));
      return status.every((s) => s.ready) ? 0 : 1;
    }
    if (action === 'status') {
      const format = choiceOption('format', values.format, FORMATS, 'table');
      const status = await labStatus(tag);
      if (!status && format === 'table') {
        process.stdout.write(`no lab is up at 127.${tag}.0.0/24\n`);
        return 1;
      }
      if (format === 'table') process.stdout.write(table(status!) + usageText(status!));
      else {
        process.stdout.write(renderListing(format, {
          key: 'servers', items: status ?? [], json: (s) => ({ ...s.info, ready: s.ready }), empty: '',
          columns: [
            { name: 'name', value: (s) => s.info.name }, { name: 'title', value: (s) => s.info.title }, { name: 'address', value: (s) => s.info.address },
            { name: 'ports', value: (s) => Object.entries(s.info.ports).map(([k, v]) => `${k}=${v}`) }, { name: 'netns', value: (s) => s.info.netns },
            { name: 'ready', value: (s) => s.ready },
          ],
        }));
      }
      if (!status) return 0;
      return status.every((s) => s.ready) ? 0 : 1;
    }
    if (action === 'down') {
      const { released, problems } = await labDown(tag);
      process.stderr.write(released ? `lab: released ${released} resources\n` : `lab: no lab was up at 127.${tag}.0.0/24\n`);
      for (const p of problems) process.stderr.write(`lab: could not release ${p}\n`);
      return problems.length ? 1 : 0;
    }
    process.stderr.write(`surveyor lab: unknown action "${action}" (up, status, down)\n`);
    return 2;
  } catch (err) {
    if (err instanceof SurveyorError) throw err;
    throw new SurveyorError('runtime', (err as Error).message);
  }
}
