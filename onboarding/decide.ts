/**
 * One evaluation of a rule set over an estate, deterministic by construction:
 * - asset rules run before account rules, so account rules can test `asset.group` and `asset.tag`;
 * - within a kind, rules run in `order` (then file order) and a rule sees the groups and tags of the rules before it;
 * - the first matching `onboard` rule decides an account's workgroup, policy and schedule;
 * - `exclude` wins over `onboard`: an account excluded by any rule, or on an asset excluded by any rule, is not
 *   onboarded, whatever the order.
 * The result is the desired state (managed accounts and memberships); `plan.ts` compares it with the stored one.
 */
import type { ManagedState, Membership } from '../model/onboarding.js';
import type { CompiledRule, Explanation } from './evaluate.js';
import { AccountSubject, AssetSubject, Subject, subjectLabel } from './subjects.js';

export function membershipKey(m: Pick<Membership, 'subject' | 'subjectId' | 'kind' | 'name'>): string {
  return `${m.subject}:${m.subjectId}:${m.kind}:${m.name}`;
}

export interface RuleMatch {
  readonly rule: string;
  readonly version: string;
  readonly matched: boolean;
  readonly explanation?: Explanation;
}

export interface SubjectResult {
  readonly subject: Subject;
  readonly label: string;
  readonly rules: RuleMatch[];
  /** What the run decided for an account: onboard into a workgroup, excluded, or nothing. */
  decision?: string;
}

export interface Desired {
  readonly onboard: Map<number, ManagedState>;
  readonly memberships: Map<string, Membership>;
  /** Every subject evaluated, by membership subject key (`asset:7`, `account:12`). */
  readonly subjects: Map<string, Subject>;
  /** Accounts an onboard rule selected but an exclusion kept out. */
  readonly excludedOverOnboard: number;
  /** With `explain` or `misses`: per subject, the rules that matched (and why); only subjects some rule matched, unless `misses`. */
  readonly results: SubjectResult[];
  /** Subjects at least one rule matched. */
  readonly matched: number;
}

export interface EvaluateOptions {
  /** Build the condition tree of each match. */
  readonly explain?: boolean;
  /** Also list (and explain) the rules that did not match each subject. */
  readonly misses?: boolean;
}

export function evaluateEstate(rules: readonly CompiledRule[], assets: readonly AssetSubject[], accounts: readonly AccountSubject[], options: EvaluateOptions = {}): Desired {
  const memberships = new Map<string, Membership>();
  const subjects = new Map<string, Subject>();
  const results = new Map<Subject, SubjectResult>();
  const onboardBy = new Map<number, ManagedState>();
  const excluded = new Set<string>();
  const keep = (m: Membership) => {
    const key = membershipKey(m);
    if (!memberships.has(key)) memberships.set(key, m);
  };
  const resultOf = (s: Subject) => {
    let r = results.get(s);
    if (!r) results.set(s, (r = { subject: s, label: subjectLabel(s), rules: [] }));
    return r;
  };

  const matchedSubjects = new Set<Subject>();
  const run = (rule: CompiledRule, subjects: readonly Subject[]) => {
    const { name } = rule.rule;
    for (const s of subjects) {
      const matched = rule.test(s);
      if ((options.explain && matched) || options.misses) {
        resultOf(s).rules.push({ rule: name, version: rule.version, matched, ...(options.explain ? { explanation: rule.explain(s, false) } : {}) });
      }
      if (!matched) continue;
      matchedSubjects.add(s);
      const base = { subject: s.type, subjectId: s.id, rule: name } as const;
      for (const a of rule.rule.then) {
        switch (a.type) {
          case 'group':
            s.groups.add(a.name);
            keep({ ...base, kind: 'group', name: a.name, detail: null });
            break;
          case 'tag':
            s.tags.add(a.tag);
            keep({ ...base, kind: 'tag', name: a.tag, detail: null });
            break;
          case 'exclude':
            excluded.add(`${s.type}:${s.id}`);
            keep({ ...base, kind: 'exclude', name, detail: a.reason });
            break;
          case 'notify':
            keep({ ...base, kind: 'notified', name, detail: a.url });
            break;
          case 'onboard':
            if (s.type === 'account' && !onboardBy.has(s.id)) {
              onboardBy.set(s.id, { workgroup: a.workgroup, policy: a.policy, changeFrequencyDays: a.changeFrequencyDays, changeTime: a.changeTime, rule: name, ruleVersion: rule.version });
            }
        }
      }
    }
  };
  for (const rule of rules) if (rule.rule.kind === 'asset') run(rule, assets);
  for (const rule of rules) if (rule.rule.kind === 'account') run(rule, accounts);

  const onboard = new Map<number, ManagedState>();
  let excludedOverOnboard = 0;
  for (const a of assets) subjects.set(`asset:${a.id}`, a);
  for (const a of accounts) {
    subjects.set(`account:${a.id}`, a);
    const state = onboardBy.get(a.id);
    const out = excluded.has(`account:${a.id}`) || excluded.has(`asset:${a.asset.id}`);
    if (state && out) excludedOverOnboard++;
    else if (state) onboard.set(a.id, state);
    const r = results.get(a);
    if (r) r.decision = out ? 'excluded' : state ? `onboard into ${state.workgroup} (rule "${state.rule}")` : undefined;
  }
  return { onboard, memberships, subjects, excludedOverOnboard, results: [...results.values()], matched: matchedSubjects.size };
}
