/** `surveyor rules validate|apply|store|list|runs|undo`: Smart Rules over the stored estate. */
import { ApplyResult, checkWorkgroups, undoRun } from '../app/apply-rules.js';
import { applyRuleSet, listStoredRules, storeRuleSet } from '../app/rules.js';
import { FORMATS, renderListing, SCHEMA_VERSION } from '../app/formats.js';
import { changeLine, resultLines } from '../onboarding/render.js';
import { readRuleFile } from './rule-file-input.js';
import { displayLocation, NoDatabaseError, openStore, resolveDbLocation } from '../store/open-store.js';
import { InputError } from '../scanner/errors.js';
import { addressArg, choiceOption, intOption, parseCommand } from './args.js';

export const RULES_HELP = `usage: surveyor rules validate FILE [--db PATH]
       surveyor rules apply (FILE | --stored) [--dry-run] [--explain] [--misses] [--asset ADDRESS]...
                            [--limit N] [--format table|json] [--db PATH]
       surveyor rules store FILE [--db PATH]
       surveyor rules list [--format table|jsonl|json|csv] [--db PATH]
       surveyor rules runs [--format table|jsonl|json|csv] [--db PATH]
       surveyor rules show RUN_ID [--format table|jsonl|json|csv] [--db PATH]
       surveyor rules undo RUN_ID [--db PATH]

Smart Rules select assets and accounts and act on them: onboard privileged accounts into a workgroup, put
subjects in smart groups, tag them, exclude them from onboarding, or tell a webhook. A rule file is YAML or JSON
(schema 1); "validate" reports every problem with its path and line, and a file with a problem applies nothing.

apply        evaluates every rule over the stored assets and their current accounts and writes the changes
             (managed accounts, groups, tags, exclusions) with a journal; applying the same rules to the same
             data again changes nothing. --dry-run writes nothing and calls no webhook. --explain shows, for
             each matched subject, the condition tree with the actual value at each leaf; --misses also the
             rules that did not match. --asset limits the run to some assets (as a scan's rule run does).
store        keeps FILE in the database as the active rule set: "apply --stored" and every scan then use it.
list         the stored rules with their versions. runs: the rule runs. show: one run's journal.
undo         reverses one run's changes that no later run has overwritten (a webhook call cannot be recalled).

Order: asset rules run before account rules, each in "order"; the first matching onboard rule decides the
workgroup; an exclusion (of the account or its asset) wins over any onboard rule. Onboarding is sticky: an
account a rule no longer selects stays managed (counted as "retained") until undone. A move stands: an account
"workgroups move-accounts" moved out of the workgroup its rule names stays where it was moved to.
`;

export function summaryLine(r: ApplyResult): string {
  const s = r.summary;
  const head = r.runId === null ? 'dry run (nothing written)' : `rule run ${r.runId}`;
  return `${head}: ${s.assets} assets, ${s.accounts} accounts, ${s.rules} rules; ${s.matched} subjects matched; `
    + `${s.onboarded} onboarded, ${s.updated} updated, ${s.membershipsAdded} memberships added, ${s.membershipsRemoved} removed, `
    + `${s.notifications} notifications; ${s.excludedOverOnboard} kept out by an exclusion, ${s.retained} managed accounts no rule selects now (retained)`
    + `${s.keptMoved ? `; ${s.keptMoved} left in the workgroup "workgroups move-accounts" moved them to` : ''}\n`;
}

function resultJson(r: ApplyResult, withResults: boolean): Record<string, unknown> {
  return {
    schema: SCHEMA_VERSION, runId: r.runId, dryRun: r.runId === null, summary: r.summary, notifyFailures: r.notifyFailures,
    rules: r.rules.map((x) => ({ name: x.rule.name, kind: x.rule.kind, order: x.rule.order, version: x.version })),
    changes: r.plan.changes,
    ...(withResults ? {
      results: r.desired.results.map((x) => ({
        subject: x.subject.type, id: x.subject.id, label: x.label, ...(x.decision ? { decision: x.decision } : {}), rules: x.rules,
      })),
    } : {}),
  };
}

export async function rulesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(RULES_HELP);
    return sub === undefined ? 2 : 0;
  }
  const subs = ['validate', 'apply', 'store', 'list', 'runs', 'show', 'undo'];
  if (!subs.includes(sub)) throw new InputError(`rules: unknown subcommand "${sub}" (${subs.join(', ')})`);
  const { values, positionals } = parseCommand(`rules ${sub}`, rest, {
    db: { type: 'string' }, format: { type: 'string' }, 'dry-run': { type: 'boolean' }, explain: { type: 'boolean' }, misses: { type: 'boolean' },
    stored: { type: 'boolean' }, asset: { type: 'string', multiple: true }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(RULES_HELP);
    return 0;
  }
  // A rule run's result is one document (table or json); the stored lists are listings in all four formats.
  const format = sub === 'apply' ? choiceOption('format', values.format, ['table', 'json'] as const, 'table') : choiceOption('format', values.format, FORMATS, 'table');
  const out = (t: string) => process.stdout.write(t);
  const needsFile = sub === 'validate' || sub === 'store' || (sub === 'apply' && !values.stored);
  const needsId = sub === 'undo' || sub === 'show';
  if (needsFile && positionals.length !== 1) throw new InputError(`rules ${sub}: give one rule FILE${sub === 'apply' ? ' (or --stored)' : ''}`);
  if (needsId && (positionals.length !== 1 || !/^\d+$/.test(positionals[0]!))) throw new InputError(`rules ${sub}: give one RUN_ID (a number; see "surveyor rules runs")${positionals[0] ? `, not "${positionals[0]}"` : ''}`);
  if (!needsFile && !needsId && positionals.length) throw new InputError(`rules ${sub}: unexpected "${positionals[0]}"`);
  if (sub === 'apply' && values.stored && positionals.length) throw new InputError('rules apply: give a FILE or --stored, not both');
  const limit = intOption('limit', values.limit, 0, 10_000_000) ?? 200;
  for (const a of values.asset ?? []) addressArg('bad --asset', a);
  // The database is opened once, without creating it; the file is then checked against its workgroups, so one run
  // names every problem. A bad file touches nothing: only "rules store" creates a database, after the file passed.
  const location = resolveDbLocation(values.db);
  let missing: NoDatabaseError | undefined;
  const existing = await openStore(location).catch((err: unknown) => {
    if (!(err instanceof NoDatabaseError)) throw err;
    missing = err;
    return null;
  });
  let file: ReturnType<typeof readRuleFile> | undefined;
  try {
    file = needsFile ? readRuleFile(positionals[0]!, existing ? (await existing.listWorkgroups()).map((w) => w.name) : undefined) : undefined;
  } catch (err) {
    await existing?.close();
    throw err;
  }
  // A rule file can be checked before any scan: only the workgroups it names need the database.
  if (!existing && sub !== 'validate' && sub !== 'store') throw missing!;
  const store = existing ?? (sub === 'store' ? await openStore(location, { create: true }) : null);
  const validated = () => `${positionals[0]}: ${file!.rules.length} rule(s), no problems: ${file!.rules.map((r) => `${r.name} (${r.kind}${r.enabled ? '' : ', disabled'})`).join(', ')}\n`;
  if (store === null) {
    out(`${validated()}workgroups not checked: no database at ${displayLocation(location)}\n`);
    return 0;
  }
  try {
    switch (sub) {
      case 'validate': {
        await checkWorkgroups(store, file!.rules, positionals[0]!);
        out(validated());
        return 0;
      }
      case 'store': {
        const { id, sha256 } = await storeRuleSet(store, { ...file!, source: positionals[0]! });
        out(`stored rule set ${id} (${file!.rules.length} rules, sha256 ${sha256.slice(0, 12)}); scans and "rules apply --stored" use it\n`);
        return 0;
      }
      case 'list': {
        const stored = await listStoredRules(store);
        if (stored && format === 'table') out(`rule set ${stored.set.id} from ${stored.set.source}, stored ${stored.set.storedAt}\n`);
        const ruleSet = stored ? { id: stored.set.id, source: stored.set.source, storedAt: stored.set.storedAt, sha256: stored.set.sha256 } : null;
        out(renderListing(format, {
          key: 'rules', items: stored?.rules ?? [], json: (r) => ({ ...r }), envelope: { ruleSet }, empty: 'no rule set stored (surveyor rules store FILE)',
          columns: [
            { name: 'rule_set', value: () => ruleSet?.id, only: 'csv' },
            { name: 'order', value: (r) => r.order }, { name: 'name', value: (r) => r.name }, { name: 'kind', value: (r) => r.kind },
            { name: 'enabled', value: (r) => (format === 'table' ? (r.enabled ? 'yes' : 'no') : r.enabled) }, { name: 'version', value: (r) => r.version },
            { name: 'actions', value: (r) => (format === 'table' ? r.actions.join(', ') : r.actions) },
          ],
        }));
        return 0;
      }
      case 'runs': {
        out(renderListing(format, {
          key: 'runs', items: await store.listRuleRuns(), json: (r) => ({ ...r }), empty: 'no rule runs yet (surveyor rules apply FILE)',
          columns: [
            { name: 'run', value: (r) => r.id }, { name: 'finished', value: (r) => r.finishedAt }, { name: 'trigger', value: (r) => r.trigger },
            { name: 'source', value: (r) => r.source }, { name: 'changes', value: (r) => r.changes },
            { name: 'undone', value: (r) => (r.undoneBy === null ? null : format === 'table' ? `by run ${r.undoneBy}` : r.undoneBy) },
          ],
        }));
        return 0;
      }
      case 'show': {
        const id = Number(positionals[0]);
        const run = await store.getRuleRun(id);
        if (!run) throw new InputError(`rules show: no rule run ${id} (see "surveyor rules runs")`);
        const journal = await store.runJournal(id);
        if (format === 'table') {
          out(`run ${run.id} (${run.trigger}, ${run.source}) finished ${run.finishedAt}; ${journal.length} change(s)${run.undoneBy === null ? '' : `; undone by run ${run.undoneBy}`}\n`);
          for (const c of journal) out(`  ${changeLine(c, false)}\n`);
          return 0;
        }
        // json: the run and its journal; jsonl: one change per line with its run; csv: one change per line, in words.
        out(renderListing(format, {
          key: 'journal', items: journal, json: (c) => ({ ...c }), envelope: { run: format === 'json' ? run : run.id }, empty: '',
          columns: [
            { name: 'run', value: () => run.id }, { name: 'at', value: (c) => c.at }, { name: 'action', value: (c) => c.action },
            { name: 'subject', value: (c) => c.label }, { name: 'change', value: (c) => changeLine(c, false) },
          ],
        }));
        return 0;
      }
      case 'undo': {
        const result = await undoRun(store, Number(positionals[0]));
        out(`run ${result.runId} undid run ${positionals[0]}: ${result.changes.length} change(s) reversed, ${result.skipped.length} left as they are\n`);
        for (const c of result.changes) out(`  ${changeLine(c, false)}\n`);
        for (const s of result.skipped) out(`  left: ${changeLine(s.change, false)}: ${s.why}\n`);
        return 0;
      }
    }
    const result = await applyRuleSet(store, file ? { rules: file.rules, source: positionals[0]! } : undefined, {
      trigger: 'command', dryRun: values['dry-run'], explain: values.explain, misses: values.misses, addresses: values.asset,
    });
    if (format === 'json') out(JSON.stringify(resultJson(result, Boolean(values.explain || values.misses)), null, 2) + '\n');
    else {
      if (values.explain || values.misses) {
        for (const r of result.desired.results) out(resultLines(r).join('\n') + '\n');
        out('\n');
      }
      const changes = result.plan.changes;
      for (const c of changes.slice(0, limit)) out(`${changeLine(c, result.runId === null)}\n`);
      if (changes.length > limit) out(`... and ${changes.length - limit} more change(s) (--limit, or --format json for all)\n`);
      out(summaryLine(result));
    }
    for (const f of result.notifyFailures) process.stderr.write(`surveyor rules apply: webhook failed: ${f}\n`);
    return result.notifyFailures.length ? 1 : 0;
  } finally {
    await store.close();
  }
}
