/**
 * Every command that lists something, in every format its help advertises: the formats are read from each
 * command's own help (so the help and the parser cannot drift apart), then each is run on a store that holds a
 * row for every listing and its output checked: json parses with "schema": 1 and the listing's key, every jsonl
 * line parses with "schema": 1, csv has a header and every row the header's number of fields, table has text.
 * No network: the store is filled through its interface, and the one scan goes to a listener on 127.106.0.1.
 */
import test, { type ExecutionContext } from 'ava';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { openStore } from '../store/open-store.js';
import type { EnumerationRecord } from '../enum/types.js';
import { runCli, tempDir, dirEnv } from './helpers/cli.js';

const HOST = '127.106.0.1';
const OTHER = '127.106.0.2';
const T0 = '2026-11-01T00:00:00.000Z';
const T1 = '2026-11-02T00:00:00.000Z';

/** RFC 4180 records, quotes and all (a field may hold commas, quotes and line breaks). */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') fields.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || fields.length) fields.push(field), records.push(fields);
  return records;
}

/** The formats a command's usage line offers: `--format table|jsonl|json|csv` of the line naming the command. */
function advertised(help: string, words: readonly string[]): string[] {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.includes(`surveyor ${words.join(' ')} `) || l.trimEnd().endsWith(`surveyor ${words.join(' ')}`));
  if (start < 0) return [];
  const usage = [lines[start]!];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() === '' || /^\s*(usage: )?surveyor /.test(l)) break;
    usage.push(l);
  }
  const m = /--format ([a-z|]+)/.exec(usage.join(' '));
  if (m) return m[1]!.split('|');
  // "surveyor scan TARGETS... [options]": the option's own line, "--format FMT  table | jsonl | ... (default: ...)".
  const option = /^\s+--format FMT\s+([a-z| ]+)/m.exec(help);
  return option ? option[1]!.split('|').map((f) => f.trim()) : [];
}

async function estate(t: ExecutionContext): Promise<{ env: NodeJS.ProcessEnv; db: string; server: Server }> {
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const db = env.SURVEYOR_DB!;
  const store = await openStore(db, { create: true });
  try {
    const enumeration: EnumerationRecord = {
      method: 'ssh', port: 22, credential: 'lab, "root"', status: 'success', notes: ['a note, with a comma'], elapsedMs: 5,
      accounts: [
        { kind: 'local', key: 'root', name: 'root', uid: '0', privileged: true, reasons: ['uid 0'], enabled: true, details: {}, source: 'getent passwd' },
        { kind: 'local', key: 'ops', name: 'ops', uid: '1001', privileged: true, reasons: ['member of sudo', 'sudo: (ALL) ALL'], enabled: true, details: {}, source: 'getent passwd' },
        {
          kind: 'ssh-key', key: 'ops SHA256:k1', name: 'ops', uid: '1001', privileged: true, reasons: ['logs in as ops: member of sudo'], source: 'cat authorized_keys',
          details: { type: 'ssh-ed25519', bits: 256, fingerprint: 'SHA256:k1', comment: 'laptop, "old"', options: ['from="127.106.0.9"'], file: '/home/ops/.ssh/authorized_keys', line: 1 },
        },
        { kind: 'local', key: 'alice', name: 'alice', uid: '1000', privileged: false, reasons: [], enabled: true, details: { gecos: 'Alice "A", admin' }, source: 'getent passwd' },
      ],
      facts: { software: { source: 'dpkg-query -W', value: { manager: 'dpkg', packages: [{ name: 'openssh-server', version: '1:9.2p1-2', arch: 'amd64' }] } } },
    };
    const totals = { probesDone: 2, hostsDone: 2, open: 1, closed: 1, filtered: 0 };
    for (const [at, open] of [[T0, [22]], [T1, [22, 80]]] as const) {
      const id = await store.createScan({ startedAt: at, targets: [`${HOST}-${OTHER}`], exclusions: [], ports: [22, 80], options: {}, hostsTotal: 2, probesTotal: 4 });
      await store.recordHosts(id, [{
        address: HOST, hostnames: ['web.lab.test'], seenAt: at, enumerations: [enumeration],
        ports: [22, 80].map((port) => ({ port, state: (open as readonly number[]).includes(port) ? 'open' as const : 'closed' as const, rttMs: 0.1, attempts: 1 })),
      }], totals);
      await store.finishScan(id, 'completed', totals, at);
    }
    await store.pinHostKey(HOST, 22, 'ssh-ed25519', 'SHA256:abc', T0);
    await store.offerHostKey(HOST, 22, 'ssh-rsa', 'SHA256:def', T1);
    const dirScan = await store.createScan({ startedAt: T1, targets: [`ldap://${OTHER}`], exclusions: [], ports: [389], options: {}, hostsTotal: 1, probesTotal: 0, kind: 'directory' });
    await store.recordDirectory(dirScan, {
      address: OTHER, hostnames: ['dc1.lab.test'], seenAt: T1, domain: 'lab.test',
      enumeration: { method: 'ldap', port: 389, credential: 'ldap', status: 'success', notes: [], elapsedMs: 1, facts: {}, accounts: [] },
      computers: [{ key: 'g1', dn: 'CN=WEB,OU=Servers, Main,DC=lab,DC=test', name: 'WEB', dnsHostName: 'web.lab.test', enabled: true, address: HOST }],
    });
    await store.finishScan(dirScan, 'completed', { probesDone: 0, hostsDone: 1, open: 0, closed: 0, filtered: 0 }, T1);
  } finally {
    await store.close();
  }
  const cli = async (args: string[], input?: string) => {
    const r = await runCli(args, { env, input });
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  await cli(['creds', 'add', '--name', 'lab-root', '--type', 'ssh', '--username', 'root', '--password-stdin', '--scope', '127.106.0.0/24'], 'not-shown\n');
  await cli(['workgroups', 'add', 'site-a', '--site', 'west, main', '--description', 'the "west" site']);
  const rules = join(dir, 'rules.yaml');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(rules, 'schema: 1\nrules:\n  - name: privileged\n    kind: account\n    when: { field: name, op: eq, value: root }\n    then: [ { onboard: { workgroup: site-a } }, { tag: "x,y" } ]\n');
  await cli(['rules', 'store', rules]);
  await cli(['rules', 'apply', '--stored']);
  // A listener for the one command that scans.
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
  t.teardown(() => server.close());
  return { env, db, server };
}

test('every listing in every format its help advertises: json, jsonl and csv parse, csv rows as wide as the header', async (t) => {
  const { env, server } = await estate(t);
  const port = (server.address() as { port: number }).port;
  const commands: Array<{ words: string[]; args?: string[]; help?: string[] }> = [
    { words: ['scan'], args: [HOST, '-p', String(port), '--no-progress', '--no-rules'] },
    { words: ['scans'] },
    { words: ['assets'] },
    { words: ['assets', 'show'], args: [HOST] },
    { words: ['assets', 'diff'], args: ['--from', '1', '--to', '2'] },
    { words: ['accounts'] },
    ...['unmanaged', 'managed', 'stale', 'ssh-keys', 'software'].map((r) => ({ words: ['report'], args: [r] })),
    { words: ['creds', 'list'], help: ['creds'] },
    { words: ['workgroups', 'list'], help: ['workgroups'] },
    { words: ['rules', 'list'], help: ['rules'] },
    { words: ['rules', 'runs'], help: ['rules'] },
    { words: ['rules', 'show'], args: ['1'], help: ['rules'] },
    { words: ['hostkeys', 'list'], help: ['hostkeys'] },
    { words: ['directory', 'computers'], help: ['directory'] },
  ];
  const main = await runCli(['--help']);
  t.regex(main.stdout, /--format table\|jsonl\|json\|csv on\nevery command that lists something/, 'the main help says which commands take which formats');
  for (const c of commands) {
    const help = await runCli(['help', ...(c.help ?? c.words)]);
    const formats = advertised(help.stdout, c.words);
    const name = [...c.words, ...(c.args ?? []).slice(0, 1)].join(' ');
    // The main help's promise: every listing takes the four formats.
    for (const f of ['table', 'jsonl', 'json', 'csv']) t.true(formats.includes(f), `${name}: the help advertises --format ${f} (it says ${formats.join('|') || 'none'})`);
    for (const format of formats) {
      const r = await runCli([...c.words, ...(c.args ?? []), '--format', format], { env });
      t.is(r.code, 0, `${name} --format ${format}: ${r.stderr}`);
      t.notRegex(r.stdout + r.stderr, /not-shown/, 'no secret in any format');
      const what = `${name} --format ${format}`;
      if (format === 'json') {
        const doc = JSON.parse(r.stdout) as Record<string, unknown>;
        t.is(doc.schema, 1, `${what}: schema`);
        t.true(Object.values(doc).some((v) => Array.isArray(v) && v.length > 0) || name === 'assets show 127.106.0.1', `${what}: a non-empty list`);
      } else if (format === 'jsonl') {
        const lines = r.stdout.split('\n').filter((l) => l !== '');
        t.true(lines.length > 0, `${what}: at least one line`);
        for (const l of lines) t.is((JSON.parse(l) as { schema?: unknown }).schema, 1, `${what}: every line parses, with schema 1`);
      } else if (format === 'csv') {
        const [header, ...rows] = csvRecords(r.stdout);
        t.truthy(header?.length, `${what}: a header`);
        t.true(header!.every((h) => /^[a-z][A-Za-z0-9_]*$/.test(h)), `${what}: header names are plain names (${header!.join(',')})`);
        t.is(new Set(header).size, header!.length, `${what}: no header name twice`);
        t.true(rows.length > 0, `${what}: at least one row`);
        for (const row of rows) t.is(row.length, header!.length, `${what}: row ${JSON.stringify(row)} as wide as the header`);
      } else if (format === 'xml') t.regex(r.stdout, /^<\?xml /, `${what}: an XML document`);
      else if (format !== 'html') t.true(r.stdout.trim().length > 0, `${what}: text`);
    }
    // A format the command does not take is refused, naming exactly the ones it does.
    const bad = await runCli([...c.words, ...(c.args ?? []), '--format', 'yaml'], { env });
    t.is(bad.code, 2, `${name} --format yaml`);
    t.true(bad.stderr.includes(`bad --format "yaml": expected one of ${formats.join(', ')}`), `${name}: ${bad.stderr}`);
  }
});
