/** Smart Rule files: a good file parses to rules; every class of mistake is reported with its path and line. */
import test from 'ava';
import { parseRuleFile } from '../onboarding/rule-file.js';
import { didYouMean } from '../onboarding/suggest.js';
import { InputError } from '../scanner/errors.js';

const GOOD = `schema: 1
rules:
  - name: linux admins
    kind: account
    order: 10
    when:
      all:
        - { field: privileged, op: eq, value: true }
        - { field: asset.os.family, op: eq, value: Linux }
        - not: { field: name, op: glob, value: "svc-*" }
    then:
      - onboard: { workgroup: site-a, policy: strong, changeFrequencyDays: 30, changeTime: "02:30" }
      - tag: pam
  - name: domain admins
    kind: account
    when:
      any:
        - { rule: linux admins }
        - { field: groups, op: contains, value: Domain Admins }
    then: [ { exclude: { reason: break-glass handled by hand } }, { notify: { url: "https://hooks.example/pam" } } ]
  - name: lab hosts
    kind: asset
    enabled: false
    when: { field: address, op: inCidr, value: [127.0.0.0/8, "::1"] }
    then: [ { group: lab } ]
`;

test('a good file parses, with defaults for order, enabled, policy and change time', (t) => {
  const rules = parseRuleFile(GOOD, 'good.yaml');
  t.deepEqual(rules.map((r) => [r.name, r.kind, r.order, r.enabled]), [['linux admins', 'account', 10, true], ['domain admins', 'account', 1, true], ['lab hosts', 'asset', 2, false]]);
  t.deepEqual(rules[0]!.then[0], { type: 'onboard', workgroup: 'site-a', policy: 'strong', changeFrequencyDays: 30, changeTime: '02:30' });
  t.deepEqual(rules[1]!.then, [{ type: 'exclude', reason: 'break-glass handled by hand' }, { type: 'notify', url: 'https://hooks.example/pam' }]);
  const json = parseRuleFile(JSON.stringify({ schema: 1, rules: [{ name: 'j', kind: 'account', when: { field: 'kind', op: 'in', value: ['local'] }, then: [{ onboard: { workgroup: 'w' } }] }] }), 'j.json');
  t.like(json[0]!.then[0], { type: 'onboard', policy: 'default', changeFrequencyDays: 30, changeTime: '00:00' });
});

test('every problem in a file is reported at once, with its path, its line and a suggestion', (t) => {
  const bad = `schema: 1
rules:
  - name: r1
    kind: acount
    when: { field: name, op: eq, value: root }
    then: [ { tag: x } ]
  - name: r2
    kind: account
    when:
      all:
        - { field: privileged, op: eq, value: true }
        - { field: asset.address, op: inside, value: 10.0.0.0/8 }
    then: [ { onbord: { workgroup: w } } ]
  - name: r3
    kind: account
    when:
      any:
        - { field: nmae, op: eq, value: x }
        - { field: lastLogon, op: versionLt, value: "1" }
        - { field: name, op: matches, value: "(" }
        - { field: asset.address, op: inCidr, value: 10.0.0.0/33 }
        - { field: asset.address, op: inCidr, value: db.example.com }
        - { field: enabled, op: eq }
        - { rule: r9 }
        - { field: name, op: eq, value: x, extra: 1 }
    then:
      - onboard: { workgroup: "", changeFrequencyDays: 0, changeTime: "25:00", polcy: p }
      - notify: { url: "ftp://x" }
  - name: r2
    kind: asset
    frequency: weekly
    when: { all: [] }
    then: [ { onboard: { workgroup: w } } ]
  - name: loop-a
    kind: account
    when: { rule: loop-b }
    then: [ { tag: a } ]
  - name: loop-b
    kind: account
    when: { not: { rule: loop-a } }
    then: [ { tag: b } ]
`;
  const err = t.throws(() => parseRuleFile(bad, 'bad.yaml'), { instanceOf: InputError })!;
  const lines = err.message.split('\n');
  t.regex(lines[0]!, /^bad\.yaml: \d+ problem\(s\), nothing applied:$/);
  const expect = [
    /rules\[0\]\.kind: string "acount" is not asset or account; did you mean "account"\? \(line 4\)/,
    /rules\[1\]\.when\.all\[1\]\.op: unknown operator "inside"; did you mean "in"\? \(line 12\)/,
    /rules\[1\]\.then\[0\]: unknown action "onbord"; did you mean "onboard"\? \(line 13\)/,
    /rules\[2\]\.when\.any\[0\]\.field: unknown account field "nmae"; did you mean "name"\?/,
    /rules\[2\]\.when\.any\[1\]\.op: operator "versionLt" does not apply to lastLogon \(time\); use one of olderThanDays, newerThanDays, exists/,
    /rules\[2\]\.when\.any\[2\]\.value: bad regular expression/,
    /rules\[2\]\.when\.any\[3\]\.value: bad address block "10\.0\.0\.0\/33"/,
    /rules\[2\]\.when\.any\[4\]\.value: "db\.example\.com" is a host name; inCidr takes addresses/,
    /rules\[2\]\.when\.any\[5\]\.value: missing: eq needs a value/,
    /rules\[2\]\.when\.any\[6\]\.rule: no rule named "r9" in this file; did you mean "r1"\?/,
    /rules\[2\]\.when\.any\[7\]\.extra: unknown key "extra"/,
    /rules\[2\]\.then\[0\]\.onboard\.polcy: unknown key "polcy"; did you mean "policy"\?/,
    /rules\[2\]\.then\[0\]\.onboard\.workgroup: a workgroup name, not string ""/,
    /rules\[2\]\.then\[0\]\.onboard\.changeFrequencyDays: a whole number of days from 1 to 3650, not number 0/,
    /rules\[2\]\.then\[0\]\.onboard\.changeTime: a time of day HH:MM \(24 h\), not string "25:00"/,
    /rules\[2\]\.then\[1\]\.notify\.url: "ftp:\/\/x" is not an http\(s\) URL/,
    /rules\[3\]\.name: "r2" is the name of an earlier rule/,
    /rules\[3\]\.frequency: unknown key "frequency"/,
    /rules\[3\]\.when\.all: needs a non-empty list of conditions, not an empty list/,
    /rules\[3\]\.then: onboard applies to accounts/,
    /rules\[4\]\.when: rule references form a cycle: loop-a -> loop-b -> loop-a/,
  ];
  for (const re of expect) t.true(lines.some((l) => re.test(l)), `expected a line matching ${re}\n${err.message}`);
  t.is(lines.length - 1, expect.length + 1, err.message); // loop-b reports the same cycle from its side
});

test('document-level mistakes: syntax, schema, shape', (t) => {
  t.throws(() => parseRuleFile('rules: [\n', 'a.yaml'), { instanceOf: InputError, message: /^a\.yaml: \d+ syntax error\(s\):\n {2}a\.yaml:\d+: / });
  t.throws(() => parseRuleFile('a: 1\na: 2\n', 'dup.yaml'), { instanceOf: InputError, message: /syntax error/ });
  t.throws(() => parseRuleFile('schema: 2\nrules: []\n', 's.yaml'), { message: /schema: schema 2 is not one this surveyor reads \(1\)/ });
  t.throws(() => parseRuleFile('rules: []\n', 's.yaml'), { message: /schema: missing/ });
  t.throws(() => parseRuleFile('- 1\n', 'l.yaml'), { message: /\(document\): a rule file is a mapping/ });
  t.throws(() => parseRuleFile('schema: 1\nrule: []\n', 'k.yaml'), { message: /rule: unknown key "rule"; did you mean "rules"\?[\s\S]*rules: a list of rules, not undefined/ });
});

test('suggestions only when close', (t) => {
  t.is(didYouMean('inside', ['in', 'eq', 'inCidr']), '; did you mean "in"?');
  t.is(didYouMean('xyz', ['privileged', 'enabled']), '');
});

// Issue 20 (a new user's findings): a file with two mistakes in one condition got one reported; the workgroup
// check came only once the rest was clean, without a line; YAML errors were the parser's raw text; a JSON file's
// trailing comma was accepted without a word.

const TWO_MISTAKES = `schema: 1
rules:
  - name: a
    kind: account
    when: { field: priviledged, op: equals, value: true }
    then: [ { tag: x } ]
  - name: b
    kind: account
    when: { field: name, op: eq, value: root }
    then: [ { onboard: { workgroup: nosuch, policy: p, changeFrequencyDays: 7 } } ]
`;

test('an unknown field does not hide an unknown operator, and the workgroups are checked with the rest, each with its line', (t) => {
  const err = t.throws(() => parseRuleFile(TWO_MISTAKES, 'r.yaml', ['site-a']), { instanceOf: InputError })!;
  t.regex(err.message, /^r\.yaml: 3 problem\(s\), nothing applied:/);
  t.regex(err.message, /rules\[0\]\.when\.field: unknown account field "priviledged"; did you mean "privileged"\? \(line 5\)/);
  t.regex(err.message, /rules\[0\]\.when\.op: unknown operator "equals"; did you mean "eq"\? \(line 5\)/);
  t.regex(err.message, /rules\[1\]\.then\[0\]\.onboard\.workgroup: no workgroup "nosuch"; add it with: surveyor workgroups add "nosuch" --site SITE \(line 10\)/);
  // Without the database's workgroups (no database yet), the workgroup is not judged.
  t.notRegex(t.throws(() => parseRuleFile(TWO_MISTAKES, 'r.yaml'))!.message, /nosuch/);
  t.notThrows(() => parseRuleFile(GOOD, 'good.yaml', ['site-a']));
});

test('YAML syntax errors are told in the checker\'s words, one line each, with the parser\'s text in brackets', (t) => {
  const text = 'schema: 1\nrules:\n  - name: a\n    kind: account\n   when: { field: name, op: eq, value: root }\n    then: [ { tag: x } ]\n';
  const err = t.throws(() => parseRuleFile(text, 'bad.yaml'), { instanceOf: InputError })!;
  const lines = err.message.split('\n');
  t.regex(lines[0]!, /^bad\.yaml: \d+ syntax error\(s\):$/);
  t.true(lines.slice(1).every((l) => /^ {2}bad\.yaml:\d+: [a-z].* \[.+\]$/.test(l)), err.message);
  t.regex(err.message, /bad\.yaml:6: indentation: this line does not line up/);
});

test('a JSON rule file is read as JSON: a trailing comma is refused with its line and column', (t) => {
  const good = JSON.stringify({ schema: 1, rules: [{ name: 'a', kind: 'account', when: { field: 'name', op: 'eq', value: 'root' }, then: [{ tag: 'x' }] }] }, null, 2);
  t.is(parseRuleFile(good, 'r.json').length, 1);
  const trailing = good.replace('"x"\n        }', '"x"\n        },');
  t.not(trailing, good);
  const err = t.throws(() => parseRuleFile(trailing, 'r.json'), { instanceOf: InputError })!;
  // The inserted comma: on the line after the tag, the 1-based line number of which is its index + 2.
  const line = trailing.split('\n').findIndex((l) => l.includes('"tag": "x"')) + 2;
  t.regex(err.message, new RegExp(`^r\\.json: not valid JSON, nothing applied:\\n {2}r\\.json:${line}:10: a comma before a closing bracket or brace`));
  // The same text as YAML (a .yaml name) is YAML's business: it parses.
  t.notThrows(() => parseRuleFile(trailing, 'r.yaml'));
});

// Issue 21: a misspelled kind stopped the checks of the rule's fields; the rule is checked as the kind it most
// likely means (the suggestion, else the kind its condition and actions fit best), so every problem shows at once.
test('a misspelled or missing kind: the fields are checked all the same, every problem with its line', (t) => {
  const text = `schema: 1
rules:
  - name: a
    kind: acount
    when: { field: account.nosuchfield, op: inside, value: x }
    then: [ { tag: x } ]
  - name: b
    kind: 42
    when: { all: [ { field: privileged, op: eq, value: true }, { field: nmae, op: eq, value: x } ] }
    then: [ { onboard: { workgroup: w } } ]
  - name: c
    when: { field: hostname, op: contains, value: 7 }
    then: [ { tag: y } ]
`;
  const err = t.throws(() => parseRuleFile(text, 'k.yaml'), { instanceOf: InputError })!;
  const lines = err.message.split('\n').slice(1);
  const expect = [
    /rules\[0\]\.kind: string "acount" is not asset or account; did you mean "account"\? \(line 4\)/,
    /rules\[0\]\.when\.field: unknown account field "account\.nosuchfield"/,
    /rules\[0\]\.when\.op: unknown operator "inside"; did you mean "in"\? \(line 5\)/,
    /rules\[1\]\.kind: number 42 is not asset or account \(line 8\)/,
    // privileged and onboard fit an account rule: nmae is checked against the account fields
    /rules\[1\]\.when\.all\[1\]\.field: unknown account field "nmae"; did you mean "name"\? \(line 9\)/,
    /rules\[2\]\.kind: missing: asset or account/,
  ];
  for (const re of expect) t.true(lines.some((l) => re.test(l)), `expected a line matching ${re}\n${err.message}`);
  t.is(lines.length, expect.length, err.message);
});
