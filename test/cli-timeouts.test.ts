import test from 'ava';
import { join } from 'node:path';
import { fileState, runCli, tempDir } from './helpers/cli.js';

test('--min-timeout-ms above --timeout-ms is bad input, and nothing is written', async (t) => {
  const db = join(tempDir(t), 's.db');
  const before = fileState(db);
  const r = await runCli(['scan', '127.0.0.1', '--timeout-ms', '200', '--min-timeout-ms', '300', '--db', db]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad minTimeoutMs \(--min-timeout-ms\) 300: must not exceed timeoutMs \(--timeout-ms\) 200/);
  t.is(fileState(db), before);
});

test('the scan records the timeouts it used', async (t) => {
  const db = join(tempDir(t), 's.db');
  const r = await runCli(['scan', '127.0.0.1', '--ports', '1', '--timeout-ms', '300', '--min-timeout-ms', '300', '--db', db]);
  t.is(r.code, 0, r.stderr);
  const scans = await runCli(['scans', '--db', db, '--format', 'json']);
  const doc = JSON.parse(scans.stdout) as { scans: Array<{ options: Record<string, unknown> }> };
  t.is(doc.scans[0]!.options.timeoutMs, 300);
  t.is(doc.scans[0]!.options.minTimeoutMs, 300);
});
