/**
 * The layers of ARCHITECTURE.md, checked from the sources' own imports: no import cycles, model/ imports
 * only model/, and every import points down or sideways: each top-level folder has a layer, and no file imports
 * from a folder of a higher one. Relative imports are read with a hand-written scanner (comments and the insides of strings,
 * templates and regular expressions cannot hold an import) and one regular expression over what is left.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository; this file runs as dist/test/imports.test.js and reads the TypeScript sources. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The layer of each top-level folder of the product, bottom up (ARCHITECTURE.md): a file may import from its own
 * layer and those below it. The application layer is `app/`; the CLI and the web server are its adapters.
 */
const LAYERS: Readonly<Record<string, number>> = {
  model: 1,
  scanner: 2, probes: 2, enum: 2, vault: 2,
  profiles: 3, onboarding: 3,
  store: 4,
  app: 5,
  cli: 6, web: 6,
};
const LAYER_NAMES = ['', 'model', 'wire and engine', 'profiles and onboarding', 'store', 'application', 'adapters'];
/** Folders beside the layers: the test lab and estates, benchmarks, fuzzers and tests may import any layer. */
const OUTSIDE = ['fixtures', 'bench', 'fuzz', 'test'];
const PRODUCT = Object.keys(LAYERS);
/** Code before a `/` after which the `/` starts a regular expression, not a division. */
const REGEX_AFTER_CHARS = new Set('(,=:[!&|?{};+-*%<>~^');
const REGEX_AFTER_WORDS = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);

/**
 * The code of a TypeScript file without comments, every string, template text and regular expression replaced by
 * a placeholder `\0N\0` (N indexes `strings`, which holds string contents; regular expressions hold null).
 */
function scan(text: string): { code: string; strings: Array<string | null> } {
  const strings: Array<string | null> = [];
  let code = '';
  const placeholder = (value: string | null) => {
    strings.push(value);
    code += `\0${strings.length - 1}\0`;
  };
  // template nesting: each entry is the brace depth at which a `${` expression returns to its template
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const readTemplateText = () => {
    // from just after a backtick or a `}` closing an expression, to the closing backtick or the next `${`
    let value = '';
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\\') {
        value += text.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        i++;
        break;
      } else if (c === '$' && text[i + 1] === '{') {
        i += 2;
        templates.push(depth);
        depth++;
        break;
      } else {
        value += c;
        i++;
      }
    }
    placeholder(value);
  };
  const lastSignificant = (): { char: string; word: string } => {
    const trimmed = code.trimEnd();
    const char = trimmed[trimmed.length - 1] ?? '';
    return { char, word: /[\w$]+$/.exec(trimmed)?.[0] ?? '' };
  };
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      code += ' ';
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\') {
          value += text.slice(i, i + 2);
          i += 2;
        } else value += text[i++];
      }
      i++;
      placeholder(value);
    } else if (c === '`') {
      i++;
      readTemplateText();
    } else if (c === '/') {
      const { char, word } = lastSignificant();
      const isRegex = char === '' || REGEX_AFTER_CHARS.has(char) || REGEX_AFTER_WORDS.has(word);
      if (!isRegex) {
        code += c;
        i++;
        continue;
      }
      i++;
      let inClass = false;
      while (i < text.length && text[i] !== '\n') {
        const r = text[i]!;
        if (r === '\\') i += 2;
        else {
          i++;
          if (r === '[') inClass = true;
          else if (r === ']') inClass = false;
          else if (r === '/' && !inClass) break;
        }
      }
      while (i < text.length && /[a-z]/i.test(text[i]!)) i++; // flags
      placeholder(null);
    } else if (c === '{') {
      depth++;
      code += c;
      i++;
    } else if (c === '}') {
      depth--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        readTemplateText();
      } else code += c;
    } else {
      code += c;
      i++;
    }
  }
  return { code, strings };
}

/** The specifiers of a file's static imports and exports-from (type-only ones too), and of `import('literal')`. */
function importSpecifiers(text: string): string[] {
  const { code, strings } = scan(text);
  const statement = /\b(?:import|export)\s*(?:type\b\s*)?(?:[\w$*{},\s]+?\bfrom\s*)?\0(\d+)\0/g;
  const dynamic = /\bimport\s*\(\s*\0(\d+)\0/g;
  const found: Array<[number, string]> = [];
  for (const re of [statement, dynamic]) {
    for (const m of code.matchAll(re)) {
      const value = strings[Number(m[1])];
      if (typeof value === 'string') found.push([m.index, value]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, specifier]) => specifier);
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** The file a relative specifier names, as a path from the root, or undefined when there is none. */
function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = resolve(ROOT, dirname(fromFile), specifier);
  const candidates = specifier.endsWith('.js') ? [base.slice(0, -3) + '.ts', base] : [base, base + '.ts', join(base, 'index.ts')];
  const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return hit === undefined ? undefined : toPosix(relative(ROOT, hit));
}

interface Graph {
  readonly files: readonly string[];
  /** Resolved relative imports of each product file (to any file of the tree). */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** Each product file's relative imports as written, with the file each names. */
  readonly imports: ReadonlyMap<string, ReadonlyArray<{ readonly specifier: string; readonly target: string }>>;
  /** Non-relative specifiers (packages, Node built-ins) of each product file. */
  readonly external: ReadonlyMap<string, readonly string[]>;
  readonly unresolved: readonly string[];
}

function readGraph(): Graph {
  const files: string[] = [];
  for (const folder of PRODUCT) {
    for (const entry of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) files.push(`${folder}/${toPosix(entry)}`);
    }
  }
  files.sort();
  const edges = new Map<string, string[]>();
  const imports = new Map<string, Array<{ specifier: string; target: string }>>();
  const external = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of files) {
    const to: string[] = [];
    const named: Array<{ specifier: string; target: string }> = [];
    const outside: string[] = [];
    for (const specifier of importSpecifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      if (!specifier.startsWith('.')) {
        outside.push(specifier);
        continue;
      }
      const target = resolveImport(file, specifier);
      if (target === undefined) unresolved.push(`${file}: ${specifier}`);
      else {
        named.push({ specifier, target });
        if (!to.includes(target)) to.push(target);
      }
    }
    edges.set(file, to);
    imports.set(file, named);
    external.set(file, outside);
  }
  return { files, edges, imports, external, unresolved };
}

/**
 * The import loops among the files of `edges`: the strongly connected groups (Tarjan), each printed as loops
 * `a.ts -> b.ts -> a.ts` that together pass through every file of the group.
 */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue; // a file outside the product folders
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (edges.get(v) ?? []).includes(v)) groups.push(group);
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  // a tangle can hold several loops: print the shortest through each file that no loop printed so far passes
  const cycles: string[] = [];
  for (const group of groups) {
    const members = new Set(group);
    const covered = new Set<string>();
    for (const start of [...group].sort()) {
      if (covered.has(start)) continue;
      const path = shortestLoop(edges, members, start);
      for (const f of path) covered.add(f);
      cycles.push(path.join(' -> '));
    }
  }
  return cycles.sort();
}

/** The shortest loop from `start` back to it through `members` (breadth first), as `start, ..., start`. */
function shortestLoop(edges: ReadonlyMap<string, readonly string[]>, members: ReadonlySet<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  search: while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (w === start) {
        cameFrom.set(start, v);
        break search;
      }
      if (!members.has(w) || cameFrom.has(w)) continue;
      cameFrom.set(w, v);
      queue.push(w);
    }
  }
  const path = [start];
  for (let v = cameFrom.get(start)!; v !== start; v = cameFrom.get(v)!) path.unshift(v);
  path.unshift(start);
  return path;
}

/** The layer of a path's top-level folder; undefined outside the layers. */
function layerOf(path: string, layers: Readonly<Record<string, number>>): number | undefined {
  return layers[path.split('/')[0]!];
}

/**
 * Every import that points up: from a file of one layer to a file of a higher one, printed as
 * `file (layer) imports 'specifier' = target (layer)`.
 */
function upwardImports(
  imports: ReadonlyMap<string, ReadonlyArray<{ readonly specifier: string; readonly target: string }>>,
  layers: Readonly<Record<string, number>>,
  names: readonly string[] = LAYER_NAMES,
): string[] {
  const wrong: string[] = [];
  for (const [file, list] of imports) {
    const from = layerOf(file, layers);
    if (from === undefined) continue;
    for (const { specifier, target } of list) {
      const to = layerOf(target, layers);
      if (to !== undefined && to > from) wrong.push(`${file} (${from} ${names[from] ?? ''}) imports '${specifier}' = ${target} (${to} ${names[to] ?? ''})`);
    }
  }
  return wrong.sort();
}

const graph = readGraph();
const under = (file: string, folders: readonly string[]) => folders.some((f) => file.startsWith(f));

test('the import scanner: comments, strings, templates and regular expressions hide no import; every form is read', (t) => {
  const text = [
    "import type { A } from './a.js';",
    'import d, {',
    '  e, // a comment',
    '  type F, /* another */',
    '} from "./d.js";',
    "import * as ns from './ns.js';",
    "import './side-effect.js';",
    "export * from './b.js';",
    "export type { C } from './c.js';",
    "export { g as h } from './g.js';",
    "// import x from './commented.js';",
    "/* import y from './block.js'; */",
    "const s = \"import z from './in-string.js'\";",
    "const u = `import w from './in-template.js' ${`nested ${'./expr.js'}`}`;",
    "const re = /['\"`]import v from '.\\/in-regex.js'[/]/g;",
    'const q = a / b / c;',
    "export function f(from: number): string { return 'x'; }",
    'const lazy = () => import(\'./lazy.js\');',
    'const url = new URL(\'./not-an-import.js\', import.meta.url);',
    "export const last = 1; import type { Z } from './after-all.js';",
  ].join('\n');
  t.deepEqual(importSpecifiers(text), ['./a.js', './d.js', './ns.js', './side-effect.js', './b.js', './c.js', './g.js', './lazy.js', './after-all.js']);
});

test('the import scanner finds cycles and prints each as a loop of files', (t) => {
  const edges = new Map<string, string[]>([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts', 'outside.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['d.ts']],
    ['e.ts', ['a.ts', 'f.ts']],
    ['f.ts', ['e.ts']],
    ['g.ts', ['h.ts']],
    ['h.ts', ['g.ts', 'i.ts']],
    ['i.ts', ['h.ts']],
  ]);
  // g and h, and h and i, import each other: one tangle, two loops
  t.deepEqual(findCycles(edges), ['a.ts -> b.ts -> c.ts -> a.ts', 'd.ts -> d.ts', 'e.ts -> f.ts -> e.ts', 'g.ts -> h.ts -> g.ts', 'i.ts -> h.ts -> i.ts']);
  t.deepEqual(findCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]])), []);
});

test('every product file is read and every relative import names a file', (t) => {
  t.true(graph.files.length > 100, `only ${graph.files.length} files read`);
  t.true(graph.files.some((f) => f.startsWith('model/')));
  // one import type, one export-from, one plain import, as the sources say them today
  t.true(graph.edges.get('store/store.ts')?.includes('model/onboarding.ts'));
  t.true(graph.edges.get('store/open-store.ts')?.includes('store/sqlite-inspect.ts'));
  t.true(graph.edges.get('onboarding/plan.ts')?.includes('onboarding/decide.ts'));
  t.deepEqual(graph.unresolved, []);
});

test('no import cycles among the product files', (t) => {
  const cycles = findCycles(graph.edges);
  t.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
});

test('model/ imports nothing but model/: no other folder, no package, no Node built-in', (t) => {
  const wrong: string[] = [];
  for (const file of graph.files.filter((f) => f.startsWith('model/'))) {
    for (const target of graph.edges.get(file) ?? []) if (!target.startsWith('model/')) wrong.push(`${file} -> ${target}`);
    for (const specifier of graph.external.get(file) ?? []) wrong.push(`${file} -> ${specifier}`);
  }
  t.deepEqual(wrong, [], `model/ imports from outside model/:\n${wrong.join('\n')}`);
});

test('the layer check names each import that points up, with its file, its specifier and both layers', (t) => {
  const layers = { low: 1, mid: 2, top: 3 };
  const imports = new Map([
    ['low/a.ts', [{ specifier: '../mid/b.js', target: 'mid/b.ts' }, { specifier: './c.js', target: 'low/c.ts' }]],
    ['mid/b.ts', [{ specifier: '../low/c.js', target: 'low/c.ts' }, { specifier: '../outside/x.js', target: 'outside/x.ts' }]],
    ['mid/d.ts', [{ specifier: '../top/e.js', target: 'top/e.ts' }]],
    ['top/e.ts', [{ specifier: '../low/a.js', target: 'low/a.ts' }]],
    ['outside/x.ts', [{ specifier: '../top/e.js', target: 'top/e.ts' }]],
  ]);
  t.deepEqual(upwardImports(imports, layers, ['', 'low', 'mid', 'top']), [
    "low/a.ts (1 low) imports '../mid/b.js' = mid/b.ts (2 mid)",
    "mid/d.ts (2 mid) imports '../top/e.js' = top/e.ts (3 top)",
  ]);
});

test('every top-level folder of TypeScript sources has a layer or stands outside them', (t) => {
  const unplaced = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !['node_modules', 'dist'].includes(d.name))
    .filter((d) => readdirSync(join(ROOT, d.name), { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.ts')))
    .map((d) => d.name)
    .filter((name) => !(name in LAYERS) && !OUTSIDE.includes(name));
  t.deepEqual(unplaced, [], `give these folders a layer in LAYERS, or list them in OUTSIDE: ${unplaced.join(', ')}`);
});

test('no import points up: model < scanner, probes, enum, vault < profiles, onboarding < store < app < cli, web', (t) => {
  const wrong = upwardImports(graph.imports, LAYERS);
  t.deepEqual(wrong, [], `imports that point up a layer:\n${wrong.join('\n')}`);
});

test('the product imports nothing from the tests, benchmarks or fuzzers', (t) => {
  const wrong: string[] = [];
  for (const [file, list] of graph.imports) {
    for (const { specifier, target } of list) if (under(target, ['test/', 'bench/', 'fuzz/'])) wrong.push(`${file} imports '${specifier}' = ${target}`);
  }
  t.deepEqual(wrong, [], wrong.join('\n'));
});

test('the two adapters stay apart: web/ imports nothing from cli/, and cli/ only web/server.ts (to start it)', (t) => {
  const wrong: string[] = [];
  for (const [file, list] of graph.imports) {
    for (const { specifier, target } of list) {
      if (file.startsWith('web/') && target.startsWith('cli/')) wrong.push(`${file} imports '${specifier}' = ${target}`);
      if (file.startsWith('cli/') && target.startsWith('web/') && target !== 'web/server.ts') wrong.push(`${file} imports '${specifier}' = ${target}`);
    }
  }
  t.deepEqual(wrong, [], wrong.join('\n'));
  t.true(graph.files.some((f) => f.startsWith('web/')), 'web/ is read');
});
