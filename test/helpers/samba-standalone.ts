/**
 * A standalone Samba of the lab's kind (fixtures/lab/servers/smb.ts), or any other lab server, for one test: its
 * own root directory, users and loopback address 127.<tag>.0.<host> in whatever namespace the test runs in (the AD
 * DC makes a namespace of its own), released (processes by PID and group, address, namespace, users, directory)
 * when the body ends, however it ends.
 */
import type { ExecutionContext } from 'ava';
import { mkdirSync, rmSync } from 'node:fs';
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

export interface LabRunOptions {
  /** The second octet of the server's addresses, 127.<tag>.0.x. */
  readonly tag: number;
  /** Prefix of the system users (and namespaces) the server makes. */
  readonly prefix: string;
  /** Time for the server to come up. @default 120000 */
  readonly budgetMs?: number;
}

export function withSamba(t: ExecutionContext, options: SambaOptions & LabRunOptions, body: (samba: SambaRun) => Promise<void>): Promise<void> {
  return withLabServer(t, options, (ctx) => startSamba(ctx, options), body);
}

/** Any lab server (fixtures/lab/servers) started by `start` with a context of the test's own, released afterwards. */
export async function withLabServer(
  t: ExecutionContext,
  options: LabRunOptions,
  start: (ctx: LabContext) => Promise<ServerInfo>,
  body: (samba: SambaRun) => Promise<void>,
): Promise<void> {
  // A fixed root, as the lab's: the AD DC fixture caches its provisioned database, whose smb.conf names its paths.
  const root = join(tmpdir(), `surveyor-test-${options.prefix}-${options.tag}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true, mode: 0o755 });
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
    const info = await start(ctx);
    const conf = info.extra.config ?? join(info.dir, 'etc', 'smb.conf');
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
