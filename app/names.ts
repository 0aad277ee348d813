/** The names users give workgroups, jobs and workers: safe in URLs, file names and log lines. */
import { InputError } from '../scanner/errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Refuses a name that is not 1-64 letters, digits, ".", "_" or "-" starting with a letter or digit; `what` names it. */
export function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new InputError(`bad ${what} "${name}": 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
}
