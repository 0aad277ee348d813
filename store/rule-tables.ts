/** Statements for Smart Rules: workgroups, rule sets, rule runs with their journal, managed accounts, memberships. */
import { sql } from 'kysely';
import { SurveyorError } from '../scanner/errors.js';
import { type Change, type ManagedState, MOVE_TRIGGER, type Membership, type MembershipKind, type OnboardingState, type StoredManaged, type StoredMembership } from '../model/onboarding.js';
import { membershipKey } from '../onboarding/decide.js';
import { accountLabel, accountName } from '../onboarding/subjects.js';
import { checkRoleFence } from './rule-role.js';
import type { Db, Queryable, Row } from './db.js';
import { chunks, inIds, jsonText, lastByKey, values } from './sql.js';
import type { ManagedAccountRecord, NewRuleRun, RuleRunRecord, RunBasis, StoredRuleSet, Workgroup } from './store.js';

export async function addWorkgroup(db: Db, name: string, site: string, description: string | null, at: string): Promise<void> {
  await db.transaction(async (tx) => {
    const changes = await tx.run(sql`INSERT INTO workgroups (name, site, description, created_at) VALUES (${name}, ${site}, ${description}, ${at}) ON CONFLICT (name) DO NOTHING`);
    if (!changes) throw new SurveyorError('bad-input', `workgroup "${name}" exists already`);
  });
}

export async function listWorkgroups(db: Queryable): Promise<Workgroup[]> {
  const rows = await db.all(sql`SELECT w.*, (SELECT count(*) FROM managed_accounts m WHERE m.workgroup = w.name) AS managed FROM workgroups w ORDER BY w.name`);
  return rows.map((r) => ({ name: r.name as string, site: r.site as string, description: (r.description as string | null) ?? null, createdAt: r.created_at as string, managed: r.managed as number }));
}

export async function saveRuleSet(db: Db, source: string, text: string, sha256: string, at: string): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.run(sql`UPDATE rule_sets SET active = 0 WHERE active = 1`);
    return (await tx.get<{ id: number }>(sql`INSERT INTO rule_sets (source, text, sha256, stored_at, active) VALUES (${source}, ${text}, ${sha256}, ${at}, 1) RETURNING id`))!.id;
  });
}

export async function activeRuleSet(db: Queryable): Promise<StoredRuleSet | undefined> {
  const r = await db.get(sql`SELECT * FROM rule_sets WHERE active = 1 ORDER BY id DESC LIMIT 1`);
  return r ? { id: r.id as number, source: r.source as string, text: r.text as string, sha256: r.sha256 as string, storedAt: r.stored_at as string } : undefined;
}

const managedColumns = (db: Queryable) => sql`m.account_id, m.workgroup, m.policy, m.change_frequency_days, m.change_time, m.rule, m.rule_version,
  m.run_id, m.onboarded_at, m.updated_at, a.address, ac.name, ac.kind, ${jsonText(db.dialect, 'ac.details', ['fingerprint'])} AS fingerprint`;

function managedFromRow(r: Row): ManagedAccountRecord {
  return {
    accountId: r.account_id as number, workgroup: r.workgroup as string, policy: r.policy as string, changeFrequencyDays: r.change_frequency_days as number,
    changeTime: r.change_time as string, rule: r.rule as string, ruleVersion: r.rule_version as string, runId: r.run_id as number,
    label: accountLabel(r.address as string, r.name as string, r.kind as string, r.fingerprint), onboardedAt: r.onboarded_at as string, updatedAt: r.updated_at as string,
    address: r.address as string, account: accountName(r.name as string, r.kind as string, r.fingerprint),
  };
}

/**
 * Per account, the workgroups moves (move-accounts runs not undone) took it out of, one after the other, and the
 * workgroup the last of them put it in: a move that does not start where the one before it ended starts a new
 * chain. Move runs are few, so this reads only their journal (through its run index).
 */
async function moveChains(db: Queryable, assetIds?: readonly number[]): Promise<Map<number, { from: string[]; to: string }>> {
  const rows = await db.all<{ account_id: number; moved_from: string; moved_to: string }>(sql`SELECT j.subject_id AS account_id,
       ${jsonText(db.dialect, 'j.before', ['workgroup'])} AS moved_from, ${jsonText(db.dialect, 'j.after', ['workgroup'])} AS moved_to
     FROM rule_runs r JOIN journal j ON j.run_id = r.id ${assetIds ? sql`JOIN accounts ac ON ac.id = j.subject_id` : sql``}
     WHERE r.trigger = ${MOVE_TRIGGER} AND r.undone_by IS NULL AND j.action = 'update' ${assetIds ? sql`AND ${inIds('ac.asset_id', assetIds)}` : sql``}
     ORDER BY j.id`);
  const chains = new Map<number, { from: string[]; to: string }>();
  for (const r of rows) {
    const chain = chains.get(r.account_id);
    const from = chain?.to === r.moved_from ? [...chain.from, r.moved_from] : [r.moved_from];
    chains.set(r.account_id, { from: from.filter((w) => w !== r.moved_to), to: r.moved_to });
  }
  return chains;
}

const membershipSelect = (db: Queryable) => sql`SELECT ms.*, coalesce(aa.address, a.address) AS address, ac.name AS account, ac.kind AS account_kind,
    ${jsonText(db.dialect, 'ac.details', ['fingerprint'])} AS fingerprint
  FROM memberships ms
  LEFT JOIN assets aa ON ms.subject = 'asset' AND aa.id = ms.subject_id
  LEFT JOIN accounts ac ON ms.subject = 'account' AND ac.id = ms.subject_id
  LEFT JOIN assets a ON a.id = ac.asset_id`;

function membershipFromRow(r: Row): StoredMembership {
  const subject = r.subject as Membership['subject'];
  return {
    subject, subjectId: r.subject_id as number, kind: r.kind as MembershipKind, name: r.name as string, rule: r.rule as string,
    detail: (r.detail as string | null) ?? null, runId: r.run_id as number,
    label: subject === 'asset' ? String(r.address) : accountLabel(String(r.address), String(r.account), String(r.account_kind), r.fingerprint),
  };
}

export async function onboardingState(db: Queryable, assetIds?: readonly number[]): Promise<OnboardingState> {
  const managed = await db.all(sql`SELECT ${managedColumns(db)} FROM managed_accounts m JOIN accounts ac ON ac.id = m.account_id JOIN assets a ON a.id = ac.asset_id
     ${assetIds ? sql`WHERE ${inIds('ac.asset_id', assetIds)}` : sql``}`);
  const memberships = await db.all(sql`${membershipSelect(db)} ${assetIds
    ? sql`WHERE (ms.subject = 'asset' AND ${inIds('ms.subject_id', assetIds)}) OR (ms.subject = 'account' AND ${inIds('ac.asset_id', assetIds)})`
    : sql``}`);
  const chains = await moveChains(db, assetIds);
  return {
    managed: new Map(managed.map((r) => {
      const m = managedFromRow(r);
      const chain = chains.get(m.accountId);
      return [m.accountId, chain?.to === m.workgroup ? { ...m, movedFrom: chain.from } : m];
    })),
    memberships: new Map(memberships.map((r) => {
      const m = membershipFromRow(r);
      return [membershipKey(m), m];
    })),
  };
}

function journalRow(runId: number, at: string, c: Change): unknown[] {
  const managed = (m: ManagedState) => JSON.stringify(m);
  switch (c.action) {
    case 'onboard': return [runId, at, c.action, 'account', c.accountId, c.label, null, managed(c.after)];
    case 'update': return [runId, at, c.action, 'account', c.accountId, c.label, managed(c.before), managed(c.after)];
    case 'offboard': return [runId, at, c.action, 'account', c.accountId, c.label, managed(c.before), null];
    case 'add': return [runId, at, c.action, c.membership.subject, c.membership.subjectId, c.label, null, JSON.stringify(c.membership)];
    case 'remove': return [runId, at, c.action, c.membership.subject, c.membership.subjectId, c.label, JSON.stringify(c.membership), null];
  }
}

/** Makes the changes and writes their journal; runs inside the caller's transaction. Multi-row statements keep a first run over 250,000 accounts to a few hundred round trips. */
async function makeChanges(db: Queryable, runId: number, at: string, changes: readonly Change[]): Promise<void> {
  const of = <A extends Change['action']>(action: A) => changes.filter((c): c is Extract<Change, { action: A }> => c.action === action);
  for (const rows of chunks(of('offboard'), 500)) {
    await db.run(sql`DELETE FROM managed_accounts WHERE ${inIds('account_id', rows.map((c) => c.accountId))}`);
  }
  for (const rows of chunks(of('remove'), 200)) {
    const match = rows.map(({ membership: m }) => sql`(subject = ${m.subject} AND subject_id = ${m.subjectId} AND kind = ${m.kind} AND name = ${m.name})`);
    await db.run(sql`DELETE FROM memberships WHERE ${sql.join(match, sql` OR `)}`);
  }
  for (const rows of chunks(of('onboard'), 300)) {
    await db.run(sql`INSERT INTO managed_accounts (account_id, workgroup, policy, change_frequency_days, change_time, rule, rule_version, run_id, onboarded_at, updated_at)
       VALUES ${values(rows.map((c) => [c.accountId, c.after.workgroup, c.after.policy, c.after.changeFrequencyDays, c.after.changeTime, c.after.rule, c.after.ruleVersion, runId, at, at]))}`);
  }
  for (const c of of('update')) {
    await db.run(sql`UPDATE managed_accounts SET workgroup = ${c.after.workgroup}, policy = ${c.after.policy}, change_frequency_days = ${c.after.changeFrequencyDays},
       change_time = ${c.after.changeTime}, rule = ${c.after.rule}, rule_version = ${c.after.ruleVersion}, run_id = ${runId}, updated_at = ${at}
       WHERE account_id = ${c.accountId}`);
  }
  const added = lastByKey(of('add'), ({ membership: m }) => `${m.subject}\0${m.subjectId}\0${m.kind}\0${m.name}`);
  for (const rows of chunks(added, 300)) {
    await db.run(sql`INSERT INTO memberships (subject, subject_id, kind, name, rule, detail, run_id, since)
       VALUES ${values(rows.map((c) => [c.membership.subject, c.membership.subjectId, c.membership.kind, c.membership.name, c.membership.rule, c.membership.detail, runId, at]))}
       ON CONFLICT (subject, subject_id, kind, name) DO UPDATE SET rule = excluded.rule, detail = excluded.detail, run_id = excluded.run_id, since = excluded.since`);
  }
  for (const rows of chunks(changes, 300)) {
    await db.run(sql`INSERT INTO journal (run_id, at, action, subject, subject_id, label, before, after) VALUES ${values(rows.map((c) => journalRow(runId, at, c)))}`);
  }
}

export async function journalHead(db: Queryable): Promise<number> {
  return (await db.get<{ head: number }>(sql`SELECT coalesce(max(id), 0) AS head FROM journal`))!.head;
}

export async function writeRuleRun(db: Db, planned: NewRuleRun, plannedChanges: readonly Change[], basis?: RunBasis): Promise<number> {
  return db.transaction(async (tx) => {
    // Every change to managed accounts and memberships writes journal entries, so an unmoved journal head means
    // the state the run was planned against is still the stored one. The write lock is held from here on.
    if (basis?.fence) await checkRoleFence(tx, basis.fence);
    const { run, changes } = basis && (await journalHead(tx)) !== basis.journalHead
      ? basis.replan(await onboardingState(tx, basis.assetIds))
      : { run: planned, changes: plannedChanges };
    const { id } = (await tx.get<{ id: number }>(sql`INSERT INTO rule_runs (started_at, finished_at, source, trigger, scope, rules, summary, undoes)
      VALUES (${run.startedAt}, ${run.finishedAt}, ${run.source}, ${run.trigger}, ${run.scope ? JSON.stringify(run.scope) : null}, ${JSON.stringify(run.rules)},
        ${JSON.stringify(run.summary)}, ${run.undoes ?? null}) RETURNING id`))!;
    if (run.undoes !== undefined) {
      const marked = await tx.run(sql`UPDATE rule_runs SET undone_by = ${id} WHERE id = ${run.undoes} AND undone_by IS NULL`);
      if (!marked) throw new SurveyorError('bad-input', `run ${run.undoes} was undone meanwhile`);
    }
    await makeChanges(tx, id, run.finishedAt, changes);
    return id;
  });
}

export async function appendChanges(db: Db, runId: number, changes: readonly Change[], at: string): Promise<void> {
  await db.transaction((tx) => makeChanges(tx, runId, at, changes));
}

function runFromRow(r: Row): RuleRunRecord {
  return {
    id: r.id as number, startedAt: r.started_at as string, finishedAt: r.finished_at as string, source: r.source as string, trigger: r.trigger as string,
    scope: r.scope ? (JSON.parse(r.scope as string) as string[]) : null, rules: JSON.parse(r.rules as string), summary: JSON.parse(r.summary as string),
    ...(r.undoes === null ? {} : { undoes: r.undoes as number }), undoneBy: (r.undone_by as number | null) ?? null, changes: r.changes as number,
  };
}

const RUN_SELECT = sql`SELECT r.*, (SELECT count(*) FROM journal j WHERE j.run_id = r.id) AS changes FROM rule_runs r`;

export async function listRuleRuns(db: Queryable): Promise<RuleRunRecord[]> {
  return (await db.all(sql`${RUN_SELECT} ORDER BY r.id`)).map(runFromRow);
}

export async function getRuleRun(db: Queryable, id: number): Promise<RuleRunRecord | undefined> {
  const r = await db.get(sql`${RUN_SELECT} WHERE r.id = ${id}`);
  return r ? runFromRow(r) : undefined;
}

export async function runJournal(db: Queryable, id: number): Promise<Array<Change & { at: string }>> {
  const rows = await db.all(sql`SELECT * FROM journal WHERE run_id = ${id} ORDER BY id`);
  return rows.map((r) => {
    const before = r.before ? JSON.parse(r.before as string) : undefined;
    const after = r.after ? JSON.parse(r.after as string) : undefined;
    const base = { at: r.at as string, label: r.label as string };
    switch (r.action as Change['action']) {
      case 'onboard': return { ...base, action: 'onboard', accountId: r.subject_id as number, after };
      case 'update': return { ...base, action: 'update', accountId: r.subject_id as number, before, after };
      case 'offboard': return { ...base, action: 'offboard', accountId: r.subject_id as number, before };
      case 'add': return { ...base, action: 'add', membership: after };
      case 'remove': return { ...base, action: 'remove', membership: before };
    }
  });
}

export async function listManaged(db: Queryable): Promise<ManagedAccountRecord[]> {
  return (await db.all(sql`SELECT ${managedColumns(db)} FROM managed_accounts m JOIN accounts ac ON ac.id = m.account_id JOIN assets a ON a.id = ac.asset_id`)).map(managedFromRow);
}

export async function listMemberships(db: Queryable, kind?: MembershipKind): Promise<StoredMembership[]> {
  return (await db.all(sql`${membershipSelect(db)} ${kind ? sql`WHERE ms.kind = ${kind}` : sql``}`)).map(membershipFromRow);
}

/**
 * One fact's value (`facts.KEY.value`) from each asset's latest successful enumeration that has it (when two
 * credentials enumerated an asset in that scan, an SSH enumeration's before another method's). Only that value is read out of the facts.
 */
export async function latestFacts(db: Queryable, key: string, assetIds?: readonly number[]): Promise<Array<{ assetId: number; address: string; scanId: number; value: unknown }>> {
  const fact = (column: string) => jsonText(db.dialect, column, [key, 'value']);
  const rows = await db.all<{ asset_id: number; address: string; scan_id: number; value: string | null }>(sql`WITH latest AS (SELECT asset_id, max(scan_id) AS scan_id FROM scan_enumerations
       WHERE status = 'success' AND ${fact('facts')} IS NOT NULL GROUP BY asset_id)
     SELECT e.asset_id, a.address, e.scan_id, ${fact('e.facts')} AS value
     FROM scan_enumerations e JOIN latest l ON l.asset_id = e.asset_id AND l.scan_id = e.scan_id JOIN assets a ON a.id = e.asset_id
     WHERE ${fact('e.facts')} IS NOT NULL ${assetIds ? sql`AND ${inIds('e.asset_id', assetIds)}` : sql``}
     ORDER BY CASE WHEN e.method = 'ssh' THEN 0 ELSE 1 END, e.credential`);
  // One value per asset: an SSH enumeration's (the host's own tools) before an SNMP agent's of the same scan.
  const seen = new Set<number>();
  const out: Array<{ assetId: number; address: string; scanId: number; value: unknown }> = [];
  for (const r of rows) {
    if (seen.has(r.asset_id) || !r.value) continue;
    seen.add(r.asset_id);
    out.push({ assetId: r.asset_id, address: r.address, scanId: r.scan_id, value: JSON.parse(r.value) });
  }
  return out;
}

export async function listSoftware(db: Queryable, assetIds?: readonly number[]): Promise<Array<{ assetId: number; address: string; name: string; version: string; arch: string; manager: string; scanId: number }>> {
  return (await latestFacts(db, 'software', assetIds)).flatMap(({ assetId, address, scanId, value }) => {
    const sw = value as { manager?: string; packages?: Array<{ name: string; version?: string; arch?: string }> };
    return (sw.packages ?? []).map((p) => ({ assetId, address, name: p.name, version: p.version ?? '', arch: p.arch ?? '', manager: sw.manager ?? '', scanId }));
  });
}
