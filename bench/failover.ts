/**
 * `npm run bench -- --only failover`: how fast surveyor's workers on PostgreSQL recover from a lost node, with real
 * worker processes on the throwaway cluster of fixtures/pg/server.ts.
 * - kill-to-resume: two workers of one workgroup; the one running a job run (256 hosts of 127.43.0.0/24 in units of
 *   16, at 40 attempts a second) is killed with -9 once it has committed two units; the time until the other worker
 *   has taken the run over (attempt 2 in job_runs). pg-boss's heartbeat (10 s) and supervisor (every 2 s) bound it.
 * - kill-to-new-leader: two workers; the holder of the Smart Rule role is killed with -9; the time until the other
 *   holds it (the role's epoch goes up). Its kernel closes the socket, so the server frees the advisory lock at once;
 *   the claim loop (every 2 s) bounds it.
 * The times are read from the database every 100 ms. The seed deployment's appliances take 10 minutes or longer to
 * fail over (14 minutes without a heartbeat before the passive node promotes itself); nothing else is run here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { run } from './exec.js';

const BIN = fileURLToPath(new URL('../../bin/surveyor.js', import.meta.url));
const PORT = 18_083;
const TRUTH = ['127.43.0.7', '127.43.0.130'];

function startWorker(env: NodeJS.ProcessEnv, name: string, extra: readonly string[]): ChildProcess {
  return spawn(process.execPath, [BIN, 'worker', '--name', name, '--poll', '200ms', ...extra], { env: { ...process.env, ...env }, stdio: 'ignore' });
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`failover bench: timed out waiting for ${what}`);
}

const stats = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)]!, worst: s[s.length - 1]! };
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function killToResume(url: string, env: NodeJS.ProcessEnv, client: pg.Client, rep: number): Promise<number> {
  const workers = [startWorker(env, `resume-a-${rep}`, ['--workgroup', 'west', '--unit-hosts', '16', '--no-rules']), startWorker(env, `resume-b-${rep}`, ['--workgroup', 'west', '--unit-hosts', '16', '--no-rules'])];
  try {
    await run([process.execPath, BIN, 'jobs', 'run', 'big', '--db', url]);
    const { rows: [queued] } = await client.query<{ id: number }>(`SELECT max(r.id) AS id FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE j.name = 'big'`);
    const runId = queued!.id;
    const holder = await poll('two units done', async () => {
      const { rows: [r] } = await client.query<{ worker: string | null; units_done: number }>('SELECT worker, units_done FROM job_runs WHERE id = $1', [runId]);
      return r && r.worker && Number(r.units_done) >= 2 ? r.worker : undefined;
    });
    const victim = workers[holder.startsWith('resume-a') ? 0 : 1]!;
    await kill(victim);
    const killedAt = performance.now();
    await poll('the run taken over', async () => {
      const { rows: [r] } = await client.query<{ worker: string; attempts: number }>('SELECT worker, attempts FROM job_runs WHERE id = $1', [runId]);
      return r && Number(r.attempts) === 2 && r.worker !== holder ? true : undefined;
    });
    const ms = performance.now() - killedAt;
    await poll('the run completed', async () => {
      const { rows: [r] } = await client.query<{ state: string }>('SELECT state FROM job_runs WHERE id = $1', [runId]);
      return r?.state === 'completed' ? true : undefined;
    });
    return ms;
  } finally {
    await Promise.all(workers.map((w) => kill(w)));
  }
}

async function killToLeader(env: NodeJS.ProcessEnv, client: pg.Client, rep: number): Promise<number> {
  const names = [`leader-a-${rep}`, `leader-b-${rep}`];
  const workers = names.map((n) => startWorker(env, n, []));
  try {
    const epochOf = async () => (await client.query<{ holder: string; epoch: number }>(`SELECT holder, epoch FROM roles WHERE role = 'rules'`)).rows[0];
    const held = await poll('a holder of the rule role', async () => {
      const r = await epochOf();
      return r && names.includes(r.holder) ? { holder: r.holder, epoch: Number(r.epoch) } : undefined;
    });
    await kill(workers[names.indexOf(held.holder)]!);
    const killedAt = performance.now();
    await poll('a new holder', async () => {
      const r = await epochOf();
      return r && Number(r.epoch) > held.epoch ? true : undefined;
    });
    return performance.now() - killedAt;
  } finally {
    await Promise.all(workers.map((w) => kill(w)));
  }
}

export async function benchFailover(url: string, reps: number): Promise<string[][]> {
  process.stderr.write(`\nfailover: two worker processes on PostgreSQL, kill -9, ${reps} repetitions\n`);
  const servers: Server[] = [];
  for (const a of TRUTH) {
    const s = createServer((c) => c.destroy());
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(PORT, a, resolve));
    servers.push(s);
  }
  const env = { SURVEYOR_DB: url };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await run([process.execPath, BIN, 'workgroups', 'add', 'west', '--site', 'West', '--db', url]);
    await run([process.execPath, BIN, 'jobs', 'add', 'big', '--workgroup', 'west', '--targets', '127.43.0.0/24', '-p', String(PORT), '--rate', '40', '--retries', '0', '--db', url]);
    const resume: number[] = [];
    const leader: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      resume.push(await killToResume(url, env, client, rep));
      leader.push(await killToLeader(env, client, rep));
      process.stderr.write(`  rep ${rep + 1}: run resumed ${seconds(resume.at(-1)!)} after the kill, rule role taken ${seconds(leader.at(-1)!)} after the kill\n`);
    }
    const r = stats(resume);
    const l = stats(leader);
    return [
      ['failover', 'kill -9 -> run resumed', `${seconds(r.median)} (worst ${seconds(r.worst)})`, '-', '-', `goal < 30 s; appliances: 10+ min`],
      ['failover', 'kill -9 -> new rule leader', `${seconds(l.median)} (worst ${seconds(l.worst)})`, '-', '-', `goal < 30 s; appliances: by hand`],
    ];
  } finally {
    await client.end();
    servers.forEach((s) => s.close());
  }
}
