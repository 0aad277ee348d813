/**
 * Every SAMR and LSARPC response decoder (fuzz/samr-lsa.ts) over 100,000 seeded inputs: the seeds themselves
 * decode, and their mutations throw nothing but ProbeError and take under 100 ms each.
 */
import { SAMR_LSA_FUZZ_TARGETS } from '../fuzz/samr-lsa.js';
import { fuzzTests } from './helpers/fuzz.js';

fuzzTests(SAMR_LSA_FUZZ_TARGETS, 100_000);
