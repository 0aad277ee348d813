/** What the store knows of assets: one asset with its latest enumerations, and what changed between two scans. */
import type { AssetView } from '../model/asset.js';
import type { StoredEnumeration, Store } from '../store/store.js';
import { Change, diffScans } from '../profiles/diff.js';
import { InputError } from '../scanner/errors.js';

/** One asset and the enumerations of the latest scan that enumerated it; an unknown address is an InputError. */
export async function showAsset(store: Store, address: string): Promise<{ asset: AssetView; enumerations: StoredEnumeration[] }> {
  const [asset] = await store.listAssets([address]);
  if (!asset) throw new InputError(`assets show: no asset with address "${address}" in ${store.location}`);
  return { asset, enumerations: await store.latestEnumerations(address) };
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
