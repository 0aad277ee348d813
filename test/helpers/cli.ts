/** Runs the real `surveyor` bin as a child process, the way a user does. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/surveyor.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** argv prefix, e.g. `ip netns exec NAME`. */
  readonly prefix?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Called once the child has started, e.g. to send it a signal later. */
  readonly onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  readonly onStdout?: (chunk: string) => void;
  /** Written to the child's standard input, which is then closed. */
  readonly input?: string;
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const argv = [...(options.prefix ?? []), process.execPath, BIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...options.env }, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (options.input !== undefined) child.stdin!.end(options.input);
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    options.onStdout?.(c.toString());
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Hash of a file and its WAL/SHM companions: any write to the database changes it. */
export function fileState(path: string): string {
  const hash = createHash('sha256');
  for (const p of [path, `${path}-wal`, `${path}-shm`]) hash.update(existsSync(p) ? readFileSync(p) : Buffer.from(`absent:${p}`));
  return hash.digest('hex');
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** address -> open ports, from jsonl scan output. */
export function openPortsOf(objects: ReadonlyArray<Record<string, unknown>>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const o of objects) {
    const ports = (o.ports as Array<{ port: number; state: string }>).filter((p) => p.state === 'open').map((p) => p.port);
    if (ports.length) out[o.address as string] = ports.sort((a, b) => a - b);
  }
  return out;
}

/** The vault key file and database of a test's own directory. */
export function dirEnv(dir: string): NodeJS.ProcessEnv {
  return { SURVEYOR_KEY_FILE: join(dir, 'vault.key'), SURVEYOR_DB: join(dir, 's.db') };
}

/**
 * A CLI runner on a test directory's key and database that keeps every output in `outputs`, for the check that no
 * secret appears in any of them; `scan` runs with --no-progress.
 */
export function recordingCli(outputs: string[]) {
  return async (dir: string, args: string[], options: Pick<RunOptions, 'input' | 'prefix'> = {}): Promise<RunResult> => {
    const r = await runCli(args[0] === 'scan' ? [...args, '--no-progress'] : args, { env: dirEnv(dir), ...options });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
}
