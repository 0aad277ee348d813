/**
 * Smart Rules on real data: the lab's OpenSSH host enumerated with sudo, then a rule set that onboards its
 * privileged accounts into a workgroup, keeps root out, groups and tags, and tells a webhook (a server this test
 * runs on 127.0.0.1) about privileged SSH keys. The privileged set is computed independently (getent, sudo -l).
 * Shown: the unmanaged report before and after, a dry run that writes nothing, an idempotent second apply, undo,
 * rules run by a scan (--apply-rules, then the stored set), and the HTML report.
 */
import test, { ExecutionContext } from 'ava';
import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { fileState, recordingCli, RunResult, tempDir } from './helpers/cli.js';
import { OTHER_LAB, privilegedTruth } from './helpers/host-truth.js';
import { labTest } from './helpers/lab.js';

const outputs: string[] = [];

const run = recordingCli(outputs);
const cli = (dir: string, args: string[], input?: string): Promise<RunResult> => run(dir, args, { input });

async function ok(t: ExecutionContext, dir: string, args: string[], input?: string): Promise<RunResult> {
  const r = await cli(dir, args, input);
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

type Row = Record<string, string | number | boolean | null>;
async function report(t: ExecutionContext, dir: string, name: string): Promise<Row[]> {
  const r = await ok(t, dir, ['report', name, '--format', 'json']);
  return (JSON.parse(r.stdout) as { rows: Row[] }).rows;
}

/** Local account names of report rows, without the other test lab's users. */
const localNames = (rows: Row[]) => rows.filter((r) => r.kind === 'local' && !OTHER_LAB.test(String(r.account))).map((r) => String(r.account)).sort();

function webhook(t: ExecutionContext): Promise<{ url: string; bodies: Array<Record<string, unknown>> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      bodies.push({ ...JSON.parse(text), contentType: req.headers['content-type'], method: req.method });
      res.writeHead(204).end();
    });
  });
  t.teardown(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pam`, bodies })));
}

function ruleFile(info: ServerInfo, hook: string): string {
  const block = `${info.address.split('.').slice(0, 2).join('.')}.0.0/16`;
  return `schema: 1
rules:
  - name: lab hosts
    kind: asset
    when: { field: address, op: inCidr, value: "${block}" }
    then: [ { group: lab }, { tag: loopback } ]
  - name: root stays in the safe
    kind: account
    order: 5
    when: { all: [ { field: name, op: eq, value: root }, { field: kind, op: eq, value: local } ] }
    then: [ { exclude: { reason: "break-glass account, held offline" } } ]
  - name: lab privileged
    kind: account
    order: 10
    when:
      all:
        - { field: asset.group, op: contains, value: lab }
        - { field: privileged, op: eq, value: true }
        - { field: kind, op: eq, value: local }
        - not: { field: name, op: matches, value: "^sv2[1-9]" }
    then:
      - onboard: { workgroup: lab-site, policy: lab-strong, changeFrequencyDays: 7, changeTime: "03:30" }
      - tag: pam
  - name: privileged keys
    kind: account
    order: 20
    when: { all: [ { field: kind, op: eq, value: ssh-key }, { field: privileged, op: eq, value: true }, { not: { field: name, op: matches, value: "^sv2[1-9]" } } ] }
    then: [ { group: privileged-keys }, { notify: { url: "${hook}" } } ]
`;
}

labTest('ssh', 'rules onboard the lab\'s privileged accounts: reports before and after, dry run, idempotent re-apply, undo, scan-time rules', async (t, info) => {
  const dir = tempDir(t);
  const admin = info.credentials.admin!;
  const hook = await webhook(t);
  const rulesPath = join(dir, 'rules.yaml');
  writeFileSync(rulesPath, ruleFile(info, hook.url));
  await ok(t, dir, ['creds', 'add', '--name', 'lab-admin', '--type', 'ssh', '--username', admin.username, '--password-stdin', '--elevate', 'sudo', '--scope', `${info.address}/32`], `${admin.password}\n`);
  await ok(t, dir, ['scan', info.address, '--ports', '22', '--creds', 'lab-admin']);
  await ok(t, dir, ['workgroups', 'add', 'lab-site', '--site', 'loopback', '--description', 'the test lab']);

  // Before: every privileged local account (by getent and sudo -l) is unmanaged.
  const truth = privilegedTruth();
  t.true(truth.includes('root') && truth.includes(admin.username), truth.join(','));
  const before = await report(t, dir, 'unmanaged');
  t.deepEqual(localNames(before), truth);
  t.true(before.every((r) => r.excludedBy === null));

  // A dry run with explanations writes nothing and calls no webhook.
  const db = join(dir, 's.db');
  const state = fileState(db);
  const dry = await ok(t, dir, ['rules', 'apply', rulesPath, '--dry-run', '--explain', '--misses']);
  t.is(fileState(db), state);
  t.is(hook.bodies.length, 0);
  t.regex(dry.stdout, new RegExp(`${info.address.replace(/\./g, '\\.')} root \\(local\\): excluded`));
  t.regex(dry.stdout, /asset\.group contains "lab": actual \["lab"\] -> true/);
  t.regex(dry.stdout, /name eq "root": actual "root" -> true/);
  // An unprivileged user: the privileged leaf fails, so the leaves after it are not evaluated.
  t.regex(dry.stdout, /rule "lab privileged" \(\w+\) did not match\n\s+all -> false\n\s+asset\.group contains "lab": actual \["lab"\] -> true\n\s+privileged eq true: actual false -> false\n\s+kind eq "local" -> skipped/);
  t.regex(dry.stdout, /^dry run \(nothing written\)/m);

  // Apply: the privileged accounts but root are managed, root is excluded with its reason.
  const first = await ok(t, dir, ['rules', 'apply', rulesPath, '--format', 'json']);
  const run1 = JSON.parse(first.stdout) as { runId: number; summary: Record<string, number>; changes: Array<{ action: string; label: string }> };
  const expectedManaged = truth.filter((n) => n !== 'root');
  t.is(run1.summary.onboarded, expectedManaged.length);
  const managed = await report(t, dir, 'managed');
  t.deepEqual(localNames(managed), expectedManaged);
  t.true(managed.every((r) => r.workgroup === 'lab-site' && r.site === 'loopback' && r.policy === 'lab-strong' && r.schedule === 'every 7 days at 03:30' && r.rule === 'lab privileged' && r.run === run1.runId));
  const listed = JSON.parse((await ok(t, dir, ['rules', 'apply', rulesPath, '--dry-run', '--format', 'json'])).stdout) as { rules: Array<{ name: string; version: string }> };
  t.true(managed.every((r) => r.ruleVersion === listed.rules.find((x) => x.name === 'lab privileged')!.version));
  const after = await report(t, dir, 'unmanaged');
  t.deepEqual(localNames(after), ['root']);
  t.is(after.find((r) => r.account === 'root' && r.kind === 'local')!.excludedBy, 'rule "root stays in the safe": break-glass account, held offline');

  // The webhook heard once about every privileged key, as JSON.
  const keys = (await report(t, dir, 'ssh-keys')).filter((k) => k.privileged === true && !OTHER_LAB.test(String(k.account)));
  t.is(hook.bodies.length, 1);
  const body = hook.bodies[0]! as { event: string; rule: string; runId: number; subjects: Array<{ name: string; fingerprint: string }>; contentType: string; method: string };
  t.like(body, { event: 'surveyor.rule.matched', rule: 'privileged keys', runId: run1.runId, contentType: 'application/json', method: 'POST' });
  t.deepEqual(body.subjects.map((s) => `${s.name} ${s.fingerprint}`).sort(), keys.map((k) => `${k.account} ${k.fingerprint}`).sort());

  // The same rules on the same data change nothing, and tell the webhook nothing new.
  const second = JSON.parse((await ok(t, dir, ['rules', 'apply', rulesPath, '--format', 'json'])).stdout) as { runId: number; changes: unknown[]; summary: Record<string, number> };
  t.deepEqual(second.changes, []);
  t.is(second.summary.managedSelected, expectedManaged.length);
  t.is(hook.bodies.length, 1);
  const shown = await ok(t, dir, ['rules', 'show', String(second.runId)]);
  t.regex(shown.stdout, /; 0 change\(s\)/);

  // Undo run 1: nothing is managed, the unmanaged report is as before; a second undo is refused.
  const undo = await ok(t, dir, ['rules', 'undo', String(run1.runId)]);
  // Every change is reversed but the notifications, one per privileged key.
  t.regex(undo.stdout, new RegExp(`undid run ${run1.runId}: \\d+ change\\(s\\) reversed, ${keys.length} left as they are`));
  t.regex(undo.stdout, /left: notified .*a notification cannot be recalled/);
  t.deepEqual(localNames(await report(t, dir, 'managed')), []);
  const reverted = await report(t, dir, 'unmanaged');
  t.deepEqual(localNames(reverted), truth);
  t.true(reverted.every((r) => r.excludedBy === null));
  const again = await cli(dir, ['rules', 'undo', String(run1.runId)]);
  t.is(again.code, 2);
  t.regex(again.stderr, /was undone already, by run \d+/);

  // Rules at the end of a scan: --apply-rules, then the stored set (which changes nothing more).
  const scan = await ok(t, dir, ['scan', info.address, '--ports', '22', '--creds', 'lab-admin', '--apply-rules', rulesPath]);
  t.regex(scan.stderr, /^rule run \d+: 1 assets, \d+ accounts, 4 rules; .*?(\d+) onboarded/m);
  t.deepEqual(localNames(await report(t, dir, 'managed')), expectedManaged);
  const runs = JSON.parse((await ok(t, dir, ['rules', 'runs', '--format', 'json'])).stdout) as { runs: Array<{ trigger: string; scope: string[] | null }> };
  t.like(runs.runs[runs.runs.length - 1], { scope: [info.address] });
  t.regex(runs.runs[runs.runs.length - 1]!.trigger, /^scan \d+$/);
  await ok(t, dir, ['rules', 'store', rulesPath]);
  const stored = await ok(t, dir, ['scan', info.address, '--ports', '22', '--creds', 'lab-admin']);
  t.regex(stored.stderr, /rule run \d+: .* 0 onboarded, 0 updated, 0 memberships added, 0 removed/);

  // The HTML report stands alone: no external resource (its one script is inline), the data time and the scans it came from.
  const html = join(dir, 'unmanaged.html');
  await ok(t, dir, ['report', 'unmanaged', '--format', 'html', '--output', html]);
  const page = readFileSync(html, 'utf8');
  t.notRegex(page, /(src|href)=|<script[^>]|@import|url\(|https?:/i);
  t.regex(page, /Data as of <strong>\d{4}-\d\d-\d\dT/);
  t.regex(page, /Scans the data came from \(3\)/);
  t.true(page.includes('<td>root</td>'));

  for (const text of [...outputs, readFileSync(db).toString('latin1'), page]) t.false(text.includes(admin.password!), 'the password appeared in an output');
});
