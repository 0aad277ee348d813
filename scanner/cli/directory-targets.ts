/** `scan --from-directory`: the computers earlier directory scans listed, as targets named by their DNS names. */
import PQueue from 'p-queue';
import type { Store } from '../../store/store.js';
import { systemResolver } from '../targets/target-set.js';

export interface DirectoryTargets {
  /** DNS names that resolve now (the sweep resolves them again, like any named target). */
  readonly names: string[];
  /** Computers left out, with why (no DNS name, does not resolve, disabled). */
  readonly skipped: string[];
  readonly total: number;
}

export async function directoryTargets(store: Pick<Store, 'listDirectoryComputers'>, domain?: string): Promise<DirectoryTargets> {
  const computers = await store.listDirectoryComputers(domain);
  const queue = new PQueue({ concurrency: 32 });
  const skipped: string[] = [];
  const names = new Set<string>();
  await Promise.all(computers.map((c) => queue.add(async () => {
    if (!c.dnsHostName) return void skipped.push(`${c.name} (${c.domain}): no DNS host name in the directory`);
    try {
      if ((await systemResolver(c.dnsHostName)).length) names.add(c.dnsHostName);
      else skipped.push(`${c.name} (${c.dnsHostName}): resolves to no address`);
    } catch (err) {
      skipped.push(`${c.name} (${c.dnsHostName}): does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  })));
  return { names: [...names].sort(), skipped: skipped.sort(), total: computers.length };
}
