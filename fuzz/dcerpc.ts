/**
 * Fuzz targets for the DCE/RPC layer (enum/dcerpc): the PDU parser, the auth verifier and stub extraction, and NDR
 * decoding of the shapes the Windows interfaces return. Same shape as fuzz/run.ts's Target, so run.ts can take
 * them with `...DCERPC_FUZZ_TARGETS`; test/dcerpc-fuzz.test.ts runs each through fuzz/harness.ts.
 * A target may return or throw ProbeError; any other exception is a crash, and an input over 100 ms a hang.
 */
import { type FuzzTarget, type Mutation, withMutation } from './harness.js';
import { ProbeError } from '../probes/core/outcome.js';
import { AUTH_LEVEL, AUTH_TYPE, type ExpectedAuth, type SecurityProvider, unprotectStub } from '../enum/dcerpc/auth.js';
import { prpcSid, rpcUnicodeString } from '../enum/dcerpc/dtyp.js';
import { conformantArray, conformantVaryingBytes, enum16, full, hyper, NdrReader, NdrWriter, struct, u16, u32, union, unique, wstring } from '../enum/dcerpc/ndr.js';
import { encodeAuth3, encodeBind, encodeBindAck, encodeBindNak, encodeFault, encodeRequest, encodeResponse, fragLength, NDR20, parsePdu, PFC, PTYPE } from '../enum/dcerpc/pdu.js';

/** PDU lengths are 16-bit and NDR counts 32-bit, both little-endian; frag_length and auth_length (offsets 8, 10) most. */
export const DCERPC: Mutation = { order: 'le', hot: [8, 10], hostile: [0, 1, 2, 3, 8, 15, 16, 0x7f, 0xff, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff] };

const SAMR = { uuid: '12345778-1234-abcd-ef00-0123456789ac', major: 1, minor: 0 };
const verifier = (level: number) => ({ authType: AUTH_TYPE.ntlm, authLevel: level, contextId: 1, value: Buffer.alloc(16, 0x5a) });

const PDU_SEEDS = [
  encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, contexts: [{ id: 0, abstract: SAMR, transfer: [NDR20] }], auth: { ...verifier(AUTH_LEVEL.integrity), value: Buffer.from('NTLMSSP\0negotiate') } }),
  encodeBindAck({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0x53f0, secondaryAddress: '\\PIPE\\samr', results: [{ result: 0, reason: 0, transfer: NDR20 }], auth: verifier(AUTH_LEVEL.integrity) }),
  encodeBindAck({ callId: 2, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 1, secondaryAddress: '', results: [{ result: 2, reason: 1, transfer: NDR20 }] }, PTYPE.alter_context_resp),
  encodeBindNak(1, 9),
  encodeFault(3, 0x1c010002),
  encodeAuth3(1, verifier(AUTH_LEVEL.privacy)),
  encodeRequest({ callId: 4, contextId: 0, opnum: 13, stub: Buffer.from('request stub'), object: NDR20.uuid, auth: verifier(AUTH_LEVEL.integrity) }),
  encodeResponse({ callId: 4, contextId: 0, stub: Buffer.from('response stub data'), flags: PFC.FIRST_FRAG, auth: verifier(AUTH_LEVEL.privacy) }),
];

/** Accepts every signature and "decrypts" to the same octets: the fuzzer exercises the runtime's checks, not crypto. */
const PERMISSIVE: SecurityProvider = {
  authType: AUTH_TYPE.ntlm,
  signatureLength: 16,
  start: () => Buffer.alloc(0),
  next: () => ({ send: 'nothing' }),
  sign: () => Buffer.alloc(16),
  verify: () => true,
  seal: (p) => ({ body: Buffer.from(p.body), signature: Buffer.alloc(16) }),
  unseal: (p) => Buffer.from(p.body),
};
const AT = (level: number): ExpectedAuth => ({ provider: PERMISSIVE, level, contextId: 1, headerSigning: false });

// [MS-SAMR] 2.2.7.1, 2.2.7.2 and the [out] parameters of SamrEnumerateUsersInDomain (3.1.5.2.5).
const ENUMERATION_BUFFER = struct({ entriesRead: u32, buffer: unique(conformantArray(struct({ relativeId: u32, name: rpcUnicodeString }))) });
const ENUMERATE_SEED = new NdrWriter()
  .write(u32, 3)
  .write(unique(ENUMERATION_BUFFER), { entriesRead: 2, buffer: [{ relativeId: 500, name: 'Administrator' }, { relativeId: 501, name: '' }] })
  .write(u32, 2)
  .write(u32, 0)
  .finish();

// A bit of everything else the interfaces use: SIDs behind pointers, [string]s, unions, hypers, full pointers.
const MIXED = struct({
  sid: prpcSid,
  names: unique(conformantArray(unique(wstring))),
  info: union(enum16, { 1: u32, 2: rpcUnicodeString, 3: struct({ when: hyper, data: unique(conformantVaryingBytes) }) }),
  alias: full(struct({ n: u16 })),
  again: full(struct({ n: u16 })),
});
const shared = { n: 7 };
const MIXED_SEEDS = [
  new NdrWriter().write(MIXED, { sid: 'S-1-5-21-1-2-3-500', names: ['a', 'bc', null], info: { tag: 3, value: { when: -1n, data: Buffer.from('xyz') } }, alias: shared, again: shared }).finish(),
  new NdrWriter().write(MIXED, { sid: 'S-1-5-32-544', names: null, info: { tag: 2, value: 'Users' }, alias: null, again: { n: 1 } }).finish(),
];

export const DCERPC_FUZZ_TARGETS: FuzzTarget[] = withMutation(DCERPC, [
  {
    name: 'dcerpc pdu',
    seeds: PDU_SEEDS,
    run: (b) => {
      const n = fragLength(b);
      return n && parsePdu(b.subarray(0, n));
    },
  },
  {
    name: 'dcerpc auth trailer',
    seeds: PDU_SEEDS.filter((p) => p[2] === PTYPE.request || p[2] === PTYPE.response),
    run: (b) => {
      if (b.length < 24) return null;
      return [AUTH_LEVEL.connect, AUTH_LEVEL.integrity, AUTH_LEVEL.privacy].map((level) => unprotectStub(b, 24, AT(level)).length);
    },
  },
  {
    name: 'ndr samr enumeration',
    seeds: [ENUMERATE_SEED],
    run: (b) => {
      const r = new NdrReader(b);
      return [r.read(u32), r.read(unique(ENUMERATION_BUFFER)), r.read(u32), r.read(u32)];
    },
  },
  { name: 'ndr sids, strings, unions', seeds: MIXED_SEEDS, run: (b) => new NdrReader(b).read(MIXED) },
]);
