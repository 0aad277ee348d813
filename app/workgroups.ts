/** Workgroups: the sites whose scanner nodes rotate the accounts onboarded into them. */
import type { Store } from '../store/store.js';
import { InputError } from '../scanner/errors.js';
import { checkName } from './names.js';

/** Refuses a workgroup name or site that cannot be stored (before any database is opened). */
export function checkWorkgroup(name: string, site: string | undefined): void {
  checkName('workgroup name', name);
  if (!site?.trim()) throw new InputError('workgroups add: --site SITE is required (the site whose nodes rotate the workgroup\'s accounts)');
}

/** Adds a workgroup; returns the site as stored (trimmed). */
export async function addWorkgroup(store: Store, w: { readonly name: string; readonly site: string; readonly description?: string | null }): Promise<{ site: string }> {
  checkWorkgroup(w.name, w.site);
  const site = w.site.trim();
  await store.addWorkgroup(w.name, site, w.description ?? null, new Date().toISOString());
  return { site };
}
