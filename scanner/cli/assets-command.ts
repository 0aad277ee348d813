/** `surveyor assets` and `surveyor scans`: what the store holds. */
import { openStore, resolveDbLocation } from '../../store/open-store.js';
import { choiceOption, FORMATS, parseCommand } from './args.js';
import { AssetWriter, renderTable, SCHEMA_VERSION } from './output.js';
import { fmt } from './progress.js';

export const ASSETS_HELP = `usage: surveyor assets [--db PATH] [--format table|jsonl|json|csv]

Lists every asset in the store with its host names, first and last seen, and the ports of the latest scan that saw it.
`;

export const SCANS_HELP = `usage: surveyor scans [--db PATH] [--format table|jsonl|json]

Lists the scans in the store with their status (running, completed, interrupted, failed) and totals.
`;

const OPTIONS = { db: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function assetsCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('assets', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(ASSETS_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const assets = await store.listAssets();
    if (format === 'table') {
      const rows = assets.map((a) => [
        a.address,
        a.names.map((n) => n.name).join(',') || '-',
        a.ports.filter((p) => p.state === 'open').map((p) => (p.service?.service ? `${p.port}/${p.service.service}` : String(p.port))).join(',') || '-',
        [a.os?.name ?? a.os?.family, a.os?.version].filter(Boolean).join(' ') || '-',
        a.firstSeen,
        a.lastSeen,
      ]);
      process.stdout.write(rows.length ? renderTable(['ADDRESS', 'HOSTNAMES', 'OPEN_TCP', 'OS', 'FIRST_SEEN', 'LAST_SEEN'], rows) : 'no assets stored\n');
      return 0;
    }
    const writer = new AssetWriter(format, (t) => process.stdout.write(t));
    for (const a of assets) writer.add({ ...a, hostnames: a.names.map((n) => n.name), domain: a.domain?.name });
    writer.end(() => 0);
    return 0;
  } finally {
    await store.close();
  }
}

export async function scansCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('scans', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(SCANS_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, ['table', 'jsonl', 'json'] as const, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const scans = await store.listScans();
    if (format === 'table') {
      const rows = scans.map((s) => [
        String(s.id), s.status, s.startedAt, s.finishedAt ?? '-', fmt(s.hostsTotal), `${fmt(s.totals.probesDone)}/${fmt(s.probesTotal)}`,
        fmt(s.totals.open), s.targets.join(' '),
      ]);
      process.stdout.write(rows.length ? renderTable(['ID', 'STATUS', 'STARTED', 'FINISHED', 'HOSTS', 'PROBES', 'OPEN', 'TARGETS'], rows) : 'no scans stored\n');
      return 0;
    }
    const objects = scans.map((s) => ({ schema: SCHEMA_VERSION, ...s }));
    if (format === 'json') process.stdout.write(JSON.stringify({ schema: SCHEMA_VERSION, scans: objects }, null, 2) + '\n');
    else for (const o of objects) process.stdout.write(JSON.stringify(o) + '\n');
    return 0;
  } finally {
    await store.close();
  }
}
