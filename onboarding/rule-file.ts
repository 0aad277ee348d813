/**
 * Rule files (YAML or JSON, which is YAML too): read whole, checked whole, every problem reported with its path
 * (`rules[2].when.all[1].op: unknown operator "inside"; did you mean "in"?`) and, for YAML, its line. Nothing in a
 * file with a problem is applied.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from '../scanner/errors.js';
import { parseToken } from '../scanner/targets/parse.js';
import { fieldNames, fieldSpec, OPERATORS, ValueShape } from './fields.js';
import { didYouMean } from './suggest.js';

export const RULE_SCHEMA = 1;
export const RULE_KINDS = ['asset', 'account'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface Leaf {
  readonly field: string;
  readonly op: string;
  readonly value?: unknown;
}
export type Condition = { readonly all: readonly Condition[] } | { readonly any: readonly Condition[] } | { readonly not: Condition } | { readonly rule: string } | Leaf;

export type Action =
  | { readonly type: 'onboard'; readonly workgroup: string; readonly policy: string; readonly changeFrequencyDays: number; readonly changeTime: string }
  | { readonly type: 'group'; readonly name: string }
  | { readonly type: 'tag'; readonly tag: string }
  | { readonly type: 'exclude'; readonly reason: string }
  | { readonly type: 'notify'; readonly url: string };

export interface Rule {
  readonly name: string;
  readonly kind: RuleKind;
  readonly enabled: boolean;
  readonly order: number;
  readonly description?: string;
  readonly when: Condition;
  readonly then: readonly Action[];
}

const RULE_KEYS = ['name', 'kind', 'enabled', 'order', 'description', 'when', 'then'];
const ACTIONS = ['onboard', 'group', 'tag', 'exclude', 'notify'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$/;

type Problem = { path: string; message: string };

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? (v.length ? 'a list' : 'an empty list') : typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  readonly problems: Problem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
}

function checkValue(c: Checker, path: string, shape: ValueShape, value: unknown, op: string): void {
  const need = (ok: boolean, what: string) => {
    if (!ok) c.add(path, `${op} needs ${what}, not ${typeOf(value)}`);
  };
  switch (shape) {
    case 'none':
      if (value !== undefined && typeof value !== 'boolean') c.add(path, `${op} takes no value (or true/false)`);
      return;
    case 'scalar': return need(typeof value === 'string' || typeof value === 'number', 'a string or number');
    case 'number': return need(typeof value === 'number' && Number.isFinite(value), 'a number');
    case 'boolean': return need(typeof value === 'boolean', 'true or false');
    case 'days': return need(typeof value === 'number' && value >= 0, 'a number of days (0 or more)');
    case 'version': return need(typeof value === 'string' || typeof value === 'number', 'a version such as "9.2" or "10.0.17763"');
    case 'list':
      return need(Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'string' || typeof x === 'number'), 'a non-empty list of strings or numbers');
    case 'regex':
      if (typeof value !== 'string') return need(false, 'a regular expression string');
      try {
        new RegExp(value);
      } catch (err) {
        c.add(path, `bad regular expression: ${(err as Error).message}`);
      }
      return;
    case 'glob': return need(typeof value === 'string' && value.length > 0, 'a glob such as "svc-*"');
    case 'cidr': {
      const list = Array.isArray(value) ? value : [value];
      if (!list.length || list.some((x) => typeof x !== 'string')) return need(false, 'a CIDR block, range or address, or a list of them');
      for (const [i, x] of list.entries()) {
        try {
          const spec = parseToken(x as string, undefined, 'address block');
          if (spec.kind === 'name') c.add(Array.isArray(value) ? `${path}[${i}]` : path, `"${x}" is a host name; ${op} takes addresses, CIDR blocks and ranges`);
        } catch (err) {
          c.add(Array.isArray(value) ? `${path}[${i}]` : path, (err as Error).message);
        }
      }
    }
  }
}

function checkCondition(c: Checker, path: string, kind: RuleKind, node: unknown, ruleNames: ReadonlySet<string>): void {
  if (!isMap(node)) return c.add(path, `a condition is a mapping (all, any, not, rule, or field/op/value), not ${typeOf(node)}`);
  const keys = Object.keys(node);
  const combinator = keys.find((k) => k === 'all' || k === 'any' || k === 'not' || k === 'rule');
  if (combinator) {
    if (keys.length > 1) c.add(path, `"${combinator}" stands alone; also found ${keys.filter((k) => k !== combinator).map((k) => `"${k}"`).join(', ')}`);
    const v = node[combinator];
    if (combinator === 'not') return checkCondition(c, `${path}.not`, kind, v, ruleNames);
    if (combinator === 'rule') {
      if (typeof v !== 'string') return c.add(`${path}.rule`, `names another rule, not ${typeOf(v)}`);
      if (!ruleNames.has(v)) c.add(`${path}.rule`, `no rule named "${v}" in this file${didYouMean(v, [...ruleNames])}`);
      return;
    }
    if (!Array.isArray(v) || v.length === 0) return c.add(`${path}.${combinator}`, `needs a non-empty list of conditions, not ${typeOf(v)}`);
    v.forEach((child, i) => checkCondition(c, `${path}.${combinator}[${i}]`, kind, child, ruleNames));
    return;
  }
  for (const k of keys) if (!['field', 'op', 'value'].includes(k)) c.add(`${path}.${k}`, `unknown key "${k}"${didYouMean(k, ['field', 'op', 'value', 'all', 'any', 'not', 'rule'])}`);
  if (typeof node.field !== 'string') return c.add(`${path}.field`, node.field === undefined ? 'missing: a condition needs a field (or all/any/not/rule)' : `must be a field name, not ${typeOf(node.field)}`);
  const spec = fieldSpec(kind, node.field);
  if (!spec) return c.add(`${path}.field`, `unknown ${kind} field "${node.field}"${didYouMean(node.field, fieldNames(kind))}`);
  const ops = OPERATORS[spec.type];
  if (typeof node.op !== 'string') return c.add(`${path}.op`, node.op === undefined ? `missing: one of ${Object.keys(ops).join(', ')}` : `must be an operator name, not ${typeOf(node.op)}`);
  const shape = ops[node.op];
  if (!shape) {
    const anywhere = Object.values(OPERATORS).some((o) => node.op as string in o);
    return c.add(`${path}.op`, anywhere
      ? `operator "${node.op}" does not apply to ${node.field} (${spec.type}); use one of ${Object.keys(ops).join(', ')}`
      : `unknown operator "${node.op}"${didYouMean(node.op, Object.keys(ops))}`);
  }
  if (shape !== 'none' && node.value === undefined) return c.add(`${path}.value`, `missing: ${node.op} needs a value`);
  checkValue(c, `${path}.value`, shape, node.value, node.op);
}

function checkAction(c: Checker, path: string, node: unknown): Action | undefined {
  if (!isMap(node) || Object.keys(node).length !== 1) return void c.add(path, `an action is a mapping with one of ${ACTIONS.join(', ')}, not ${typeOf(node)}`);
  const [type, body] = Object.entries(node)[0]!;
  const str = (v: unknown, p: string, what: string): string | undefined => {
    if (typeof v === 'string' && v.trim() !== '') return v;
    c.add(p, v === undefined ? `missing: ${what}` : `${what}, not ${typeOf(v)}`);
    return undefined;
  };
  switch (type) {
    case 'group': return { type, name: str(body, `${path}.group`, 'a smart group name') ?? '' };
    case 'tag': return { type, tag: str(body, `${path}.tag`, 'a tag') ?? '' };
    case 'exclude': {
      const reason = isMap(body) ? body.reason : body;
      return { type, reason: str(reason, `${path}.exclude${isMap(body) ? '.reason' : ''}`, 'a reason') ?? '' };
    }
    case 'notify': {
      const url = str(isMap(body) ? body.url : body, `${path}.notify.url`, 'a webhook URL');
      if (url && !/^https?:\/\/[^\s/]+/.test(url)) c.add(`${path}.notify.url`, `"${url}" is not an http(s) URL`);
      return { type, url: url ?? '' };
    }
    case 'onboard': {
      if (!isMap(body)) return void c.add(`${path}.onboard`, `a mapping with workgroup (and policy, changeFrequencyDays, changeTime), not ${typeOf(body)}`);
      for (const k of Object.keys(body)) if (!['workgroup', 'policy', 'changeFrequencyDays', 'changeTime'].includes(k)) c.add(`${path}.onboard.${k}`, `unknown key "${k}"${didYouMean(k, ['workgroup', 'policy', 'changeFrequencyDays', 'changeTime'])}`);
      const workgroup = str(body.workgroup, `${path}.onboard.workgroup`, 'a workgroup name') ?? '';
      const policy = body.policy === undefined ? 'default' : str(body.policy, `${path}.onboard.policy`, 'a password policy name') ?? '';
      const days = body.changeFrequencyDays ?? 30;
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 3650) c.add(`${path}.onboard.changeFrequencyDays`, `a whole number of days from 1 to 3650, not ${typeOf(days)}`);
      const time = body.changeTime ?? '00:00';
      if (typeof time !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) c.add(`${path}.onboard.changeTime`, `a time of day HH:MM (24 h), not ${typeOf(time)}`);
      return { type, workgroup, policy, changeFrequencyDays: Number(days), changeTime: String(time) };
    }
    default:
      c.add(path, `unknown action "${type}"${didYouMean(type, ACTIONS)}`);
      return undefined;
  }
}

/** Checks a parsed rule document; returns the rules or every problem. */
export function checkRules(doc: unknown): { rules: Rule[]; problems: Problem[] } {
  const c = new Checker();
  if (!isMap(doc)) return { rules: [], problems: [{ path: '(document)', message: `a rule file is a mapping with schema and rules, not ${typeOf(doc)}` }] };
  if (doc.schema !== RULE_SCHEMA) c.add('schema', doc.schema === undefined ? `missing: this surveyor reads schema ${RULE_SCHEMA}` : `schema ${JSON.stringify(doc.schema)} is not one this surveyor reads (${RULE_SCHEMA})`);
  for (const k of Object.keys(doc)) if (k !== 'schema' && k !== 'rules') c.add(k, `unknown key "${k}"${didYouMean(k, ['schema', 'rules'])}`);
  const list = doc.rules;
  if (!Array.isArray(list)) {
    c.add('rules', `a list of rules, not ${typeOf(list)}`);
    return { rules: [], problems: c.problems };
  }
  const names = new Set<string>();
  for (const [i, r] of list.entries()) {
    if (isMap(r) && typeof r.name === 'string') {
      if (names.has(r.name)) c.add(`rules[${i}].name`, `"${r.name}" is the name of an earlier rule`);
      names.add(r.name);
    }
  }
  const rules: Rule[] = [];
  for (const [i, r] of list.entries()) {
    const path = `rules[${i}]`;
    if (!isMap(r)) {
      c.add(path, `a rule is a mapping, not ${typeOf(r)}`);
      continue;
    }
    for (const k of Object.keys(r)) if (!RULE_KEYS.includes(k)) c.add(`${path}.${k}`, `unknown key "${k}"${didYouMean(k, RULE_KEYS)}`);
    if (typeof r.name !== 'string' || !NAME.test(r.name)) c.add(`${path}.name`, r.name === undefined ? 'missing: every rule needs a name' : `${typeOf(r.name)} is not a rule name (letters, digits, blanks, ".", "_", "-"; at most 80)`);
    const kind = r.kind as RuleKind;
    if (!RULE_KINDS.includes(kind)) c.add(`${path}.kind`, r.kind === undefined ? 'missing: asset or account' : `${typeOf(r.kind)} is not asset or account${typeof r.kind === 'string' ? didYouMean(r.kind, [...RULE_KINDS]) : ''}`);
    if (r.enabled !== undefined && typeof r.enabled !== 'boolean') c.add(`${path}.enabled`, `true or false, not ${typeOf(r.enabled)}`);
    if (r.order !== undefined && (typeof r.order !== 'number' || !Number.isInteger(r.order))) c.add(`${path}.order`, `a whole number, not ${typeOf(r.order)}`);
    if (r.description !== undefined && typeof r.description !== 'string') c.add(`${path}.description`, `text, not ${typeOf(r.description)}`);
    if (r.when === undefined) c.add(`${path}.when`, 'missing: the condition that selects');
    else if (RULE_KINDS.includes(kind)) checkCondition(c, `${path}.when`, kind, r.when, names);
    const then = r.then;
    const actions: Action[] = [];
    if (!Array.isArray(then) || !then.length) c.add(`${path}.then`, then === undefined ? 'missing: a list of actions' : `a non-empty list of actions, not ${typeOf(then)}`);
    else for (const [j, a] of then.entries()) {
      const action = checkAction(c, `${path}.then[${j}]`, a);
      if (action) actions.push(action);
    }
    for (const type of ['onboard', 'exclude', 'notify'] as const) {
      if (actions.filter((a) => a.type === type).length > 1) c.add(`${path}.then`, `one ${type} action per rule (found ${actions.filter((a) => a.type === type).length})`);
    }
    if (kind === 'asset' && actions.some((a) => a.type === 'onboard')) c.add(`${path}.then`, 'onboard applies to accounts; an asset rule can group, tag, exclude or notify');
    rules.push({
      name: String(r.name), kind, enabled: r.enabled !== false, order: typeof r.order === 'number' ? r.order : i,
      ...(typeof r.description === 'string' ? { description: r.description } : {}), when: r.when as Condition, then: actions,
    });
  }
  for (const r of rules) {
    const cycle = referenceCycle(r.name, rules);
    if (cycle) c.add(`rules[${rules.indexOf(r)}].when`, `rule references form a cycle: ${cycle.join(' -> ')}`);
    for (const ref of references(r.when)) {
      const target = rules.find((x) => x.name === ref);
      if (target && target.kind !== r.kind) c.add(`rules[${rules.indexOf(r)}].when`, `references ${target.kind} rule "${ref}" from a ${r.kind} rule`);
    }
  }
  return { rules: c.problems.length ? [] : rules, problems: c.problems };
}

export function references(node: Condition): string[] {
  if ('rule' in node) return [node.rule];
  if ('not' in node) return references(node.not);
  if ('all' in node) return node.all.flatMap(references);
  if ('any' in node) return node.any.flatMap(references);
  return [];
}

function referenceCycle(start: string, rules: readonly Rule[]): string[] | null {
  const walk = (name: string, path: string[]): string[] | null => {
    const rule = rules.find((r) => r.name === name);
    if (!rule || !isMap(rule.when)) return null;
    for (const ref of references(rule.when)) {
      if (ref === start) return [...path, ref];
      if (path.includes(ref)) continue;
      const found = walk(ref, [...path, ref]);
      if (found) return found;
    }
    return null;
  };
  return walk(start, [start]);
}

/** Parses and checks a rule file; throws one InputError listing every problem with its path and line. */
export function parseRuleFile(text: string, file: string): Rule[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const list = doc.errors.map((e) => `  ${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new InputError(`${file}: ${doc.errors.length} syntax error(s):\n${list.join('\n')}`);
  }
  const { rules, problems } = checkRules(doc.toJS());
  if (problems.length) {
    const lineOf = (path: string): string => {
      const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((k) => k && k !== '(document)').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      for (let n = keys.length; n > 0; n--) {
        const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) return `:${lines.linePos(node.range[0]).line}`;
      }
      return '';
    };
    throw new InputError(`${file}: ${problems.length} problem(s), nothing applied:\n${problems.map((p) => `  ${p.path}: ${p.message}${lineOf(p.path) ? ` (line ${lineOf(p.path).slice(1)})` : ''}`).join('\n')}`);
  }
  return rules;
}

/** Reads and checks a rule file; an unreadable file is an InputError naming it. */
export function readRuleFile(path: string): { rules: Rule[]; text: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`rule file ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { rules: parseRuleFile(text, path), text };
}
