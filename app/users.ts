/**
 * The web page's users: add, list, remove, set a password. Names follow app/names.ts; passwords are checked
 * (app/passwords.ts) and hashed before anything is written. Nothing here prints or journals: the adapter that
 * calls it records who did it (app/journal.ts).
 */
import { InputError } from '../scanner/errors.js';
import type { Store } from '../store/store.js';
import { ROLES, type Role, type UserRecord } from '../model/user.js';
import { checkName } from './names.js';
import { checkPassword, hashPassword } from './passwords.js';

export function checkRole(role: string | undefined): Role {
  if (role === undefined) throw new InputError(`give --role ${ROLES.join('|')}`);
  if (!(ROLES as readonly string[]).includes(role)) throw new InputError(`bad --role "${role}": expected one of ${ROLES.join(', ')}`);
  return role as Role;
}

export function checkUserName(name: string | undefined): string {
  if (name === undefined) throw new InputError('give one user NAME');
  checkName('user name', name);
  return name;
}

export async function addUser(store: Store, input: { readonly name: string; readonly role: Role; readonly password: string }, now = new Date()): Promise<UserRecord> {
  checkUserName(input.name);
  checkRole(input.role);
  checkPassword(input.password);
  if (await store.users.get(input.name)) throw new InputError(`user "${input.name}" exists already (surveyor users passwd ${input.name} sets a new password)`);
  await store.users.add({ name: input.name, role: input.role, passwordHash: await hashPassword(input.password), at: now.toISOString() });
  return (await store.users.get(input.name))!;
}

export async function requireUser(store: Store, name: string): Promise<UserRecord> {
  const user = await store.users.get(name);
  if (!user) throw new InputError(`no user "${name}" (surveyor users list)`);
  return user;
}

/** Sets a new password; every session of the user ends. */
export async function setPassword(store: Store, name: string, password: string, now = new Date()): Promise<void> {
  checkPassword(password);
  await requireUser(store, name);
  if (!(await store.users.setPassword(name, await hashPassword(password), now.toISOString()))) throw new InputError(`no user "${name}" (surveyor users list)`);
}

/** Removes a user and ends their sessions; what they did stays in the journal under their name. */
export async function removeUser(store: Store, name: string): Promise<void> {
  if (!(await store.users.remove(name))) throw new InputError(`no user "${name}" (surveyor users list)`);
}

export function listUsers(store: Store): Promise<UserRecord[]> {
  return store.users.list();
}
