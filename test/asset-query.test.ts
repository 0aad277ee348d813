/**
 * The paged inventory (app/asset-query.ts over store.assetIndex and store.openServiceAssets) against listAssets,
 * the ground truth: every filter, sort and page gives exactly the assets listAssets holds that match, over SQLite
 * and PostgreSQL. Host .4's ssh port was closed by a later scan: the service filter must not list it.
 */
import { eachDialect } from './helpers/dialects.js';
import { buildEstate } from './helpers/estate.js';
import { openStore } from '../store/open-store.js';
import { findAssets, osText } from '../app/asset-query.js';
import { addressKey } from '../scanner/targets/ip.js';
import type { AssetView } from '../model/asset.js';

eachDialect('findAssets: filters, sorts and pages exactly as a filter over listAssets would', async (t, d) => {
  const location = await d.fresh(t);
  await buildEstate(location);
  const store = await openStore(location);
  t.teardown(() => store.close());
  const all = await store.listAssets();
  const addresses = (list: readonly AssetView[]) => list.map((a) => a.address);
  const query = async (q: Parameters<typeof findAssets>[1]) => addresses((await findAssets(store, q)).assets);
  t.deepEqual(await query({}), addresses(all), 'everything, by address');
  t.is((await findAssets(store, {})).total, 4);
  const hasService = (a: AssetView, s: string) => a.ports.some((p) => p.state === 'open' && (p.service?.service === s || String(p.port) === s));
  t.deepEqual(await query({ service: 'ssh' }), addresses(all.filter((a) => hasService(a, 'ssh'))));
  t.deepEqual(await query({ service: 'ssh' }), ['127.136.0.1', '127.136.0.2'], 'not .4, whose port 22 a later scan found closed');
  t.deepEqual(await query({ service: '22' }), ['127.136.0.1', '127.136.0.2']);
  t.deepEqual(await query({ service: 'HTTP' }), ['127.136.0.1', '127.136.0.4']);
  t.deepEqual(await query({ address: '127.136.0.2-3' }), ['127.136.0.2', '127.136.0.3']);
  t.deepEqual(await query({ address: '127.136.0.0/30' }), ['127.136.0.1', '127.136.0.2', '127.136.0.3']);
  t.deepEqual(await query({ name: 'LAB.test' }), ['127.136.0.1', '127.136.0.3']);
  t.deepEqual(await query({ os: 'debian' }), addresses(all.filter((a) => osText(a.os).toLowerCase().includes('debian'))));
  t.deepEqual(await query({ name: 'lab', service: 'mysql' }), ['127.136.0.3'], 'filters combine');
  const byName = [...all].sort((x, y) => (x.hostnames[0]?.toLowerCase() ?? '\uffff').localeCompare(y.hostnames[0]?.toLowerCase() ?? '\uffff') || addressKey(x.address).localeCompare(addressKey(y.address)));
  t.deepEqual(await query({ sort: 'name' }), addresses(byName));
  t.deepEqual(await query({ sort: 'lastSeen', order: 'desc' }), ['127.136.0.4', '127.136.0.1', '127.136.0.2', '127.136.0.3'], 'newest first, ties by address');
  const page = await findAssets(store, { limit: 2, offset: 1 });
  t.deepEqual([page.total, page.offset, page.limit, addresses(page.assets)], [4, 1, 2, ['127.136.0.2', '127.136.0.3']]);
  t.deepEqual(page.assets[0], all[1], 'a page holds the whole asset, as listAssets reads it');
  t.deepEqual(await query({ offset: 10 }), []);
  await t.throwsAsync(findAssets(store, { address: 'web01' }), { message: /bad address filter "web01": give an address, a CIDR block or a range/ });
  await t.throwsAsync(findAssets(store, { service: '70000' }), { message: /a port is 1-65535/ });
  await t.throwsAsync(findAssets(store, { limit: 0 }), { message: /bad limit 0/ });
});
