/** What the store knows of assets: one asset with its latest enumerations, and what changed between two scans. */
import type { AssetView } from '../model/asset.js';
import type { StoredEnumeration, Store } from '../store/store.js';
import { Change, diffScans } from '../profiles/diff.js';
import { InputError } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';

/**
 * One asset and the enumerations of the latest scan that enumerated it; an unknown address is an InputError.
 * By address, or by a host name stored with it (a target name, a certificate's, the directory's...). A name
 * is matched against the store only, never resolved: the asset is what was seen, wherever the name points today.
 */
export async function showAsset(store: Store, addressOrName: string): Promise<{ asset: AssetView; enumerations: StoredEnumeration[] }> {
  const asset = parseAddress(addressOrName).ok ? (await store.listAssets([addressOrName]))[0] : await assetNamed(store, addressOrName);
  if (!asset) throw new InputError(`assets show: no asset with address "${addressOrName}" in ${store.location}`);
  return { asset, enumerations: await store.latestEnumerations(asset.address) };
}

async function assetNamed(store: Store, name: string): Promise<AssetView> {
  const wanted = name.toLowerCase().replace(/\.$/, '');
  const found = (await store.listAssets()).filter((a) => a.names.some((n) => n.name.toLowerCase() === wanted));
  if (found.length === 0) throw new InputError(`assets show: no asset named "${name}" in ${store.location} (give an address, or a name surveyor assets lists)`);
  if (found.length > 1) throw new InputError(`assets show: "${name}" names ${found.length} assets: ${found.map((a) => a.address).join(', ')}; give one address`);
  return found[0]!;
}

export interface DiffRequest {
  /** @default the finished scan before `to` */
  readonly from?: number;
  /** @default the latest finished (completed or interrupted) scan */
  readonly to?: number;
}

/** What changed between two scans (see diffScans); missing scans are InputErrors. */
export async function diffAssets(store: Store, request: DiffRequest = {}): Promise<{ from: number; to: number; changes: Change[] }> {
  const finished = (await store.listScans()).filter((s) => s.status === 'completed' || s.status === 'interrupted');
  const pick = (given: number | undefined, fallback: number | undefined) => {
    const id = given ?? fallback;
    if (id === undefined) throw new InputError('assets diff: the store needs two finished scans to compare (run surveyor scan twice)');
    return id;
  };
  const to = pick(request.to, finished.at(-1)?.id);
  const from = pick(request.from, finished.filter((s) => s.id < to).at(-1)?.id);
  const [a, b] = await Promise.all([store.snapshot(from), store.snapshot(to)]);
  if (!a) throw new InputError(`assets diff: no scan ${from} in ${store.location}`);
  if (!b) throw new InputError(`assets diff: no scan ${to} in ${store.location}`);
  return { from, to, changes: diffScans(a, b) };
}
