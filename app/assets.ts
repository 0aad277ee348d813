/** What the store knows of assets: one asset with its latest enumerations, and what changed between two scans. */
import type { AssetView } from '../model/asset.js';
import type { ScanRecord, StoredEnumeration, Store } from '../store/store.js';
import { Change, diffScans } from '../profiles/diff.js';
import { InputError } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';

/**
 * The note a reading command prints on stderr when the database (a valid surveyor one) has no scan recorded: an
 * empty listing then means nothing was collected, not that nothing was found. Undefined once any scan is recorded.
 */
export async function noScanNote(store: Store): Promise<string | undefined> {
  if ((await store.listScans()).length > 0) return undefined;
  return `note: no scan has been recorded in ${store.location}: nothing has been collected yet, so an empty result is not a clean one (run surveyor scan, or check --db)\n`;
}

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
  /** @default the newest finished network scan before `to` with the same targets and exclusions (else the newest before it) */
  readonly from?: number;
  /** @default the latest finished (completed or interrupted) network scan */
  readonly to?: number;
}

/** The targets and exclusions of a scan as one comparable text. */
const sameAddresses = (s: ScanRecord) => JSON.stringify([[...s.targets].sort(), [...s.exclusions].sort()]);

/**
 * What changed between two network scans (see diffScans). By default the latest finished network scan against the
 * newest earlier one that covered the same addresses (a directory scan sees no ports and is never a default); a
 * directory scan or a missing scan given by number is an InputError.
 */
export async function diffAssets(store: Store, request: DiffRequest = {}): Promise<{ from: number; to: number; changes: Change[] }> {
  const scans = await store.listScans();
  const network = scans.filter((s) => s.kind === 'network' && (s.status === 'completed' || s.status === 'interrupted'));
  const given = (option: 'from' | 'to', id: number) => {
    const scan = scans.find((s) => s.id === id);
    if (!scan) throw new InputError(`assets diff: no scan ${id} in ${store.location} (--${option} ${id})`);
    if (scan.kind !== 'network') throw new InputError(`assets diff: scan ${id} is a directory scan, which sees no ports: give a network scan (--${option} ${id})`);
    return scan;
  };
  const none = () => new InputError('assets diff: the store needs two finished network scans to compare (run surveyor scan twice)');
  const to = request.to !== undefined ? given('to', request.to) : network.at(-1);
  if (!to) throw none();
  const earlier = network.filter((s) => s.id < to.id);
  const from = request.from !== undefined ? given('from', request.from) : earlier.filter((s) => sameAddresses(s) === sameAddresses(to)).at(-1) ?? earlier.at(-1);
  if (!from) throw none();
  const [a, b] = await Promise.all([store.snapshot(from.id), store.snapshot(to.id)]);
  return { from: from.id, to: to.id, changes: diffScans(a!, b!) };
}
