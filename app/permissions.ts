/**
 * What each role may do: the one table every adapter asks (the web page's routes and API today). Auditors read
 * everything and change nothing; authors also edit and dry-run rules; admins also apply and undo rules (what gets
 * onboarded and rotated changes, so an author's rule set is applied by a second person) and manage jobs,
 * credentials (replaced, never shown), workgroups and users.
 */
import { ROLES, type Role } from '../model/user.js';

export const ACTIONS = [
  /** Inventory, accounts, reports, rules, runs, jobs, workgroups, workers, users (without secrets), the journal. */
  'read',
  'rules.edit',
  'rules.dry-run',
  'rules.apply',
  'rules.undo',
  'jobs.run',
  'jobs.manage',
  'credentials.manage',
  'workgroups.manage',
  'users.manage',
] as const;
export type Action = (typeof ACTIONS)[number];

const TABLE: Readonly<Record<Action, readonly Role[]>> = {
  read: ['auditor', 'author', 'admin'],
  'rules.edit': ['author', 'admin'],
  'rules.dry-run': ['author', 'admin'],
  'rules.apply': ['admin'],
  'rules.undo': ['admin'],
  'jobs.run': ['admin'],
  'jobs.manage': ['admin'],
  'credentials.manage': ['admin'],
  'workgroups.manage': ['admin'],
  'users.manage': ['admin'],
};

export function can(role: Role, action: Action): boolean {
  return TABLE[action].includes(role);
}

/** The table as rows, for the documentation and the users page: each action with the roles allowed it. */
export function permissionTable(): Array<{ action: Action; roles: Role[] }> {
  return ACTIONS.map((action) => ({ action, roles: ROLES.filter((r) => can(r, action)) }));
}
