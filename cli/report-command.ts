/** `surveyor report NAME`: the auditors' reports, to stdout or to a file written whole (never half a report). */
import { buildReport, REPORTS } from '../app/reports.js';
import { noScanNote } from '../app/assets.js';
import { renderReport, REPORT_FORMATS } from '../app/report-render.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { InputError } from '../scanner/errors.js';
import { didYouMean } from '../onboarding/suggest.js';
import { choiceOption, intOption, parseCommand } from './args.js';
import { AtomicOutput, checkOutputPath } from './output-file.js';

export const REPORT_HELP = `usage: surveyor report NAME [--format table|csv|json|html] [--output FILE] [--days N] [--name GLOB] [--db PATH]

Reports for auditors, from the stored data:
  unmanaged   privileged accounts not onboarded: why privileged, enabled, last logon, password age, first and
              last seen, the credential and probe that found them, and the rule that excluded them, if any
  managed     onboarded accounts with workgroup, site, policy, schedule and the rule (and version) that onboarded them
  stale       accounts with no logon for --days N (default 90), privileged first
  ssh-keys    authorized keys per account and asset, weak keys flagged, the same key on several hosts counted
  software    installed packages across assets, --name GLOB to filter (e.g. "openssh*")

--format html writes one self-contained page (no external files) with the time of the data and its scans.
--output FILE writes the report to FILE (replaced whole, atomically) instead of stdout.
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('report', argv, {
    db: { type: 'string' }, format: { type: 'string' }, output: { type: 'string', short: 'o' }, days: { type: 'string' }, name: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const name = positionals[0];
  if (positionals.length !== 1 || !name) throw new InputError(`report: give one report NAME (${REPORTS.join(', ')})`);
  if (!(REPORTS as readonly string[]).includes(name)) throw new InputError(`report: unknown report "${name}"${didYouMean(name, [...REPORTS])} (${REPORTS.join(', ')})`);
  const report = name as (typeof REPORTS)[number];
  const format = choiceOption('format', values.format, REPORT_FORMATS, 'table');
  const days = intOption('days', values.days, 1, 36500);
  if (days !== undefined && report !== 'stale') throw new InputError('--days applies to the stale report');
  if (values.name !== undefined && report !== 'software') throw new InputError('--name applies to the software report');
  const dbLocation = resolveDbLocation(values.db);
  if (values.output !== undefined) checkOutputPath(values.output, dbLocation);
  const store = await openStore(dbLocation);
  try {
    process.stderr.write(await noScanNote(store) ?? '');
    const text = renderReport(await buildReport(store, report, { days, name: values.name }), format);
    if (values.output === undefined) process.stdout.write(text);
    else {
      AtomicOutput.writeFile(values.output, text);
      process.stderr.write(`report ${report} written to ${values.output}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
