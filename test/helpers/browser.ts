/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core (pinned to the
 * release that bundles the same Chromium major, so its protocol matches; no browser is downloaded). Where the
 * binary is missing the tests skip with one line saying why, except in CI, where they fail (.ci/run installs it).
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SURVEYOR_CHROMIUM ?? '/usr/bin/chromium';

/** What works as root on these machines, and keeps Chromium from calling home on a closed network. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function browserRequirement(): { ok: true } | { ok: false; why: string } {
  return existsSync(CHROMIUM) ? { ok: true } : { ok: false, why: `no Chromium at ${CHROMIUM} (Debian package chromium; or set SURVEYOR_CHROMIUM)` };
}

export function launchBrowser(): Promise<Browser> {
  // playwright-core makes a fresh, empty profile directory for each launch and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

/** Declares a serial browser test, or its skip (fail in CI) when Chromium is missing. */
export function browserTest(title: string, body: (t: ExecutionContext) => Promise<void>): void {
  const can = browserRequirement();
  if (can.ok) test.serial(title, body);
  else if (process.env.CI === 'true') test(title, (t) => t.fail(`CI must run this test, but ${can.why}`));
  else test.skip(`${title} (skipped: ${can.why})`, () => {});
}
