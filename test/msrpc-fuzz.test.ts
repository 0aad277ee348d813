/**
 * Every SAMR and LSARPC response decoder (fuzz/msrpc.ts) over 100,000 seeded inputs: the seeds themselves decode,
 * and their mutations throw nothing but ProbeError and take under 100 ms each.
 */
import test from 'ava';
import { fuzzCampaign } from '../fuzz/dcerpc.js';
import { MSRPC_FUZZ_TARGETS } from '../fuzz/msrpc.js';

for (const target of MSRPC_FUZZ_TARGETS) {
  test(`fuzz: ${target.name} throws only ProbeError and never hangs on 100,000 inputs`, (t) => {
    for (const seed of target.seeds) t.notThrows(() => target.run(seed), 'a seed decodes');
    const result = fuzzCampaign(target, 100_000, Number(process.env.FUZZ_SEED ?? 1));
    t.is(result.crashCount, 0, result.crashes.join('\n\n'));
    t.is(result.hangs, 0, `worst input took ${result.worstMs.toFixed(1)} ms`);
    t.log(`${result.accepted.toLocaleString('en-US')} of ${result.inputs.toLocaleString('en-US')} accepted, worst ${result.worstMs.toFixed(2)} ms`);
  });
}
