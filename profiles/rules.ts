/**
 * Fingerprint rules as data (profiles/rules/*.rules): each rule reads one piece of evidence, matches a regular
 * expression and yields a service with product, version, OS and device facts and a confidence. The whole file is
 * validated at load and every error names the file and line.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVICES, ServiceName } from '../model/service.js';
import { InputError } from '../scanner/errors.js';

export const FIELDS = ['product', 'version', 'info', 'osfamily', 'osname', 'osversion', 'devicetype', 'cpe', 'confidence'] as const;
export type Field = Exclude<(typeof FIELDS)[number], 'confidence'>;

export interface Rule {
  readonly source: string;
  readonly service: ServiceName | null;
  readonly pattern: RegExp;
  readonly fields: Readonly<Partial<Record<Field, string>>>;
  readonly confidence: number;
  /** `file:line`, for explanations. */
  readonly where: string;
  readonly order: number;
}

/** What a rule concluded from one text. */
export interface Claim {
  readonly service: ServiceName | null;
  readonly facts: Readonly<Partial<Record<Field, string>>>;
  readonly confidence: number;
  readonly rule: string;
  readonly order: number;
}

/** Splits a rule line into tokens: bare words, `key=value`, `key="quoted value"`, and the `m<d>...<d>flags` pattern. */
function tokenize(line: string, where: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ' || line[i] === '\t') {
      i++;
      continue;
    }
    if (line[i] === 'm' && tokens.length === 2) {
      const d = line[i + 1];
      if (!d || /[\w\s]/.test(d)) throw new InputError(`${where}: the pattern must look like m|regex| (any non-word delimiter)`);
      const end = line.indexOf(d, i + 2);
      if (end < 0) throw new InputError(`${where}: the pattern has no closing ${d}`);
      let j = end + 1;
      while (j < line.length && /[a-z]/.test(line[j]!)) j++;
      tokens.push(line.slice(i, j));
      i = j;
      continue;
    }
    let j = i;
    let quoted = false;
    while (j < line.length && (quoted || (line[j] !== ' ' && line[j] !== '\t'))) {
      if (line[j] === '"') quoted = !quoted;
      j++;
    }
    if (quoted) throw new InputError(`${where}: unterminated quote`);
    tokens.push(line.slice(i, j));
    i = j;
  }
  return tokens;
}

export function parseRules(text: string, file: string, firstOrder = 0): Rule[] {
  const rules: Rule[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      const tokens = tokenize(line, where);
      const [source, service, pattern, ...assignments] = tokens;
      if (!source || !service || !pattern) throw new InputError(`${where}: a rule needs SOURCE SERVICE m|REGEX| [FIELD=VALUE ...]`);
      if (!/^[a-z][\w.-]*$/i.test(source)) throw new InputError(`${where}: bad source "${source}"`);
      if (service !== '-' && !(SERVICES as readonly string[]).includes(service)) {
        throw new InputError(`${where}: unknown service "${service}" (known: ${SERVICES.join(', ')})`);
      }
      const d = pattern[1]!;
      const close = pattern.lastIndexOf(d);
      const flags = pattern.slice(close + 1);
      if (!/^i?$/.test(flags)) throw new InputError(`${where}: unknown regex flags "${flags}" (only i)`);
      let regex: RegExp;
      try {
        regex = new RegExp(pattern.slice(2, close), flags);
      } catch (err) {
        throw new InputError(`${where}: bad regular expression: ${(err as Error).message}`);
      }
      const groups = new RegExp(`${regex.source}|`).exec('')!.length - 1;
      const fields: Partial<Record<Field, string>> = {};
      let confidence = 80;
      for (const a of assignments) {
        const eq = a.indexOf('=');
        if (eq <= 0) throw new InputError(`${where}: "${a}" is not FIELD=VALUE`);
        const key = a.slice(0, eq);
        let value = a.slice(eq + 1);
        if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
        if (!(FIELDS as readonly string[]).includes(key)) throw new InputError(`${where}: unknown field "${key}" (known: ${FIELDS.join(', ')})`);
        for (const ref of value.matchAll(/\$(\d)/g)) {
          if (Number(ref[1]) > groups) throw new InputError(`${where}: ${key} uses $${ref[1]} but the regex has ${groups} group(s)`);
        }
        if (key === 'confidence') {
          if (!/^\d{1,3}$/.test(value) || Number(value) > 100) throw new InputError(`${where}: confidence must be 0-100, not "${value}"`);
          confidence = Number(value);
        } else fields[key as Field] = value;
      }
      rules.push({ source, service: service === '-' ? null : (service as ServiceName), pattern: regex, fields, confidence, where, order: firstOrder + rules.length });
    } catch (err) {
      if (err instanceof InputError) errors.push(err.message);
      else throw err;
    }
  });
  if (errors.length) throw new InputError(`${errors.length} bad rule(s):\n  ${errors.join('\n  ')}`);
  return rules;
}

export function loadRules(path: string, firstOrder = 0): Rule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`rules file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseRules(text, path.replace(/^.*\//, ''), firstOrder);
}

let builtIn: Rule[] | null = null;

/** The rules shipped with surveyor (profiles/rules/services.rules), loaded once. */
export function builtInRules(): Rule[] {
  builtIn ??= loadRules(fileURLToPath(new URL('../../profiles/rules/services.rules', import.meta.url)));
  return builtIn;
}

/** Every claim the rules make about the texts seen on one port (source -> texts). */
export function applyRules(rules: readonly Rule[], texts: ReadonlyMap<string, readonly string[]>): Claim[] {
  const claims: Claim[] = [];
  for (const rule of rules) {
    for (const text of texts.get(rule.source) ?? []) {
      const m = rule.pattern.exec(text);
      if (!m) continue;
      const facts: Partial<Record<Field, string>> = {};
      for (const [key, template] of Object.entries(rule.fields) as Array<[Field, string]>) {
        let empty = false;
        const value = template.replace(/\$(\d)/g, (_, n: string) => {
          const g = m[Number(n)];
          if (g === undefined || g === '') empty = true;
          return g ?? '';
        });
        if (!empty && value !== '') facts[key] = value;
      }
      claims.push({ service: rule.service, facts, confidence: rule.confidence, rule: rule.where, order: rule.order });
      break; // one claim per rule and port
    }
  }
  return claims;
}

/** The deterministic order of claims: highest confidence, then most facts, then the earlier rule. */
export function compareClaims(a: Claim, b: Claim): number {
  return b.confidence - a.confidence || Object.keys(b.facts).length - Object.keys(a.facts).length || a.order - b.order;
}
