/**
 * The onboarding records: what a rule run decides for an account (managed state, memberships), the changes that
 * bring the stored state there (each also its journal entry), and the state the store keeps and gives back.
 */
export interface ManagedState {
  readonly workgroup: string;
  readonly policy: string;
  readonly changeFrequencyDays: number;
  readonly changeTime: string;
  readonly rule: string;
  readonly ruleVersion: string;
}

/** `notified`: a webhook was told about this subject for this rule (told once while it keeps matching). */
export const MEMBERSHIP_KINDS = ['group', 'tag', 'exclude', 'notified'] as const;
export type MembershipKind = (typeof MEMBERSHIP_KINDS)[number];

export interface Membership {
  readonly subject: 'asset' | 'account';
  readonly subjectId: number;
  readonly kind: MembershipKind;
  /** Group or tag name; for `exclude` and `notified`, the rule's name. */
  readonly name: string;
  readonly rule: string;
  /** The exclusion's reason, or the webhook URL. */
  readonly detail: string | null;
}

export type Change =
  | { readonly action: 'onboard'; readonly accountId: number; readonly label: string; readonly after: ManagedState }
  | { readonly action: 'update'; readonly accountId: number; readonly label: string; readonly before: ManagedState; readonly after: ManagedState }
  | { readonly action: 'offboard'; readonly accountId: number; readonly label: string; readonly before: ManagedState }
  | { readonly action: 'add'; readonly label: string; readonly membership: Membership }
  | { readonly action: 'remove'; readonly label: string; readonly membership: Membership };

/** The trigger of a `workgroups move-accounts` run: its journal holds one `update` per account it moved. */
export const MOVE_TRIGGER = 'move-accounts';

export interface StoredManaged extends ManagedState {
  readonly accountId: number;
  readonly label: string;
  readonly runId: number;
  /**
   * The workgroups move-accounts runs (not undone) moved this account out of, while it is still in the workgroup
   * the last of them put it in: a rule naming one of them leaves the account where the move put it.
   */
  readonly movedFrom?: readonly string[];
}

export interface StoredMembership extends Membership {
  readonly label: string;
  readonly runId: number;
}

/** The stored onboarding state of the subjects a run covers. */
export interface OnboardingState {
  readonly managed: ReadonlyMap<number, StoredManaged>;
  readonly memberships: ReadonlyMap<string, StoredMembership>;
}
