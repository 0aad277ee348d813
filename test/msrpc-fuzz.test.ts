/**
 * Every interface-module fuzz target (fuzz/msrpc.ts) over 20,000 seeded inputs: the specification-built stubs and
 * their mutations. Only ProbeError may escape a decoder, and no input may take over 100 ms.
 */
import { MSRPC_FUZZ_TARGETS } from '../fuzz/msrpc.js';
import { fuzzTests } from './helpers/fuzz.js';

fuzzTests(MSRPC_FUZZ_TARGETS, 20_000);
