/** Reading secrets for `creds add`: from standard input only (never argv, where `ps` and shell history see them). */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** All of standard input, less one trailing newline; an empty secret is refused. */
export function readSecretFromStdin(what: string, read: () => string = () => readFileSync(0, 'utf8')): string {
  let text: string;
  try {
    text = read();
  } catch (err) {
    throw new InputError(`cannot read the ${what} from standard input (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new InputError(`the ${what} on standard input is empty`);
  if (value.includes('\n')) throw new InputError(`the ${what} on standard input has more than one line`);
  return value;
}

export function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`bad --key "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
