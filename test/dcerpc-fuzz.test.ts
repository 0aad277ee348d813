/**
 * Every DCE/RPC fuzz target (fuzz/dcerpc.ts) over 100,000 seeded inputs: valid messages and their mutations. Only
 * ProbeError may escape a decoder, and no input may take over 100 ms.
 */
import test from 'ava';
import { DCERPC_FUZZ_TARGETS, fuzzCampaign } from '../fuzz/dcerpc.js';

for (const target of DCERPC_FUZZ_TARGETS) {
  test(`fuzz: ${target.name} throws only ProbeError and never hangs on 100,000 inputs`, (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? 1);
    const result = fuzzCampaign(target, 100_000, seed);
    t.is(result.crashCount, 0, result.crashes.join('\n\n'));
    t.is(result.hangs, 0, `worst input took ${result.worstMs.toFixed(1)} ms`);
    t.true(result.accepted > 0, 'the seeds themselves decode');
    t.log(`${result.accepted.toLocaleString('en-US')} of ${result.inputs.toLocaleString('en-US')} accepted, worst ${result.worstMs.toFixed(2)} ms (seed ${seed})`);
  });
}
