/** Shared by the job tests: an estate of listeners, worker processes, and reading runs through the CLI. */
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, runCli } from './cli.js';

/** Listens on PORT of each address (a host of the estate: its ground truth); closed when the test ends. */
export async function listen(t: ExecutionContext, addresses: readonly string[], port: number): Promise<void> {
  const servers: Server[] = [];
  for (const a of addresses) {
    const s = createServer((c) => c.destroy());
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, a, resolve));
    servers.push(s);
  }
  t.teardown(() => servers.forEach((s) => s.close()));
}

/**
 * A `surveyor worker` process; its standard error is kept as its log. `prefix` (e.g. `ip netns exec NS`) runs it
 * elsewhere; `ip netns exec` execs node without a fork, so the child's PID is still the worker's.
 */
export function worker(env: NodeJS.ProcessEnv, name: string, extra: string[] = [], prefix: readonly string[] = []): { child: ChildProcess; log: () => string } {
  const argv = [...prefix, process.execPath, BIN, 'worker', '--name', name, '--poll', '200ms', ...extra];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  return { child, log: () => log };
}

/** Sends `signal` and waits for the process to exit. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}

export interface RunJson { id: number; state: string; worker: string; attempts: number; scanId: number; unitsDone: number; unitsTotal: number; progress: { hostsDone: number; hostsTotal: number; hostsFound: number; openPorts: number } | null }
/** Runs the CLI (under `prefix`, e.g. `ip netns exec NS`), checks it exited 0 and returns its standard output. */
export async function cli(t: ExecutionContext, env: NodeJS.ProcessEnv, args: string[], prefix: readonly string[] = []): Promise<string> {
  const r = await runCli(args, { env, prefix });
  t.is(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The runs of a job, newest first, from `jobs show NAME --format json`. */
export async function show(t: ExecutionContext, env: NodeJS.ProcessEnv, job: string, prefix: readonly string[] = []): Promise<RunJson[]> {
  return (JSON.parse(await cli(t, env, ['jobs', 'show', job, '--format', 'json'], prefix)) as { runs: RunJson[] }).runs;
}

export interface WorkerJson { name: string; live: boolean; rulesLeader: boolean; ruleRole: { epoch: number; since: string } | null }
/** The workers, from `workers --format json`: rulesLeader is true only for the live holder of the Smart Rule role. */
export async function workers(t: ExecutionContext, env: NodeJS.ProcessEnv, prefix: readonly string[] = []): Promise<WorkerJson[]> {
  return (JSON.parse(await cli(t, env, ['workers', '--format', 'json'], prefix)) as { workers: WorkerJson[] }).workers;
}

/** Polls `fn` every 200 ms until it returns a value; throws after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

