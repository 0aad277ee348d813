/**
 * Running the CLI on a real pseudo-terminal (python3's pty module), as a user's shell runs it, to test prompts
 * that read without echo.
 */
import { spawnSync } from 'node:child_process';
import { BIN } from './cli.js';

/**
 * For each step in turn: once its `waitFor` text shows up in the terminal's output, types each of its `keys` (one
 * write each). Then reads to the end. Returns everything the terminal showed and the exit code.
 */
const PTY_DRIVER = String.raw`
import json, os, pty, sys
argv, steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen = b''
def read():
    global seen
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        return False
    seen += chunk
    return bool(chunk)
pos = 0
for wait_for, keys in steps:
    # Each step's text after the previous step's, so two prompts of the same words are told apart.
    while seen.find(wait_for.encode(), pos) < 0:
        if not read():
            break
    found = seen.find(wait_for.encode(), pos)
    pos = found + len(wait_for.encode()) if found >= 0 else len(seen)
    for k in keys:
        os.write(fd, k.encode())
while read():
    pass
_, status = os.waitpid(pid, 0)
print(json.dumps({'output': seen.decode('utf-8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

export type PtyStep = readonly [waitFor: string, keys: readonly string[]];

export function onPty(args: readonly string[], env: NodeJS.ProcessEnv, steps: readonly PtyStep[]): { output: string; code: number } {
  const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify([[process.execPath, BIN, ...args], steps])], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`the pty driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { output: string; code: number };
}

/** Whether python3 with a pty module runs here. */
export const ptyAvailable = spawnSync('python3', ['-c', 'import pty, os; os.waitstatus_to_exitcode']).status === 0;
