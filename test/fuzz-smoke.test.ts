import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('the fuzzer runs clean on a short campaign (npm run fuzz runs 100,000 inputs per codec)', (t) => {
  const script = fileURLToPath(new URL('../fuzz/run.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--inputs', '3000', '--seed', String(Date.now() % 1000)], { encoding: 'utf8' });
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /no crash and no hang/);
});
