/**
 * The inventory as a filtered, sorted, paged list (the web page's /assets and its API): filters on address
 * (an address, CIDR block or range), host name, OS and open service, a sort, and one page read in full. Only the
 * page's assets are read with their ports (store.listAssets); the rest comes from the store's light asset index.
 */
import type { AssetIndexRow, AssetView } from '../model/asset.js';
import type { OsProfile } from '../model/service.js';
import type { Store } from '../store/store.js';
import { InputError } from '../scanner/errors.js';
import { addressKey } from '../scanner/targets/ip.js';
import { addressFilter } from './address-filter.js';

export const ASSET_SORTS = ['address', 'name', 'os', 'firstSeen', 'lastSeen'] as const;
export type AssetSort = (typeof ASSET_SORTS)[number];

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 1000;

export interface AssetQuery {
  /** An address, a CIDR block or a range. */
  readonly address?: string;
  /** Part of a host name, any case. */
  readonly name?: string;
  /** Part of the OS's family, name, version, description or device type, any case. */
  readonly os?: string;
  /** A service name (ssh, http, ...) or a port number, open. */
  readonly service?: string;
  /** @default 'address' */
  readonly sort?: AssetSort;
  /** @default 'asc' */
  readonly order?: 'asc' | 'desc';
  /** @default PAGE_LIMIT_DEFAULT */
  readonly limit?: number;
  /** @default 0 */
  readonly offset?: number;
}

export interface AssetPage {
  /** Assets matching the filters, on every page. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly assets: readonly AssetView[];
}

export function osText(os: OsProfile | undefined): string {
  return os ? [os.family, os.name, os.version, os.description, os.deviceType].filter(Boolean).join(' ') : '';
}

function sortKey(sort: AssetSort, a: AssetIndexRow): string {
  switch (sort) {
    case 'address': return addressKey(a.address);
    // Assets without a name or OS sort after the others (before them in descending order).
    case 'name': return a.hostnames[0]?.toLowerCase() ?? '\uffff';
    case 'os': return osText(a.os).toLowerCase() || '\uffff';
    case 'firstSeen': return a.firstSeen;
    case 'lastSeen': return a.lastSeen;
  }
}

/** Checks a query's values (InputError naming the bad one) before any database is read. */
export function checkAssetQuery(q: AssetQuery): void {
  if (q.address !== undefined) addressFilter(q.address, 'address filter');
  if (q.service !== undefined && !/^([a-z][a-z0-9._+-]{0,31}|\d{1,5})$/i.test(q.service)) throw new InputError(`bad service filter "${q.service}": a service name (ssh, http, ...) or a port number`);
  if (q.service !== undefined && /^\d+$/.test(q.service) && (Number(q.service) < 1 || Number(q.service) > 65535)) throw new InputError(`bad service filter "${q.service}": a port is 1-65535`);
  if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > PAGE_LIMIT_MAX)) throw new InputError(`bad limit ${q.limit}: 1 to ${PAGE_LIMIT_MAX}`);
  if (q.offset !== undefined && (!Number.isInteger(q.offset) || q.offset < 0)) throw new InputError(`bad offset ${q.offset}: 0 or more`);
}

export async function findAssets(store: Store, q: AssetQuery = {}): Promise<AssetPage> {
  checkAssetQuery(q);
  const limit = q.limit ?? PAGE_LIMIT_DEFAULT;
  const offset = q.offset ?? 0;
  let rows = await store.assetIndex();
  if (q.address !== undefined) {
    const inside = addressFilter(q.address, 'address filter');
    rows = rows.filter((a) => inside(a.address));
  }
  if (q.name !== undefined) {
    const part = q.name.toLowerCase();
    rows = rows.filter((a) => a.hostnames.some((n) => n.toLowerCase().includes(part)));
  }
  if (q.os !== undefined) {
    const part = q.os.toLowerCase();
    rows = rows.filter((a) => osText(a.os).toLowerCase().includes(part));
  }
  if (q.service !== undefined) rows = await withService(store, rows, q.service);
  const sort = q.sort ?? 'address';
  const keyed = rows.map((a) => ({ a, key: sortKey(sort, a), tie: addressKey(a.address) }));
  const sign = q.order === 'desc' ? -1 : 1;
  keyed.sort((x, y) => (x.key < y.key ? -sign : x.key > y.key ? sign : x.tie < y.tie ? -1 : x.tie > y.tie ? 1 : 0));
  const page = keyed.slice(offset, offset + limit).map((k) => k.a.address);
  const byAddress = new Map((page.length ? await store.listAssets(page) : []).map((a) => [a.address, a]));
  return { total: rows.length, offset, limit, assets: page.map((address) => byAddress.get(address)!).filter(Boolean) };
}

/** The rows with an open port of that service: the index's candidates, the doubtful ones checked with listAssets. */
async function withService(store: Store, rows: readonly AssetIndexRow[], service: string): Promise<AssetIndexRow[]> {
  const port = /^\d+$/.test(service) ? Number(service) : undefined;
  const found = await store.openServiceAssets(port !== undefined ? { port } : { service });
  const suspects = found.filter((f) => f.suspect).map((f) => f.address);
  const has = (a: AssetView) => a.ports.some((p) => p.state === 'open' && (port !== undefined ? p.port === port : p.service?.service?.toLowerCase() === service.toLowerCase()));
  const confirmed = new Set(suspects.length ? (await store.listAssets(suspects)).filter(has).map((a) => a.address) : []);
  const keep = new Set(found.filter((f) => !f.suspect || confirmed.has(f.address)).map((f) => f.address));
  return rows.filter((a) => keep.has(a.address));
}

/** An asset in a list: identity, names, OS and its ports in brief (the full evidence is one asset's own view). */
export function assetSummary(a: AssetView): Record<string, unknown> {
  return {
    address: a.address, hostnames: a.hostnames,
    ...(a.os ? { os: Object.fromEntries(Object.entries({ family: a.os.family, name: a.os.name, version: a.os.version, deviceType: a.os.deviceType }).filter(([, v]) => v !== undefined)) } : {}),
    ...(a.domain ? { domain: a.domain.name } : {}),
    ports: a.ports.map((p) => ({
      port: p.port, protocol: p.protocol, state: p.state,
      ...(p.service?.service ? { service: p.service.service } : {}), ...(p.service?.product ? { product: p.service.product } : {}), ...(p.service?.version ? { version: p.service.version } : {}),
    })),
    firstSeen: a.firstSeen, lastSeen: a.lastSeen, lastScanId: a.lastScanId, scanned: a.scanned,
  };
}
