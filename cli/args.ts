/** Command-line parsing on top of node:util parseArgs, turning every mistake into an InputError (exit 2). */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { InputError } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';
import { editDistance } from '../onboarding/suggest.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommand<T extends OptionSpec>(command: string, argv: string[], options: T) {
  checkOptionNames(command, argv, options);
  try {
    return parseArgs({ args: argv, options, allowPositionals: true as const, strict: true as const });
  } catch (err) {
    // main prefixes "surveyor COMMAND: "; Node's text starts with "Option '--x <value>'": say it in our words.
    const message = (err as Error).message.split('\n')[0]!
      .replace(/^Option '(-[^' ]+)(?: <value>)?' argument missing$/, 'option $1 needs a value')
      .replace(/^Option '(-[^' ]+)(?: <value>)?' argument is ambiguous\..*$/, (_, o: string) => `option ${o} needs a value (one that starts with "-" is written ${o}=VALUE)`);
    throw new InputError(`${message} (see "surveyor ${command} --help")`);
  }
}

/**
 * Refuses an option the command does not know before parseArgs sees it, naming it as typed and suggesting the
 * nearest known one (`unknown option "--port"; did you mean --ports?`). Values of string options are skipped, and
 * so is everything after `--`.
 */
function checkOptionNames(command: string, argv: readonly string[], options: OptionSpec): void {
  const shorts = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return;
    if (!arg.startsWith('-') || arg === '-') continue;
    let name: string | undefined;
    let attached = false;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const given = arg.slice(2, eq < 0 ? undefined : eq);
      if (Object.hasOwn(options, given)) name = given;
      attached = eq >= 0;
    } else {
      name = shorts.get(arg[1]!);
      attached = arg.length > 2;
      // `-ports 22` is a long option with one dash, not `-p orts`.
      const body = arg.slice(1).split('=')[0]!;
      if (body.length >= 4 && Object.keys(options).some((k) => editDistance(body.toLowerCase(), k) <= 1)) name = undefined;
    }
    if (name === undefined) {
      throw new InputError(`unknown option "${arg.split('=')[0]}"${nearestOption(arg, Object.keys(options))} (see "surveyor ${command} --help")`, { option: arg });
    }
    if (options[name]!.type === 'string' && !attached) i++;
  }
}

/** `; did you mean --ports?` for the known option nearest to what was typed (`--port`, `-ports`, `--Ports`). */
function nearestOption(arg: string, known: readonly string[]): string {
  const given = arg.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(given, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(given.length / 3)) ? `; did you mean --${best}?` : '';
}

/** An integer option: names the option, the accepted range and what was given. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.replace(/_/g, ''))) throw new InputError(`bad --${name} "${value}": expected a whole number from ${min} to ${max}`);
  const n = Number(value.replace(/_/g, ''));
  if (n < min || n > max) throw new InputError(`bad --${name} "${value}": expected a whole number from ${min} to ${max}`);
  return n;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration option in ms: `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds (as nmap takes them). */
export function durationOption(name: string, value: string | undefined, minMs: number, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS_MS[m[2] ?? 's']! : NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new InputError(`bad --${name} "${value}": expected a duration from ${minMs}ms to ${maxMs / 3_600_000}h, like 500ms, 5s, 2m or 1h`);
  }
  return Math.round(ms);
}

export function choiceOption<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new InputError(`bad --${name} "${value}": expected one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** One IPv4 or IPv6 address, as a positional or an option value (`what` names it in the message). */
export function addressArg(what: string, value: string | undefined): string {
  if (value === undefined || !parseAddress(value).ok) throw new InputError(`${what}: give one IPv4 or IPv6 address${value === undefined ? '' : ` (not "${value}")`}`);
  return value;
}

export { FORMATS, type Format } from '../app/formats.js';
