#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Work abandoned on purpose (an SSH enumeration cancelled by Ctrl-C, a probe past its budget) must not hold the
// process open once the command has stored and said everything: exit as soon as standard output is written.
const done = () => process.exit(code);
if (process.stdout.writableLength > 0 && !process.stdout.destroyed) {
  process.stdout.once('drain', done);
  process.stdout.once('error', done);
} else done();
