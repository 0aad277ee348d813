/**
 * A scan whose every credential failed does not report success (issue 20): `scan --creds` counts enumerations by
 * status in its summary and its JSON, and exits 3 when some host could not be enumerated with any credential. The
 * ground truth is the listeners this test opens (on 127.102.9.x, port 22: each sends an SSH banner and hangs up, so
 * every enumeration fails) and the enumeration rows read from the database directly. Before this change the scan
 * exited 0 and counted no enumeration anywhere.
 */
import test from 'ava';
import Database from 'better-sqlite3';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { enumerationFailed } from '../app/scan.js';
import type { EnumerationRecord } from '../enum/types.js';
import { dirEnv, runCli, tempDir } from './helpers/cli.js';

const HOSTS = ['127.102.9.1', '127.102.9.2'];
/** Nothing listens here: a host a credential covers but that has no SSH to enumerate. */
const SILENT = '127.102.9.3';

/** On port 22 (what the ssh probe and the enumeration try): a banner, then the connection closes. */
function hangUp(address: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    });
    server.once('error', reject);
    server.listen(22, address, () => resolve(server));
  });
}

test('scan --creds: every enumeration failing exits 3 and counts them by status in the summary and the JSON', async (t) => {
  const servers = await Promise.all(HOSTS.map(hangUp));
  t.teardown(() => servers.forEach((s) => s.close()));
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const added = await runCli(['creds', 'add', '--name', 'bad', '--type', 'ssh', '--username', 'nobody', '--password-stdin', '--scope', '127.102.9.0/24'], { env, input: 'not-the-password\n' });
  t.is(added.code, 0, added.stderr);

  const r = await runCli(['scan', ...HOSTS, SILENT, '--ports', '22', '--creds', 'bad', '--format', 'json', '--no-progress', '--enum-timeout-ms', '5000'], { env });
  t.is(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as { scan: { id: number; enumerations: { byStatus: Record<string, number>; hosts: number; hostsFailed: number } } };

  const db = new Database(join(dir, 's.db'), { readonly: true });
  t.teardown(() => db.close());
  const rows = db.prepare('SELECT a.address, e.status FROM scan_enumerations e JOIN assets a ON a.id = e.asset_id WHERE e.scan_id = ?').all(doc.scan.id) as Array<{ address: string; status: string }>;
  t.deepEqual([...new Set(rows.map((row) => row.address))].sort(), HOSTS, 'every listener was tried, the silent host not');
  t.false(rows.some((row) => row.status === 'success'));
  const byStatus: Record<string, number> = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;

  t.deepEqual(doc.scan.enumerations, { byStatus, hosts: HOSTS.length, hostsFailed: HOSTS.length });
  const attempts = Object.entries(byStatus).sort().map(([s, n]) => `${s} ${n}`).join(', ');
  t.regex(r.stderr, new RegExp(`enumerations +${HOSTS.length} hosts, ${HOSTS.length} not enumerated \\(failed on every attempt\\); attempts: ${attempts}`));
  t.is((db.prepare('SELECT status FROM scans WHERE id = ?').get(doc.scan.id) as { status: string }).status, 'completed', 'the scan itself completed');

  // The same credential over a host with nothing to enumerate: nothing failed, exit 0, and the summary says so.
  const quiet = await runCli(['scan', SILENT, '--ports', '22', '--creds', 'bad', '--no-progress'], { env });
  t.is(quiet.code, 0, quiet.stderr);
  t.regex(quiet.stderr, /enumerations +0 hosts, 0 not enumerated/);
});

test('a host counts as not enumerated only when no credential of a method worked on it', (t) => {
  const e = (method: EnumerationRecord['method'], status: EnumerationRecord['status']): EnumerationRecord => ({
    method, port: method === 'ssh' ? 22 : 636, credential: `${method}-${status}`, status, notes: [], facts: {}, accounts: [], elapsedMs: 1,
  });
  t.false(enumerationFailed([e('ssh', 'auth-failed'), e('ssh', 'success')]), 'a refused credential, then one that worked');
  t.false(enumerationFailed([e('ldap', 'incomplete')]), 'partial results are results');
  t.true(enumerationFailed([e('ssh', 'auth-failed'), e('ssh', 'timeout')]));
  t.true(enumerationFailed([e('ssh', 'success'), e('ldap', 'untrusted')]), 'the directory was not read');
  t.true(enumerationFailed([e('ssh', 'hostkey-changed')]));
});
