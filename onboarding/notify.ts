/**
 * The `notify` action: one webhook POST per rule and run with the subjects that newly match it, as JSON. A subject
 * is announced once while it keeps matching; a failed POST is not recorded, so the next run tries again.
 */
import type { Membership } from '../model/onboarding.js';
import type { Subject } from './subjects.js';

const BATCH = 1000;

export interface WebhookBody {
  readonly schema: 1;
  readonly event: 'surveyor.rule.matched';
  readonly rule: string;
  readonly ruleVersion: string;
  readonly runId: number;
  readonly at: string;
  readonly subjects: ReadonlyArray<Record<string, unknown>>;
}

/** What a webhook is told about a subject: identity and the facts that make it interesting, never a secret. */
export function webhookSubject(s: Subject): Record<string, unknown> {
  if (s.type === 'asset') return { type: 'asset', address: s.address, hostnames: s.view.hostnames, os: s.view.os?.name ?? null };
  const a = s.view;
  return {
    type: 'account', address: s.asset.address, hostnames: s.asset.view.hostnames, name: a.name, kind: a.kind, uid: a.uid,
    privileged: a.privileged, reasons: a.reasons, enabled: a.enabled, ...(a.kind === 'ssh-key' ? { fingerprint: a.details.fingerprint ?? null } : {}),
  };
}

export type Poster = (url: string, body: WebhookBody) => Promise<void>;

/**
 * Posts the new `notified` memberships, batched per rule; returns those that went through and the failures.
 */
export async function sendNotifications(
  adds: readonly Membership[], subjectOf: (m: Membership) => Subject | undefined, versionOf: (rule: string) => string, runId: number, at: string, post: Poster,
): Promise<{ sent: Membership[]; failures: string[] }> {
  const byRule = new Map<string, Membership[]>();
  for (const m of adds) {
    const list = byRule.get(m.rule);
    if (list) list.push(m);
    else byRule.set(m.rule, [m]);
  }
  const sent: Membership[] = [];
  const failures: string[] = [];
  for (const [rule, list] of byRule) {
    for (let i = 0; i < list.length; i += BATCH) {
      const batch = list.slice(i, i + BATCH);
      const body: WebhookBody = {
        schema: 1, event: 'surveyor.rule.matched', rule, ruleVersion: versionOf(rule), runId, at,
        subjects: batch.map((m) => subjectOf(m)).filter((s): s is Subject => s !== undefined).map(webhookSubject),
      };
      try {
        await post(batch[0]!.detail!, body);
        sent.push(...batch);
      } catch (err) {
        failures.push(`rule "${rule}": ${(err as Error).message} (${batch.length} subject(s), retried on the next run)`);
      }
    }
  }
  return { sent, failures };
}
