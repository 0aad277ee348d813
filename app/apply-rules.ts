/**
 * A rule run from end to end: load the estate (or the assets a scan just saw), evaluate, compare with the stored
 * state, write the changes and their journal in one transaction, then call the webhooks. A dry run stops before
 * writing. `undoRun` reverses one run through the same journal. The write lock is taken only to write; a run that
 * another run overtook meanwhile is planned again, under the lock, against the state it writes over.
 */
import { InputError } from '../scanner/errors.js';
import type { Change, Membership, OnboardingState } from '../model/onboarding.js';
import type { RoleFence } from '../model/job.js';
import type { NewRuleRun, Store } from '../store/store.js';
import { Desired, evaluateEstate } from '../onboarding/decide.js';
import { compileRules, CompiledRule } from '../onboarding/evaluate.js';
import { Poster, sendNotifications } from '../onboarding/notify.js';
import { httpPoster } from './webhooks.js';
import { Plan, planRun, planUndo } from '../onboarding/plan.js';
import { type Rule, unknownWorkgroup } from '../onboarding/rule-file.js';
import { AccountSubject, accountSubject, AssetSubject, assetSubject } from '../onboarding/subjects.js';

export interface Estate {
  readonly assets: AssetSubject[];
  readonly accounts: AccountSubject[];
}

/** The subjects of the assets at `addresses` (the whole store when omitted) and their current accounts. */
export async function loadEstate(store: Store, addresses?: readonly string[]): Promise<Estate> {
  const views = await store.listAssets(addresses);
  const ids = addresses ? views.map((a) => a.id) : undefined;
  const software = new Map<number, Map<string, string>>();
  for (const p of await store.listSoftware(ids)) {
    let m = software.get(p.assetId);
    if (!m) software.set(p.assetId, (m = new Map()));
    m.set(p.name, p.version);
  }
  const assets = views.map((v) => assetSubject(v, software.get(v.id)));
  const byId = new Map(assets.map((a) => [a.id, a]));
  const accounts = (await store.listAccounts(ids ? { assetIds: ids } : {})).flatMap((v) => {
    const asset = byId.get(v.assetId);
    return asset ? [accountSubject(v, asset)] : [];
  });
  return { assets, accounts };
}

/** Every onboard action must name a workgroup that exists: one InputError lists each one that does not. */
export async function checkWorkgroups(store: Store, rules: readonly Rule[], file: string): Promise<void> {
  const known = (await store.listWorkgroups()).map((w) => w.name);
  const problems: string[] = [];
  rules.forEach((r, i) => r.then.forEach((a, j) => {
    if (a.type === 'onboard' && !known.includes(a.workgroup)) {
      problems.push(`  rules[${i}].then[${j}].onboard.workgroup: ${unknownWorkgroup(a.workgroup, known)}`);
    }
  }));
  if (problems.length) throw new InputError(`${file}: ${problems.length} problem(s), nothing applied:\n${problems.join('\n')}`);
}

export interface ApplyOptions {
  /** Where the rules came from (the file, or the stored rule set), for the run record. */
  readonly source: string;
  readonly trigger: string;
  readonly dryRun?: boolean;
  readonly explain?: boolean;
  readonly misses?: boolean;
  /** Only these assets and their accounts (a scan's hosts); the whole estate when omitted. */
  readonly addresses?: readonly string[];
  readonly now?: Date;
  readonly post?: Poster;
  /** Written under the Smart Rule role: the run is refused once another process holds the role. */
  readonly fence?: RoleFence;
}

export interface ApplyResult {
  readonly runId: number | null;
  readonly rules: readonly CompiledRule[];
  readonly desired: Desired;
  readonly plan: Plan;
  readonly summary: Readonly<Record<string, number>>;
  readonly notifyFailures: readonly string[];
  readonly timings: { readonly loadMs: number; readonly evaluateMs: number; readonly writeMs: number };
}

/** A run's summary counts of its changes, by kind. */
export function countOf(changes: readonly Change[]): Record<string, number> {
  const out = { onboarded: 0, updated: 0, offboarded: 0, membershipsAdded: 0, membershipsRemoved: 0 };
  for (const c of changes) {
    if (c.action === 'onboard') out.onboarded++;
    else if (c.action === 'update') out.updated++;
    else if (c.action === 'offboard') out.offboarded++;
    else if (c.action === 'remove') out.membershipsRemoved++;
    else if (c.membership.kind !== 'notified') out.membershipsAdded++;
  }
  return out;
}

const isNotify = (c: Change): c is Extract<Change, { action: 'add' }> => c.action === 'add' && c.membership.kind === 'notified';

export async function applyRules(store: Store, rules: readonly Rule[], options: ApplyOptions): Promise<ApplyResult> {
  const started = options.now ?? new Date();
  const t0 = performance.now();
  const estate = await loadEstate(store, options.addresses);
  const scope = options.addresses ? estate.assets.map((a) => a.id) : undefined;
  // Read before the state: a run that writes after this head moved plans again against the state it writes over.
  const journalHead = await store.journalHead();
  const current = await store.onboardingState(scope);
  const t1 = performance.now();
  const compiled = compileRules(rules, started.getTime());
  const desired = evaluateEstate(compiled, estate.assets, estate.accounts, { explain: options.explain, misses: options.misses });
  const planFor = (state: OnboardingState) => {
    const plan = planRun(desired, state);
    const notifications = plan.changes.filter(isNotify);
    const summary: Record<string, number> = {
      assets: estate.assets.length, accounts: estate.accounts.length, rules: compiled.length,
      matched: desired.matched,
      managedSelected: desired.onboard.size, excludedOverOnboard: desired.excludedOverOnboard, retained: plan.retained,
      keptMoved: plan.keptMoved,
      ...countOf(plan.changes), notifications: notifications.length,
    };
    return { plan, notifications, summary };
  };
  let planned = planFor(current);
  const t2 = performance.now();
  if (options.dryRun) {
    return { runId: null, rules: compiled, desired, plan: planned.plan, summary: planned.summary, notifyFailures: [], timings: { loadMs: t1 - t0, evaluateMs: t2 - t1, writeMs: 0 } };
  }
  const at = new Date().toISOString();
  const runOf = (summary: Record<string, number>): NewRuleRun => ({
    startedAt: started.toISOString(), finishedAt: at, source: options.source, trigger: options.trigger, scope: options.addresses ?? null,
    rules: compiled.map((r) => ({ name: r.rule.name, kind: r.rule.kind, version: r.version })), summary,
  });
  const runId = await store.writeRuleRun(runOf(planned.summary), planned.plan.changes.filter((c) => !isNotify(c)), {
    journalHead, assetIds: scope, fence: options.fence,
    replan: (state) => {
      planned = planFor(state);
      return { run: runOf(planned.summary), changes: planned.plan.changes.filter((c) => !isNotify(c)) };
    },
  });
  const t3 = performance.now();
  const { plan, notifications, summary } = planned;
  let notifyFailures: string[] = [];
  if (notifications.length) {
    const versionOf = (name: string) => compiled.find((r) => r.rule.name === name)?.version ?? '';
    const subjectOf = (m: Membership) => desired.subjects.get(`${m.subject}:${m.subjectId}`);
    const { sent, failures } = await sendNotifications(notifications.map((c) => c.membership), subjectOf, versionOf, runId, at, options.post ?? httpPoster);
    const done = new Set(sent);
    if (sent.length) await store.appendChanges(runId, notifications.filter((c) => done.has(c.membership)), new Date().toISOString());
    notifyFailures = failures;
  }
  return { runId, rules: compiled, desired, plan, summary, notifyFailures, timings: { loadMs: t1 - t0, evaluateMs: t2 - t1, writeMs: t3 - t2 } };
}

export interface UndoResult {
  readonly runId: number;
  readonly changes: readonly Change[];
  readonly skipped: ReadonlyArray<{ change: Change; why: string }>;
}

/** Reverses one run's changes that no later run has overwritten; the undo is a run of its own, with a journal. */
export async function undoRun(store: Store, id: number): Promise<UndoResult> {
  const run = await store.getRuleRun(id);
  if (!run) throw new InputError(`no rule run ${id} (see "surveyor rules runs")`);
  if (run.undoneBy !== null) throw new InputError(`run ${id} was undone already, by run ${run.undoneBy}`);
  if (run.undoes !== undefined) throw new InputError(`run ${id} is the undo of run ${run.undoes}; apply the rules again instead of undoing an undo`);
  const journal = await store.runJournal(id);
  const started = new Date().toISOString();
  const journalHead = await store.journalHead();
  let planned = planUndo(journal, id, await store.onboardingState());
  const runOf = (p: typeof planned): NewRuleRun => ({
    startedAt: started, finishedAt: new Date().toISOString(), source: `undo of run ${id}`, trigger: 'undo', scope: run.scope, rules: [],
    summary: { ...countOf(p.changes), skipped: p.skipped.length }, undoes: id,
  });
  const runId = await store.writeRuleRun(runOf(planned), planned.changes, {
    journalHead,
    replan: (state) => {
      planned = planUndo(journal, id, state);
      return { run: runOf(planned), changes: planned.changes };
    },
  });
  return { runId, changes: planned.changes, skipped: planned.skipped };
}
