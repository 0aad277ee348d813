import test from 'ava';
import { InputError } from '../scanner/errors.js';
import { applyRules, builtInRules, compareClaims, parseRules } from '../profiles/rules.js';
import { profilePort } from '../profiles/fingerprint.js';

test('the built-in rules load and validate', (t) => {
  t.true(builtInRules().length > 30);
});

test('every bad rule is reported with its file and line', (t) => {
  const text = [
    '# comment',
    'banner ssh m|^SSH-(\\d)| product=OpenSSH version=$2',
    'banner sshd m|x| product=x',
    'banner ssh m|(| product=x',
    'banner ssh m|x| prodct=x',
    'banner ssh m|x| confidence=101',
    'banner ssh m|x|g product=x',
    'banner ssh',
    'banner ssh m|x| product="unterminated',
  ].join('\n');
  const err = t.throws(() => parseRules(text, 'bad.rules'), { instanceOf: InputError });
  const lines = err!.message.split('\n').slice(1).map((l) => l.trim());
  t.regex(err!.message, /^8 bad rule\(s\):/);
  t.regex(lines[0]!, /^bad\.rules:2: version uses \$2 but the regex has 1 group/);
  t.regex(lines[1]!, /^bad\.rules:3: unknown service "sshd"/);
  t.regex(lines[2]!, /^bad\.rules:4: bad regular expression/);
  t.regex(lines[3]!, /^bad\.rules:5: unknown field "prodct"/);
  t.regex(lines[4]!, /^bad\.rules:6: confidence must be 0-100/);
  t.regex(lines[5]!, /^bad\.rules:7: unknown regex flags "g"/);
  t.regex(lines[6]!, /^bad\.rules:8: a rule needs SOURCE SERVICE/);
  t.regex(lines[7]!, /^bad\.rules:9: unterminated quote/);
});

test('rules fill fields from groups; an empty group leaves the field unset; one claim per rule', (t) => {
  const rules = parseRules('banner ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w.]+)(?: (.*))?$| product=OpenSSH version=$2 info=$3 confidence=95', 't.rules');
  const claims = applyRules(rules, new Map([['banner', ['SSH-2.0-OpenSSH_9.2p1', 'SSH-2.0-OpenSSH_8.0 extra']]]));
  t.deepEqual(claims, [{ service: 'ssh', facts: { product: 'OpenSSH', version: '9.2p1' }, confidence: 95, rule: 't.rules:1', order: 0 }]);
});

test('the merge: highest confidence, then most facts, then the earlier rule; contradicting products add nothing', (t) => {
  const a = { service: 'http' as const, facts: { product: 'A' }, confidence: 50, rule: 'r:1', order: 0 };
  const b = { service: 'http' as const, facts: { product: 'B' }, confidence: 90, rule: 'r:2', order: 1 };
  const c = { service: 'http' as const, facts: { product: 'B', version: '1' }, confidence: 90, rule: 'r:3', order: 2 };
  t.deepEqual([a, b, c].sort(compareClaims).map((x) => x.rule), ['r:3', 'r:2', 'r:1']);
  const mariadb = profilePort(3306, [{
    probe: 'mysql', port: 3306, status: 'success', elapsedMs: 1,
    evidence: [{ kind: 'attribute', name: 'mysql.version', value: '10.11.19-MariaDB-0+deb12u1' }],
  }], builtInRules());
  t.like(mariadb.service, { service: 'mysql', product: 'MariaDB', version: '10.11.19' });
  t.is(mariadb.service.info, undefined, 'the generic MySQL rule does not add its info to a MariaDB server');
  t.is(mariadb.service.sources.service, 'probe:mysql');
});
