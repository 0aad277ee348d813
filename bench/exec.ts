/** Runs a benchmark's command to completion: wall time and stdout, or an error with the end of stderr. */
import { spawn } from 'node:child_process';

export function run(argv: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - started, stdout }) : reject(new Error(`${argv[0]} exited ${code}: ${stderr.slice(-400)}`))));
  });
}

/** Runs a command under GNU time; returns wall time, peak RSS and stdout. */
export function timed(argv: readonly string[]): Promise<{ wallMs: number; peakMb: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'bench-peak-kb %M', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const m = /bench-peak-kb (\d+)/.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      resolve({ wallMs, peakMb: Number(m[1]) / 1024, stdout });
    });
  });
}
