#!/usr/bin/env node
// Runs ava with its TAP reporter, passes the output through, and ends with the plain line CI reads:
// "tests: N passed, N failed" (", N skipped" when any were skipped).
//
// As root, the test lab (real servers on 127.20.0.x, the AD DC in its own namespace) is started once before ava
// and torn down after it, whatever happens; tests find it through SURVEYOR_LAB_TAG. Without root the lab tests
// skip with one line saying why, except in CI, where they fail.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

const BIN = new URL('../bin/surveyor.js', import.meta.url).pathname;
const LAB_TAG = '20';
const env = { ...process.env };
const isRoot = process.getuid?.() === 0;
let labUp = false;

function lab(...args) {
  return spawnSync(process.execPath, [BIN, 'lab', ...args, '--tag', LAB_TAG], { stdio: ['ignore', 'inherit', 'inherit'] });
}

if (isRoot && process.env.SURVEYOR_TEST_LAB !== '0') {
  lab('down'); // a lab left by a crashed run
  const started = lab('up');
  if (started.status === 0) {
    labUp = true;
    env.SURVEYOR_LAB_TAG = LAB_TAG;
  } else {
    process.stdout.write(`# the test lab did not come up (exit ${started.status}); lab tests will fail in CI, skip elsewhere\n`);
  }
} else if (!isRoot) {
  env.SURVEYOR_LAB_SKIP = 'the test lab needs root (system users, loopback addresses, namespaces)';
  if (process.env.CI !== 'true') process.stdout.write(`# lab tests skip: ${env.SURVEYOR_LAB_SKIP}\n`);
}

const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env,
});
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = createInterface({ input: ava.stdout });
lines.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^not ok \d+/.test(line)) failed++;
  else if (/^ok \d+.*# SKIP/i.test(line)) skipped++;
  else if (/^ok \d+/.test(line)) passed++;
});
const stop = () => {
  if (labUp) {
    labUp = false;
    lab('down');
  }
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});
ava.on('close', (code) => {
  stop();
  if (code !== 0 && failed === 0) failed = 1; // ava itself failed (a crash, an uncaught error, a timeout)
  const extra = skipped ? `, ${skipped} skipped` : '';
  process.stdout.write(`tests: ${passed} passed, ${failed} failed${extra}\n`);
  process.exitCode = code ?? 1;
});
