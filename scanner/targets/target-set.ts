/**
 * Builds the set of addresses a scan will visit: include tokens minus exclude tokens, per family, merged so that
 * each address is visited once, with a scope guard on the total. Names are resolved here, before anything is
 * scanned or written, so a bad name fails the whole command up front.
 */
import { lookup } from 'node:dns/promises';
import PQueue from 'p-queue';
import { badToken, InputError } from '../errors.js';
import { Family, formatAddress, parseAddress } from './ip.js';
import { Interval, iterateShard, normalize, sizeOf, subtract } from './interval-set.js';
import { intervalsOf, parseToken, TargetSpec, tokenize, readListFile } from './parse.js';

/** Resolves a host name to every address it has (A and AAAA). Injectable so tests need no DNS traffic. */
export type Resolver = (name: string) => Promise<string[]>;

export const systemResolver: Resolver = async (name) =>
  (await lookup(name, { all: true, verbatim: true })).map((entry) => entry.address);

export interface TargetSetOptions {
  /** Target arguments as given (tokens, comma lists, `@file`). */
  include: readonly string[];
  /** Exclusion arguments, same syntax. @default [] */
  exclude?: readonly string[];
  /** Files of exclusions, one a line. @default [] */
  excludeFiles?: readonly string[];
  /** Refuse more addresses than this. @default 65536 */
  maxHosts?: number;
  /** @default systemResolver */
  resolver?: Resolver;
  /** Concurrent name look-ups. @default 16 */
  resolveConcurrency?: number;
}

export const DEFAULT_MAX_HOSTS = 65_536;

export interface TargetSet {
  readonly v4: readonly Interval[];
  readonly v6: readonly Interval[];
  readonly total: number;
  /** Host names that resolved to an address, keyed by canonical address text. */
  readonly names: ReadonlyMap<string, readonly string[]>;
}

async function toIntervals(specs: TargetSpec[], resolver: Resolver, concurrency: number, names?: Map<string, string[]>) {
  const byFamily: Record<Family, Interval[]> = { 4: [], 6: [] };
  const queue = new PQueue({ concurrency });
  const lookups: Promise<void>[] = [];
  for (const spec of specs) {
    if (spec.kind !== 'name') {
      byFamily[spec.family].push(...intervalsOf(spec));
      continue;
    }
    lookups.push(
      queue.add(async () => {
        let found: string[];
        try {
          found = await resolver(spec.name);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          throw badToken('target', spec.token, `host name cannot be resolved (${code})`, spec.where);
        }
        if (found.length === 0) throw badToken('target', spec.token, 'host name resolved to no address', spec.where);
        for (const text of found) {
          const parsed = parseAddress(text);
          if (!parsed.ok) continue; // a resolver never returns junk, but a hostile /etc/hosts might
          const a = parsed.address;
          byFamily[a.family].push({ lo: a.value, hi: a.value });
          if (names) {
            const key = formatAddress(a);
            const list = names.get(key) ?? [];
            if (!list.includes(spec.name)) list.push(spec.name);
            names.set(key, list);
          }
        }
      }) as Promise<void>,
    );
  }
  await Promise.all(lookups);
  return { 4: normalize(byFamily[4]), 6: normalize(byFamily[6]) };
}

export async function buildTargetSet(options: TargetSetOptions): Promise<TargetSet> {
  const resolver = options.resolver ?? systemResolver;
  const concurrency = options.resolveConcurrency ?? 16;
  const maxHosts = options.maxHosts ?? DEFAULT_MAX_HOSTS;
  if (!Number.isSafeInteger(maxHosts) || maxHosts < 1) throw new InputError(`bad --max-hosts "${maxHosts}": must be a positive integer`);
  const includeTokens = tokenize(options.include);
  if (includeTokens.length === 0) throw new InputError('no targets given: name at least one address, block, range, host name or @file');
  const excludeTokens = [
    ...tokenize(options.exclude ?? [], 'exclusion'),
    ...(options.excludeFiles ?? []).flatMap((f) => readListFile(f, 'exclusion')),
  ];
  // Parse every token before resolving any name, so a syntax error is reported without a DNS round trip.
  const includeSpecs = parseAll(includeTokens);
  const excludeSpecs = parseAll(excludeTokens);
  const names = new Map<string, string[]>();
  const [inc, exc] = await Promise.all([
    toIntervals(includeSpecs, resolver, concurrency, names),
    toIntervals(excludeSpecs, resolver, concurrency),
  ]);
  const v4 = subtract(inc[4], exc[4]);
  const v6 = subtract(inc[6], exc[6]);
  const total = sizeOf(v4) + sizeOf(v6);
  if (total > BigInt(maxHosts)) {
    throw new InputError(
      `the targets hold ${total} addresses, more than --max-hosts ${maxHosts}: narrow the targets or raise --max-hosts`,
      { total: total.toString(), maxHosts },
    );
  }
  if (total === 0n) throw new InputError('the exclusions remove every target: nothing is left to scan');
  for (const key of [...names.keys()]) {
    const parsed = parseAddress(key);
    if (parsed.ok && !contains(parsed.address.family === 4 ? v4 : v6, parsed.address.value)) names.delete(key);
  }
  return { v4, v6, total: Number(total), names };
}

/** Parses every token and reports every bad one at once, so a long list is fixed in one pass. */
function parseAll(tokens: ReadonlyArray<{ token: string; where?: string }>): TargetSpec[] {
  const specs: TargetSpec[] = [];
  const errors: InputError[] = [];
  for (const t of tokens) {
    try {
      specs.push(parseToken(t.token, t.where));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) {
    const shown = errors.slice(0, 20).map((e) => `  ${e.message}`);
    if (errors.length > 20) shown.push(`  ... and ${errors.length - 20} more`);
    throw new InputError(`${errors.length} bad targets:\n${shown.join('\n')}`, { count: errors.length });
  }
  return specs;
}

function contains(intervals: readonly Interval[], value: bigint): boolean {
  return intervals.some((r) => r.lo <= value && value <= r.hi);
}

/** Every address of the set as text, IPv4 first; a stream, never a materialised list. */
export function* addressesOf(set: Pick<TargetSet, 'v4' | 'v6'>, shard = 0, shards = 1): Generator<string> {
  for (const value of iterateShard(set.v4, shard, shards)) {
    const n = Number(value);
    yield `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  for (const value of iterateShard(set.v6, shard, shards)) yield formatAddress({ family: 6, value });
}
