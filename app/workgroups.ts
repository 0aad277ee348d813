/** Workgroups: the sites whose scanner nodes rotate the accounts onboarded into them. */
import type { ManagedAccountRecord, NewRuleRun, Store } from '../store/store.js';
import { InputError } from '../scanner/errors.js';
import { MOVE_TRIGGER } from '../model/onboarding.js';
import { planMove } from '../onboarding/plan.js';
import { countOf } from './apply-rules.js';
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

/** Refuses a move that cannot be made whatever the database holds: a bad name, or FROM and TO the same. */
export function checkMove(from: string, to: string): void {
  checkName('workgroup name', from);
  checkName('workgroup name', to);
  if (from === to) throw new InputError(`workgroups move-accounts: FROM and TO are both "${from}"; name two different workgroups`);
}

export interface MovedAccount {
  readonly accountId: number;
  readonly label: string;
  readonly address: string;
  readonly account: string;
}

export interface MoveResult {
  /** The run to undo the move with (`rules undo RUN`); null for a dry run, or when FROM manages no account. */
  readonly runId: number | null;
  readonly dryRun: boolean;
  readonly from: string;
  readonly to: string;
  readonly accounts: readonly MovedAccount[];
}

/**
 * Moves every account managed in workgroup `from` to `to` (the site of `from` was lost), as a rule run of its own
 * (trigger MOVE_TRIGGER) whose journal holds one `update` per account: listed by `rules runs`, undone by
 * `rules undo`. Later rule runs leave the accounts in `to` (onboarding/plan.ts). Nothing is written when the
 * workgroups are not both known, for a dry run, or when `from` manages no account.
 */
export async function moveAccounts(store: Store, from: string, to: string, options: { readonly dryRun?: boolean } = {}): Promise<MoveResult> {
  checkMove(from, to);
  const known = new Set((await store.listWorkgroups()).map((w) => w.name));
  const unknown = [from, to].filter((w) => !known.has(w));
  if (unknown.length) throw new InputError(`workgroups move-accounts: ${unknown.map((w) => `no workgroup "${w}"`).join(', ')} (see "surveyor workgroups list")`);
  const started = new Date().toISOString();
  const journalHead = await store.journalHead();
  const managed = await store.listManaged();
  let changes = planMove(managed, from, to);
  const dryRun = options.dryRun === true;
  const result = (runId: number | null, records: ReadonlyMap<number, ManagedAccountRecord>): MoveResult => ({
    runId, dryRun, from, to,
    accounts: changes.map((c) => ({ accountId: c.accountId, label: c.label, address: records.get(c.accountId)?.address ?? '', account: records.get(c.accountId)?.account ?? c.label })),
  });
  const byId = (list: readonly ManagedAccountRecord[]) => new Map(list.map((m) => [m.accountId, m]));
  if (dryRun || !changes.length) return result(null, byId(managed));
  const runOf = (): NewRuleRun => ({
    startedAt: started, finishedAt: new Date().toISOString(), source: `workgroups move-accounts ${from} ${to}`, trigger: MOVE_TRIGGER,
    scope: null, rules: [], summary: countOf(changes),
  });
  let replanned = false;
  const runId = await store.writeRuleRun(runOf(), changes, {
    journalHead,
    replan: (state) => {
      replanned = true;
      changes = planMove(state.managed.values(), from, to);
      return { run: runOf(), changes };
    },
  });
  // Another run wrote meanwhile: the accounts moved are those in `from` when the write lock was taken.
  return result(runId, byId(replanned ? await store.listManaged() : managed));
}
