/** Reading secrets for `creds add`: from standard input only (never argv, where `ps` and shell history see them). */
import { closeSync, openSync } from 'node:fs';
import { InputError, SurveyorError } from '../scanner/errors.js';
import { formatBytes, readBounded } from '../scanner/io/bounded-read.js';

/**
 * The most a secret read from standard input may hold (password, passphrase). Reading stops one byte past it, so
 * an endless stream (`yes | surveyor creds add ...`) is refused without being read into memory.
 */
export const STDIN_SECRET_MAX_BYTES = 64 * 1024;

/** The most a --key private key file may hold: an RSA 16384-bit key in PEM is about 12 KiB. */
export const PRIVATE_KEY_FILE_MAX_BYTES = 64 * 1024;

/**
 * Standard input, less one trailing newline: at most STDIN_SECRET_MAX_BYTES, one line, not empty. `read` stands
 * in for reading file descriptor 0 in tests; it returns undefined past the limit.
 */
export function readSecretFromStdin(what: string, read?: () => Buffer | undefined): string {
  return readSecretLinesFromStdin([what], read)[0]!;
}

/**
 * Several secrets from standard input, one a line in the order of `whats` (an SNMPv3 user's authentication then
 * privacy passphrase), at most STDIN_SECRET_MAX_BYTES in all, none empty.
 */
export function readSecretLinesFromStdin(whats: readonly string[], read: () => Buffer | undefined = () => readBounded(0, STDIN_SECRET_MAX_BYTES)): string[] {
  const all = whats.map((w) => `the ${w}`).join(' and ');
  let bytes: Buffer | undefined;
  try {
    bytes = read();
  } catch (err) {
    throw new InputError(`cannot read ${all} from standard input (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes === undefined) {
    const alone = whats.length === 1 ? `give the ${whats[0]} alone, on one line` : `give ${all}, one a line`;
    throw new InputError(`${all} on standard input ${whats.length === 1 ? 'is' : 'are'} longer than ${formatBytes(STDIN_SECRET_MAX_BYTES)} (${STDIN_SECRET_MAX_BYTES} bytes), the limit for a secret: ${alone}`);
  }
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  bytes.fill(0);
  const lines = text.split(/\r?\n/);
  if (whats.length === 1 && lines.length > 1) throw new InputError(`the ${whats[0]} on standard input has more than one line`);
  if (lines.length !== whats.length) {
    throw new InputError(`standard input has ${lines.length} line${lines.length > 1 ? 's' : ''}, not ${whats.length}: give ${whats.map((w, i) => `the ${w} on line ${i + 1}`).join(' and ')}`);
  }
  lines.forEach((line, i) => {
    if (line === '') throw new InputError(`the ${whats[i]} on standard input is empty`);
  });
  return lines;
}

/** The stream a hidden prompt reads: standard input when it is a terminal. */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setRawMode(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * A secret for `--password-stdin` / `--passphrase-stdin`: typed at a prompt without echo when standard input is a
 * terminal (as ssh and sudo ask: one line, Enter ends it), read from standard input otherwise (scripts, pipes).
 */
export async function readSecret(what: string, input: TerminalInput = process.stdin, prompt: NodeJS.WritableStream = process.stderr): Promise<string> {
  if (!input.isTTY) return readSecretFromStdin(what);
  const value = await promptHidden(`${what}: `, input, prompt);
  if (value === '') throw new InputError(`the ${what} typed at the terminal is empty`);
  return value;
}

/**
 * Several secrets: at a terminal, one prompt without echo for each; otherwise one a line from standard input.
 */
export async function readSecrets(whats: readonly string[], input: TerminalInput = process.stdin, prompt: NodeJS.WritableStream = process.stderr): Promise<string[]> {
  if (!input.isTTY) return readSecretLinesFromStdin(whats);
  const out: string[] = [];
  for (const what of whats) out.push(await readSecret(what, input, prompt));
  return out;
}

/**
 * Reads one line from a terminal in raw mode, so nothing typed is echoed: Enter ends it, Backspace takes back one
 * character, Ctrl-U the whole line, Ctrl-D on an empty line or Ctrl-C gives up (Ctrl-C as an interrupt, exit 130).
 */
export function promptHidden(text: string, input: TerminalInput, prompt: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      prompt.write('\n');
      const value = chars.join('');
      chars = [];
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003') return finish(new SurveyorError('interrupted', `interrupted while the ${text.replace(/: $/, '')} was typed`));
        if (ch === '\u0004') {
          if (chars.length === 0) return finish(null);
        } else if (ch === '\u007f' || ch === '\b') chars.pop();
        else if (ch === '\u0015') chars = [];
        else if (chars.length < STDIN_SECRET_MAX_BYTES) chars.push(ch);
      }
    };
    // Echo off before the prompt shows: whatever is typed once it is there must not reach the screen.
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    prompt.write(text);
  });
}

/** A --key private key file, at most PRIVATE_KEY_FILE_MAX_BYTES (so --key /dev/zero is refused, not read forever). */
export function readKeyFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new InputError(`bad --key "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let bytes: Buffer | undefined;
  try {
    bytes = readBounded(fd, PRIVATE_KEY_FILE_MAX_BYTES);
  } catch (err) {
    throw new InputError(`bad --key "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    closeSync(fd);
  }
  if (bytes === undefined) throw new InputError(`bad --key "${path}": longer than ${formatBytes(PRIVATE_KEY_FILE_MAX_BYTES)}, the limit for a private key file`);
  return bytes.toString('utf8');
}
