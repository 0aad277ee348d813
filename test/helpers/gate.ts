/**
 * Tests that need root (network namespaces, iptables) run in CI always; elsewhere, without what they need, they
 * skip with one line saying why. In CI a missing requirement is a failure, never a skip.
 */
import test, { ExecutionContext } from 'ava';
import { canCreateNamespaces } from '../../fixtures/estate/netns.js';

/**
 * A serial test that needs root (mounting a tmpfs, or what `why` says): in CI it always runs, elsewhere without
 * root it skips saying why.
 */
export function rootTest(title: string, body: (t: ExecutionContext) => Promise<void> | void, why = 'to mount a tmpfs'): void {
  if (process.getuid?.() === 0) test.serial(title, body);
  else if (process.env.CI === 'true') test.serial(title, (t) => t.fail(`CI must run this test, but it needs root (${why})`));
  else test.skip(`${title} (skipped: needs root ${why})`, body);
}

/** A serial test that makes network namespaces; `also` names anything else it needs (checked after those). */
export function namespaceTest(title: string, body: (t: ExecutionContext) => Promise<void> | void, also?: () => { ok: true } | { ok: false; why: string }): void {
  const ns = canCreateNamespaces();
  const can = ns.ok && also ? also() : ns;
  if (can.ok) test.serial(title, body);
  else if (process.env.CI === 'true') test.serial(title, (t) => t.fail(`CI must run this test, but ${can.why}`));
  else test.skip(`${title} (skipped: ${can.why})`, body);
}
