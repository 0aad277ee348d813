/** Words for rule runs: one line per change, and the condition tree of an explanation with actual values. */
import type { SubjectResult } from './decide.js';
import type { Explanation } from './evaluate.js';
import type { Change } from '../model/onboarding.js';

const show = (v: unknown): string => (v === null || v === undefined ? '(none)' : JSON.stringify(v));
const verdict = (o: Explanation['outcome']): string => (o === 'skipped' ? 'skipped' : o ? 'true' : 'false');

/** The tree, one node a line, indented: `asset.os.family eq "Linux": actual "Linux" -> true`. */
export function explanationLines(e: Explanation, indent = '    '): string[] {
  if ('all' in e) return [`${indent}all -> ${verdict(e.outcome)}`, ...e.all.flatMap((c) => explanationLines(c, `${indent}  `))];
  if ('any' in e) return [`${indent}any -> ${verdict(e.outcome)}`, ...e.any.flatMap((c) => explanationLines(c, `${indent}  `))];
  if ('not' in e) return [`${indent}not -> ${verdict(e.outcome)}`, ...explanationLines(e.not, `${indent}  `)];
  if ('rule' in e) return [`${indent}rule "${e.rule}" -> ${verdict(e.outcome)}`, ...explanationLines(e.when, `${indent}  `)];
  const value = e.value === undefined ? '' : ` ${show(e.value)}`;
  const actual = e.outcome === 'skipped' ? '' : `: actual ${show(e.actual)}`;
  return [`${indent}${e.field} ${e.op}${value}${actual} -> ${verdict(e.outcome)}`];
}

export function resultLines(r: SubjectResult): string[] {
  const lines = [`${r.label}${r.decision ? `: ${r.decision}` : ''}`];
  for (const m of r.rules) {
    lines.push(`  rule "${m.rule}" (${m.version}) ${m.matched ? 'matched' : 'did not match'}`);
    if (m.explanation) lines.push(...explanationLines(m.explanation));
  }
  return lines;
}

export function changeLine(c: Change, dryRun: boolean): string {
  const verb = (now: string, would: string) => (dryRun ? would : now);
  switch (c.action) {
    case 'onboard':
      return `${verb('onboarded', 'would onboard')} ${c.label} into ${c.after.workgroup}, policy ${c.after.policy}, every ${c.after.changeFrequencyDays} days at ${c.after.changeTime} (rule "${c.after.rule}" ${c.after.ruleVersion})`;
    case 'update': {
      const diffs = (Object.keys(c.after) as Array<keyof typeof c.after>).filter((k) => c.before[k] !== c.after[k]).map((k) => `${k} ${c.before[k]} -> ${c.after[k]}`);
      return `${verb('updated', 'would update')} ${c.label}: ${diffs.join(', ')}`;
    }
    case 'offboard':
      return `${verb('offboarded', 'would offboard')} ${c.label} from ${c.before.workgroup}`;
    case 'add': case 'remove': {
      const m = c.membership;
      const what = m.kind === 'exclude' ? `exclusion by rule "${m.rule}" (${m.detail})` : m.kind === 'notified' ? `notification by rule "${m.rule}" to ${m.detail}` : `${m.kind} "${m.name}" (rule "${m.rule}")`;
      if (c.action === 'add') return m.kind === 'notified' ? `${verb('notified', 'would notify')} ${m.detail} of ${c.label} (rule "${m.rule}")` : `${verb('added', 'would add')} ${what} to ${c.label}`;
      return `${verb('removed', 'would remove')} ${what} from ${c.label}`;
    }
  }
}
