/** SSH host keys pinned on first use: accepting the changed key a server offered, once an admin has checked it. */
import type { HostKeyPin } from '../model/host-key.js';
import type { Store } from '../store/store.js';
import { InputError } from '../scanner/errors.js';

/** Makes the offered keys of `address` (one port, or all) the pinned ones; none waiting is an InputError. */
export async function acceptHostKeys(store: Store, address: string, port?: number): Promise<Array<{ before: HostKeyPin; after: HostKeyPin }>> {
  const changes = await store.acceptHostKeys(address, port);
  if (!changes.length) throw new InputError(`hostkeys accept: no changed host key is waiting for ${address}${port ? ` port ${port}` : ''}`);
  return changes;
}
