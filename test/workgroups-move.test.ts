/**
 * `workgroups move-accounts FROM TO` on both databases: through the real CLI on SQLite, through the application
 * function on PostgreSQL. An estate of managed accounts in two workgroups is made by applying a rule file; every
 * outcome is read back from the database with SQL of the test's own (helpers/dialects.ts), against the accounts the
 * estate below puts in each workgroup. No network traffic: accounts are written as an enumeration would.
 */
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import type { AccountObservation, EnumerationRecord } from '../enum/types.js';
import { parseRuleFile } from '../onboarding/rule-file.js';
import { applyRuleSet } from '../app/rules.js';
import { undoRun } from '../app/apply-rules.js';
import { moveAccounts } from '../app/workgroups.js';
import { InputError } from '../scanner/errors.js';
import { fileState, runCli, tempDir } from './helpers/cli.js';
import { type Dialect, eachDialect } from './helpers/dialects.js';

const T0 = '2026-01-01T00:00:00.000Z';
const WORKGROUPS = ['east-site', 'west-site', 'spare', 'north'];
/** Address -> account names. The rules put 127.0.1.0/24 in east-site, 127.0.2.0/24 in west-site, nothing else. */
const HOSTS: Record<string, string[]> = { '127.0.1.1': ['root', 'alice'], '127.0.1.2': ['root', 'bob'], '127.0.2.1': ['root', 'carol'], '127.0.3.1': ['root'] };
const EAST = ['127.0.1.1 alice', '127.0.1.1 root', '127.0.1.2 bob', '127.0.1.2 root'];
const WEST = ['127.0.2.1 carol', '127.0.2.1 root'];

/** The estate's rules; `east` is where the east rule onboards, `policy` its policy. */
const rules = (east = 'east-site', policy = 'std') => `schema: 1
rules:
  - name: east
    kind: account
    when: { field: asset.address, op: inCidr, value: 127.0.1.0/24 }
    then: [ { onboard: { workgroup: ${east}, policy: ${policy} } }, { tag: east } ]
  - name: west
    kind: account
    when: { field: asset.address, op: inCidr, value: 127.0.2.0/24 }
    then: [ { onboard: { workgroup: west-site, changeFrequencyDays: 7 } } ]
`;

const account = (name: string): AccountObservation => ({
  kind: 'local', key: name, name, uid: String(name.length), privileged: name === 'root', reasons: [], enabled: true, details: {}, source: 'getent passwd',
});
const enumeration = (names: string[]): EnumerationRecord => ({ method: 'ssh', port: 22, credential: 'lab', status: 'success', notes: [], elapsedMs: 1, accounts: names.map(account), facts: {} });

async function withStore<T>(location: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(location, { create: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A database holding HOSTS, the workgroups, and the managed accounts `rules()` onboards; no connection left open. */
async function estate(t: ExecutionContext, d: Dialect): Promise<string> {
  const location = await d.fresh(t);
  await withStore(location, async (store) => {
    const totals = { probesDone: 4, hostsDone: 4, open: 4, closed: 0, filtered: 0 };
    const scan = await store.createScan({ startedAt: T0, targets: Object.keys(HOSTS), exclusions: [], ports: [22], options: { timeoutMs: 1000 }, hostsTotal: 4, probesTotal: 4 });
    await store.recordHosts(scan, Object.entries(HOSTS).map(([address, names]) => ({
      address, hostnames: [], ports: [{ port: 22, state: 'open', rttMs: 0.1, attempts: 1 }], seenAt: T0, enumerations: [enumeration(names)],
    })), totals);
    await store.finishScan(scan, 'completed', totals, T0);
    for (const w of WORKGROUPS) await store.addWorkgroup(w, `site of ${w}`, null, T0);
    await applyRuleSet(store, { rules: parseRuleFile(rules(), 'rules.yaml'), source: 'rules.yaml' }, { trigger: 'command' });
  });
  return location;
}

interface ManagedRow {
  account_id: number; who: string; workgroup: string; policy: string; change_frequency_days: number; change_time: string;
  rule: string; rule_version: string; run_id: number; onboarded_at: string;
}

const managed = (d: Dialect, location: string) => d.raw<ManagedRow>(location, `SELECT m.account_id, a.address || ' ' || ac.name AS who, m.workgroup, m.policy,
    m.change_frequency_days, m.change_time, m.rule, m.rule_version, m.run_id, m.onboarded_at
  FROM managed_accounts m JOIN accounts ac ON ac.id = m.account_id JOIN assets a ON a.id = ac.asset_id`)
  .then((rows) => rows.sort((x, y) => (x.who < y.who ? -1 : 1)));
const whoIn = (rows: readonly ManagedRow[], workgroup: string) => rows.filter((r) => r.workgroup === workgroup).map((r) => r.who);
/** A managed account's settings as a journal entry holds them. */
const stateOf = (r: ManagedRow) => ({ workgroup: r.workgroup, policy: r.policy, changeFrequencyDays: r.change_frequency_days, changeTime: r.change_time, rule: r.rule, ruleVersion: r.rule_version });
const journal = (d: Dialect, location: string, runId: number) => d.raw<{ action: string; subject: string; subject_id: number; before: string; after: string }>(
  location, 'SELECT action, subject, subject_id, before, after FROM journal WHERE run_id = $1 ORDER BY id', [runId]);
const runRow = async (d: Dialect, location: string, runId: number) => (await d.raw<{ trigger: string; source: string; summary: string; undone_by: number | null }>(
  location, 'SELECT trigger, source, summary, undone_by FROM rule_runs WHERE id = $1', [runId]))[0]!;
/** Everything a move or a rule run writes, row by row. */
const written = async (d: Dialect, location: string) => JSON.stringify(await Promise.all(['rule_runs', 'journal', 'managed_accounts', 'memberships']
  .map((table) => d.raw(location, `SELECT * FROM ${table} ORDER BY 1, 2, 3`))));

interface MoveOut { readonly runId: number | null; readonly dryRun: boolean; readonly accounts: ReadonlyArray<{ address: string; account: string }> }
/** The accounts a move printed, against the `address name` of HOSTS (local accounts, all). */
const movedWho = (r: MoveOut) => r.accounts.map((a) => `${a.address} ${a.account}`);
const local = (who: readonly string[]) => who.map((w) => `${w} (local)`);

/** The operations under test: the CLI on SQLite, the application functions on PostgreSQL. */
function ops(t: ExecutionContext, d: Dialect, location: string) {
  const dir = tempDir(t);
  const cli = async (args: string[]) => {
    const r = await runCli([...args, '--db', location]);
    t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const sqlite = d.name === 'sqlite';
  return {
    move: async (from: string, to: string, dryRun = false): Promise<MoveOut> => (sqlite
      ? JSON.parse(await cli(['workgroups', 'move-accounts', from, to, '--format', 'json', ...(dryRun ? ['--dry-run'] : [])])) as MoveOut
      : withStore(location, (s) => moveAccounts(s, from, to, { dryRun }))),
    undo: async (runId: number): Promise<number> => {
      if (!sqlite) return (await withStore(location, (s) => undoRun(s, runId))).runId;
      const out = await cli(['rules', 'undo', String(runId)]);
      t.regex(out, new RegExp(`^run \\d+ undid run ${runId}: `));
      return Number(/^run (\d+)/.exec(out)![1]);
    },
    /** Applies rule text; returns the run's id and summary. */
    apply: async (text: string, addresses?: string[]): Promise<{ runId: number; summary: Record<string, number> }> => {
      if (!sqlite) {
        const r = await withStore(location, (s) => applyRuleSet(s, { rules: parseRuleFile(text, 'r.yaml'), source: 'r.yaml' }, { trigger: 'command', addresses }));
        return { runId: r.runId!, summary: r.summary };
      }
      const file = join(dir, 'r.yaml');
      writeFileSync(file, text);
      return JSON.parse(await cli(['rules', 'apply', file, '--format', 'json', ...(addresses ?? []).flatMap((a) => ['--asset', a])]));
    },
  };
}

eachDialect('move-accounts moves exactly FROM\'s managed accounts to TO in a run of its own, one journal update each; rules undo restores them', async (t, d) => {
  const location = await estate(t, d);
  const op = ops(t, d, location);
  const before = await managed(d, location);
  t.deepEqual(whoIn(before, 'east-site'), EAST, 'the estate: the east rule onboarded 127.0.1.0/24');
  t.deepEqual(whoIn(before, 'west-site'), WEST);
  const memberships = await d.raw(location, 'SELECT * FROM memberships ORDER BY subject_id, name');
  t.is(memberships.length, EAST.length, 'one east tag per east account');

  const moved = await op.move('east-site', 'spare');
  t.false(moved.dryRun);
  t.deepEqual(movedWho(moved), local(EAST));
  const runId = moved.runId!;
  t.like(await runRow(d, location, runId), { trigger: 'move-accounts', source: 'workgroups move-accounts east-site spare', undone_by: null });

  const after = await managed(d, location);
  t.deepEqual(whoIn(after, 'spare'), EAST);
  t.deepEqual(whoIn(after, 'east-site'), []);
  for (const [i, row] of after.entries()) {
    const was = before[i]!;
    if (was.workgroup === 'east-site') t.deepEqual(row, { ...was, workgroup: 'spare', run_id: runId }, `${row.who}: moved, all else as it was`);
    else t.deepEqual(row, was, `${row.who}: untouched`);
  }
  t.deepEqual(await d.raw(location, 'SELECT * FROM memberships ORDER BY subject_id, name'), memberships, 'memberships untouched');

  const entries = await journal(d, location, runId);
  t.is(entries.length, EAST.length, 'one journal entry per account moved');
  for (const e of entries) {
    const was = before.find((r) => r.account_id === e.subject_id)!;
    t.is(was.workgroup, 'east-site');
    t.like(e, { action: 'update', subject: 'account' });
    t.deepEqual(JSON.parse(e.before), stateOf(was));
    t.deepEqual(JSON.parse(e.after), { ...stateOf(was), workgroup: 'spare' });
  }
  const listed = d.name === 'sqlite'
    ? (JSON.parse((await runCli(['rules', 'runs', '--format', 'json', '--db', location])).stdout) as { runs: Array<{ id: number; trigger: string }> }).runs
    : await withStore(location, (s) => s.listRuleRuns());
  t.deepEqual(listed.map((r) => [r.id, r.trigger]), [[1, 'command'], [runId, 'move-accounts']], 'rules runs lists the move');

  const undo = await op.undo(runId);
  t.is((await runRow(d, location, runId)).undone_by, undo);
  const restored = await managed(d, location);
  const settled = (rows: ManagedRow[]) => rows.map(({ run_id: _, ...rest }) => rest);
  t.deepEqual(settled(restored), settled(before), 'every account back as it was');
  t.deepEqual(restored.filter((r) => r.run_id === undo).map((r) => r.who), EAST, 'the undo changed the moved accounts only');
  const undone = await journal(d, location, undo);
  t.deepEqual(undone.map((e) => [e.action, JSON.parse(e.before).workgroup, JSON.parse(e.after).workgroup]), EAST.map(() => ['update', 'spare', 'east-site']));

  // Undone, the move no longer holds: the rules decide, and they say east-site, where the accounts are.
  const again = await op.apply(rules());
  t.is((await journal(d, location, again.runId)).length, 0);
  t.is(again.summary.keptMoved, 0);
});

eachDialect('a later rule run leaves moved accounts where the move put them, their other settings following the rules; a rule naming another workgroup moves them', async (t, d) => {
  const location = await estate(t, d);
  const op = ops(t, d, location);
  const moved = await op.move('east-site', 'spare');

  const same = await op.apply(rules());
  t.is((await journal(d, location, same.runId)).length, 0, 'the same rules change nothing');
  t.is(same.summary.keptMoved, EAST.length);
  t.deepEqual(whoIn(await managed(d, location), 'spare'), EAST);
  const scoped = await op.apply(rules(), ['127.0.1.2']);
  t.is((await journal(d, location, scoped.runId)).length, 0, 'nor does a run over some assets, as a scan\'s');
  t.is(scoped.summary.keptMoved, 2);

  const strict = await op.apply(rules('east-site', 'strict'));
  const updates = await journal(d, location, strict.runId);
  t.deepEqual(updates.map((e) => [e.action, JSON.parse(e.before).workgroup, JSON.parse(e.after).workgroup, JSON.parse(e.after).policy]), EAST.map(() => ['update', 'spare', 'spare', 'strict']));
  t.deepEqual((await managed(d, location)).filter((r) => r.policy === 'strict').map((r) => [r.who, r.workgroup]), EAST.map((w) => [w, 'spare']));

  // A second move from where the first put them: a rule naming either workgroup they left keeps them.
  const second = await op.move('spare', 'west-site');
  t.deepEqual(movedWho(second), local(EAST));
  t.deepEqual(whoIn(await managed(d, location), 'west-site'), [...EAST, ...WEST].sort());
  for (const named of ['east-site', 'spare']) {
    const run = await op.apply(rules(named, 'strict'));
    // Naming spare makes a new version of the rule, which the accounts take; their workgroup stays.
    const changed = (await journal(d, location, run.runId)).filter((e) => JSON.parse(e.before).workgroup !== JSON.parse(e.after).workgroup);
    t.deepEqual(changed, [], `rule naming ${named}`);
    t.is(run.summary.keptMoved, EAST.length);
    t.deepEqual(whoIn(await managed(d, location), 'west-site'), [...EAST, ...WEST].sort());
  }

  // A rule naming a workgroup they were never in is a new decision: it moves them, and the move no longer holds.
  const north = await op.apply(rules('north', 'strict'));
  t.is((await journal(d, location, north.runId)).length, EAST.length);
  t.is(north.summary.keptMoved, 0);
  t.deepEqual(whoIn(await managed(d, location), 'north'), EAST);
  const back = await op.apply(rules('east-site', 'strict'));
  t.deepEqual(whoIn(await managed(d, location), 'east-site'), EAST);
  t.is(back.summary.keptMoved, 0);
  t.is((await runRow(d, location, moved.runId!)).undone_by, null, 'no move was undone along the way');
});

eachDialect('bad input is refused with nothing written; a dry run writes nothing; FROM without managed accounts writes no run', async (t, d) => {
  const location = await estate(t, d);
  const op = ops(t, d, location);
  const cases: Array<[string, string, RegExp]> = [
    ['nowhere', 'spare', /no workgroup "nowhere" \(see "surveyor workgroups list"\)/],
    ['east-site', 'elsewhere', /no workgroup "elsewhere"/],
    ['gone', 'lost', /no workgroup "gone", no workgroup "lost"/],
    ['east-site', 'east-site', /FROM and TO are both "east-site"/],
    ['east site', 'spare', /bad workgroup name "east site"/],
    ['east-site', '-x', /bad workgroup name "-x"|unknown option "-x"/],
  ];
  const cliOnly: Array<[string[], RegExp]> = [
    [['workgroups', 'move-accounts', 'east-site'], /give two workgroups, FROM and TO \(1 given\)/],
    [['workgroups', 'move-accounts', 'east-site', 'spare', 'north'], /give two workgroups, FROM and TO \(3 given\)/],
    [['workgroups', 'move-accounts', 'east-site', 'spare', '--format', 'csv'], /bad --format "csv": expected one of table, json/],
    [['workgroups', 'move-accounts', 'east-site', 'spare', '--dryrun'], /unknown option "--dryrun"; did you mean --dry-run\?/],
    [['workgroups', 'list', '--dry-run'], /workgroups list: --dry-run applies to move-accounts/],
  ];
  const db = await written(d, location);
  const bytes = d.name === 'sqlite' ? fileState(location) : '';
  const unchanged = async (what: string) => {
    t.is(await written(d, location), db, `${what}: rows changed`);
    if (d.name === 'sqlite') t.is(fileState(location), bytes, `${what}: the file changed`);
  };
  if (d.name === 'sqlite') {
    for (const [args, message] of [...cases.map(([from, to, m]): [string[], RegExp] => [['workgroups', 'move-accounts', from, to], m]), ...cliOnly]) {
      const r = await runCli([...args, '--db', location]);
      t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      t.regex(r.stderr, message, args.join(' '));
      await unchanged(args.join(' '));
    }
    const table = await runCli(['workgroups', 'move-accounts', 'east-site', 'spare', '--dry-run', '--db', location]);
    t.is(table.code, 0, table.stderr);
    t.regex(table.stdout, /^ADDRESS +ACCOUNT +FROM +TO\n127\.0\.1\.1 +alice \(local\) +east-site +spare\n/);
    t.regex(table.stdout, /\ndry run \(nothing written\): 4 managed account\(s\) would move from east-site to spare\n$/);
    const none = await runCli(['workgroups', 'move-accounts', 'north', 'spare', '--db', location]);
    t.is(none.code, 0, none.stderr);
    t.is(none.stdout, 'no managed accounts in workgroup north: nothing moved, no run written\n');
  } else {
    for (const [from, to, message] of cases.filter(([, to]) => to !== '-x')) {
      await t.throwsAsync(withStore(location, (s) => moveAccounts(s, from, to)), { instanceOf: InputError, message }, `${from} ${to}`);
      await unchanged(`${from} ${to}`);
    }
  }
  const dry = await op.move('east-site', 'spare', true);
  t.like(dry, { runId: null, dryRun: true });
  t.deepEqual(movedWho(dry), local(EAST));
  await unchanged('dry run');
  t.like(await op.move('north', 'spare'), { runId: null, accounts: [] });
  await unchanged('a move of no accounts');
});
