/** Declares one test per fuzz target: `inputs` seeded inputs, nothing but the allowed errors, no hang (fuzz/harness.ts). */
import test from 'ava';
import { HANG_MS, runCampaign, type FuzzTarget } from '../../fuzz/harness.js';

export function fuzzTests(targets: readonly FuzzTarget[], inputs: number, seed = Number(process.env.FUZZ_SEED ?? 1)): void {
  for (const target of targets) {
    test(`fuzz ${target.name}: ${inputs.toLocaleString('en-US')} inputs, nothing but ProbeError, none over ${HANG_MS} ms`, (t) => {
      const r = runCampaign(target, inputs, seed);
      t.is(r.crashCount, 0, r.crashes.join('\n\n'));
      t.is(r.hangs, 0, `worst input took ${r.worstMs.toFixed(1)} ms`);
      t.true(r.accepted > 0, 'the seeds themselves decode');
      t.log(`${r.accepted.toLocaleString('en-US')} of ${r.inputs.toLocaleString('en-US')} accepted, worst ${r.worstMs.toFixed(2)} ms (seed ${seed})`);
    });
  }
}
