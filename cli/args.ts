/** Command-line parsing on top of node:util parseArgs, turning every mistake into an InputError (exit 2). */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { InputError } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommand<T extends OptionSpec>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true as const, strict: true as const });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new InputError(`${command}: ${message} (see "surveyor ${command} --help")`);
  }
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

export const FORMATS = ['table', 'jsonl', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];
