/**
 * The journal of what users did through the web page (and of `surveyor users`): one entry per change asked for,
 * with who asked, from where, and whether it was done or refused. Adapters write it; auditors read it.
 */
import { userInfo } from 'node:os';
import type { Store } from '../store/store.js';
import type { JournalResult, Role } from '../model/user.js';

/** Who asks: a signed-in user (with their role and address), or the CLI (`cli:OSUSER`, address `local`). */
export interface Actor {
  readonly user: string | null;
  readonly role: Role | null;
  readonly address: string;
}

/** The CLI as an actor: the operating-system user running it. */
export function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // A uid without a passwd entry (a container): the name stays unknown.
  }
  return { user: `cli:${name}`, role: null, address: 'local' };
}

export async function journal(store: Store, actor: Actor, action: string, target: string | null, result: JournalResult, reason: string | null = null, at = new Date()): Promise<void> {
  await store.users.journal({ at: at.toISOString(), user: actor.user, role: actor.role, action, target, result, reason, address: actor.address });
}
