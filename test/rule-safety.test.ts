/**
 * Rule files and names from hostile sources: a scanned host chooses its account names, so `matches` runs on RE2
 * (linear time) and `glob` on an iterative matcher; patterns RE2 cannot express are refused up front; deep YAML, an
 * alias bomb and an oversized file are refused with the checker's message; and checking a file is linear in its
 * rules (cycles, references, suggestions). No assertion on wall time: a hang meets t.timeout.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules, predicate } from '../onboarding/evaluate.js';
import { globMatcher } from '../onboarding/patterns.js';
import { checkRules, MAX_CONDITION_DEPTH, MAX_RULE_FILE_BYTES, MAX_YAML_NESTING, parseRuleFile } from '../onboarding/rule-file.js';
import { accountSubject, assetSubject } from '../onboarding/subjects.js';
import { InputError } from '../scanner/errors.js';
import type { AccountView } from '../model/account.js';
import type { AssetView } from '../model/asset.js';
import { fileState, runCli, tempDir } from './helpers/cli.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const HANG_BUDGET_MS = 30_000;

/** The glob implementation this file replaces: a backtracking regular expression. The oracle for safe inputs. */
function oldGlob(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

/** An account subject with the given name on a bare asset, as the evaluation reads it. */
function accountNamed(name: string) {
  const view: AssetView = { id: 1, address: '127.0.0.1', hostnames: [], firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2026-01-01T00:00:00Z', lastScanId: 1, ports: [], scanned: true, names: [] };
  const account: AccountView = {
    id: 2, assetId: 1, address: view.address, kind: 'local', name, uid: null, privileged: false, reasons: [], enabled: true, lastLogon: null, passwordLastSet: null,
    details: {}, source: 'test', method: 'ssh', credential: 'c', firstSeen: view.firstSeen, lastSeen: view.lastSeen, lastScanId: 1, current: true,
  };
  return accountSubject(account, assetSubject(view));
}

/** Whether one account rule selects an account of this name: the whole path, checker to compiled test. */
function selects(op: 'matches' | 'glob', value: string, name: string): boolean {
  const { rules, problems } = checkRules({ schema: 1, rules: [{ name: 'r', kind: 'account', when: { field: 'name', op, value }, then: [{ tag: 't' }] }] });
  if (problems.length) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return compileRules(rules, NOW)[0]!.test(accountNamed(name));
}

test('a ReDoS pattern against a hostile 5,000-character name answers at once, and rightly', (t) => {
  t.timeout(HANG_BUDGET_MS);
  // ^(a+)+$ holds exactly for a non-empty run of "a": the answer by reasoning, computed without a regular expression.
  const truth = (s: string) => s.length > 0 && [...s].every((c) => c === 'a');
  for (const name of ['a'.repeat(5000) + '!', 'a'.repeat(5000), '!' + 'a'.repeat(4999), 'a'.repeat(2500) + 'b' + 'a'.repeat(2499)]) {
    t.is(selects('matches', '^(a+)+$', name), truth(name), `${name.slice(0, 8)}... (${name.length})`);
  }
  // Unanchored search, as RegExp.test did.
  t.true(selects('matches', '(x+x+)+y', 'x'.repeat(5000) + 'y'));
  t.false(selects('matches', '(x+x+)+y', 'x'.repeat(5000)));
  t.true(selects('matches', 'svc', 'my-svc-account'));
});

test('a backtracking glob against a hostile 5,000-character name answers at once, and rightly', (t) => {
  t.timeout(HANG_BUDGET_MS);
  const glob = '*a*a*a*a*a*a*a*a*a*a*a*b';
  // The truth: the name ends with "b" (any case) and has eleven "a"s before that last character.
  const truth = (s: string) => /b$/i.test(s) && [...s.slice(0, -1)].filter((c) => c === 'a' || c === 'A').length >= 11;
  for (const name of ['a'.repeat(5000), 'a'.repeat(5000) + 'b', 'A'.repeat(4999) + 'B', 'ab'.repeat(2500) + 'c', 'a'.repeat(10) + 'b']) {
    t.is(selects('glob', glob, name), truth(name), `${name.slice(0, 8)}... (${name.length})`);
  }
});

test('glob matcher: a table of cases, each agreeing with the old regular-expression glob', (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['svc-*', 'svc-backup', true], ['svc-*', 'SVC-', true], ['svc-*', 'xsvc-a', false],
    ['*', '', true], ['', '', true], ['', 'a', false], ['?', '', false], ['?', 'a', true], ['??', 'a', false],
    ['*admin', 'sysadmin', true], ['*admin', 'admins', false], ['admin*', 'admins', true], ['a**b', 'ab', true], ['a***', 'a', true],
    ['*a*b*', 'xxaxxbxx', true], ['*a*b*', 'xxbxxaxx', false], ['a?c', 'abc', true], ['a?c', 'ac', false], ['a?c', 'a\nc', true],
    ['web.lab', 'web.lab', true], ['web.lab', 'webxlab', false], ['a+b', 'a+b', true], ['a+b', 'aab', false],
    ['^x$', '^x$', true], ['(a|b)', '(a|b)', true], ['(a|b)', 'a', false], ['[ab]', '[ab]', true], ['[ab]', 'a', false],
    ['a\\b', 'a\\b', true], ['{1}', '{1}', true], ['$HOME', '$home', true], ['ADMIN?', 'admin1', true],
    ['Straße', 'STRASSE', false], ['é*', 'É-x', true], ['ſ', 'S', false], ['k', '\u212a', false],
  ];
  for (const [glob, name, want] of cases) {
    t.is(globMatcher(glob)(name), want, `${JSON.stringify(glob)} on ${JSON.stringify(name)}`);
    t.is(oldGlob(glob).test(name), want, `the old glob: ${JSON.stringify(glob)} on ${JSON.stringify(name)}`);
  }
});

test('glob matcher agrees with the old regular-expression glob on random names and patterns', (t) => {
  // A fixed-seed generator, so a failure is reproducible.
  let seed = 0x5eed;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['a', 'A', 'b', 'B', '.', '-', '\n', 'é', 'É', '\\', '$', '('];
  const pick = (from: readonly string[], length: number) => Array.from({ length }, () => from[random(from.length)]).join('');
  let agreed = 0;
  for (let k = 0; k < 20_000; k++) {
    // Short names and at most a few stars keep the old backtracking regex quick: safe inputs.
    const name = pick(alphabet, random(9));
    const glob = pick([...alphabet, '*', '?', '*', '?'], random(7));
    const expected = oldGlob(glob).test(name);
    if (globMatcher(glob)(name) !== expected) t.fail(`${JSON.stringify(glob)} on ${JSON.stringify(name)}: old ${expected}`);
    else agreed++;
  }
  t.is(agreed, 20_000);
});

test('the software report filter uses the same glob', (t) => {
  // reports.ts filters package names with globMatcher; the same semantics as the rule operator.
  t.true(globMatcher('openssh-*')('OpenSSH-server'));
  t.false(globMatcher('openssh-?')('openssh-server'));
});

test('patterns RE2 cannot express are refused with the reason; others keep JavaScript spellings', (t) => {
  const check = (value: string) => checkRules({ schema: 1, rules: [{ name: 'r', kind: 'account', when: { field: 'name', op: 'matches', value }, then: [{ tag: 't' }] }] }).problems.map((p) => `${p.path}: ${p.message}`);
  t.deepEqual(check('^(a)\\1$'), ['rules[0].when.value: "^(a)\\\\1$": backreferences are not supported: patterns run in linear time (RE2 syntax)']);
  t.deepEqual(check('(?<n>a)\\k<n>'), ['rules[0].when.value: "(?<n>a)\\\\k<n>": backreferences are not supported: patterns run in linear time (RE2 syntax)']);
  t.regex(check('^svc(?!-sql)')[0]!, /"\^svc\(\?!-sql\)": lookahead is not supported: patterns run in linear time \(RE2 syntax\)/);
  t.regex(check('(?=admin)')[0]!, /lookahead is not supported/);
  t.regex(check('(?<=x)y')[0]!, /lookbehind is not supported/);
  t.regex(check('(?<!x)y')[0]!, /lookbehind is not supported/);
  t.regex(check('a{2000}')[0]!, /bad regular expression "a\{2000\}" \(RE2 syntax\): invalid repeat count/);
  // Not backreferences or lookaround: escaped, inside a class, or a named group.
  for (const ok of ['\\\\1', '[1(?=]', '(?<name>svc)-\\d+', '\\(?=', '^\\u0073vc', '[]1]']) t.deepEqual(check(ok), [], ok);
  t.true(selects('matches', '^\\u0073vc-(?<rest>.+)$', 'svc-backup'));
});

test('rules validate refuses a backreference or lookahead with exit 2, naming the rule, the line and the pattern', async (t) => {
  const dir = tempDir(t);
  const env = { SURVEYOR_DB: join(dir, 's.db'), SURVEYOR_KEY_FILE: join(dir, 'k') };
  const file = join(dir, 'redos.yaml');
  writeFileSync(file, `schema: 1
rules:
  - name: twice
    kind: account
    when: { field: name, op: matches, value: "^(a+)\\\\1$" }
    then: [ { tag: x } ]
  - name: ahead
    kind: account
    when:
      any:
        - { field: name, op: glob, value: "svc-*" }
        - { field: groups, op: matches, value: "^adm(?!ins)" }
    then: [ { tag: y } ]
`);
  const before = fileState(env.SURVEYOR_DB);
  for (const sub of ['validate', 'apply']) {
    const r = await runCli(['rules', sub, file], { env });
    t.is(r.code, 2, r.stderr);
    t.regex(r.stderr, /redos\.yaml: 2 problem\(s\), nothing applied:/);
    t.regex(r.stderr, /rules\[0\]\.when\.value: "\^\(a\+\)\\\\1\$": backreferences are not supported: patterns run in linear time \(RE2 syntax\) \(line 5\)/);
    t.regex(r.stderr, /rules\[1\]\.when\.any\[1\]\.value: "\^adm\(\?!ins\)": lookahead is not supported: patterns run in linear time \(RE2 syntax\) \(line 12\)/);
    t.is(fileState(env.SURVEYOR_DB), before);
  }
});

/** A 3,000-level block mapping, a 3,000-level flow list, and the billion laughs. */
const DEEP_BLOCK = 'schema: 1\nrules:\n' + Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:\n`).join('') + `${'  '.repeat(3001)}x\n`;
const DEEP_FLOW = `schema: 1\nrules: ${'['.repeat(3000)}${']'.repeat(3000)}\n`;
const ALIAS_BOMB = `schema: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
rules: *i
`;

test('deep YAML and an alias bomb: the checker\'s message, not a stack overflow', (t) => {
  t.timeout(HANG_BUDGET_MS);
  t.throws(() => parseRuleFile(DEEP_BLOCK, 'rules.yaml'), { instanceOf: InputError, message: `rules.yaml: nesting deeper than ${MAX_YAML_NESTING} levels (line 66), nothing applied` });
  t.throws(() => parseRuleFile(DEEP_FLOW, 'rules.yaml'), { instanceOf: InputError, message: /^rules\.yaml: nesting deeper than 64 levels \(line 2\), nothing applied$/ });
  t.throws(() => parseRuleFile(ALIAS_BOMB, 'rules.yaml'), { instanceOf: InputError, message: /^rules\.yaml: too many alias expansions \(YAML aliases may expand 100 times in all\), nothing applied$/ });
  // A modest alias still works.
  const rules = parseRuleFile('schema: 1\nrules:\n  - name: a\n    kind: account\n    when: &w { field: name, op: eq, value: root }\n    then: [ { tag: x } ]\n  - name: b\n    kind: account\n    when: *w\n    then: [ { tag: y } ]\n', 'ok.yaml');
  t.deepEqual(rules.map((r) => r.when), [{ field: 'name', op: 'eq', value: 'root' }, { field: 'name', op: 'eq', value: 'root' }]);
  // Nesting in a parsed document (JSON from elsewhere) is bounded by the checker too.
  let deep: unknown = { field: 'name', op: 'eq', value: 'x' };
  for (let i = 0; i < 3000; i++) deep = { not: deep };
  const { problems } = checkRules({ schema: 1, rules: [{ name: 'deep', kind: 'account', when: deep, then: [{ tag: 't' }] }] });
  t.deepEqual(problems.map((p) => p.message), [`conditions nested deeper than ${MAX_CONDITION_DEPTH} levels`]);
});

test('deep YAML, an alias bomb and an oversized file through the CLI: exit 2, the file named, the database untouched', async (t) => {
  t.timeout(600_000, "hang budget: 13 CLI runs, slow on a loaded machine");
  const dir = tempDir(t);
  const env = { SURVEYOR_DB: join(dir, 's.db'), SURVEYOR_KEY_FILE: join(dir, 'k') };
  t.is((await runCli(['workgroups', 'add', 'site-a', '--site', 'east'], { env })).code, 0);
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const cases: Array<[string, RegExp]> = [
    [file('deep.yaml', DEEP_BLOCK), /deep\.yaml: nesting deeper than 64 levels \(line 66\), nothing applied/],
    [file('flow.yaml', DEEP_FLOW), /flow\.yaml: nesting deeper than 64 levels \(line 2\), nothing applied/],
    [file('bomb.yaml', ALIAS_BOMB), /bomb\.yaml: too many alias expansions/],
    [file('big.yaml', `schema: 1\nrules: []\n#${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`), new RegExp(`big\\.yaml: ${MAX_RULE_FILE_BYTES + 22} bytes, more than the limit of ${MAX_RULE_FILE_BYTES} bytes \\(16 MiB\\); nothing applied`)],
  ];
  const db = env.SURVEYOR_DB;
  for (const [path, message] of cases) {
    for (const args of [['rules', 'validate', path], ['rules', 'apply', path], ['rules', 'store', path]]) {
      const before = fileState(db);
      const r = await runCli(args, { env });
      t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      t.regex(r.stderr, message, args.join(' '));
      t.notRegex(r.stderr, /unexpected failure|RangeError/);
      t.is(fileState(db), before, `${args.join(' ')} changed the database`);
    }
  }
});

/** N rules in the shapes of a real file: leaves of every pattern operator, combinators, references to earlier rules. */
function bigFile(n: number): string {
  const out = ['schema: 1', 'rules:'];
  for (let i = 0; i < n; i++) {
    const when = [
      `{field: name, op: glob, value: s${i}*}`,
      `{field: name, op: matches, value: ^a${i}}`,
      `{all: [{rule: r${i - 2}}, {field: enabled, op: eq, value: true}]}`,
      '{field: groups, op: contains, value: g}',
      `{not: {rule: r${i - 1}}}`,
    ][i % 5];
    out.push(`- {name: r${i}, kind: account, when: ${when}, then: [tag: t]}`);
  }
  return out.join('\n') + '\n';
}

test('rules validate checks a 100,000-rule file to the end', async (t) => {
  t.timeout(240_000);
  const dir = tempDir(t);
  const path = join(dir, 'big.yaml');
  writeFileSync(path, bigFile(100_000));
  const r = await runCli(['rules', 'validate', path], { env: { SURVEYOR_DB: join(dir, 's.db'), SURVEYOR_KEY_FILE: join(dir, 'k') } });
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith(`${path}: 100000 rule(s), no problems: r0 (account), r1 (account)`));
});

test('a 50,000-rule reference cycle, a long reference chain and thousands of bad references are reported, each briefly', (t) => {
  t.timeout(HANG_BUDGET_MS);
  const n = 50_000;
  const rule = (i: number, when: unknown) => ({ name: `r${i}`, kind: 'account', when, then: [{ tag: 't' }] });
  const ring = checkRules({ schema: 1, rules: Array.from({ length: n }, (_, i) => rule(i, { rule: `r${(i + 1) % n}` })) }).problems;
  t.is(ring.length, n);
  t.deepEqual(ring[0], { path: 'rules[0].when', message: 'rule references form a cycle: r0 -> r1 -> r2 -> r3 -> r4 -> r5 -> ... -> r49995 -> r49996 -> r49997 -> r49998 -> r49999 -> r0' });
  t.deepEqual(ring[7], { path: 'rules[7].when', message: 'rule references form a cycle: r7 -> r8 -> r9 -> r10 -> r11 -> r12 -> ... -> r2 -> r3 -> r4 -> r5 -> r6 -> r7' });
  t.deepEqual(ring[n - 1], { path: `rules[${n - 1}].when`, message: `rule references form a cycle: r${n - 1} -> r0 -> ... -> r${n - 6} -> r${n - 5} -> r${n - 4} -> r${n - 3} -> r${n - 2} -> r${n - 1}` });
  const small = checkRules({ schema: 1, rules: [rule(0, { rule: 'r0' }), rule(1, { any: [{ rule: 'r2' }, { rule: 'r3' }] }), rule(2, { rule: 'r3' }), rule(3, { not: { rule: 'r1' } })] }).problems;
  t.deepEqual(small.map((p) => `${p.path}: ${p.message}`), [
    'rules[0].when: rule references form a cycle: r0 -> r0',
    'rules[1].when: rule references form a cycle: r1 -> r3 -> r1',
    'rules[2].when: rule references form a cycle: r2 -> r3 -> r1 -> r2',
    'rules[3].when: rule references form a cycle: r3 -> r1 -> r3',
  ]);
  // A chain r_i -> r_(i-1): evaluation would recurse through every link, so past the limit it is refused once.
  const chain = checkRules({ schema: 1, rules: Array.from({ length: n }, (_, i) => rule(i, i ? { rule: `r${i - 1}` } : { field: 'name', op: 'eq', value: 'x' })) }).problems;
  t.deepEqual(chain, [{ path: `rules[${MAX_CONDITION_DEPTH}].when`, message: `conditions nested deeper than ${MAX_CONDITION_DEPTH} levels (through the rules it references: ${MAX_CONDITION_DEPTH + 1})` }]);
  const short = checkRules({ schema: 1, rules: Array.from({ length: MAX_CONDITION_DEPTH }, (_, i) => rule(i, i ? { rule: `r${i - 1}` } : { field: 'name', op: 'eq', value: 'x' })) });
  t.deepEqual(short.problems, []);
  t.true(compileRules(short.rules, NOW).at(-1)!.test(accountNamed('x')));
  const unknown = checkRules({ schema: 1, rules: Array.from({ length: n }, (_, i) => rule(i, { rule: `q${i}` })) }).problems;
  t.is(unknown.length, n);
  t.is(unknown[0]!.message, 'no rule named "q0" in this file; did you mean "r0"?');
  t.is(unknown[n - 1]!.message, `no rule named "q${n - 1}" in this file`);
});

test('predicate: the compiled operators refuse a pattern the checker would refuse', (t) => {
  t.throws(() => predicate('string', 'matches', '(a)\\1', NOW), { message: /backreferences are not supported: patterns run in linear time/ });
});
