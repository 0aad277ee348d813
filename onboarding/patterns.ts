/**
 * The two pattern operators, `glob` and `matches`, over names that scanned hosts report: a hostile host chooses
 * them, so neither may take more than linear time (glob: O(name x pattern) at worst) whatever the name.
 */
import { RE2JS } from 're2js';

const STAR = -1;
const ANY = -2;

/**
 * One UTF-16 code unit folded for case-insensitive comparison, as a RegExp with the `i` flag and without `u` folds it
 * (ECMAScript Canonicalize): the upper case when that is one code unit, and no non-ASCII letter folded onto ASCII.
 */
function foldUnit(c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c;
  const upper = String.fromCharCode(c).toUpperCase();
  if (upper.length !== 1) return c;
  const u = upper.charCodeAt(0);
  return u < 128 ? c : u;
}

/**
 * A `glob` pattern as a test: `*` any run (the empty one too), `?` one character (a UTF-16 code unit, line breaks
 * too), everything else literal, case-insensitive (as Windows and PAM products match names), the whole name.
 *
 * Names come from scanned hosts, so a hostile host chooses them: the matcher is iterative, not a backtracking regular
 * expression. It is the classic two-pointer algorithm: on a mismatch it goes back to the last `*` only and lets it
 * take one more character, never to an earlier star, so a test costs O(name x pattern) steps at worst and usually
 * O(name), where a regular expression of `*a*a*a...` costs exponential time.
 */
export function globMatcher(glob: string): (name: string) => boolean {
  const pattern: number[] = [];
  for (let j = 0; j < glob.length; j++) {
    const c = glob.charCodeAt(j);
    const unit = c === 42 ? STAR : c === 63 ? ANY : foldUnit(c);
    if (unit === STAR && pattern[pattern.length - 1] === STAR) continue; // a run of stars is one star
    pattern.push(unit);
  }
  const m = pattern.length;
  return (name) => {
    const n = name.length;
    let i = 0;
    let j = 0;
    let star = -1; // the pattern position of the last star seen
    let resume = 0; // where the name goes on when that star takes one more character
    while (i < n) {
      if (j < m) {
        const p = pattern[j]!;
        if (p === STAR) {
          star = j++;
          resume = i;
          continue;
        }
        if (p === ANY || p === foldUnit(name.charCodeAt(i))) {
          i++;
          j++;
          continue;
        }
      }
      if (star < 0) return false;
      j = star + 1;
      i = ++resume;
    }
    while (j < m && pattern[j] === STAR) j++;
    return j === m;
  };
}

/** Why RE2 cannot run a pattern, for the constructs a backtracking engine has and RE2 lacks; undefined otherwise. */
export function unsupportedRegex(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<'))) return 'backreferences are not supported';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) i += pattern[i + 1] === '^' ? 2 : 1;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const kind = pattern.slice(i + 2, i + 4);
      if (kind[0] === '=' || kind[0] === '!') return 'lookahead is not supported';
      if (kind === '<=' || kind === '<!') return 'lookbehind is not supported';
    }
  }
  return undefined;
}

/**
 * A `matches` pattern compiled for RE2 (re2js, a port of Go's regexp): linear time in the name whatever the pattern.
 * JavaScript's `\uXXXX` and `(?<name>...)` are translated to their RE2 spelling. Throws on what RE2 cannot express;
 * the rule checker refuses those first with the reason.
 */
export function compileRegex(pattern: string): RE2JS {
  const why = unsupportedRegex(pattern);
  if (why) throw new Error(`${why}: patterns run in linear time (RE2 syntax)`);
  return RE2JS.compile(RE2JS.translateRegExp(pattern));
}
