/** `surveyor assets` and `surveyor scans`: what the store holds. */
import { openStore, resolveDbLocation } from '../store/open-store.js';
import type { StoredEnumeration } from '../store/store.js';
import { InputError } from '../scanner/errors.js';
import { diffAssets, noScanNote, showAsset } from '../app/assets.js';
import { renderListing, renderTable, SCHEMA_VERSION } from '../app/formats.js';
import { choiceOption, FORMATS, intOption, parseCommand } from './args.js';
import { AssetWriter } from './output.js';
import { fmt } from './progress.js';

export const ASSETS_HELP = `usage: surveyor assets [--db PATH] [--format table|jsonl|json|csv]

Lists every asset in the store with its host names, first and last seen, and every port's last known state: as
the newest scan that looked at that port found it (a scan of other ports leaves it as it was). --format jsonl and json
give each port the scan that last saw it (scanId) and when that scan ended (lastSeen).

  surveyor assets show ADDRESS|NAME   one asset (surveyor help assets show)
  surveyor assets diff                what changed between two scans (surveyor help assets diff)

Examples:
  surveyor assets
  surveyor assets --format csv > assets.csv
`;

export const ASSET_SHOW_HELP = `usage: surveyor assets show ADDRESS|NAME [--evidence] [--format table|jsonl|json|csv] [--db PATH]

One asset: its names, domain, OS, and every open port with its service, product and version, and where each
field came from (the rule file and line, or the probe). The OS and names an SSH enumeration read on the host
(os-release, uname -n, hostname -f) come first, above what banners suggest, with the credential and scan.
--evidence adds every probe's outcome and raw evidence, and the command behind each credentialed field.
--format json gives the whole record, jsonl the same on one line, csv one row per port (the columns of
"surveyor assets --format csv", then the scan that last saw the port and when).
A host name is looked up among the names stored with the assets (no DNS query).

Examples:
  surveyor assets show 127.20.0.10
  surveyor assets show web.lab.test --evidence
`;

export const SCANS_HELP = `usage: surveyor scans [--db PATH] [--format table|jsonl|json|csv]

Lists the scans in the store with their status (running, completed, interrupted, failed) and totals.
`;

const OPTIONS = { db: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export const ASSET_DIFF_HELP = `usage: surveyor assets diff [--from SCAN] [--to SCAN] [--format table|jsonl|json|csv] [--db PATH]

What changed between two network scans: hosts that appeared or went quiet, ports that opened or closed, services
whose product or version changed, OS changes. By default --to is the latest finished (completed or interrupted)
network scan and --from the newest earlier one with the same targets and exclusions (else the newest earlier one);
directory scans see no ports and are never compared. A host or port counts as gone or closed only where the later
scan covered it, and as new or opened only where the earlier scan covered it and did not see it.

Examples:
  surveyor assets diff
  surveyor assets diff --from 3 --to 7 --format jsonl
`;

export async function assetsCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'show') return assetShow(argv.slice(1));
  if (argv[0] === 'diff') return assetDiff(argv.slice(1));
  const { values } = parseCommand('assets', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(ASSETS_HELP);
    return 0;
  }
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const assets = await store.listAssets();
    process.stderr.write(await noScanNote(store) ?? '');
    if (format === 'table') {
      const rows = assets.map((a) => [
        a.address,
        a.names.map((n) => n.name).join(',') || '-',
        a.scanned ? a.ports.filter((p) => p.state === 'open').map((p) => (p.service?.service ? `${p.port}/${p.service.service}` : String(p.port))).join(',') || '-' : 'not scanned',
        [a.os?.name ?? a.os?.family, a.os?.version].filter(Boolean).join(' ')
          || (a.directory?.[0] ? `${[a.directory[0].operatingSystem, a.directory[0].operatingSystemVersion].filter(Boolean).join(' ') || '-'} (directory)` : '-'),
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
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const scans = await store.listScans();
    process.stdout.write(renderListing(format, {
      key: 'scans', items: scans, json: (s) => ({ ...s }), empty: 'no scans stored',
      columns: [
        { name: 'id', value: (s) => s.id }, { name: 'kind', value: (s) => s.kind, only: 'csv' }, { name: 'status', value: (s) => s.status },
        { name: 'started', value: (s) => s.startedAt }, { name: 'finished', value: (s) => s.finishedAt },
        { name: 'hosts', value: (s) => (format === 'table' ? fmt(s.hostsTotal) : s.hostsTotal) },
        { name: 'probes', value: (s) => `${fmt(s.totals.probesDone)}/${fmt(s.probesTotal)}`, only: 'table' },
        { name: 'probes_done', value: (s) => s.totals.probesDone, only: 'csv' }, { name: 'probes_total', value: (s) => s.probesTotal, only: 'csv' },
        { name: 'open', value: (s) => (format === 'table' ? fmt(s.totals.open) : s.totals.open) },
        { name: 'targets', value: (s) => (format === 'table' ? s.targets.join(' ') : s.targets) }, { name: 'note', value: (s) => s.note },
      ],
    }));
    return 0;
  } finally {
    await store.close();
  }
}

async function assetShow(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('assets show', argv, { ...OPTIONS, evidence: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(ASSET_SHOW_HELP);
    return 0;
  }
  const address = positionals[0];
  if (!address || positionals.length > 1) throw new InputError('assets show: give exactly one ADDRESS or host NAME');
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const { asset, enumerations } = await showAsset(store, address);
    const ports = asset.ports.map((p) => ({
      port: p.port, protocol: p.protocol, state: p.state, rttMs: p.rttMs, scanId: p.scanId, lastSeen: p.lastSeen,
      ...(p.service ? {
        service: p.service.service, product: p.service.product, version: p.service.version, info: p.service.info, cpe: p.service.cpe,
        namingContexts: p.service.namingContexts, confidence: p.service.confidence, sources: p.service.sources, ...(values.evidence ? { outcomes: p.service.outcomes } : {}),
      } : {}),
    }));
    if (format === 'csv') {
      // One row per port, the columns of "surveyor assets --format csv" and where each port's state comes from.
      process.stdout.write(renderListing(format, {
        key: 'ports', items: ports, json: (p) => p, empty: '',
        columns: [
          { name: 'address', value: () => asset.address }, { name: 'hostnames', value: () => asset.names.map((n) => n.name) },
          { name: 'port', value: (p) => p.port }, { name: 'protocol', value: (p) => p.protocol }, { name: 'state', value: (p) => p.state },
          { name: 'rtt_ms', value: (p) => p.rttMs }, { name: 'service', value: (p) => p.service }, { name: 'product', value: (p) => p.product },
          { name: 'version', value: (p) => p.version }, { name: 'scan_id', value: (p) => p.scanId }, { name: 'last_seen', value: (p) => p.lastSeen },
        ],
      }));
      return 0;
    }
    if (format === 'json' || format === 'jsonl') {
      const doc = {
        schema: SCHEMA_VERSION, address: asset.address, names: asset.names, domain: asset.domain, os: asset.os, firstSeen: asset.firstSeen,
        lastSeen: asset.lastSeen, lastScanId: asset.lastScanId, scanned: asset.scanned, directory: asset.directory ?? [], ports,
        enumerations: enumerations.map(({ accounts, ...e }) => ({ ...e, accounts: accounts.length })),
      };
      process.stdout.write((format === 'json' ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)) + '\n');
      return 0;
    }
    const out: string[] = [`${asset.address}  (first seen ${asset.firstSeen}, last seen ${asset.lastSeen}, scan ${asset.lastScanId})`];
    for (const n of asset.names) out.push(`  name     ${n.name}  <- ${n.via}`);
    if (!asset.scanned) out.push('  ports    not scanned yet (known from a directory scan: surveyor scan --from-directory)');
    for (const d of asset.directory ?? []) out.push(`  computer ${d.name} in ${d.domain}: ${[d.operatingSystem, d.operatingSystemVersion].filter(Boolean).join(' ') || 'no OS recorded'}  <- ${d.dn}`);
    if (asset.domain) out.push(`  domain   ${asset.domain.name}  <- ${asset.domain.via}`);
    if (asset.os) {
      const os = asset.os;
      for (const [label, value, key] of [['os', os.name ?? os.family, os.name ? 'name' : 'family'], ['version', os.version, 'version'], ['release', os.description, 'description'], ['device', os.deviceType, 'deviceType']] as const) {
        const src = os.sources[key];
        if (value) out.push(`  ${label.padEnd(8)} ${value}  <- ${src ? `${src.rule} (port ${src.port})` : '?'}`);
        // A credentialed field's command, as an enumeration's facts show theirs.
        if (value && src?.command && values.evidence) out.push(`             <- ${src.command}`);
      }
    }
    for (const p of ports) {
      const what = [p.service ?? 'unknown', p.product, p.version, p.info ? `(${p.info})` : undefined].filter(Boolean).join(' ');
      const older = p.scanId !== asset.lastScanId ? `  (last seen by scan ${p.scanId}, ${p.lastSeen})` : '';
      out.push(`  ${`${p.port}/${p.protocol}`.padEnd(9)}${p.state.padEnd(7)}${what}${older}`);
      if (p.namingContexts?.length) out.push(`      naming contexts: ${p.namingContexts.join('; ')}`);
      if (p.sources) for (const [field, rule] of Object.entries(p.sources)) out.push(`      ${field.padEnd(8)} <- ${rule}`);
      for (const o of (p as { outcomes?: Array<{ probe: string; status: string; error?: string; elapsedMs: number; evidence: unknown[] }> }).outcomes ?? []) {
        out.push(`      probe ${o.probe}: ${o.status}${o.error ? ` (${o.error})` : ''}, ${o.elapsedMs} ms`);
        for (const e of o.evidence) out.push(`        ${JSON.stringify(e)}`);
      }
    }
    for (const e of enumerations) out.push(...describeEnumeration(e, values.evidence === true));
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    await store.close();
  }
}

/** The enumeration section of `assets show`: status, notes, and each fact in brief with the command it came from. */
function describeEnumeration(e: StoredEnumeration, evidence: boolean): string[] {
  const out = [`  enumeration ${e.method}/${e.port} with ${e.credential} (scan ${e.scanId}): ${e.status}, ${Math.round(e.elapsedMs)} ms`];
  for (const n of e.notes) out.push(`      note: ${n}`);
  const brief = (key: string, v: unknown): string => {
    const value = v as Record<string, unknown> & unknown[];
    if (key === 'software') return `${(value.packages as unknown[]).length} packages (${String(value.manager)})`;
    if (key === 'services') return `${(value.services as unknown[]).length} services (${String(value.manager)})`;
    if (key === 'dependencies') {
      const entries = (v as { entries: Array<{ kind: string }> }).entries;
      const n = (kind: string) => entries.filter((e) => e.kind === kind).length;
      return `${n('service')} services, ${n('cron')} cron jobs, ${n('at')} at jobs with their accounts (surveyor report dependencies)`;
    }
    if (Array.isArray(value)) return `${value.length} entries`;
    const text = JSON.stringify(v);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  };
  for (const [key, fact] of Object.entries(e.facts)) {
    out.push(`      ${key.padEnd(16)} ${fact.error ? `unavailable: ${fact.error}` : brief(key, fact.value)}`);
    if (evidence) out.push(`        <- ${fact.source}`);
  }
  if (e.method === 'snmp') return out; // an agent lists no accounts
  if (e.method === 'mysql' || e.method === 'postgres' || e.method === 'mssql') {
    const found = e.accounts.filter((a) => a.kind === 'database' && (a.details.instance as { port?: number } | undefined)?.port === e.port);
    const held = found.filter((a) => a.privileged);
    out.push(`      accounts         ${found.length} database (${held.length} privileged: ${held.map((a) => a.name).join(', ') || '-'}); see surveyor accounts --asset ${e.address} --kind database`);
    return out;
  }
  const privileged = e.accounts.filter((a) => a.privileged && a.kind === 'local');
  out.push(`      accounts         ${e.accounts.filter((a) => a.kind === 'local').length} local (${privileged.length} privileged: ${privileged.map((a) => a.name).join(', ') || '-'}), ${e.accounts.filter((a) => a.kind === 'ssh-key').length} SSH keys; see surveyor accounts --asset ${e.address}`);
  return out;
}

async function assetDiff(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('assets diff', argv, { ...OPTIONS, from: { type: 'string' }, to: { type: 'string' } });
  if (values.help) {
    process.stdout.write(ASSET_DIFF_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`assets diff: unexpected "${positionals[0]}"`);
  const format = choiceOption('format', values.format, FORMATS, 'table');
  const from = intOption('from', values.from, 1, Number.MAX_SAFE_INTEGER);
  const to = intOption('to', values.to, 1, Number.MAX_SAFE_INTEGER);
  const store = await openStore(resolveDbLocation(values.db));
  try {
    const { from: fromId, to: toId, changes } = await diffAssets(store, { from, to });
    if (format === 'table') process.stdout.write(`changes from scan ${fromId} to scan ${toId}\n`);
    process.stdout.write(renderListing(format, {
      key: 'changes', items: changes, json: (c) => ({ ...c }), envelope: { from: fromId, to: toId }, empty: 'no changes',
      columns: [
        { name: 'from', value: () => fromId, only: 'csv' }, { name: 'to', value: () => toId, only: 'csv' },
        { name: 'address', value: (c) => c.address }, { name: 'change', value: (c) => c.kind },
        { name: 'port', value: (c) => (c.port ? (format === 'table' ? `${c.port}/tcp` : c.port) : null) },
        { name: 'before', value: (c) => c.before }, { name: 'after', value: (c) => c.after },
      ],
    }));
    return 0;
  } finally {
    await store.close();
  }
}
