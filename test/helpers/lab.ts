/**
 * Access to the shared test lab that scripts/run-tests.mjs starts before ava. A lab test runs in CI always (and
 * fails when the lab is missing); elsewhere it skips with one line when the lab could not run.
 */
import test, { ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { readState } from '../../fixtures/lab/lab.js';
import type { ServerInfo, ServerName } from '../../fixtures/lab/types.js';

export function labServer(name: ServerName): ServerInfo | string {
  const tag = Number(process.env.SURVEYOR_LAB_TAG);
  if (!tag) return process.env.SURVEYOR_LAB_SKIP ?? 'the test lab is not up (run the tests through npm test, as root)';
  const info = readState(tag)?.servers[name];
  return info ?? `the lab at tag ${tag} has no ${name} server`;
}

export function truthOf<T>(info: ServerInfo): T {
  return JSON.parse(readFileSync(info.truthFile, 'utf8')) as T;
}

/** A test against one lab server; `body` gets the server's addresses, credentials and ground-truth file. */
export function labTest(name: ServerName, title: string, body: (t: ExecutionContext, info: ServerInfo) => Promise<void> | void): void {
  const found = labServer(name);
  if (typeof found !== 'string') test(`${name}: ${title}`, (t) => body(t, found));
  else if (process.env.CI === 'true') test(`${name}: ${title}`, (t) => t.fail(`CI must run this test, but ${found}`));
  else test.skip(`${name}: ${title} (skipped: ${found})`, () => {});
}
