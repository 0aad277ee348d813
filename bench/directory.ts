/**
 * `npm run bench -- --only directory`: enumeration of the lab slapd (the lab's people plus its generated users, more
 * than the server's 500-entry limit for unpaged searches) as an ordinary user, by surveyor (paged) and by nmap's
 * ldap-search script (ldap.qfilter=users, ldap.maxobjects=-1), which does not page. Wall time and how many of the
 * directory's users each returned, against ldapsearch's paged count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';
import { labDown, labUp } from '../fixtures/lab/lab.js';

const BIN = fileURLToPath(new URL('../../bin/surveyor.js', import.meta.url));
const TAG = 49;

export async function benchDirectory(reps: number): Promise<string[][]> {
  const state = await labUp({ only: ['ldap'], tag: TAG });
  const info = state.servers.ldap!;
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-ldap-bench-'));
  try {
    const user = info.credentials.alice!;
    const base = info.extra.base!;
    const truth = spawnSync('ldapsearch', ['-x', '-LLL', '-H', `ldap://${info.address}`, '-D', user.username, '-w', user.password!, '-b', base,
      '-E', 'pr=500/noprompt', '(|(objectClass=posixAccount)(objectClass=inetOrgPerson))', '1.1'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('dn: ')).length;
    const env = { SURVEYOR_KEY_FILE: join(dir, 'key') };
    process.stderr.write(`\ndirectory: slapd on ${info.address} with ${truth} users (ldapsearch, paged), as ${user.username}\n`);
    const results: Record<string, number[]> = { surveyor: [], nmap: [] };
    const counts: Record<string, number> = {};
    const checks: Record<string, string> = {};
    const enumeration: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const db = join(dir, `s-${rep}.db`);
      await run([process.execPath, BIN, 'creds', 'add', '--name', 'bench', '--type', 'ldap', '--bind-dn', user.username, '--password-stdin', '--scope', info.address, '--db', db], env, `${user.password}\n`);
      const s = await run([process.execPath, BIN, 'directory', 'scan', `ldap://${info.address}`, '--creds', 'bench', '--allow-plaintext-bind', '--format', 'json', '--db', db], env);
      const doc = JSON.parse(s.stdout) as { accounts: unknown[]; elapsedMs: number };
      const got = doc.accounts.length;
      enumeration.push(doc.elapsedMs);
      counts.surveyor = got;
      results.surveyor!.push(s.ms);
      checks.surveyor = `${got}/${truth} users`;
      process.stderr.write(`  surveyor rep ${rep + 1}: ${(s.ms / 1000).toFixed(2)} s, ${got}/${truth} users\n`);
      const n = await run(['nmap', '-sT', '-n', '-Pn', '-p389', '--script', 'ldap-search', '--script-args',
        `ldap.username="${user.username}",ldap.password=${user.password},ldap.qfilter=users,ldap.maxobjects=-1,ldap.base="${base}"`, '-oN', '-', info.address]);
      const found = n.stdout.split('\n').filter((l) => /^\|\s+dn: /.test(l)).length;
      counts.nmap = found;
      results.nmap!.push(n.ms);
      checks.nmap = `${found}/${truth} users${/size ?limit/i.test(n.stdout) ? ' (size limit)' : ''}`;
      process.stderr.write(`  nmap     rep ${rep + 1}: ${(n.ms / 1000).toFixed(2)} s, ${found}/${truth} users\n`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perUser = (tool: string) => median(results[tool]!) / Math.max(1, counts[tool]!);
    const rows = Object.entries(results).map(([tool, ms]) => ['directory', tool, `${(median(ms) / 1000).toFixed(2)} s`, `${(perUser(tool) * 1000).toFixed(0)} µs/user`, '', checks[tool]!]);
    rows.push(['directory', 'surveyor search', `${(median(enumeration) / 1000).toFixed(2)} s`, '', '', 'bind, searches and parsing, without process start and store']);
    rows.push(['directory', 'ratio', `surveyor/nmap = ${(median(results.surveyor!) / median(results.nmap!)).toFixed(3)} (wall), ${(perUser('surveyor') / perUser('nmap')).toFixed(3)} (per user returned)`, '', '', '']);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await labDown(TAG);
  }
}
