/**
 * `creds add --password-stdin` at a terminal (issue 20): it prompts on stderr, echoes nothing of what is typed and
 * takes one line (Enter, no Ctrl-D), with Backspace working; Ctrl-C gives up with exit 130 and stores nothing.
 * The terminal is a real pseudo-terminal made by python3's pty module, the CLI running on it as a user's shell
 * would run it. Plain standard input (scripts) is covered by the existing `creds add` tests.
 */
import test from 'ava';
import { join } from 'node:path';
import { openStore } from '../store/open-store.js';
import { openCredentials } from '../app/credentials.js';
import { dirEnv, runCli, tempDir } from './helpers/cli.js';
import { onPty, ptyAvailable } from './helpers/pty.js';

const ptyTest = ptyAvailable ? test : test.skip;

ptyTest('at a terminal, --password-stdin prompts without echo and takes one line', async (t) => {
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const args = ['creds', 'add', '--name', 'typed', '--username', 'ops', '--password-stdin', '--scope', '127.104.0.0/24'];
  // "Typed-Secret-7x", a Backspace taking back a stray "q", then Enter: no Ctrl-D.
  const r = onPty(args, env, [['password: ', ['Typed-Secret-7', 'q\x7f', 'x', '\r']]]);
  t.is(r.code, 0, r.output);
  t.regex(r.output, /password: /);
  t.false(r.output.includes('Typed-Secret'), `the password was echoed: ${JSON.stringify(r.output)}`);
  t.false(r.output.includes('7x'), r.output);

  // The vault holds exactly what was typed, the Backspace applied.
  process.env.SURVEYOR_KEY_FILE = env.SURVEYOR_KEY_FILE;
  const store = await openStore(env.SURVEYOR_DB!);
  t.teardown(() => store.close());
  const [opened] = await openCredentials(store, ['typed']);
  t.is(opened!.credential.secrets.password?.reveal(), 'Typed-Secret-7x');
});

ptyTest('at a terminal, Ctrl-C at the password prompt exits 130 and stores nothing', async (t) => {
  const dir = tempDir(t);
  const env = dirEnv(dir);
  const r = onPty(['creds', 'add', '--name', 'gaveup', '--username', 'ops', '--password-stdin', '--scope', '127.104.0.1'], env, [['password: ', ['half', '\x03']]]);
  t.is(r.code, 130, r.output);
  t.false(r.output.includes('half'), r.output);
  const list = await runCli(['creds', 'list', '--format', 'json', '--db', join(dir, 's.db')], { env });
  t.false(list.stdout.includes('gaveup'), list.stdout + list.stderr);
});
