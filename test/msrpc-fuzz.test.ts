/**
 * Every interface-module fuzz target (fuzz/msrpc.ts) over 20,000 seeded inputs: the specification-built stubs and
 * their mutations (fuzz/dcerpc.ts's mutate). Only ProbeError may escape a decoder, and no input may take over 100 ms.
 */
import test from 'ava';
import { fuzzCampaign } from '../fuzz/dcerpc.js';
import { MSRPC_FUZZ_TARGETS } from '../fuzz/msrpc.js';

const INPUTS = 20_000;

for (const target of MSRPC_FUZZ_TARGETS) {
  test(`fuzz: ${target.name} throws only ProbeError and never hangs on ${INPUTS.toLocaleString('en-US')} inputs`, (t) => {
    const seed = Number(process.env.FUZZ_SEED ?? 1);
    const result = fuzzCampaign(target, INPUTS, seed);
    t.is(result.crashCount, 0, result.crashes.join('\n\n'));
    t.is(result.hangs, 0, `worst input took ${result.worstMs.toFixed(1)} ms`);
    t.true(result.accepted > 0, 'the seeds themselves decode');
    t.log(`${result.accepted.toLocaleString('en-US')} of ${result.inputs.toLocaleString('en-US')} accepted, worst ${result.worstMs.toFixed(2)} ms (seed ${seed})`);
  });
}
