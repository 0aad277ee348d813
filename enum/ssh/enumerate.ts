/**
 * Credentialed enumeration of one host over SSH: host key check against the pin (trust on first use), one
 * authentication attempt, the host commands, and the accounts. Never throws for what the host does: every
 * failure is a status with notes.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { HostKeyPin, HostKeyStore } from '../../model/host-key.js';
import type { Credential } from '../../vault/credentials.js';
import type { EnumerationRecord } from '../types.js';
import { accountsOf } from './accounts.js';
import { collectHost } from './collect.js';
import { HostKeySeen, SshSession } from './session.js';

export interface EnumerateOptions {
  readonly address: string;
  readonly port: number;
  readonly credential: Credential;
  readonly pins: HostKeyStore;
  readonly timeoutMs: number;
}

/** Opens a session whose host key is checked against the store's pin; used by scans and by `creds test`. */
export async function openPinnedSession(o: EnumerateOptions): Promise<{ session?: SshSession; pinned?: HostKeyPin; changed?: HostKeySeen; error?: ProbeError }> {
  const pinned = await o.pins.getHostKey(o.address, o.port);
  let changed: HostKeySeen | undefined;
  try {
    const session = await SshSession.open({
      host: o.address,
      port: o.port,
      credential: o.credential,
      timeoutMs: o.timeoutMs,
      hostKeyType: pinned?.algorithm,
      verifyHostKey: async (key) => {
        const at = new Date().toISOString();
        if (pinned && (pinned.algorithm !== key.type || pinned.sha256 !== key.sha256)) {
          changed = key;
          await o.pins.offerHostKey(o.address, o.port, key.type, key.sha256, at);
          return false;
        }
        await o.pins.pinHostKey(o.address, o.port, key.type, key.sha256, at);
        return true;
      },
    });
    return { session, pinned };
  } catch (err) {
    if (err instanceof ProbeError) return { pinned, changed, error: err };
    throw err;
  }
}

export function hostKeyAlert(address: string, port: number, pinned: HostKeyPin | undefined, changed: HostKeySeen | undefined, why: string): string {
  const was = pinned ? `pinned ${pinned.algorithm} ${pinned.sha256} (first seen ${pinned.firstSeen})` : 'pinned key';
  const now = changed ? `, offered ${changed.type} ${changed.sha256}` : `: ${why}`;
  return `HOST KEY CHANGED for ${address} port ${port}: ${was}${now}; the credential was not sent. If the change is expected: surveyor hostkeys accept ${address} --port ${port}`;
}

export async function enumerateSsh(o: EnumerateOptions): Promise<EnumerationRecord> {
  const started = performance.now();
  const base = { method: 'ssh' as const, port: o.port, credential: o.credential.name };
  const opened = await openPinnedSession(o);
  if (!opened.session) {
    const err = opened.error!;
    const note = err.status === 'hostkey-changed' ? hostKeyAlert(o.address, o.port, opened.pinned, opened.changed, err.message) : err.message;
    return { ...base, status: err.status, notes: [note], facts: {}, accounts: [], elapsedMs: performance.now() - started };
  }
  const session = opened.session;
  try {
    const collected = await collectHost(session, o.credential.elevate === 'sudo');
    const accounts = accountsOf(collected, o.credential.username);
    const status = collected.passwd ? 'success' : 'access-denied';
    const notes = collected.passwd ? collected.notes : ['the account list (getent passwd) could not be read', ...collected.notes];
    return { ...base, status, notes, facts: collected.facts, accounts, elapsedMs: performance.now() - started };
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    return { ...base, status: err.status, notes: [err.message], facts: {}, accounts: [], elapsedMs: performance.now() - started };
  } finally {
    session.close();
  }
}
