/**
 * `npm run bench -- --only ssh-enum [--ssh-hosts 32]`: credentialed enumeration of N SSH endpoints (the lab sshd's
 * configuration, one daemon per 16 loopback addresses from 127.48.1.1) by surveyor at concurrency 1 and 16, against nmap's
 * ssh-run script running the same first-round commands (as one shell script) with the same account. surveyor does
 * more (sudoers includes, every authorized_keys file, parsing, storing), so the ratio is conservative.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';
import { commandLine, STAGE_ONE } from '../enum/ssh/commands.js';
import { readBanner, waitFor } from '../fixtures/lab/exec.js';
import { labDown, labUp } from '../fixtures/lab/lab.js';

const BIN = fileURLToPath(new URL('../../bin/surveyor.js', import.meta.url));
const TAG = 48;

export async function benchSshEnum(hosts: number, reps: number): Promise<string[][]> {
  const state = await labUp({ only: ['ssh'], tag: TAG });
  const info = state.servers.ssh!;
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-ssh-bench-'));
  const daemons: ChildProcess[] = [];
  try {
    const addresses = Array.from({ length: hosts }, (_, i) => `127.48.1.${i + 1}`);
    const config = readFileSync(join(info.dir, 'sshd_config'), 'utf8').split('\n').filter((l) => !/^(ListenAddress|PidFile) /.test(l));
    // sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): one daemon per 16 addresses, all of the lab's config
    for (let i = 0; i < addresses.length; i += 16) {
      const file = join(dir, `sshd_config-${i}`);
      const listen = addresses.slice(i, i + 16).map((a) => `ListenAddress ${a}:22`);
      writeFileSync(file, [...listen, `PidFile ${join(dir, `sshd-${i}.pid`)}`, 'MaxStartups 1000', 'MaxSessions 64', ...config].join('\n'));
      daemons.push(spawn('/usr/sbin/sshd', ['-D', '-f', file], { stdio: 'ignore' }));
    }
    for (const address of addresses) await waitFor(`the benchmark sshd on ${address}`, async () => (await readBanner(address, 22, 2000)).startsWith('SSH-2.0-'), 60_000, 50);
    const admin = info.credentials.admin!;
    const env = { SURVEYOR_KEY_FILE: join(dir, 'key') };
    const addCred = (db: string) => run([process.execPath, BIN, 'creds', 'add', '--name', 'bench', '--username', admin.username, '--password-stdin',
      '--elevate', 'sudo', '--scope', '127.48.1.0/24', '--db', db], env, `${admin.password}\n`);
    const script = join(dir, 'collect.sh');
    // ssh-run fails on output holding "%" (as /etc/sudoers does), so the script's output goes through tr
    writeFileSync(script, `{\n${STAGE_ONE.map((c) => commandLine(c.script, c.elevated === true)).join('\n')}\n} | tr % _\n`, { mode: 0o644 });
    chmodSync(dir, 0o755); // the lab account reads the script
    const users = readFileSync('/etc/passwd', 'utf8').trim().split('\n').length;
    process.stderr.write(`\nssh-enum: ${hosts} SSH endpoints of one lab sshd, account ${admin.username} (password, sudo -n)\n`);

    const results: Record<string, number[]> = { 'surveyor c=1': [], 'surveyor c=16': [], nmap: [] };
    const checks: Record<string, string> = {};
    for (let rep = 0; rep < reps; rep++) {
      for (const concurrency of [1, 16]) {
        // a fresh database each time: the first connection to a host pins its key, as in a first scan
        const db = join(dir, `s-${rep}-${concurrency}.db`);
        await addCred(db);
        const r = await run([process.execPath, BIN, 'scan', `127.48.1.1-${hosts}`, '--ports', '22', '--no-fingerprint', '--creds', 'bench', '--enum-concurrency', String(concurrency),
          '--format', 'jsonl', '--no-progress', '--db', db], env);
        const done = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { enumerations?: Array<{ status: string; accounts: number }> })
          .filter((o) => o.enumerations?.[0]?.status === 'success' && o.enumerations[0].accounts >= users).length;
        results[`surveyor c=${concurrency}`]!.push(r.ms);
        checks[`surveyor c=${concurrency}`] = `${done}/${hosts} enumerated`;
        process.stderr.write(`  surveyor c=${String(concurrency).padEnd(2)} rep ${rep + 1}: ${(r.ms / 1000).toFixed(2)} s, ${done}/${hosts} hosts enumerated\n`);
      }
      const n = await run(['nmap', '-sT', '-n', '-Pn', '-p22', '--script', 'ssh-run', '--script-args',
        `ssh-run.cmd=sh ${script},ssh-run.username=${admin.username},ssh-run.password=${admin.password}`, '-oN', '-', `127.48.1.1-${hosts}`]);
      const done = n.stdout.split('Nmap scan report for').filter((h) => h.includes('root:x:0:0:')).length;
      results.nmap!.push(n.ms);
      checks.nmap = `${done}/${hosts} ran the commands`;
      process.stderr.write(`  nmap ssh-run   rep ${rep + 1}: ${(n.ms / 1000).toFixed(2)} s, ${done}/${hosts} hosts ran the commands\n`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rows: string[][] = Object.entries(results).map(([tool, ms]) => [
      'ssh-enum', tool, `${(median(ms) / 1000).toFixed(2)} s`, `${(median(ms) / hosts).toFixed(0)} ms/host`, '', checks[tool]!,
    ]);
    const ratio = median(results['surveyor c=16']!) / median(results.nmap!);
    rows.push(['ssh-enum', 'ratio', `surveyor c=16/nmap = ${ratio.toFixed(3)}`, '', '', '']);
    return rows;
  } finally {
    for (const d of daemons) d.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    await labDown(TAG);
  }
}
