/**
 * The rules, workgroups and report commands refuse bad input with exit 2, a message naming what is wrong, and the
 * database left byte-identical; a webhook that fails costs the run nothing and is retried by the next run. The
 * only traffic: a scan of, and a webhook on, 127.62.0.1 (a listener this test opens).
 */
import test, { ExecutionContext } from 'ava';
import { createServer as createHttp } from 'node:http';
import { createServer, Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileState, RunResult, runCli, tempDir } from './helpers/cli.js';

const HOST = '127.62.0.1';

function listen(t: ExecutionContext, server: Server | ReturnType<typeof createHttp>): Promise<number> {
  t.teardown(() => server.close());
  return new Promise((resolve) => server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port)));
}

/** A database holding one scanned asset (HOST, one open port) and one workgroup. */
async function estate(t: ExecutionContext): Promise<{ dir: string; cli: (args: string[]) => Promise<RunResult> }> {
  const dir = tempDir(t);
  const env = { SURVEYOR_DB: join(dir, 's.db'), SURVEYOR_KEY_FILE: join(dir, 'k') };
  const cli = (args: string[]) => runCli(args, { env });
  const port = await listen(t, createServer((s) => s.on('error', () => {}).end()));
  t.is((await cli(['scan', HOST, '--ports', String(port), '--no-fingerprint', '--no-progress'])).code, 0);
  t.is((await cli(['workgroups', 'add', 'site-a', '--site', 'east'])).code, 0);
  return { dir, cli };
}

const GOOD = `schema: 1
rules:
  - name: loopback
    kind: account
    when: { field: asset.address, op: inCidr, value: 127.0.0.0/8 }
    then: [ { onboard: { workgroup: site-a } } ]
`;

test('bad input to rules, workgroups and report: exit 2, the reason named, nothing written', async (t) => {
  const { dir, cli } = await estate(t);
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const cases: Array<[string[], RegExp]> = [
    [['rules', 'apply', file('op.yaml', GOOD.replace('op: inCidr', 'op: inside'))], /op\.yaml: 1 problem\(s\), nothing applied:\n {2}rules\[0\]\.when\.op: unknown operator "inside"; did you mean "in"\? \(line 5\)/],
    [['rules', 'apply', file('wg.yaml', GOOD.replace('site-a', 'site-b'))], /rules\[0\]\.then\[0\]\.onboard\.workgroup: no workgroup "site-b"; did you mean "site-a"\?; add it with: surveyor workgroups add "site-b" --site SITE/],
    [['rules', 'apply', file('syntax.yaml', 'schema: 1\nrules: [\n')], /syntax\.yaml: \d+ syntax error\(s\):\n {2}.*syntax\.yaml:\d+:/],
    [['rules', 'apply', file('two.yaml', GOOD.replace('then: [ { onboard: { workgroup: site-a } } ]', 'then: [ { onboard: { workgroup: site-a } }, { onboard: { workgroup: site-a } } ]'))], /rules\[0\]\.then: one onboard action per rule \(found 2\)/],
    [['rules', 'apply', join(dir, 'missing.yaml')], /rule file .*missing\.yaml: cannot be read \(ENOENT\)/],
    [['rules', 'apply'], /rules apply: give one rule FILE \(or --stored\)/],
    [['rules', 'apply', '--stored'], /no rule set is stored \(surveyor rules store FILE\)/],
    [['rules', 'apply', file('good.yaml', GOOD), '--asset', 'web01'], /bad --asset: give one IPv4 or IPv6 address \(not "web01"\)/],
    [['rules', 'undo', '999'], /no rule run 999 \(see "surveyor rules runs"\)/],
    [['rules', 'undo', 'last'], /rules undo: give one RUN_ID \(a number; see "surveyor rules runs"\), not "last"/],
    [['rules', 'frobnicate'], /rules: unknown subcommand "frobnicate"/],
    [['rules', 'store', file('op2.yaml', GOOD.replace('kind: account', 'kind: acount'))], /rules\[0\]\.kind: string "acount" is not asset or account; did you mean "account"\?/],
    [['workgroups', 'add', 'site-a', '--site', 'west'], /workgroup "site-a" exists already/],
    [['workgroups', 'add', 'bad name!', '--site', 'x'], /bad workgroup name "bad name!"/],
    [['workgroups', 'add', 'site-c'], /--site SITE is required/],
    [['report', 'unmanagd'], /report: unknown report "unmanagd"; did you mean "unmanaged"\?/],
    [['report', 'stale', '--days', '0'], /bad --days "0": expected a whole number from 1 to 36500/],
    [['report', 'managed', '--days', '30'], /--days applies to the stale report/],
    [['report', 'unmanaged', '--format', 'pdf'], /bad --format "pdf": expected one of table, jsonl, json, csv, html/],
    [['report', 'unmanaged', '--kind', 'admin'], /bad --kind "admin": expected one of local, ssh-key, domain, database/],
    [['report', 'unmanaged', '--address', 'web01'], /bad --address "web01": give an address, a CIDR block or a range, not a host name/],
    [['report', 'unmanaged', '--address', '10.0.0.0/40'], /bad --address "10\.0\.0\.0\/40": prefix length 40 is out of range 0-32/],
    [['report', 'managed', '--address', '10.0.0.0/8'], /--address applies to the unmanaged report/],
    [['report', 'stale', '--kind', 'local'], /--kind applies to the unmanaged report/],
    [['report', 'unmanaged', '--output', join(dir, 'no', 'such', 'dir', 'r.html')], /bad --output ".*r\.html": cannot be written \(ENOENT\)/],
    [['scan', HOST, '--ports', '9', '--apply-rules', join(dir, 'op.yaml'), '--no-progress'], /op\.yaml: 1 problem\(s\), nothing applied/],
    [['scan', HOST, '--ports', '9', '--apply-rules', join(dir, 'good.yaml'), '--no-rules'], /give --apply-rules FILE or --no-rules, not both/],
  ];
  const db = join(dir, 's.db');
  for (const [args, message] of cases) {
    const before = fileState(db);
    const r = await cli(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.is(fileState(db), before, `${args.join(' ')} changed the database`);
  }
  // The refused scan left no scan record behind.
  t.is((JSON.parse((await cli(['scans', '--format', 'json'])).stdout) as { scans: unknown[] }).scans.length, 1);
});

test('a webhook that fails: the run is kept, exit 1 with the reason, and the next run tries again', async (t) => {
  const { dir, cli } = await estate(t);
  const bodies: string[] = [];
  let fail = true;
  const hook = createHttp((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      bodies.push(text);
      res.writeHead(fail ? 503 : 200).end();
    });
  });
  const port = await listen(t, hook);
  const rules = (url: string) => `schema: 1
rules:
  - name: tell
    kind: asset
    when: { field: address, op: eq, value: ${HOST} }
    then: [ { tag: told }, { notify: { url: "${url}" } } ]
`;
  // A listener that is closed at once: the POST is refused.
  const refused = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, HOST, () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  writeFileSync(join(dir, 'refused.yaml'), rules(`http://${HOST}:${refused}/x`));
  const r1 = await cli(['rules', 'apply', join(dir, 'refused.yaml')]);
  t.is(r1.code, 1);
  t.regex(r1.stderr, /webhook failed: rule "tell": POST http:\/\/127\.62\.0\.1:\d+\/x failed: ECONNREFUSED \(1 subject\(s\), retried on the next run\)/);
  t.regex(r1.stdout, /added tag "told"/);
  writeFileSync(join(dir, 'hook.yaml'), rules(`http://${HOST}:${port}/hook`));
  const r2 = await cli(['rules', 'apply', join(dir, 'hook.yaml')]);
  t.is(r2.code, 1);
  t.regex(r2.stderr, /answered HTTP 503/);
  fail = false;
  const r3 = await cli(['rules', 'apply', join(dir, 'hook.yaml'), '--format', 'json']);
  t.is(r3.code, 0, r3.stderr);
  t.is(JSON.parse(r3.stdout).summary.notifications, 1);
  const r4 = await cli(['rules', 'apply', join(dir, 'hook.yaml'), '--format', 'json']);
  t.is(JSON.parse(r4.stdout).summary.notifications, 0);
  t.is(bodies.length, 2);
  const body = JSON.parse(bodies[1]!) as { rule: string; subjects: Array<{ type: string; address: string }> };
  t.like(body, { rule: 'tell', subjects: [{ type: 'asset', address: HOST }] });
});
