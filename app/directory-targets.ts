/**
 * The names of directory computers, resolved now: the addresses a directory scan stores, and the targets of
 * `scan --from-directory` (the computers earlier directory scans listed, named by their DNS names).
 */
import PQueue from 'p-queue';
import type { Store } from '../store/store.js';
import { systemResolver } from '../scanner/targets/target-set.js';

export interface DirectoryTargets {
  /** DNS names that resolve now (the sweep resolves them again, like any named target). */
  readonly names: string[];
  /** Computers left out, with why (no DNS name, does not resolve, disabled). */
  readonly skipped: string[];
  readonly total: number;
}

export type Resolution = { readonly address: string } | { readonly error: string };

/** Each name's first address (system resolver, 32 look-ups at a time), or why it has none. */
export async function resolveNames(names: readonly string[]): Promise<Map<string, Resolution>> {
  const queue = new PQueue({ concurrency: 32 });
  const out = new Map<string, Resolution>();
  await Promise.all([...new Set(names)].map((name) => queue.add(async () => {
    try {
      const [address] = await systemResolver(name);
      out.set(name, address ? { address } : { error: 'resolves to no address' });
    } catch (err) {
      out.set(name, { error: `does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  })));
  return out;
}

export async function directoryTargets(store: Pick<Store, 'listDirectoryComputers'>, domain?: string): Promise<DirectoryTargets> {
  const computers = await store.listDirectoryComputers(domain);
  const resolved = await resolveNames(computers.flatMap((c) => (c.dnsHostName ? [c.dnsHostName] : [])));
  const skipped: string[] = [];
  const names = new Set<string>();
  for (const c of computers) {
    const r = c.dnsHostName ? resolved.get(c.dnsHostName)! : undefined;
    if (!r) skipped.push(`${c.name} (${c.domain}): no DNS host name in the directory`);
    else if ('address' in r) names.add(c.dnsHostName!);
    else skipped.push(`${c.name} (${c.dnsHostName}): ${r.error}`);
  }
  return { names: [...names].sort(), skipped: skipped.sort(), total: computers.length };
}
