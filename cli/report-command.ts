/** `surveyor report NAME`: the auditors' reports, to stdout or to a file written whole (never half a report). */
import { buildReport, REPORTS, SOFTWARE_GROUPINGS } from '../app/reports.js';
import { noScanNote } from '../app/assets.js';
import { renderReport, REPORT_FORMATS } from '../app/report-render.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { InputError } from '../scanner/errors.js';
import { ACCOUNT_KINDS } from '../model/account.js';
import { addressFilter } from '../app/address-filter.js';
import { didYouMean } from '../onboarding/suggest.js';
import { choiceOption, intOption, parseCommand } from './args.js';
import { AtomicOutput, checkOutputPath } from './output-file.js';

export const REPORT_HELP = `usage: surveyor report NAME [--format table|jsonl|json|csv|html] [--output FILE] [--db PATH]
                       [--evidence] [--address CIDR] [--kind KIND] [--days N] [--name GLOB] [--by host|package]

Reports for auditors, from the stored data:
  unmanaged   privileged accounts not onboarded: the rule that excluded them, if any, each SSH key's type, bits
              and fingerprint, why privileged, enabled, last logon, password age, the enumeration and credential
              that found them (--evidence: also the full command or query), first and last seen;
              --address ADDRESS|CIDR|RANGE and --kind local|ssh-key|domain|database keep only those accounts
  managed     onboarded accounts with workgroup, site, policy, schedule and the rule (and version) that onboarded them
  stale       accounts with no logon for --days N (default 90), then enabled ones that never logged on, then
              those whose last logon nobody could read ("unknown" is not "never"); privileged first
  ssh-keys    authorized keys per account and asset, weak keys flagged, the same key on several hosts counted
  software    installed packages across assets, --name GLOB to filter (e.g. "openssh*"); --by package gives one
              row per package with its host count and versions (default --by host: one row per host and package)
  dependencies which account runs each systemd service, cron job and at job (from SSH enumerations), with its
              command, where it is defined, and whether the account is privileged: what to check before a password
              is rotated or an account disabled

Every report starts with summary counts (table: a header block; json: "summary"; jsonl and csv: rows only,
one per line).
--format html writes one self-contained page (no external files) with the time of the data and its scans, the
counts, and a table to sort (click a header), filter per column and search, offline.
--output FILE writes the report to FILE (replaced whole, atomically) instead of stdout.

examples:
  surveyor report unmanaged --format html --output unmanaged.html
  surveyor report stale --days 30 --format csv
  surveyor report software --by package --name "openssh*"
  surveyor report dependencies --format csv
`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('report', argv, {
    db: { type: 'string' }, format: { type: 'string' }, output: { type: 'string', short: 'o' }, days: { type: 'string' }, name: { type: 'string' },
    evidence: { type: 'boolean' }, by: { type: 'string' }, address: { type: 'string' }, kind: { type: 'string' }, help: { type: 'boolean', short: 'h' },
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
  if (values.by !== undefined && report !== 'software') throw new InputError('--by applies to the software report');
  const by = choiceOption('by', values.by, SOFTWARE_GROUPINGS, 'host');
  if (values.evidence && report !== 'unmanaged') throw new InputError('--evidence applies to the unmanaged report');
  if (values.address !== undefined && report !== 'unmanaged') throw new InputError('--address applies to the unmanaged report');
  if (values.kind !== undefined && report !== 'unmanaged') throw new InputError('--kind applies to the unmanaged report');
  const kind = values.kind === undefined ? undefined : choiceOption('kind', values.kind, ACCOUNT_KINDS, 'local');
  if (values.address !== undefined) addressFilter(values.address, '--address');
  const dbLocation = resolveDbLocation(values.db);
  if (values.output !== undefined) checkOutputPath(values.output, dbLocation);
  const store = await openStore(dbLocation);
  try {
    process.stderr.write(await noScanNote(store) ?? '');
    const text = renderReport(await buildReport(store, report, { days, name: values.name, by, evidence: values.evidence, address: values.address, kind }), format);
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
