/** Reading a rule file named on the command line (`rules apply FILE`, `scan --apply-rules FILE`), bounded in size. */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { MAX_RULE_FILE_BYTES, parseRuleFile, Rule } from '../onboarding/rule-file.js';
import { InputError } from '../scanner/errors.js';
import { formatBytes, readBounded } from '../scanner/io/bounded-read.js';

/**
 * Reads and checks a rule file; an unreadable or oversized file is an InputError naming it. With `workgroups`
 * (those of the database), onboard actions are checked against them with the rest of the file.
 */
export function readRuleFile(path: string, workgroups?: readonly string[]): { rules: Rule[]; text: string } {
  let bytes: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const limit = `the limit of ${MAX_RULE_FILE_BYTES} bytes (${formatBytes(MAX_RULE_FILE_BYTES)}); nothing applied`;
      if (size > MAX_RULE_FILE_BYTES) throw new InputError(`rule file ${path}: ${size} bytes, more than ${limit}`);
      // Bounded again while read: the file may grow, or be a FIFO whose size says nothing.
      const read = readBounded(fd, MAX_RULE_FILE_BYTES);
      if (read === undefined) throw new InputError(`rule file ${path}: more than ${limit}`);
      bytes = read;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`rule file ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const text = bytes.toString('utf8');
  return { rules: parseRuleFile(text, path, workgroups), text };
}
