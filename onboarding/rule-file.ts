/**
 * Rule files (YAML or JSON, which is YAML too): read whole, checked whole, every problem reported with its path
 * (`rules[2].when.all[1].op: unknown operator "inside"; did you mean "in"?`) and, for YAML, its line. Nothing in a
 * file with a problem is applied.
 */
import { CST, Composer, Document, LineCounter, Parser, YAMLParseError } from 'yaml';
import { InputError } from '../scanner/errors.js';
import { parseToken } from '../scanner/targets/parse.js';
import { fieldNames, fieldSpec, OPERATORS, ValueShape } from './fields.js';
import { unsupportedRegex, compileRegex } from './patterns.js';
import { closest, didYouMean } from './suggest.js';

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

/** How deep conditions may nest, counting the conditions of the rules they reference: evaluation recurses as deep. */
export const MAX_CONDITION_DEPTH = 64;
/** How deep a rule file's YAML collections may nest (the YAML composer recurses as deep). */
export const MAX_YAML_NESTING = 64;
/** A YAML alias expands at most this many times (the billion-laughs attack). */
export const MAX_ALIAS_COUNT = 100;
/** A rule file's size limit, checked as it is read. */
export const MAX_RULE_FILE_BYTES = 16 * 1024 * 1024;
/**
 * "Did you mean" for an unknown rule reference compares with every rule name; past this many such suggestions in
 * one file, none are given, so a file of thousands of bad references costs linear time, not its square.
 */
const RULE_NAME_SUGGESTIONS = 100;

class Checker {
  readonly problems: Problem[] = [];
  private suggestionsLeft = RULE_NAME_SUGGESTIONS;
  private names: string[] | undefined;
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  suggestRule(given: string, names: ReadonlySet<string>): string {
    if (this.suggestionsLeft <= 0) return '';
    this.suggestionsLeft--;
    return didYouMean(given, (this.names ??= [...names]));
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
    case 'regex': {
      if (typeof value !== 'string') return need(false, 'a regular expression string');
      const why = unsupportedRegex(value);
      if (why) return c.add(path, `${JSON.stringify(value)}: ${why}: patterns run in linear time (RE2 syntax)`);
      try {
        compileRegex(value);
      } catch (err) {
        c.add(path, `bad regular expression ${JSON.stringify(value)} (RE2 syntax): ${(err as Error).message.replace(/^error parsing regexp: /, '')}`);
      }
      return;
    }
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

function checkCondition(c: Checker, path: string, kind: RuleKind, node: unknown, ruleNames: ReadonlySet<string>, depth = 1): void {
  if (depth > MAX_CONDITION_DEPTH) return c.add(path, `conditions nested deeper than ${MAX_CONDITION_DEPTH} levels`);
  if (!isMap(node)) return c.add(path, `a condition is a mapping (all, any, not, rule, or field/op/value), not ${typeOf(node)}`);
  const keys = Object.keys(node);
  const combinator = keys.find((k) => k === 'all' || k === 'any' || k === 'not' || k === 'rule');
  if (combinator) {
    if (keys.length > 1) c.add(path, `"${combinator}" stands alone; also found ${keys.filter((k) => k !== combinator).map((k) => `"${k}"`).join(', ')}`);
    const v = node[combinator];
    if (combinator === 'not') return checkCondition(c, `${path}.not`, kind, v, ruleNames, depth + 1);
    if (combinator === 'rule') {
      if (typeof v !== 'string') return c.add(`${path}.rule`, `names another rule, not ${typeOf(v)}`);
      if (!ruleNames.has(v)) c.add(`${path}.rule`, `no rule named "${v}" in this file${c.suggestRule(v, ruleNames)}`);
      return;
    }
    if (!Array.isArray(v) || v.length === 0) return c.add(`${path}.${combinator}`, `needs a non-empty list of conditions, not ${typeOf(v)}`);
    v.forEach((child, i) => checkCondition(c, `${path}.${combinator}[${i}]`, kind, child, ruleNames, depth + 1));
    return;
  }
  for (const k of keys) if (!['field', 'op', 'value'].includes(k)) c.add(`${path}.${k}`, `unknown key "${k}"${didYouMean(k, ['field', 'op', 'value', 'all', 'any', 'not', 'rule'])}`);
  if (typeof node.field !== 'string') return c.add(`${path}.field`, node.field === undefined ? 'missing: a condition needs a field (or all/any/not/rule)' : `must be a field name, not ${typeOf(node.field)}`);
  const spec = fieldSpec(kind, node.field);
  if (!spec) {
    c.add(`${path}.field`, `unknown ${kind} field "${node.field}"${didYouMean(node.field, fieldNames(kind))}`);
    // The operator is checked all the same (against every operator), so one run names both mistakes.
    const all = [...new Set(Object.values(OPERATORS).flatMap((o) => Object.keys(o)))];
    if (typeof node.op !== 'string') c.add(`${path}.op`, node.op === undefined ? 'missing: an operator (eq, in, glob, ...)' : `must be an operator name, not ${typeOf(node.op)}`);
    else if (!all.includes(node.op)) c.add(`${path}.op`, `unknown operator "${node.op}"${didYouMean(node.op, all)}`);
    return;
  }
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

/**
 * The kind a rule with a missing or misspelled kind most likely means: the one "did you mean" suggests, else the
 * one its condition and actions fit best (fewest problems; asset on a tie).
 */
function likelyKind(given: unknown, when: unknown, then: unknown, ruleNames: ReadonlySet<string>): RuleKind {
  const suggested = typeof given === 'string' ? closest(given, RULE_KINDS) : undefined;
  if (suggested) return suggested as RuleKind;
  const onboards = Array.isArray(then) && then.some((a) => isMap(a) && 'onboard' in a);
  const problems = (kind: RuleKind) => {
    const trial = new Checker();
    checkCondition(trial, 'when', kind, when, ruleNames);
    return trial.problems.length + (kind === 'asset' && onboards ? 1 : 0);
  };
  return RULE_KINDS.reduce((best, k) => (problems(k) < problems(best) ? k : best));
}

/** The problem of an onboard action naming a workgroup that does not exist, with the command that makes it. */
export function unknownWorkgroup(workgroup: string, known: readonly string[]): string {
  return `no workgroup "${workgroup}"${didYouMean(workgroup, [...known])}; add it with: surveyor workgroups add ${JSON.stringify(workgroup)} --site SITE`;
}

/**
 * Checks a parsed rule document; returns the rules or every problem. With `workgroups` (those of the database the
 * rules are for), an onboard action naming another workgroup is a problem too, reported with the rest.
 */
export function checkRules(doc: unknown, workgroups?: readonly string[]): { rules: Rule[]; problems: Problem[] } {
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
    const given = r.kind as RuleKind;
    if (!RULE_KINDS.includes(given)) c.add(`${path}.kind`, r.kind === undefined ? 'missing: asset or account' : `${typeOf(r.kind)} is not asset or account${typeof r.kind === 'string' ? didYouMean(r.kind, [...RULE_KINDS]) : ''}`);
    // A bad kind still gets its condition and actions checked, as the kind it most likely means, so that one run
    // names every problem.
    const kind = RULE_KINDS.includes(given) ? given : likelyKind(r.kind, r.when, r.then, names);
    if (r.enabled !== undefined && typeof r.enabled !== 'boolean') c.add(`${path}.enabled`, `true or false, not ${typeOf(r.enabled)}`);
    if (r.order !== undefined && (typeof r.order !== 'number' || !Number.isInteger(r.order))) c.add(`${path}.order`, `a whole number, not ${typeOf(r.order)}`);
    if (r.description !== undefined && typeof r.description !== 'string') c.add(`${path}.description`, `text, not ${typeOf(r.description)}`);
    if (r.when === undefined) c.add(`${path}.when`, 'missing: the condition that selects');
    else checkCondition(c, `${path}.when`, kind, r.when, names);
    const then = r.then;
    const actions: Action[] = [];
    if (!Array.isArray(then) || !then.length) c.add(`${path}.then`, then === undefined ? 'missing: a list of actions' : `a non-empty list of actions, not ${typeOf(then)}`);
    else for (const [j, a] of then.entries()) {
      const action = checkAction(c, `${path}.then[${j}]`, a);
      if (action) actions.push(action);
      if (action?.type === 'onboard' && action.workgroup && workgroups && !workgroups.includes(action.workgroup)) {
        c.add(`${path}.then[${j}].onboard.workgroup`, unknownWorkgroup(action.workgroup, workgroups));
      }
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
  checkReferences(c, rules);
  return { rules: c.problems.length ? [] : rules, problems: c.problems };
}

/**
 * A condition tree's depth (a leaf alone: 1) and its rule references with the depth each sits at. Iterative and
 * tolerant of any shape, since it also runs over conditions the checker refused.
 */
export function conditionShape(when: unknown): { depth: number; refs: Array<{ name: string; depth: number }> } {
  const refs: Array<{ name: string; depth: number }> = [];
  let depth = 0;
  const stack: Array<[unknown, number]> = [[when, 1]];
  while (stack.length) {
    const [node, d] = stack.pop()!;
    if (!isMap(node)) continue;
    depth = Math.max(depth, d);
    if (typeof node.rule === 'string') refs.push({ name: node.rule, depth: d });
    else if ('not' in node) stack.push([node.not, d + 1]);
    else for (const key of ['all', 'any']) {
      const list = node[key];
      if (Array.isArray(list)) for (let i = list.length - 1; i >= 0; i--) stack.push([list[i], d + 1]);
    }
  }
  refs.reverse();
  return { depth, refs };
}

/**
 * The checks over the graph of rule references, in time linear in the rules and references: cycles (Tarjan's
 * strongly connected components, iterative), references across kinds, and the depth a condition reaches through
 * the rules it references (evaluation recurses that deep).
 */
function checkReferences(c: Checker, rules: readonly Rule[]): void {
  const index = new Map<string, number>();
  rules.forEach((r, i) => {
    if (!index.has(r.name)) index.set(r.name, i);
  });
  const shapes = rules.map((r) => conditionShape(r.when));
  const edges = shapes.map((s) => s.refs.map((ref) => index.get(ref.name)).filter((x): x is number => x !== undefined));
  for (const [i, r] of rules.entries()) {
    for (const ref of shapes[i]!.refs) {
      const target = rules[index.get(ref.name) ?? -1];
      if (target && target.kind !== r.kind) c.add(`rules[${i}].when`, `references ${target.kind} rule "${ref.name}" from a ${r.kind} rule`);
    }
  }
  const components = stronglyConnected(edges);
  const cyclic = new Set<number>();
  for (const members of components) {
    if (members.length === 1 && !edges[members[0]!]!.includes(members[0]!)) continue;
    for (const m of members) cyclic.add(m);
    const cycles = cyclesThrough(members, edges);
    for (const m of [...members].sort((x, y) => x - y)) c.add(`rules[${m}].when`, `rule references form a cycle: ${cycles(m).map((x) => (x < 0 ? '...' : rules[x]!.name)).join(' -> ')}`);
  }
  // Components come out of Tarjan's algorithm in reverse topological order: a rule's targets are done before it.
  const reach = new Array<number>(rules.length).fill(0);
  for (const members of components) {
    if (cyclic.has(members[0]!)) continue;
    const i = members[0]!;
    let depth = shapes[i]!.depth;
    let viaDeep = false;
    for (const ref of shapes[i]!.refs) {
      const t = index.get(ref.name);
      if (t === undefined || cyclic.has(t)) continue;
      depth = Math.max(depth, ref.depth + reach[t]!);
      viaDeep ||= reach[t]! > MAX_CONDITION_DEPTH;
    }
    reach[i] = depth;
    // Reported where references cross the limit (checkCondition reports a rule deep by itself), not again at
    // every rule that references that one.
    if (depth > MAX_CONDITION_DEPTH && !viaDeep && shapes[i]!.depth <= MAX_CONDITION_DEPTH) c.add(`rules[${i}].when`, `conditions nested deeper than ${MAX_CONDITION_DEPTH} levels (through the rules it references: ${depth})`);
  }
}

/** Tarjan's strongly connected components without recursion (a chain of 100,000 references must not overflow). */
function stronglyConnected(edges: readonly (readonly number[])[]): number[][] {
  const n = edges.length;
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let next = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const work: Array<[number, number]> = [[root, 0]];
    order[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = true;
    while (work.length) {
      const frame = work[work.length - 1]!;
      const [v, e] = frame;
      if (e < edges[v]!.length) {
        frame[1]++;
        const w = edges[v]![e]!;
        if (order[w] === -1) {
          order[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = true;
          work.push([w, 0]);
        } else if (onStack[w]) low[v] = Math.min(low[v]!, order[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === order[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          members.push(w);
        } while (w !== v);
        out.push(members);
      }
    }
  }
  return out;
}

/** Rule names a cycle shows at most; a longer one is shown by its ends with "..." between. */
const CYCLE_SHOWN = 12;

/**
 * For each member of one strongly connected component, a cycle through it: the shortest way from it to the
 * component's first rule and back, from breadth-first trees both ways built once, so that writing a member's cycle
 * costs at most CYCLE_SHOWN steps and a component of 100,000 rules is reported in linear time. -1 marks "...".
 */
function cyclesThrough(members: readonly number[], edges: readonly (readonly number[])[]): (m: number) => number[] {
  const inside = new Set(members);
  const root = members.reduce((a, b) => Math.min(a, b));
  const reverse = new Map<number, number[]>();
  for (const v of members) for (const w of edges[v]!) if (inside.has(w)) (reverse.get(w) ?? reverse.set(w, []).get(w)!).push(v);
  const bfs = (next: (v: number) => readonly number[]) => {
    const parent = new Map<number, number>();
    const depth = new Map<number, number>([[root, 0]]);
    const queue = [root];
    for (let q = 0; q < queue.length; q++) {
      const v = queue[q]!;
      for (const w of next(v)) {
        if (inside.has(w) && !depth.has(w)) {
          parent.set(w, v);
          depth.set(w, depth.get(v)! + 1);
          queue.push(w);
        }
      }
    }
    return { parent, depth };
  };
  const down = bfs((v) => edges[v]!); // root -> v: parent is the rule before v
  const up = bfs((v) => reverse.get(v) ?? []); // v -> root: parent is the rule after v
  const half = CYCLE_SHOWN / 2;
  const shorten = (cycle: number[]) => (cycle.length <= CYCLE_SHOWN + 1 ? cycle : [...cycle.slice(0, half), -1, ...cycle.slice(-half)]);
  // The root's own cycle, written out once: through the rule it references that is nearest the way back.
  const next = edges[root]!.filter((w) => inside.has(w)).reduce((a, b) => (up.depth.get(b)! < up.depth.get(a)! ? b : a));
  const rootCycle = [root];
  for (let x = next; x !== root; x = up.parent.get(x)!) rootCycle.push(x);
  rootCycle.push(root);
  return (m) => {
    if (m === root) return shorten(rootCycle);
    // Any other member: m -> ... -> root along `up`, then root -> ... -> m along `down`, read back from m.
    const headLength = up.depth.get(m)! + 1;
    const tailLength = down.depth.get(m)!;
    const whole = headLength + tailLength <= CYCLE_SHOWN + 1;
    const head: number[] = [];
    for (let x = m; head.length < (whole ? headLength : Math.min(headLength, half)); x = up.parent.get(x)!) head.push(x);
    const tail: number[] = [];
    for (let y = m; y !== root && tail.length < (whole ? tailLength : half); y = down.parent.get(y)!) tail.unshift(y);
    return whole ? [...head, ...tail] : [...head, -1, ...tail];
  };
}

/**
 * The offset of the first YAML collection nested deeper than MAX_YAML_NESTING in a parsed token (the parser keeps
 * its own stack, so a deep file reaches here whole), or undefined. Walked with a stack, not recursion.
 */
function tooDeep(token: CST.Token): number | undefined {
  const stack: Array<[CST.Token | undefined, number]> = [[token, 0]];
  while (stack.length) {
    const [t, depth] = stack.pop()!;
    if (!t) continue;
    if (t.type === 'document') stack.push([t.value, depth]);
    else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > MAX_YAML_NESTING) return t.offset;
      for (const item of t.items) stack.push(['key' in item ? item.key ?? undefined : undefined, depth + 1], [item.value, depth + 1]);
    }
  }
  return undefined;
}

/** What the YAML parser's error codes mean, in the checker's words (the parser's own text follows in brackets). */
const YAML_ERRORS: Partial<Record<string, string>> = {
  BAD_INDENT: 'indentation: this line does not line up with the other keys or items of its mapping or list',
  TAB_AS_INDENT: 'a tab is used for indentation (YAML indents with spaces)',
  DUPLICATE_KEY: 'a key appears twice in one mapping',
  MISSING_CHAR: 'a character is missing here: a "-" before a list item, a ":" after a key, or a closing bracket, brace or quote',
  UNEXPECTED_TOKEN: 'something here does not belong to the structure around it (a stray character, or a list item or key indented wrongly)',
  MULTILINE_IMPLICIT_KEY: 'a key runs over more than one line (is a ":" or a closing quote missing on the line before?)',
  BLOCK_AS_IMPLICIT_KEY: 'a nested block stands where a key was expected (check the indentation)',
  MULTIPLE_DOCS: 'more than one YAML document ("---"): a rule file is one document',
  BAD_SCALAR_START: 'a value starts with a character YAML reserves (quote it)',
  BLOCK_IN_FLOW: 'a block (indented lines) inside { } or [ ]: write the nested value in { } or [ ] too',
};

/**
 * A JSON rule file is read as JSON, strictly: YAML would accept a trailing comma (and other mistakes JSON refuses)
 * without a word. Returns the problem, with its line and column, or undefined when the text is valid JSON.
 */
function jsonProblem(text: string, file: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    // Node names a position for some mistakes only; a trailing comma is found by looking for one.
    const trailing = /,\s*[\]}]/.exec(text);
    const isTrailing = trailing !== null && /Expected double-quoted property name|Unexpected token '?[\]}]/.test(message);
    const position = isTrailing ? trailing.index : Number(/position (\d+)/.exec(message)?.[1] ?? NaN);
    let where = '';
    if (Number.isFinite(position)) {
      const before = text.slice(0, position);
      where = `:${before.split('\n').length}:${position - before.lastIndexOf('\n')}`;
    }
    const what = isTrailing ? 'a comma before a closing bracket or brace (JSON allows no trailing comma)'
      : message.replace(/ in JSON at position \d+.*$/s, '').replace(/, ".*" is not valid JSON$/s, '');
    return `  ${file}${where}: ${what}`;
  }
}

/**
 * Parses and checks a rule file; throws one InputError listing every problem with its path and line. With
 * `workgroups`, onboard actions naming a workgroup not among them are problems too (see checkRules).
 */
export function parseRuleFile(text: string, file: string, workgroups?: readonly string[]): Rule[] {
  if (/\.json$/i.test(file)) {
    const problem = jsonProblem(text, file);
    if (problem) throw new InputError(`${file}: not valid JSON, nothing applied:\n${problem}`);
  }
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  for (const token of tokens) {
    const offset = tooDeep(token);
    if (offset !== undefined) throw new InputError(`${file}: nesting deeper than ${MAX_YAML_NESTING} levels (line ${lines.linePos(offset).line}), nothing applied`);
  }
  // parseDocument, on the tokens checked above.
  let doc: Document.Parsed | undefined;
  for (const d of new Composer({ uniqueKeys: true }).compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError(d.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  if (doc!.errors.length) {
    const list = doc!.errors.map((e) => {
      const own = YAML_ERRORS[e.code];
      const parser = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `  ${file}:${lines.linePos(e.pos[0]).line}: ${own ? `${own} [${parser}]` : parser}`;
    });
    throw new InputError(`${file}: ${doc!.errors.length} syntax error(s):\n${list.join('\n')}`);
  }
  let js: unknown;
  try {
    js = doc!.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ReferenceError) throw new InputError(`${file}: too many alias expansions (YAML aliases may expand ${MAX_ALIAS_COUNT} times in all), nothing applied`);
    throw err;
  }
  const { rules, problems } = checkRules(js, workgroups);
  if (problems.length) {
    const lineOf = (path: string): string => {
      const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((k) => k && k !== '(document)').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      for (let n = keys.length; n > 0; n--) {
        const node = doc!.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) return ` (line ${lines.linePos(node.range[0]).line})`;
      }
      return '';
    };
    throw new InputError(`${file}: ${problems.length} problem(s), nothing applied:\n${problems.map((p) => `  ${p.path}: ${p.message}${lineOf(p.path)}`).join('\n')}`);
  }
  return rules;
}
