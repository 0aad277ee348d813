#!/usr/bin/env node
// Runs ava with its TAP reporter, passes the output through, and ends with the plain line CI reads:
// "tests: N passed, N failed" (", N skipped" when any were skipped).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
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
ava.on('close', (code) => {
  if (code !== 0 && failed === 0) failed = 1; // ava itself failed (a crash, an uncaught error, a timeout)
  const extra = skipped ? `, ${skipped} skipped` : '';
  process.stdout.write(`tests: ${passed} passed, ${failed} failed${extra}\n`);
  process.exitCode = code ?? 1;
});
