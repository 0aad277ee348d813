/**
 * Discovery jobs on PostgreSQL with several real worker processes, runs delivered by pg-boss: every run goes to a
 * worker of its workgroup; a worker killed with -9 mid-run has its run resumed by another at its first unit not
 * done, and one stopped with SIGTERM hands its run back, the results equal to the estate's ground truth (the
 * addresses this test listens on) with no duplicate rows; the Smart Rule role passes to another worker when its
 * holder is killed, and rules are applied once per run after that. The fencing of rule writes is checked in process
 * on both databases. PostgreSQL is the test cluster of fixtures/pg (127.94.0.1); listeners on 127.109.0.0/16 only.
 */
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dirEnv, tempDir } from './helpers/cli.js';
import { declarePostgresStop, eachDialect, pgQuery, testPostgres } from './helpers/dialects.js';
import { cli, listen, show, stop, until, worker, workers, type RunJson } from './helpers/jobs.js';
import { openStore } from '../store/open-store.js';
import { RoleLostError } from '../store/rule-role.js';
import { applyRuleSet } from '../app/rules.js';
import { parseRuleFile } from '../onboarding/rule-file.js';

declarePostgresStop();
const PORT = 18_082;

async function pgEnv(t: ExecutionContext, name: string): Promise<{ env: NodeJS.ProcessEnv; url: string }> {
  const url = await (await testPostgres()).freshDatabase(name);
  return { env: { ...dirEnv(tempDir(t)), SURVEYOR_DB: url }, url };
}

async function ports(url: string, scanId: number): Promise<{ hosts: string[]; rows: number; distinct: number }> {
  const open = await pgQuery<{ address: string }>(url, `SELECT a.address FROM scan_ports p JOIN assets a ON a.id = p.asset_id WHERE p.scan_id = $1 AND p.state = 'open' ORDER BY a.address`, [scanId]);
  const [all] = await pgQuery<{ n: number; d: number }>(url, `SELECT count(*) AS n, count(DISTINCT (asset_id, port)) AS d FROM scan_ports WHERE scan_id = $1`, [scanId]);
  return { hosts: open.map((r) => r.address), rows: all!.n, distinct: all!.d };
}

const sorted = (a: readonly string[]) => [...a].sort();

test.serial('two workgroups, one worker each: every run goes to a worker of its workgroup, delivered by pg-boss', async (t) => {
  const truth = { west: ['127.109.0.2', '127.109.0.6'], east: ['127.109.0.9'], any: ['127.109.0.17', '127.109.0.20'] };
  await listen(t, Object.values(truth).flat(), PORT);
  const { env, url } = await pgEnv(t, 'jobs_routing');
  await cli(t, env, ['workgroups', 'add', 'west', '--site', 'West']);
  await cli(t, env, ['workgroups', 'add', 'east', '--site', 'East']);
  const jobs: Array<[string, string | null, string]> = [
    ['west-1', 'west', '127.109.0.0/29'], ['west-2', 'west', '127.109.0.0/29'], ['east-1', 'east', '127.109.0.8/29'],
    ['east-2', 'east', '127.109.0.8/29'], ['any-1', null, '127.109.0.16/29'],
  ];
  for (const [name, wg, targets] of jobs) await cli(t, env, ['jobs', 'add', name, '--targets', targets, '-p', String(PORT), ...(wg ? ['--workgroup', wg] : [])]);
  const w = worker(env, 'w-west', ['--workgroup', 'west']);
  const e = worker(env, 'w-east', ['--workgroup', 'east']);
  t.teardown(() => Promise.all([stop(w.child), stop(e.child)]));
  for (const [name] of jobs) await cli(t, env, ['jobs', 'run', name]);
  const done = new Map<string, RunJson>();
  await until('every run completed', async () => {
    for (const [name] of jobs) {
      const run = (await show(t, env, name))[0];
      if (run?.state === 'completed') done.set(name, run);
    }
    return done.size === jobs.length ? true : undefined;
  });
  await Promise.all([stop(w.child), stop(e.child)]);
  t.regex(w.log(), /runs delivered by pg-boss/);
  for (const [name, wg] of jobs) {
    const run = done.get(name)!;
    if (wg) t.is(run.worker, `w-${wg}`, `${name} ran on a worker of ${wg}`);
    else t.true(['w-west', 'w-east'].includes(run.worker), `${name} ran on either worker`);
    const want = truth[(wg ?? 'any') as keyof typeof truth];
    t.deepEqual((await ports(url, run.scanId)).hosts, sorted(want), `${name}: the listening hosts`);
  }
  const queued = await pgQuery<{ name: string; state: string }>(url, `SELECT name, state::text FROM surveyor_boss.job WHERE state NOT IN ('completed')`);
  t.deepEqual(queued, [], 'pg-boss holds no job that is not completed');
});

test.serial('a job every 5 s runs on time on PostgreSQL, again and again; its progress moves while it runs', async (t) => {
  const truth = ['127.109.4.3', '127.109.4.200'];
  await listen(t, truth, PORT);
  const { env, url } = await pgEnv(t, 'jobs_every');
  // 256 hosts in 8 units at 100 attempts a second: each run takes about 3 s, so its progress can be seen moving.
  await cli(t, env, ['jobs', 'add', 'often', '--targets', '127.109.4.0/24', '-p', String(PORT), '--every', '5s', '--rate', '100', '--retries', '0']);
  const w = worker(env, 'w-often', ['--unit-hosts', '32']);
  t.teardown(() => stop(w.child));
  const seen = new Set<number>();
  const runs = await until('two completed runs', async () => {
    const all = await show(t, env, 'often');
    for (const r of all) if (r.state === 'running') seen.add(r.unitsDone);
    const completed = all.filter((x) => x.state === 'completed');
    return completed.length >= 2 ? completed : undefined;
  }, 120_000);
  await stop(w.child);
  t.is(w.child.exitCode, 0, w.log());
  t.true(seen.size >= 2, `progress moved while a run went on (units done seen: ${[...seen].join(', ')})`);
  for (const r of runs) {
    t.like(r.progress, { hostsTotal: 256, hostsDone: 256, hostsFound: truth.length, openPorts: truth.length });
    t.deepEqual((await ports(url, r.scanId)).hosts, sorted(truth));
  }
  t.regex(w.log(), /job often: run \d+ queued \(due /, 'the schedule queued the later runs');
});

/** A big run, two workers of its workgroup; `interrupt` stops whichever worker runs it once three units are done. */
async function takeover(t: ExecutionContext, db: string, subnet: string, signal: NodeJS.Signals) {
  const truth = [`${subnet}.5`, `${subnet}.77`, `${subnet}.140`, `${subnet}.250`];
  await listen(t, truth, PORT);
  const { env, url } = await pgEnv(t, db);
  await cli(t, env, ['workgroups', 'add', 'west', '--site', 'West']);
  // 256 hosts in 16 units at 40 attempts a second: about 6 s of sweep, long enough to stop the worker mid-run.
  await cli(t, env, ['jobs', 'add', 'big', '--workgroup', 'west', '--targets', `${subnet}.0/24`, '-p', String(PORT), '--rate', '40', '--retries', '0']);
  const pool = { a: worker(env, 'w-a', ['--workgroup', 'west', '--unit-hosts', '16']), b: worker(env, 'w-b', ['--workgroup', 'west', '--unit-hosts', '16']) };
  t.teardown(() => Promise.all([stop(pool.a.child, 'SIGKILL'), stop(pool.b.child, 'SIGKILL')]));
  await cli(t, env, ['jobs', 'run', 'big']);
  const running = await until('three units done', async () => {
    const run = (await show(t, env, 'big'))[0];
    return run && run.unitsDone >= 3 ? run : undefined;
  });
  const [first, second] = running.worker === 'w-a' ? [pool.a, pool.b] : [pool.b, pool.a];
  const stoppedAt = Date.now();
  await stop(first.child, signal);
  const atStop = (await show(t, env, 'big'))[0]!;
  t.true(atStop.unitsDone < 16, 'stopped before the end');
  const resumed = await until('the run taken by the other worker', async () => {
    const run = (await show(t, env, 'big'))[0];
    return run && run.attempts === 2 && run.worker !== running.worker ? Date.now() : undefined;
  });
  t.log(`${signal}: run ${running.id} resumed by the other worker ${((resumed - stoppedAt) / 1000).toFixed(1)} s after the ${signal}`);
  const done = await until('the run completed', async () => {
    const run = (await show(t, env, 'big'))[0];
    return run?.state === 'completed' ? run : undefined;
  }, 120_000);
  await stop(second.child);
  t.not(done.worker, running.worker);
  t.is(done.attempts, 2);
  t.is(done.unitsDone, 16);
  const units = await pgQuery<{ worker: string; n: number }>(url, 'SELECT worker, count(*) AS n FROM job_units WHERE run_id = $1 GROUP BY worker ORDER BY worker', [done.id]);
  const byFirst = units.find((u) => u.worker === running.worker)?.n ?? 0;
  // A killed worker commits nothing after the kill; one stopped with SIGTERM may commit the unit in flight first.
  if (signal === 'SIGKILL') t.is(byFirst, atStop.unitsDone, 'the units done before the kill were not done again');
  else t.true(byFirst >= running.unitsDone, `the units done before the stop were kept (${byFirst})`);
  t.is(units.reduce((n, u) => n + u.n, 0), 16, 'every unit done once, by one worker or the other');
  const ports_ = await ports(url, done.scanId);
  t.deepEqual(ports_.hosts, sorted(truth));
  t.is(ports_.rows, ports_.distinct, 'no duplicate rows');
  t.like(done.progress, { hostsTotal: 256, hostsDone: 256, hostsFound: truth.length, openPorts: truth.length });
  const [scan] = await pgQuery<{ status: string }>(url, 'SELECT status FROM scans WHERE id = $1', [done.scanId]);
  t.is(scan!.status, 'completed');
  return { first, env };
}

test.serial('kill -9 of a worker mid-run: the other worker of the workgroup resumes at the first unit not done; results equal the truth, no duplicate rows', async (t) => {
  const { first } = await takeover(t, 'jobs_kill', '127.109.1', 'SIGKILL');
  t.is(first.child.signalCode, 'SIGKILL');
});

test.serial('SIGTERM of a worker mid-run: its run is handed back and finished by the other worker, nothing lost', async (t) => {
  const { first } = await takeover(t, 'jobs_term', '127.109.2', 'SIGTERM');
  t.is(first.child.exitCode, 0, first.log());
  t.regex(first.log(), /handed back/);
});

test.serial('the rule role: its holder killed with -9, another worker takes it with the next epoch; a run\'s rules are applied once', async (t) => {
  const truth = ['127.109.3.3', '127.109.3.9'];
  await listen(t, truth, PORT);
  const { env, url } = await pgEnv(t, 'jobs_rules');
  const dir = tempDir(t);
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'schema: 1\nrules:\n  - name: seen\n    kind: asset\n    when: { field: port, op: contains, value: ' + PORT + ' }\n    then: [ { tag: seen } ]\n');
  await cli(t, env, ['workgroups', 'add', 'west', '--site', 'West']);
  await cli(t, env, ['rules', 'store', rules]);
  const pool = [worker(env, 'r-1'), worker(env, 'r-2')];
  t.teardown(() => Promise.all(pool.map((p) => stop(p.child, 'SIGKILL'))));
  const first = await until('a worker holding the rule role', async () => (await workers(t, env)).find((w) => w.rulesLeader));
  t.is((await workers(t, env)).filter((w) => w.rulesLeader).length, 1, 'one holder');
  const leader = first.name === 'r-1' ? pool[0]! : pool[1]!;
  const killedAt = Date.now();
  await stop(leader.child, 'SIGKILL');
  const next = await until('another worker holding the rule role', async () => (await workers(t, env)).find((w) => w.rulesLeader && w.name !== first.name), 60_000);
  t.log(`rule role: ${first.name} killed, ${next.name} held it ${((Date.now() - killedAt) / 1000).toFixed(1)} s later`);
  t.is(next.ruleRole!.epoch, first.ruleRole!.epoch + 1, 'the epoch went up by one');
  await cli(t, env, ['jobs', 'add', 'tagged', '--targets', '127.109.3.0/28', '-p', String(PORT), '--apply-rules', 'stored']);
  await cli(t, env, ['jobs', 'run', 'tagged']);
  const run = await until('the run\'s rules applied', async () => {
    const r = (await show(t, env, 'tagged'))[0] as (RunJson & { rules: string }) | undefined;
    return r?.rules === 'applied' ? r : undefined;
  });
  await sleep(2 * 2000 + 500); // two more turns of the rule loop: nothing is applied again
  const ruleRuns = await pgQuery<{ trigger: string }>(url, `SELECT trigger FROM rule_runs WHERE trigger LIKE $1`, [`job tagged run ${run.id} %`]);
  t.is(ruleRuns.length, 1, 'the run\'s rules were applied exactly once');
  t.regex(ruleRuns[0]!.trigger, new RegExp(`rule role: ${next.name}, epoch ${next.ruleRole!.epoch}`));
  const tagged = await pgQuery<{ address: string }>(url, `SELECT a.address FROM memberships m JOIN assets a ON a.id = m.subject_id WHERE m.subject = 'asset' AND m.kind = 'tag' AND m.name = 'seen' ORDER BY a.address`);
  t.deepEqual(tagged.map((r) => r.address), sorted(truth));
});

eachDialect('a rule write under a role that has changed hands is refused, and writes nothing', async (t, d) => {
  const location = await d.fresh(t);
  const store = await openStore(location, { create: true });
  t.teardown(() => store.close());
  const a = store.ruleRole('node-a');
  const b = store.ruleRole('node-b');
  const fenceA = await a.claim();
  t.is(fenceA?.holder, 'node-a');
  t.is(await b.claim(), undefined, 'held by node-a: node-b does not get it');
  t.deepEqual(await a.claim(), fenceA, 'a claim by the holder keeps the same epoch');
  await a.release();
  const fenceB = await b.claim();
  t.is(fenceB?.epoch, fenceA!.epoch + 1);
  const rules = parseRuleFile('schema: 1\nrules:\n  - name: all\n    kind: asset\n    when: { field: address, op: inCidr, value: 127.0.0.0/8 }\n    then: [ { tag: all } ]\n', 'rules.yaml');
  const before = await d.raw<{ n: number }>(location, 'SELECT count(*) AS n FROM rule_runs');
  const refused = await t.throwsAsync(applyRuleSet(store, { rules, source: 'rules.yaml' }, { trigger: 'test', fence: fenceA }));
  t.true(refused instanceof RoleLostError, String(refused));
  t.regex(refused!.message, /passed to node-b \(epoch \d+\); node-a \(epoch \d+\) writes no rule results/);
  t.deepEqual(await d.raw<{ n: number }>(location, 'SELECT count(*) AS n FROM rule_runs'), before, 'no rule run written');
  await t.notThrowsAsync(applyRuleSet(store, { rules, source: 'rules.yaml' }, { trigger: 'test', fence: fenceB }));
  await b.release();
});

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
