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

/** A `surveyor worker` process; its standard error is kept as its log. */
export function worker(env: NodeJS.ProcessEnv, name: string, extra: string[] = []): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [BIN, 'worker', '--name', name, '--poll', '200ms', ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
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
/** The runs of a job, newest first, from `jobs show NAME --format json`. */
export async function show(t: ExecutionContext, env: NodeJS.ProcessEnv, job: string): Promise<RunJson[]> {
  const r = await runCli(['jobs', 'show', job, '--format', 'json'], { env });
  t.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { runs: RunJson[] }).runs;
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

