/**
 * The changes that bring the stored onboarding state to what a rule run decided, and the changes that reverse a
 * run. A change is also its journal entry. Onboarding is sticky: an account a rule no longer selects stays managed
 * (it is reported as retained) until an undo or an admin removes it; memberships (groups, tags, exclusions) follow
 * the rules exactly. A move stands: an account `workgroups move-accounts` moved out of the workgroup its rule names
 * stays where the move put it (only that rule's other settings follow the rules) until the move is undone or a
 * rule names yet another workgroup.
 */
import type { Change, ManagedState, Membership, OnboardingState, StoredManaged, StoredMembership } from '../model/onboarding.js';
import { Desired, membershipKey } from './decide.js';
import { subjectLabel } from './subjects.js';

export function sameManaged(a: ManagedState, b: ManagedState): boolean {
  return a.workgroup === b.workgroup && a.policy === b.policy && a.changeFrequencyDays === b.changeFrequencyDays && a.changeTime === b.changeTime && a.rule === b.rule && a.ruleVersion === b.ruleVersion;
}

export function managedState(m: ManagedState): ManagedState {
  return { workgroup: m.workgroup, policy: m.policy, changeFrequencyDays: m.changeFrequencyDays, changeTime: m.changeTime, rule: m.rule, ruleVersion: m.ruleVersion };
}

function membership(m: Membership): Membership {
  return { subject: m.subject, subjectId: m.subjectId, kind: m.kind, name: m.name, rule: m.rule, detail: m.detail };
}

export interface Plan {
  readonly changes: Change[];
  /** Managed accounts in scope that no rule selects now (left managed). */
  readonly retained: number;
  /** Managed accounts left in the workgroup a move put them in, though their rule names the one they were moved out of. */
  readonly keptMoved: number;
}

export function planRun(desired: Desired, current: OnboardingState): Plan {
  const changes: Change[] = [];
  const labelOf = (key: string) => {
    const s = desired.subjects.get(key);
    return s ? subjectLabel(s) : key;
  };
  let keptMoved = 0;
  for (const [accountId, wanted] of desired.onboard) {
    const before = current.managed.get(accountId);
    const label = labelOf(`account:${accountId}`);
    const moved = before?.movedFrom?.includes(wanted.workgroup) === true;
    if (moved) keptMoved++;
    const after = moved ? { ...wanted, workgroup: before!.workgroup } : wanted;
    if (!before) changes.push({ action: 'onboard', accountId, label, after });
    else if (!sameManaged(before, after)) changes.push({ action: 'update', accountId, label, before: managedState(before), after });
  }
  let retained = 0;
  for (const id of current.managed.keys()) if (!desired.onboard.has(id)) retained++;
  for (const [key, m] of current.memberships) {
    const want = desired.memberships.get(key);
    if (!want || want.rule !== m.rule || want.detail !== m.detail) changes.push({ action: 'remove', label: m.label, membership: membership(m) });
  }
  for (const [key, m] of desired.memberships) {
    const have = current.memberships.get(key);
    if (!have || have.rule !== m.rule || have.detail !== m.detail) changes.push({ action: 'add', label: labelOf(`${m.subject}:${m.subjectId}`), membership: m });
  }
  return { changes, retained, keptMoved };
}

/** Moves every account managed in `from` to `to`, all else as it was: one update each, in label order. */
export function planMove(managed: Iterable<StoredManaged>, from: string, to: string): Array<Extract<Change, { action: 'update' }>> {
  return [...managed].filter((m) => m.workgroup === from).sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)).map((m) => {
    const before = managedState(m);
    return { action: 'update', accountId: m.accountId, label: m.label, before, after: { ...before, workgroup: to } };
  });
}

/** Why one journal entry of a run cannot be reversed in `state`, or undefined when it can. */
function conflict(c: Change, runId: number, managed: Map<number, StoredManaged>, memberships: Map<string, StoredMembership>): string | undefined {
  switch (c.action) {
    case 'onboard': case 'update': {
      const now = managed.get(c.accountId);
      if (!now) return 'no longer managed';
      if (!sameManaged(now, c.after) || now.runId !== runId) return `changed since by run ${now.runId}`;
      return undefined;
    }
    case 'offboard':
      return managed.has(c.accountId) ? 'managed again since' : undefined;
    case 'add': {
      if (c.membership.kind === 'notified') return 'a webhook was called; a notification cannot be recalled';
      const now = memberships.get(membershipKey(c.membership));
      if (!now) return 'already removed';
      return now.runId !== runId ? `changed since by run ${now.runId}` : undefined;
    }
    case 'remove':
      return memberships.has(membershipKey(c.membership)) ? 'added again since' : undefined;
  }
}

/**
 * The changes that reverse `journal` (run `runId`'s changes, in the order they were made), newest first, and the
 * entries that cannot be reversed because a later run changed the same thing. The state is followed as the undo
 * proceeds, so a membership the run replaced (removed, then added with a new reason) comes back as it was.
 */
export function planUndo(journal: readonly Change[], runId: number, state: OnboardingState): { changes: Change[]; skipped: Array<{ change: Change; why: string }> } {
  const managed = new Map(state.managed);
  const memberships = new Map(state.memberships);
  const changes: Change[] = [];
  const skipped: Array<{ change: Change; why: string }> = [];
  for (const c of [...journal].reverse()) {
    const why = conflict(c, runId, managed, memberships);
    if (why) {
      skipped.push({ change: c, why });
      continue;
    }
    switch (c.action) {
      case 'onboard':
        changes.push({ action: 'offboard', accountId: c.accountId, label: c.label, before: c.after });
        managed.delete(c.accountId);
        break;
      case 'update':
        changes.push({ action: 'update', accountId: c.accountId, label: c.label, before: c.after, after: c.before });
        managed.set(c.accountId, { ...c.before, accountId: c.accountId, label: c.label, runId: -1 });
        break;
      case 'offboard':
        changes.push({ action: 'onboard', accountId: c.accountId, label: c.label, after: c.before });
        managed.set(c.accountId, { ...c.before, accountId: c.accountId, label: c.label, runId: -1 });
        break;
      case 'add':
        changes.push({ action: 'remove', label: c.label, membership: c.membership });
        memberships.delete(membershipKey(c.membership));
        break;
      case 'remove':
        changes.push({ action: 'add', label: c.label, membership: c.membership });
        memberships.set(membershipKey(c.membership), { ...c.membership, label: c.label, runId: -1 });
        break;
    }
  }
  return { changes, skipped };
}
