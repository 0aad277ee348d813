/**
 * Rule sets in the store: keeping one as the active set, listing it, choosing the rules a run or a scan applies
 * (a file read already, else the stored set), and applying the chosen rules after checking their workgroups.
 */
import { createHash } from 'node:crypto';
import type { Store, StoredRuleSet } from '../store/store.js';
import { parseRuleFile, Rule } from '../onboarding/rule-file.js';
import { ruleVersion } from '../onboarding/evaluate.js';
import { InputError } from '../scanner/errors.js';
import { applyRules, ApplyOptions, ApplyResult, checkWorkgroups } from './apply-rules.js';

/** Rules and where they came from (a file, or `stored rule set N (FILE)`), as a rule run records them. */
export interface RuleSource {
  readonly rules: Rule[];
  readonly source: string;
}

/** The active rule set's rules; none stored is an InputError. */
export async function storedRules(store: Store): Promise<RuleSource> {
  const set = await store.activeRuleSet();
  if (!set) throw new InputError('rules apply --stored: no rule set is stored (surveyor rules store FILE)');
  return { rules: parseRuleFile(set.text, `stored rule set ${set.id}`), source: `stored rule set ${set.id} (${set.source})` };
}

/** The rules a scan applies at its end: `file` (read already), else the stored set, else none; workgroups checked. */
export async function rulesForScan(store: Store, file: RuleSource | undefined): Promise<RuleSource | undefined> {
  const chosen = file ?? ((await store.activeRuleSet()) ? await storedRules(store) : undefined);
  if (chosen) await checkWorkgroups(store, chosen.rules, chosen.source);
  return chosen;
}

/** Applies `file` (read already), or the stored rule set when omitted, once its workgroups are checked. */
export async function applyRuleSet(store: Store, file: RuleSource | undefined, options: Omit<ApplyOptions, 'source'>): Promise<ApplyResult> {
  const { rules, source } = file ?? (await storedRules(store));
  await checkWorkgroups(store, rules, source);
  return applyRules(store, rules, { ...options, source });
}

/** Keeps a rule file's text as the active rule set (scans and `apply --stored` use it); returns its id and digest. */
export async function storeRuleSet(store: Store, file: RuleSource & { readonly text: string }): Promise<{ id: number; sha256: string }> {
  await checkWorkgroups(store, file.rules, file.source);
  const sha256 = createHash('sha256').update(file.text).digest('hex');
  const id = await store.saveRuleSet(file.source, file.text, sha256, new Date().toISOString());
  return { id, sha256 };
}

export interface StoredRuleList {
  readonly set: StoredRuleSet;
  readonly rules: ReadonlyArray<{ name: string; kind: string; enabled: boolean; order: number; version: string; actions: string[] }>;
}

/** The active rule set and its rules with their versions; undefined when none is stored. */
export async function listStoredRules(store: Store): Promise<StoredRuleList | undefined> {
  const set = await store.activeRuleSet();
  if (!set) return undefined;
  const rules = parseRuleFile(set.text, `stored rule set ${set.id}`);
  return { set, rules: rules.map((r) => ({ name: r.name, kind: r.kind, enabled: r.enabled, order: r.order, version: ruleVersion(r), actions: r.then.map((a) => a.type) })) };
}
