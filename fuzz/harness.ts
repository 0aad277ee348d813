/**
 * The fuzzing harness every campaign shares (`npm run fuzz`, and the codec tests that fuzz their own decoders): a
 * target is a decoder with valid seed messages; a campaign feeds it the seeds and then seeded mutations of them.
 * A decoder may return or throw an allowed error (ProbeError, InputError); any other exception is a crash, and an
 * input slower than HANG_MS every time it is tried is a hang. Deterministic for a seed.
 */
import { prng } from '../fixtures/estate/plan.js';
import { ProbeError } from '../probes/core/outcome.js';
import { InputError } from '../scanner/errors.js';

/**
 * Where a codec keeps its lengths, counts and offsets, so that mutations aim at them: the byte order (`le`: SMB2,
 * DCE/RPC, NDR; `mixed`: 16-bit little-endian and 32-bit big-endian writes, for the older probes' mixed formats),
 * the values to write, offsets to hit more often (DCE/RPC's frag_length and auth_length), and how many leading bytes
 * most writes land in (a header).
 */
export interface Mutation {
  readonly order?: 'le' | 'mixed';
  readonly hostile?: readonly number[];
  readonly hot?: readonly number[];
  readonly head?: number;
}

export interface FuzzTarget {
  readonly name: string;
  readonly seeds: readonly Buffer[];
  readonly run: (input: Buffer) => unknown;
  readonly mutation?: Mutation;
}

/** The targets of one codec family, each aimed as `mutation` says (unless it says otherwise itself). */
export function withMutation(mutation: Mutation, targets: readonly FuzzTarget[]): FuzzTarget[] {
  return targets.map((t) => ({ ...t, mutation: t.mutation ?? mutation }));
}

/** An input that takes longer than this, every time, is a hang. */
export const HANG_MS = 100;

const HOSTILE = [0, 1, 2, 7, 8, 15, 16, 63, 64, 0x7f, 0x80, 0x81, 0x84, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

const noise = (random: () => number, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

/** One mutation of a seed: bit flips, truncation, insertion, a hostile field value, duplication, or noise. */
export function mutate(seed: Buffer, random: () => number, m: Mutation = {}): Buffer {
  const b = Buffer.from(seed);
  const at = () => Math.floor(random() * Math.max(1, b.length));
  const choice = random();
  if (choice < 0.2) {
    for (let i = 0, n = 1 + Math.floor(random() * 8); i < n && b.length; i++) b[at()]! ^= 1 << Math.floor(random() * 8);
    return b;
  }
  if (choice < 0.35) return b.subarray(0, at());
  if (choice < 0.5) {
    const i = at();
    return Buffer.concat([b.subarray(0, i), noise(random, 1 + Math.floor(random() * 32)), b.subarray(i)]);
  }
  if (choice < 0.8) {
    const values = m.hostile ?? HOSTILE;
    const v = values[Math.floor(random() * values.length)]!;
    const width = m.order === 'mixed' ? (random() < 0.5 ? 2 : 4) : [1, 2, 4][Math.floor(random() * 3)]!;
    const limit = m.head !== undefined && random() < 0.7 ? Math.min(b.length, m.head) : b.length;
    if (limit < width) return b;
    const hot = m.hot?.length && random() < 0.2 ? m.hot[Math.floor(random() * m.hot.length)]! : undefined;
    const i = Math.min(hot ?? Math.floor(random() * (limit - width + 1)), b.length - width);
    if (width === 1) b[i] = v & 0xff;
    else if (width === 2) b.writeUInt16LE(v & 0xffff, i);
    else if (m.order === 'mixed') b.writeUInt32BE(v >>> 0, i);
    else b.writeUInt32LE(v >>> 0, i);
    return b;
  }
  if (choice < 0.9) return Buffer.concat([b, b.subarray(0, at())]);
  return noise(random, Math.floor(random() * 600));
}

export interface CampaignResult {
  readonly inputs: number;
  readonly accepted: number;
  /** The first few crashes: the input (hex, cut) and the stack. */
  readonly crashes: readonly string[];
  readonly crashCount: number;
  readonly hangs: number;
  readonly worstMs: number;
  readonly seconds: number;
}

const allowed = (err: unknown) => err instanceof ProbeError || err instanceof InputError;

/** Runs `target` over its seeds, then mutations of them, `inputs` in all. */
export function runCampaign(target: FuzzTarget, inputs = 100_000, seed = 1): CampaignResult {
  const random = prng(seed + target.name.length);
  const started = performance.now();
  const crashes: string[] = [];
  let crashCount = 0;
  let hangs = 0;
  let accepted = 0;
  let worstMs = 0;
  const once = (input: Buffer): { ms: number; error?: unknown } => {
    const t0 = performance.now();
    try {
      target.run(input);
      return { ms: performance.now() - t0 };
    } catch (error) {
      return { ms: performance.now() - t0, error: error ?? new Error('threw nothing') };
    }
  };
  for (let i = 0; i < inputs; i++) {
    const s = target.seeds[i % target.seeds.length]!;
    const input = i < target.seeds.length ? s : mutate(s, random, target.mutation);
    const first = once(input);
    if (first.error === undefined) accepted++;
    else if (!allowed(first.error)) {
      crashCount++;
      if (crashes.length < 3) crashes.push(`${input.toString('hex').slice(0, 200)}: ${(first.error as Error).stack ?? String(first.error)}`);
    }
    // A slow input is timed twice more and counts by its fastest run: a busy machine (a garbage collection, another
    // process) slows one run, while a real hang is slow every time.
    let ms = first.ms;
    for (let again = 0; again < 2 && ms > HANG_MS; again++) ms = Math.min(ms, once(input).ms);
    worstMs = Math.max(worstMs, ms);
    if (ms > HANG_MS) hangs++;
  }
  return { inputs, accepted, crashes, crashCount, hangs, worstMs, seconds: (performance.now() - started) / 1000 };
}
