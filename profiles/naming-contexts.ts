/**
 * The naming contexts a directory server's rootDSE lists (RFC 4512 5.1.2 namingContexts), from the LDAP probe's
 * evidence: carried on the service, as a domain controller's domain is on the host. The probe joins the values with
 * "; "; a ";" inside a DN is escaped ("\;", RFC 4514 2.4), so only an unescaped one separates two contexts.
 */
import type { ProbeOutcome } from '../model/evidence.js';

export function namingContextsOf(outcomes: readonly ProbeOutcome[]): string[] | undefined {
  for (const o of outcomes) {
    for (const e of o.evidence) {
      if (e.kind === 'attribute' && e.name === 'ldap.namingContexts' && e.value) return e.value.split(/(?<!\\); /);
    }
  }
  return undefined;
}
