/**
 * Every DCE/RPC fuzz target (fuzz/dcerpc.ts) over 100,000 seeded inputs: valid messages and their mutations. Only
 * ProbeError may escape a decoder, and no input may take over 100 ms.
 */
import { DCERPC_FUZZ_TARGETS } from '../fuzz/dcerpc.js';
import { fuzzTests } from './helpers/fuzz.js';

fuzzTests(DCERPC_FUZZ_TARGETS, 100_000);
