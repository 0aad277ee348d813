/**
 * Smart Rule evaluation over a small hand-built estate: one case per operator (each with the subjects it must select),
 * every action, the order rules (asset before account, first onboard wins, exclude wins), rule references, the
 * explanation tree with actual values and skipped branches, and the plan/undo of a run. A final check fails when an
 * operator or action of the registry has no case here.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { evaluateEstate } from '../onboarding/decide.js';
import { compileRules } from '../onboarding/evaluate.js';
import { OPERATORS } from '../onboarding/fields.js';
import { planRun, planUndo } from '../onboarding/plan.js';
import type { OnboardingState } from '../model/onboarding.js';
import { checkRules, Condition, Rule } from '../onboarding/rule-file.js';
import { accountSubject, assetSubject, AccountSubject, AssetSubject } from '../onboarding/subjects.js';
import { compareVersions } from '../onboarding/versions.js';
import type { AccountView } from '../model/account.js';
import type { AssetView } from '../model/asset.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW - n * 86_400_000).toISOString();

function asset(id: number, address: string, extra: Partial<AssetView>): AssetView {
  return { id, address, hostnames: [], firstSeen: daysAgo(100), lastSeen: daysAgo(1), lastScanId: 1, ports: [], scanned: true, names: [], ...extra };
}
const port = (p: number, service: string, product?: string, version?: string): AssetView['ports'][number] => ({
  port: p, protocol: 'tcp', state: 'open', rttMs: 1, scanId: 1,
  service: { service: service as never, ...(product ? { product } : {}), ...(version ? { version } : {}), confidence: 90, sources: {} as never, outcomes: [] },
});

const ASSETS: AssetView[] = [
  asset(1, '127.0.0.10', {
    hostnames: ['web01.lab.test'], os: { family: 'Linux', name: 'Debian GNU/Linux', version: '12', deviceType: 'general purpose', confidence: 90, sources: {} },
    ports: [port(22, 'ssh', 'OpenSSH', '9.2p1'), port(80, 'http', 'nginx', '1.22.1')], domain: { name: 'lab.test', via: 'ldap' },
  }),
  asset(2, '127.0.1.20', {
    hostnames: ['dc1.corp.test'], os: { family: 'Windows', name: 'Windows Server 2019', version: '10.0.17763', confidence: 80, sources: {} },
    ports: [port(389, 'ldap'), port(445, 'smb')], firstSeen: daysAgo(3), lastSeen: daysAgo(0),
  }),
  asset(3, '::1', { scanned: false, firstSeen: daysAgo(400), lastSeen: daysAgo(200) }),
];
const SOFTWARE: Record<number, Record<string, string>> = { 1: { 'openssh-server': '1:9.2p1-2+deb12u3', sudo: '1.9.13p3-1' }, 2: {} };

let nextId = 100;
function account(assetId: number, name: string, extra: Partial<AccountView>): AccountView {
  const a = ASSETS.find((x) => x.id === assetId)!;
  return {
    id: nextId++, assetId, address: a.address, kind: 'local', name, uid: null, privileged: false, reasons: [], enabled: true, lastLogon: null,
    passwordLastSet: null, details: {}, source: 'test', method: 'ssh', credential: 'c', firstSeen: daysAgo(50), lastSeen: daysAgo(1), lastScanId: 1, current: true, ...extra,
  };
}

const ACCOUNTS: AccountView[] = [
  account(1, 'root', { uid: '0', privileged: true, reasons: ['uid 0 (getent passwd)'], lastLogon: daysAgo(200), passwordLastSet: daysAgo(400), details: { groups: ['root'], passwordMaxDays: 99999 } }),
  account(1, 'svc-backup', { uid: '1050', privileged: true, reasons: ['member of group sudo (getent group)'], lastLogon: daysAgo(2), details: { groups: ['svc', 'sudo'], passwordMaxDays: 90 } }),
  account(1, 'alice', { uid: '1001', enabled: false, details: { groups: ['users'] } }),
  account(1, 'root', { kind: 'ssh-key', uid: '0', privileged: true, reasons: ['logs in as root: uid 0'], details: { type: 'ssh-rsa', bits: 1024, fingerprint: 'SHA256:weak' } }),
  account(2, 'Administrator', {
    kind: 'domain', method: 'ldap', uid: 'S-1-5-21-1-2-3-500', privileged: true, reasons: ['RID 500'], lastLogon: daysAgo(10),
    details: { groups: ['Domain Admins'], nestedGroups: ['Administrators'], adminCount: 1, hasSpn: false, flags: { passwordNeverExpires: true, passwordNotRequired: false, smartcardRequired: true } },
  }),
  account(2, 'svc-sql', {
    kind: 'domain', method: 'ldap', uid: 'S-1-5-21-1-2-3-1104', lastLogon: null,
    details: { groups: ['SQL Admins'], nestedGroups: [], hasSpn: true, flags: { passwordNeverExpires: false, passwordNotRequired: true, smartcardRequired: false } },
  }),
];

function estate(): { assets: AssetSubject[]; accounts: AccountSubject[] } {
  const assets = ASSETS.map((v) => assetSubject(v, new Map(Object.entries(SOFTWARE[v.id] ?? {}))));
  const byId = new Map(assets.map((a) => [a.id, a]));
  return { assets, accounts: ACCOUNTS.map((v) => accountSubject(v, byId.get(v.assetId)!)) };
}

function rulesOf(doc: unknown): Rule[] {
  const { rules, problems } = checkRules(doc);
  if (problems.length) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return rules;
}

/** Labels of the subjects one condition selects. */
function select(kind: 'asset' | 'account', when: Condition): string[] {
  const rules = rulesOf({ schema: 1, rules: [{ name: 'case', kind, when, then: [{ tag: 'hit' }] }] });
  const e = estate();
  const d = evaluateEstate(compileRules(rules, NOW), e.assets, e.accounts, { explain: true });
  return d.results.map((r) => r.label).sort();
}

const L = {
  web: '127.0.0.10', dc: '127.0.1.20', v6: '::1',
  root: '127.0.0.10 root (local)', backup: '127.0.0.10 svc-backup (local)', alice: '127.0.0.10 alice (local)',
  key: '127.0.0.10 root key SHA256:weak (ssh-key)', admin: '127.0.1.20 Administrator (domain)', sql: '127.0.1.20 svc-sql (domain)',
};

type Case = { kind: 'asset' | 'account'; op: string; type: string; when: Condition; expect: string[] };
const CASES: Case[] = [
  // string
  { kind: 'account', type: 'string', op: 'eq', when: { field: 'name', op: 'eq', value: 'root' }, expect: [L.root, L.key] },
  { kind: 'account', type: 'string', op: 'ne', when: { field: 'kind', op: 'ne', value: 'local' }, expect: [L.key, L.admin, L.sql] },
  { kind: 'account', type: 'string', op: 'in', when: { field: 'name', op: 'in', value: ['alice', 'svc-sql'] }, expect: [L.alice, L.sql] },
  { kind: 'account', type: 'string', op: 'notIn', when: { field: 'kind', op: 'notIn', value: ['local', 'ssh-key'] }, expect: [L.admin, L.sql] },
  { kind: 'account', type: 'string', op: 'matches', when: { field: 'name', op: 'matches', value: '^svc-[a-z]+$' }, expect: [L.backup, L.sql] },
  { kind: 'account', type: 'string', op: 'glob', when: { field: 'name', op: 'glob', value: 'SVC-*' }, expect: [L.backup, L.sql] },
  { kind: 'account', type: 'string', op: 'contains', when: { field: 'uid', op: 'contains', value: '-500' }, expect: [L.admin] },
  { kind: 'account', type: 'string', op: 'startsWith', when: { field: 'uid', op: 'startsWith', value: 'S-1-5-21-' }, expect: [L.admin, L.sql] },
  { kind: 'account', type: 'string', op: 'endsWith', when: { field: 'asset.os.family', op: 'endsWith', value: 'ux' }, expect: [L.root, L.backup, L.alice, L.key] },
  { kind: 'account', type: 'string', op: 'exists', when: { field: 'key.type', op: 'exists' }, expect: [L.key] },
  { kind: 'asset', type: 'string', op: 'exists', when: { field: 'os.family', op: 'exists', value: false }, expect: [L.v6] },
  // number
  { kind: 'account', type: 'number', op: 'eq', when: { field: 'adminCount', op: 'eq', value: 1 }, expect: [L.admin] },
  { kind: 'account', type: 'number', op: 'ne', when: { field: 'key.bits', op: 'ne', value: 4096 }, expect: [L.key] },
  { kind: 'account', type: 'number', op: 'gt', when: { field: 'key.bits', op: 'gt', value: 512 }, expect: [L.key] },
  { kind: 'account', type: 'number', op: 'gte', when: { field: 'key.bits', op: 'gte', value: 1024 }, expect: [L.key] },
  { kind: 'account', type: 'number', op: 'lt', when: { field: 'key.bits', op: 'lt', value: 2048 }, expect: [L.key] },
  { kind: 'account', type: 'number', op: 'lte', when: { field: 'key.bits', op: 'lte', value: 1023 }, expect: [] },
  { kind: 'account', type: 'number', op: 'in', when: { field: 'adminCount', op: 'in', value: [0, 1] }, expect: [L.admin] },
  { kind: 'account', type: 'number', op: 'exists', when: { field: 'adminCount', op: 'exists' }, expect: [L.admin] },
  // boolean
  { kind: 'account', type: 'boolean', op: 'eq', when: { field: 'enabled', op: 'eq', value: false }, expect: [L.alice] },
  { kind: 'account', type: 'boolean', op: 'exists', when: { field: 'enabled', op: 'exists', value: false }, expect: [] },
  // address
  { kind: 'asset', type: 'address', op: 'eq', when: { field: 'address', op: 'eq', value: '127.0.1.20' }, expect: [L.dc] },
  { kind: 'asset', type: 'address', op: 'in', when: { field: 'address', op: 'in', value: ['127.0.0.10', '::1'] }, expect: [L.web, L.v6] },
  { kind: 'asset', type: 'address', op: 'inCidr', when: { field: 'address', op: 'inCidr', value: '127.0.0.0/24' }, expect: [L.web] },
  { kind: 'asset', type: 'address', op: 'inCidr', when: { field: 'address', op: 'inCidr', value: ['127.0.1.1-127.0.1.30', '::/127'] }, expect: [L.dc, L.v6] },
  { kind: 'asset', type: 'address', op: 'notInCidr', when: { field: 'address', op: 'notInCidr', value: '127.0.0.0/8' }, expect: [L.v6] },
  { kind: 'asset', type: 'address', op: 'exists', when: { field: 'address', op: 'exists' }, expect: [L.web, L.dc, L.v6] },
  // version
  { kind: 'asset', type: 'version', op: 'eq', when: { field: 'os.version', op: 'eq', value: '12' }, expect: [L.web] },
  { kind: 'asset', type: 'version', op: 'versionLt', when: { field: 'software.openssh-server', op: 'versionLt', value: '1:9.3' }, expect: [L.web] },
  { kind: 'asset', type: 'version', op: 'versionLte', when: { field: 'product.openssh', op: 'versionLte', value: '9.2p1' }, expect: [L.web] },
  { kind: 'asset', type: 'version', op: 'versionGt', when: { field: 'os.version', op: 'versionGt', value: '10.0.14393' }, expect: [L.web, L.dc] },
  { kind: 'asset', type: 'version', op: 'versionGte', when: { field: 'product.nginx', op: 'versionGte', value: '1.22.1' }, expect: [L.web] },
  { kind: 'asset', type: 'version', op: 'exists', when: { field: 'software.sudo', op: 'exists' }, expect: [L.web] },
  // time
  { kind: 'account', type: 'time', op: 'olderThanDays', when: { field: 'lastLogon', op: 'olderThanDays', value: 90 }, expect: [L.root] },
  { kind: 'account', type: 'time', op: 'newerThanDays', when: { field: 'lastLogon', op: 'newerThanDays', value: 30 }, expect: [L.backup, L.admin] },
  { kind: 'asset', type: 'time', op: 'exists', when: { field: 'lastSeen', op: 'exists' }, expect: [L.web, L.dc, L.v6] },
  // strings
  { kind: 'account', type: 'strings', op: 'contains', when: { field: 'groups', op: 'contains', value: 'Administrators' }, expect: [L.admin] },
  { kind: 'account', type: 'strings', op: 'containsAny', when: { field: 'groups', op: 'containsAny', value: ['sudo', 'SQL Admins'] }, expect: [L.backup, L.sql] },
  { kind: 'account', type: 'strings', op: 'containsAll', when: { field: 'groups', op: 'containsAll', value: ['svc', 'sudo'] }, expect: [L.backup] },
  { kind: 'asset', type: 'strings', op: 'matches', when: { field: 'hostname', op: 'matches', value: '^dc\\d' }, expect: [L.dc] },
  { kind: 'asset', type: 'strings', op: 'glob', when: { field: 'product', op: 'glob', value: 'open*' }, expect: [L.web] },
  { kind: 'asset', type: 'strings', op: 'empty', when: { field: 'hostname', op: 'empty' }, expect: [L.v6] },
  { kind: 'account', type: 'strings', op: 'exists', when: { field: 'groups', op: 'exists', value: false }, expect: [L.key] },
  // numbers
  { kind: 'asset', type: 'numbers', op: 'contains', when: { field: 'port', op: 'contains', value: 445 }, expect: [L.dc] },
  { kind: 'asset', type: 'numbers', op: 'containsAny', when: { field: 'port', op: 'containsAny', value: [22, 389] }, expect: [L.web, L.dc] },
  { kind: 'asset', type: 'numbers', op: 'empty', when: { field: 'port', op: 'empty' }, expect: [L.v6] },
  { kind: 'asset', type: 'numbers', op: 'exists', when: { field: 'port', op: 'exists' }, expect: [L.web, L.dc, L.v6] },
];

for (const c of CASES) {
  test(`${c.type} ${c.op}: ${JSON.stringify(c.when)}`, (t) => {
    t.deepEqual(select(c.kind, c.when), [...c.expect].sort());
  });
}

test('every operator of every type has a case', (t) => {
  const missing = Object.entries(OPERATORS).flatMap(([type, ops]) => Object.keys(ops).filter((op) => !CASES.some((c) => c.type === type && c.op === op)).map((op) => `${type} ${op}`));
  t.deepEqual(missing, []);
});

test('account fields: flags, SPN, never-expires, reasons, asset fields', (t) => {
  t.deepEqual(select('account', { field: 'hasSpn', op: 'eq', value: true }), [L.sql]);
  t.deepEqual(select('account', { field: 'passwordNotRequired', op: 'eq', value: true }), [L.sql]);
  t.deepEqual(select('account', { field: 'smartcardRequired', op: 'eq', value: true }), [L.admin]);
  t.deepEqual(select('account', { field: 'neverExpires', op: 'eq', value: true }), [L.root, L.admin]);
  t.deepEqual(select('account', { field: 'reason', op: 'glob', value: 'uid 0*' }), [L.root]);
  t.deepEqual(select('account', { field: 'asset.domain', op: 'eq', value: 'lab.test' }), [L.root, L.backup, L.alice, L.key].sort());
  t.deepEqual(select('asset', { field: 'scanned', op: 'eq', value: false }), [L.v6]);
  t.deepEqual(select('asset', { field: 'firstSeen', op: 'newerThanDays', value: 7 }), [L.dc]);
  t.deepEqual(select('asset', { field: 'service', op: 'containsAll', value: ['ldap', 'smb'] }), [L.dc]);
  t.deepEqual(select('asset', { field: 'deviceType', op: 'eq', value: 'general purpose' }), [L.web]);
  t.deepEqual(select('asset', { field: 'software', op: 'contains', value: 'sudo' }), [L.web]);
});

test('combinators and references: all, any, not, and a rule used as a condition', (t) => {
  const rules = rulesOf({
    schema: 1, rules: [
      { name: 'svc', kind: 'account', enabled: false, when: { field: 'name', op: 'glob', value: 'svc-*' }, then: [{ tag: 'svc' }] },
      { name: 'case', kind: 'account', when: { all: [{ rule: 'svc' }, { not: { field: 'kind', op: 'eq', value: 'domain' } }, { any: [{ field: 'privileged', op: 'eq', value: true }, { field: 'enabled', op: 'eq', value: false }] }] }, then: [{ tag: 'x' }] },
    ],
  });
  const e = estate();
  const d = evaluateEstate(compileRules(rules, NOW), e.assets, e.accounts, { explain: true });
  t.is(d.matched, 1);
  // The disabled rule does nothing itself, but its condition serves the rule that references it.
  t.deepEqual(d.results.map((r) => [r.label, r.rules.map((m) => m.rule)]), [[L.backup, ['case']]]);
});

const ACTION_RULES = {
  schema: 1,
  rules: [
    { name: 'late onboard', kind: 'account', order: 50, when: { field: 'privileged', op: 'eq', value: true }, then: [{ onboard: { workgroup: 'late', policy: 'p2' } }] },
    { name: 'linux hosts', kind: 'asset', order: 99, when: { field: 'os.family', op: 'eq', value: 'Linux' }, then: [{ group: 'linux' }, { tag: 'tier2' }] },
    { name: 'dc hosts', kind: 'asset', when: { field: 'port', op: 'contains', value: 389 }, then: [{ exclude: { reason: 'domain controllers are onboarded by hand' } }, { notify: { url: 'http://127.0.0.1:9/hook' } }] },
    { name: 'linux privileged', kind: 'account', order: 10, when: { all: [{ field: 'asset.group', op: 'contains', value: 'linux' }, { field: 'privileged', op: 'eq', value: true }] }, then: [{ onboard: { workgroup: 'linux-site', changeFrequencyDays: 7, changeTime: '03:30' } }, { group: 'pam-linux' }] },
    { name: 'keys out', kind: 'account', order: 60, when: { field: 'kind', op: 'eq', value: 'ssh-key' }, then: [{ exclude: 'keys rotate with their accounts' }] },
    { name: 'tagged', kind: 'account', order: 70, when: { field: 'group', op: 'contains', value: 'pam-linux' }, then: [{ tag: 'seen-by-later-rule' }] },
  ],
};

test('actions and order: asset rules first, first onboard decides, exclude wins, later rules see earlier groups', (t) => {
  const rules = rulesOf(ACTION_RULES);
  const e = estate();
  const d = evaluateEstate(compileRules(rules, NOW), e.assets, e.accounts, { explain: true });
  const onboarded = Object.fromEntries([...d.onboard].map(([id, m]) => [ACCOUNTS.find((a) => a.id === id)!.name, [m.workgroup, m.policy, m.changeFrequencyDays, m.changeTime, m.rule]]));
  // root and svc-backup: the linux rule (order 10) beats the late one (order 50); Administrator is on an excluded
  // asset, the root key is excluded by its own rule: neither is onboarded though "late onboard" selects both.
  t.deepEqual(onboarded, { root: ['linux-site', 'default', 7, '03:30', 'linux privileged'], 'svc-backup': ['linux-site', 'default', 7, '03:30', 'linux privileged'] });
  t.is(d.excludedOverOnboard, 2);
  const memberships = [...d.memberships.values()].map((m) => `${m.subject}:${m.subjectId} ${m.kind} ${m.name}${m.detail ? ` (${m.detail})` : ''}`).sort();
  const id = (name: string, kind = 'local') => ACCOUNTS.find((a) => a.name === name && a.kind === kind)!.id;
  t.deepEqual(memberships, [
    `account:${id('root')} group pam-linux`, `account:${id('root')} tag seen-by-later-rule`,
    `account:${id('root', 'ssh-key')} exclude keys out (keys rotate with their accounts)`, `account:${id('root', 'ssh-key')} group pam-linux`, `account:${id('root', 'ssh-key')} tag seen-by-later-rule`,
    `account:${id('svc-backup')} group pam-linux`, `account:${id('svc-backup')} tag seen-by-later-rule`,
    'asset:1 group linux', 'asset:1 tag tier2',
    'asset:2 exclude dc hosts (domain controllers are onboarded by hand)', 'asset:2 notified dc hosts (http://127.0.0.1:9/hook)',
  ].sort());
  const decisions = d.results.filter((r) => r.subject.type === 'account').map((r) => `${r.label}: ${r.decision}`).sort();
  t.true(decisions.includes(`${L.admin}: excluded`));
  t.true(decisions.includes(`${L.root}: onboard into linux-site (rule "linux privileged")`));
});

test('explain: the tree with actual values, short-circuited branches skipped, misses listed', (t) => {
  const rules = rulesOf({
    schema: 1, rules: [{
      name: 'why', kind: 'account', when: {
        any: [
          { all: [{ field: 'privileged', op: 'eq', value: true }, { field: 'lastLogon', op: 'olderThanDays', value: 90 }] },
          { field: 'name', op: 'glob', value: 'svc-*' },
        ],
      }, then: [{ tag: 'x' }],
    }],
  });
  const e = estate();
  const d = evaluateEstate(compileRules(rules, NOW), e.assets, e.accounts, { explain: true, misses: true });
  const of = (label: string) => d.results.find((r) => r.label === label)!.rules[0]!;
  t.deepEqual(of(L.root).explanation, {
    any: [
      { all: [{ field: 'privileged', op: 'eq', value: true, actual: true, outcome: true }, { field: 'lastLogon', op: 'olderThanDays', value: 90, actual: daysAgo(200), outcome: true }], outcome: true },
      { field: 'name', op: 'glob', value: 'svc-*', outcome: 'skipped' },
    ],
    outcome: true,
  });
  // alice: not privileged, so the lastLogon leaf is skipped; the glob is read and fails; the rule is a miss.
  t.deepEqual(of(L.alice), {
    rule: 'why', version: of(L.alice).version, matched: false, explanation: {
      any: [
        { all: [{ field: 'privileged', op: 'eq', value: true, actual: false, outcome: false }, { field: 'lastLogon', op: 'olderThanDays', value: 90, outcome: 'skipped' }], outcome: false },
        { field: 'name', op: 'glob', value: 'svc-*', actual: 'alice', outcome: false },
      ],
      outcome: false,
    },
  });
  t.is(of(L.sql).explanation!.outcome, true);
  t.regex(of(L.root).version, /^[0-9a-f]{12}$/);
});

test('plan: a second run over the same state changes nothing; undo reverses a run, newest first, and skips what later runs changed', (t) => {
  const rules = rulesOf(ACTION_RULES);
  const e = estate();
  const d = evaluateEstate(compileRules(rules, NOW), e.assets, e.accounts);
  const empty: OnboardingState = { managed: new Map(), memberships: new Map() };
  const first = planRun(d, empty);
  t.is(first.changes.filter((c) => c.action === 'onboard').length, 2);
  t.is(first.changes.filter((c) => c.action === 'add').length, d.memberships.size);
  // The state the first run leaves behind (run 1).
  const after: OnboardingState = {
    managed: new Map([...d.onboard].map(([id, m]) => [id, { ...m, accountId: id, label: String(id), runId: 1 }])),
    memberships: new Map([...d.memberships].map(([k, m]) => [k, { ...m, label: k, runId: 1 }])),
  };
  const again = estate();
  t.deepEqual(planRun(evaluateEstate(compileRules(rules, NOW), again.assets, again.accounts), after).changes, []);
  // A changed rule version is an update, not a second onboarding.
  const changed = rulesOf({ ...ACTION_RULES, rules: ACTION_RULES.rules.map((r) => (r.name === 'linux privileged' ? { ...r, then: [{ onboard: { workgroup: 'linux-site', changeFrequencyDays: 14 } }, { group: 'pam-linux' }] } : r)) });
  const third = estate();
  const second = planRun(evaluateEstate(compileRules(changed, NOW), third.assets, third.accounts), after);
  t.deepEqual(second.changes.map((c) => c.action), ['update', 'update']);
  // Undo of run 1 after run 2 changed root: root's onboarding stays (changed since), the rest is reversed.
  const rootId = ACCOUNTS.find((a) => a.name === 'root' && a.kind === 'local')!.id;
  const later: OnboardingState = { ...after, managed: new Map([...after.managed].map(([id, m]) => [id, id === rootId ? { ...m, changeFrequencyDays: 14, runId: 2 } : m])) };
  const undo = planUndo(first.changes, 1, later);
  t.deepEqual(undo.skipped.map((s) => [s.change.action, s.why]), [['add', 'a webhook was called; a notification cannot be recalled'], ['onboard', 'changed since by run 2']]);
  t.is(undo.changes.filter((c) => c.action === 'offboard').length, 1);
  t.is(undo.changes.filter((c) => c.action === 'remove').length, d.memberships.size - 1);
});

test('versions order as dpkg orders them', (t) => {
  const pairs = [['1:9.2p1-2+deb12u3', '1:9.3'], ['9.2p1', '10.0'], ['1.0~rc1', '1.0'], ['1.0', '1.0-1'], ['2:1', '1:9'], ['10.0.17763', '10.0.14393'], ['1.2a', '1.2'], ['1.9.13p3-1', '1.9.13p3-1'], ['0.9.8', '0.10']];
  for (const [a, b] of pairs) {
    const dpkg = (op: string) => {
      try {
        execFileSync('dpkg', ['--compare-versions', a!, op, b!]);
        return true;
      } catch {
        return false;
      }
    };
    const truth = dpkg('lt') ? -1 : dpkg('eq') ? 0 : 1;
    t.is(Math.sign(compareVersions(a!, b!)), truth, `${a} vs ${b}`);
  }
});

test('database accounts: kind = database and database.* fields select the right accounts, and nothing of another kind', (t) => {
  const host = asset(4, '127.0.2.30', { ports: [port(3306, 'mysql', 'MariaDB', '10.11.19'), port(5432, 'postgresql', 'PostgreSQL', '15.18')] });
  const mysqlInstance = { address: host.address, port: 3306, product: 'MariaDB', version: '10.11.19' };
  const pgInstance = { address: host.address, port: 5432, product: 'PostgreSQL', version: '15.18' };
  const base = { login: true, locked: false, passwordExpired: false, passwordExpires: null, privileges: [], roles: [] };
  const db = (name: string, method: string, details: Record<string, unknown>, extra: Partial<AccountView> = {}): AccountView => ({
    id: nextId++, assetId: 4, address: host.address, kind: 'database', name, uid: null, privileged: false, reasons: [], enabled: true, lastLogon: null,
    passwordLastSet: null, details: { ...base, ...details }, source: 'test', method, credential: 'c', firstSeen: daysAgo(5), lastSeen: daysAgo(1), lastScanId: 1, current: true, ...extra,
  });
  const views = [
    db('labfile@127.0.0.0/255.0.0.0', 'mysql', { instance: mysqlInstance, host: '127.0.0.0/255.0.0.0', anyHost: false, anonymous: false, plugin: 'mysql_native_password', privileges: ['FILE'] }, { privileged: true, reasons: ['FILE'] }),
    db('labwild@%', 'mysql', { instance: mysqlInstance, host: '%', anyHost: true, anonymous: false, plugin: 'mysql_native_password' }),
    db("''@localhost", 'mysql', { instance: mysqlInstance, host: 'localhost', anyHost: false, anonymous: true, plugin: 'mysql_native_password', locked: true }, { enabled: false }),
    db('postgres', 'postgres', { instance: pgInstance, privileges: ['SUPERUSER'] }, { privileged: true, reasons: ['SUPERUSER'] }),
    db('labdeploy', 'postgres', { instance: pgInstance, roles: ['labops', 'labprogram', 'pg_execute_server_program'], passwordExpires: new Date(NOW + 30 * 86_400_000).toISOString() },
      { privileged: true, reasons: ['member of pg_execute_server_program via labops > labprogram'] }),
    db('labgroup', 'postgres', { instance: pgInstance, login: false }, { enabled: false }),
  ];
  const assets = [...ASSETS, host].map((v) => assetSubject(v));
  const byId = new Map(assets.map((a) => [a.id, a]));
  const accounts = [...ACCOUNTS, ...views].map((v) => accountSubject(v, byId.get(v.assetId)!));
  const selected = (when: Condition) => {
    const rules = rulesOf({ schema: 1, rules: [{ name: 'case', kind: 'account', when, then: [{ tag: 'hit' }] }] });
    return evaluateEstate(compileRules(rules, NOW), assets, accounts, { explain: true }).results.map((r) => r.label.split(' ')[1]!).sort();
  };
  const isDb = { field: 'kind', op: 'eq', value: 'database' } as const;
  t.deepEqual(selected({ all: [isDb, { field: 'privileged', op: 'eq', value: true }, { field: 'database.product', op: 'eq', value: 'PostgreSQL' }] }), ['labdeploy', 'postgres']);
  t.deepEqual(selected({ all: [isDb, { field: 'database.roles', op: 'contains', value: 'pg_execute_server_program' }] }), ['labdeploy']);
  t.deepEqual(selected({ field: 'database.privileges', op: 'containsAny', value: ['FILE', 'SUPERUSER'] }), ['labfile@127.0.0.0/255.0.0.0', 'postgres']);
  t.deepEqual(selected({ field: 'database.anyHost', op: 'eq', value: true }), ['labwild@%']);
  t.deepEqual(selected({ field: 'database.anonymous', op: 'eq', value: true }), ["''@localhost"]);
  t.deepEqual(selected({ field: 'database.locked', op: 'eq', value: true }), ["''@localhost"]);
  t.deepEqual(selected({ field: 'database.port', op: 'eq', value: 3306 }), ["''@localhost", 'labfile@127.0.0.0/255.0.0.0', 'labwild@%']);
  t.deepEqual(selected({ field: 'database.version', op: 'versionGte', value: '15' }), ['labdeploy', 'labgroup', 'postgres']);
  t.deepEqual(selected({ field: 'database.login', op: 'eq', value: false }), ['labgroup']);
  t.deepEqual(selected({ field: 'database.host', op: 'eq', value: '%' }), ['labwild@%']);
  t.deepEqual(selected({ field: 'database.plugin', op: 'exists' }), ["''@localhost", 'labfile@127.0.0.0/255.0.0.0', 'labwild@%']);
  t.deepEqual(selected({ field: 'database.passwordExpires', op: 'newerThanDays', value: 0 }), ['labdeploy']);
  // The database fields do not exist on the other kinds: `exists: false` selects exactly the accounts that are not database ones.
  t.deepEqual(selected({ field: 'database.login', op: 'exists', value: false }), ACCOUNTS.map((a) => a.name).sort());
  t.deepEqual(selected({ all: [{ field: 'kind', op: 'ne', value: 'database' }, { field: 'database.privileges', op: 'exists' }] }), []);
});
