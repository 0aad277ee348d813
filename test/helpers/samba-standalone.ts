/**
 * A standalone Samba of the lab's kind (fixtures/lab/servers/smb.ts) for one test: its own root directory, users
 * and loopback address 127.<tag>.0.<host> in whatever namespace the test runs in, released (processes by PID and
 * group, address, users, directory) when the body ends, however it ends.
 */
import type { ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deadline, logTail, run, waitFor } from '../../fixtures/lab/exec.js';
import { Resources } from '../../fixtures/lab/resources.js';
import { startSamba, type SambaOptions } from '../../fixtures/lab/servers/smb.js';
import type { LabContext, ServerInfo } from '../../fixtures/lab/types.js';

export const NO_WINBIND = { _NO_WINBINDD: '1' };

export interface SambaRun {
  readonly info: ServerInfo;
  readonly ctx: LabContext;
  /** The smb.conf path. */
  readonly conf: string;
  /** Runs a Samba tool (net, pdbedit, smbpasswd, rpcclient); the caller passes `-s conf` where the tool takes it. */
  tool(command: string, args: readonly string[], input?: string): Promise<string>;
}

export async function withSamba(
  t: ExecutionContext,
  options: SambaOptions & { readonly tag: number; readonly prefix: string; readonly budgetMs?: number },
  body: (samba: SambaRun) => Promise<void>,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), `surveyor-samba-${options.prefix}-`));
  const resources = new Resources();
  const deadline = new Deadline(options.budgetMs ?? 120_000);
  const ctx: LabContext = {
    tag: options.tag,
    root,
    resources,
    prefix: options.prefix,
    deadline,
    logs: [],
    exits: [],
    address: (host) => `127.${options.tag}.0.${host}`,
    dir: (name) => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true, mode: 0o755 });
      return d;
    },
    run: (command, args, runOptions = {}) => run(command, args, { ...runOptions, timeoutMs: Math.max(1, Math.min(runOptions.timeoutMs ?? Infinity, deadline.remainingMs())) }),
    waitFor: (what, check) => waitFor(what, check, deadline, 50, () => ctx.exits.join('; ') || undefined),
  };
  try {
    const info = await startSamba(ctx, options);
    const conf = info.extra.config!;
    const tool = (command: string, args: readonly string[], input?: string) =>
      ctx.run(command, args, { env: NO_WINBIND, ...(input !== undefined ? { input } : {}) });
    await body({ info, ctx, conf, tool });
  } catch (err) {
    for (const log of ctx.logs) t.log(`${log}:\n${logTail(log, 12)}`);
    throw err;
  } finally {
    const problems = await resources.release();
    rmSync(root, { recursive: true, force: true });
    if (problems.length) t.log(`release: ${problems.join('; ')}`);
  }
}
