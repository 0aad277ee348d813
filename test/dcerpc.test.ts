/**
 * The DCE/RPC connection-oriented runtime: PDUs checked against bytes written out from C706 chapter 12 and
 * [MS-RPCE] 2.2.2, then the client end to end against an in-process server (test/helpers/fake-rpc.ts), including
 * servers that lie about lengths, never finish a response or never answer.
 */
import test from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import { AUTH_LEVEL, AUTH_TYPE, authPadLength, parseAuthVerifier } from '../enum/dcerpc/auth.js';
import { RpcClient, type RpcTransport } from '../enum/dcerpc/client.js';
import { faultName, RpcBindError, RpcFaultError } from '../enum/dcerpc/faults.js';
import {
  encodeBind,
  encodeBindAck,
  encodeFault,
  encodeRequest,
  encodeResponse,
  fragLength,
  NDR20,
  parsePdu,
  PFC,
  type RequestPdu,
  type SyntaxId,
} from '../enum/dcerpc/pdu.js';
import { uuidFromBytes, uuidToBytes } from '../enum/dcerpc/uuid.js';
import { FakePipeServer, FakeServer, ToyProvider } from './helpers/fake-rpc.js';

/** Hex octets, one field per argument so each can carry its spec comment. */
const bytes = (...fields: string[]) => Buffer.from(fields.join('').replace(/\s+/g, ''), 'hex');

const SAMR: SyntaxId = { uuid: '12345778-1234-abcd-ef00-0123456789ac', major: 1, minor: 0 };

test('UUIDs go on the wire with their first three fields little-endian (C706 Appendix A)', (t) => {
  t.deepEqual(uuidToBytes(SAMR.uuid), bytes('78573412', '3412', 'cdab', 'ef00', '0123456789ac'));
  t.is(uuidFromBytes(uuidToBytes(NDR20.uuid)), NDR20.uuid);
  t.throws(() => uuidToBytes('not-a-uuid'), { instanceOf: TypeError });
  t.throws(() => uuidFromBytes(Buffer.alloc(15)), { instanceOf: ProbeError });
});

test('a bind for SAMR over NDR 2.0 is the octets of C706 12.6.4.3', (t) => {
  const expected = bytes(
    '05 00', // rpc_vers 5, rpc_vers_minor 0 (C706 12.6.3.1)
    '0b', // PTYPE bind (11)
    '03', // pfc_flags PFC_FIRST_FRAG | PFC_LAST_FRAG
    '10 00 00 00', // packed_drep: little-endian integers, ASCII, IEEE (C706 14.1)
    '48 00', // frag_length 72
    '00 00', // auth_length 0
    '01 00 00 00', // call_id 1
    'b8 10', // max_xmit_frag 4280
    'b8 10', // max_recv_frag 4280
    '00 00 00 00', // assoc_group_id 0: a new association group
    '01 00 00 00', // p_context_elem: n_context_elem 1, reserved, reserved2
    '00 00', // p_cont_id 0
    '01 00', // n_transfer_syn 1, reserved
    '78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac', // abstract_syntax: SAMR 12345778-1234-abcd-ef00-0123456789ac ([MS-SAMR] 1.9)
    '01 00 00 00', // if_version 1.0
    '04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60', // transfer_syntax: NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 (C706 Appendix I)
    '02 00 00 00', // version 2.0
  );
  const bind = encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, contexts: [{ id: 0, abstract: SAMR, transfer: [NDR20] }] });
  t.deepEqual(bind, expected);
  const parsed = parsePdu(bind);
  t.like(parsed, { kind: 'bind', maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, header: { callId: 1, fragLength: 72, flags: 3 } });
  t.true(parsed.kind === 'bind' && parsed.contexts[0]!.abstract.uuid === SAMR.uuid && parsed.contexts[0]!.transfer[0]!.uuid === NDR20.uuid);
});

const BIND_ACK = bytes(
  '05 00 0c 03', // version 5.0, PTYPE bind_ack (12), FIRST|LAST
  '10 00 00 00', // drep
  '44 00 00 00', // frag_length 68, auth_length 0
  '01 00 00 00', // call_id 1
  'b8 10 b8 10', // max_xmit_frag 4280, max_recv_frag 4280
  'f0 53 00 00', // assoc_group_id 0x53f0
  '0b 00', // sec_addr.length 11, NUL included (port_any_t, C706 12.6.3.1)
  '5c 50 49 50 45 5c 73 61 6d 72 00', // "\PIPE\samr\0"
  '00 00 00', // pad to a 4-octet boundary (offset 37 -> 40)
  '01 00 00 00', // p_result_list: n_results 1, reserved, reserved2
  '00 00', // result: acceptance
  '00 00', // reason: not specified
  '04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00', // transfer_syntax NDR 2.0
);

test('a bind_ack written out by hand parses (C706 12.6.4.4), and the encoder gives the same octets', (t) => {
  t.is(fragLength(BIND_ACK), 68);
  const ack = parsePdu(BIND_ACK);
  t.like(ack, { kind: 'bind_ack', maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0x53f0, secondaryAddress: '\\PIPE\\samr' });
  t.deepEqual(ack.kind === 'bind_ack' && ack.results, [{ result: 0, reason: 0, transfer: NDR20 }]);
  t.deepEqual(encodeBindAck({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0x53f0, secondaryAddress: '\\PIPE\\samr', results: [{ result: 0, reason: 0, transfer: NDR20 }] }), BIND_ACK);
  const lying = Buffer.from(BIND_ACK);
  lying.writeUInt16LE(200, 24); // a secondary address longer than the PDU
  t.throws(() => parsePdu(lying), { instanceOf: ProbeError, message: /secondary address runs past/ });
  const many = Buffer.from(BIND_ACK);
  many[40] = 9; // nine results announced, one present
  t.throws(() => parsePdu(many), { message: /results runs past/ });
});

test('a fault PDU (C706 12.6.4.7) parses to its status and the status to a name', (t) => {
  const fault = bytes(
    '05 00 03 23', // version 5.0, PTYPE fault (3), FIRST|LAST|DID_NOT_EXECUTE
    '10 00 00 00', // drep
    '20 00 00 00', // frag_length 32, auth_length 0
    '07 00 00 00', // call_id 7
    '00 00 00 00', // alloc_hint
    '00 00 00 00', // p_cont_id 0, cancel_count 0, reserved
    '02 00 01 1c', // status nca_s_op_rng_error 0x1c010002
    '00 00 00 00', // reserved
  );
  t.deepEqual(encodeFault(7, 0x1c010002, 0, PFC.FIRST_FRAG | PFC.LAST_FRAG | PFC.DID_NOT_EXECUTE), fault);
  t.like(parsePdu(fault), { kind: 'fault', status: 0x1c010002, header: { callId: 7 } });
  t.is(faultName(0x1c010002), 'nca_s_op_rng_error');
  t.is(faultName(5), 'rpc_s_access_denied');
  t.is(faultName(0x1c010003), 'nca_s_unk_if');
  t.is(faultName(0xdeadbeef), '0xdeadbeef');
  const denied = new RpcFaultError(5, 'opnum 13');
  t.is(denied.status, 'access-denied');
  t.is(denied.message, 'RPC fault rpc_s_access_denied on opnum 13');
  t.true(denied instanceof ProbeError);
  t.is(new RpcFaultError(0x1c010003, 'bind').status, 'unsupported');
  t.is(new RpcFaultError(0x12345678, 'opnum 1').faultName, '0x12345678');
});

test('fragLength waits for a whole PDU and refuses impossible headers', (t) => {
  t.is(fragLength(BIND_ACK.subarray(0, 15)), 0, 'header incomplete');
  t.is(fragLength(BIND_ACK.subarray(0, 40)), 0, 'body incomplete');
  t.is(fragLength(Buffer.concat([BIND_ACK, BIND_ACK])), 68, 'the first of two');
  const withLength = (n: number) => {
    const b = Buffer.from(BIND_ACK);
    b.writeUInt16LE(n, 8);
    return b;
  };
  t.throws(() => fragLength(withLength(0)), { instanceOf: ProbeError, message: /shorter than the header/ });
  t.throws(() => fragLength(withLength(12)), { message: /shorter than the header/ });
  t.throws(() => fragLength(withLength(5000), 4280), { message: /frag_length 5000 exceeds 4280/ });
  t.throws(() => parsePdu(BIND_ACK.subarray(0, 60)), { message: /60 octets says frag_length 68/ });
  const v4 = Buffer.from(BIND_ACK);
  v4[0] = 4;
  t.throws(() => fragLength(v4), { message: /version 4\.0/ });
  const bigEndian = Buffer.from(BIND_ACK);
  bigEndian[4] = 0x00;
  t.throws(() => fragLength(bigEndian), { message: /not little-endian/ });
  const auth = Buffer.from(BIND_ACK);
  auth.writeUInt16LE(60, 10); // auth_length + sec_trailer larger than the body
  t.throws(() => fragLength(auth), { message: /auth_length 60 does not fit/ });
});

test('the auth verifier follows a stub padded to 16 octets ([MS-RPCE] 2.2.2.11)', (t) => {
  t.deepEqual([0, 1, 5, 15, 16, 17].map((n) => authPadLength(n)), [0, 15, 11, 1, 0, 15]);
  const request = encodeRequest({
    callId: 2,
    contextId: 0,
    opnum: 13,
    stub: Buffer.from('abcde'),
    auth: { authType: AUTH_TYPE.ntlm, authLevel: AUTH_LEVEL.integrity, contextId: 0x79231, value: Buffer.alloc(16, 0xee) },
  });
  const expected = bytes(
    '05 00 00 03', // version 5.0, PTYPE request (0), FIRST|LAST
    '10 00 00 00', // drep
    '40 00', // frag_length 64 = 24 + 5 + 11 + 8 + 16
    '10 00', // auth_length 16
    '02 00 00 00', // call_id 2
    '05 00 00 00', // alloc_hint 5
    '00 00 0d 00', // p_cont_id 0, opnum 13
    '61 62 63 64 65', // stub "abcde"
    '00 00 00 00 00 00 00 00 00 00 00', // 11 octets of auth padding: stub + pad = 16
    '0a', // auth_type RPC_C_AUTHN_WINNT (10)
    '05', // auth_level RPC_C_AUTHN_LEVEL_PKT_INTEGRITY (5)
    '0b', // auth_pad_length 11
    '00', // auth_reserved
    '31 92 07 00', // auth_context_id 0x79231
    'ee'.repeat(16), // auth_value
  );
  t.deepEqual(request, expected);
  const found = parseAuthVerifier(request, 24)!;
  t.is(found.trailerOffset, 40);
  t.like(found.verifier, { authType: 10, authLevel: 5, padLength: 11, contextId: 0x79231 });
  const pdu = parsePdu(request) as RequestPdu;
  t.is(pdu.body.length, 16, 'stub and padding');
  const bad = Buffer.from(request);
  bad[42] = 17; // more padding than the body holds
  t.throws(() => parseAuthVerifier(bad, 24), { instanceOf: ProbeError, message: /auth_pad_length 17 exceeds/ });
  const unaligned = Buffer.from(request);
  unaligned.writeUInt16LE(15, 10);
  t.throws(() => parseAuthVerifier(unaligned, 24), { message: /not 4-octet aligned/ });
});

test('bind, a call answered in three fragments, then a fault, against an in-process server', async (t) => {
  const reply = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
  const server = new FakeServer({ fragments: 3, handlers: { 13: () => reply, 6: () => ({ fault: 5 }) } });
  const client = new RpcClient(server);
  const binding = await client.bind(SAMR);
  t.like(binding, { contextId: 0, maxXmitFrag: 4280, assocGroupId: 0x53f0, secondaryAddress: '\\PIPE\\samr', headerSigning: false });
  t.deepEqual(await client.call(13, Buffer.from('request')), reply);
  const responses = server.raw.length;
  t.is(responses, 2, 'bind and one request');
  const fault = await t.throwsAsync(client.call(6, Buffer.alloc(4)), { instanceOf: RpcFaultError });
  t.is(fault.faultName, 'rpc_s_access_denied');
  t.is(fault.status, 'access-denied');
  const unknown = await t.throwsAsync(client.call(99, Buffer.alloc(0)), { instanceOf: RpcFaultError });
  t.is(unknown.faultName, 'nca_s_op_rng_error');
  t.deepEqual(await client.call(13, Buffer.alloc(0)), reply, 'a fault leaves the connection usable');
  t.deepEqual(
    server.received.map((p) => p.header.callId),
    [1, 2, 3, 4, 5],
    'each call takes a new call_id',
  );
});

test('a request larger than the server accepts is cut into fragments with the right flags and alloc_hint', async (t) => {
  const stub = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
  const server = new FakeServer({ maxRecvFrag: 2000, handlers: { 3: (s) => s.subarray(0, 4) } });
  const client = new RpcClient(server);
  t.is((await client.bind(SAMR)).maxXmitFrag, 2000, "the server's max_recv_frag lowers ours");
  t.deepEqual(await client.call(3, stub), stub.subarray(0, 4));
  const requests = server.received.filter((p): p is RequestPdu => p.kind === 'request');
  t.deepEqual(
    requests.map((r) => [r.header.flags, r.allocHint, r.body.length, r.header.fragLength]),
    [
      [PFC.FIRST_FRAG, 5000, 1976, 2000],
      [0, 3024, 1976, 2000],
      [PFC.LAST_FRAG, 1048, 1048, 1072],
    ],
  );
  t.true(requests.every((r) => r.opnum === 3 && r.header.callId === requests[0]!.header.callId));
  t.deepEqual(Buffer.concat(requests.map((r) => r.body)), stub);
});

test('a response on another call_id is refused and the connection is not used again', async (t) => {
  const server = new FakeServer({ wrongCallId: true, handlers: { 1: () => Buffer.alloc(4) } });
  const client = new RpcClient(server);
  await client.bind(SAMR);
  await t.throwsAsync(client.call(1, Buffer.alloc(0)), { instanceOf: ProbeError, message: /call_id 3, 2 expected/ });
  t.true(server.closed);
  await t.throwsAsync(client.call(1, Buffer.alloc(0)), { message: /unusable/ });
});

test('bind_nak and a refused context become RpcBindError with the reason named', async (t) => {
  const nak = await t.throwsAsync(new RpcClient(new FakeServer({ bindNak: 4 })).bind(SAMR), { instanceOf: RpcBindError });
  t.is(nak.reasonName, 'protocol_version_not_supported');
  t.is(nak.status, 'unsupported');
  const auth = await t.throwsAsync(new RpcClient(new FakeServer({ bindNak: 8 })).bind(SAMR), { instanceOf: RpcBindError });
  t.is(auth.status, 'auth-failed');
  const context = await t.throwsAsync(new RpcClient(new FakeServer({ rejectContext: 1 })).bind(SAMR), { instanceOf: RpcBindError });
  t.is(context.message, 'presentation context refused: abstract_syntax_not_supported');
});

test('over a named pipe the last fragment goes through transact, and one-octet reads still reassemble', async (t) => {
  const reply = Buffer.alloc(9000, 7);
  const server = new FakePipeServer({ fragments: 4, chunk: 1, handlers: { 2: () => reply } });
  const client = new RpcClient(server);
  await client.bind(SAMR);
  t.deepEqual(await client.call(2, Buffer.alloc(6000, 1)), reply);
  t.is(server.transacts, 1);
});

/** A server that binds properly, then answers every read after a request with `reply(request, n)`. */
function scripted(reply: (request: RequestPdu, n: number) => Buffer): RpcTransport & { closed: boolean } {
  const outbox: Buffer[] = [];
  let request: RequestPdu | undefined;
  let n = 0;
  return {
    closed: false,
    async write(b) {
      const pdu = parsePdu(b);
      if (pdu.kind === 'bind') {
        outbox.push(encodeBindAck({ callId: pdu.header.callId, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 1, secondaryAddress: '', results: [{ result: 0, reason: 0, transfer: NDR20 }] }));
      } else if (pdu.kind === 'request') request = pdu;
    },
    async read() {
      const queued = outbox.shift();
      if (queued) return queued;
      if (!request) return new Promise<Buffer>(() => undefined);
      return reply(request, n++);
    },
    close() {
      this.closed = true;
    },
  };
}

test('hostile servers: endless fragments, oversized responses, lying lengths, silence and hang-ups all fail the call', async (t) => {
  const fragment = (r: RequestPdu, n: number, size = 16) => encodeResponse({ callId: r.header.callId, contextId: 0, stub: Buffer.alloc(size), flags: n === 0 ? PFC.FIRST_FRAG : 0 });

  const endless = scripted((r, n) => fragment(r, n));
  const c1 = new RpcClient(endless, { maxFragments: 50 });
  await c1.bind(SAMR);
  await t.throwsAsync(c1.call(1, Buffer.alloc(0)), { instanceOf: ProbeError, message: /exceeds 50 fragments/ });
  t.true(endless.closed, 'the transport is closed after a broken stream');

  const big = scripted((r, n) => fragment(r, n, 4000));
  const c2 = new RpcClient(big, { maxResponseBytes: 100_000 });
  await c2.bind(SAMR);
  await t.throwsAsync(c2.call(1, Buffer.alloc(0)), { message: /exceeds 100000 octets/ });

  for (const length of [0, 10]) {
    const liar = scripted((r) => {
      const b = fragment(r, 0);
      b.writeUInt16LE(length, 8);
      return b;
    });
    const c = new RpcClient(liar);
    await c.bind(SAMR);
    await t.throwsAsync(c.call(1, Buffer.alloc(0)), { instanceOf: ProbeError, message: new RegExp(`frag_length ${length} is shorter than the header`) });
  }

  const huge = scripted((r) => {
    const b = fragment(r, 0);
    b.writeUInt16LE(60000, 8);
    return b;
  });
  const c3 = new RpcClient(huge);
  await c3.bind(SAMR);
  await t.throwsAsync(c3.call(1, Buffer.alloc(0)), { message: /frag_length 60000 exceeds 4280/ });

  const restart = scripted((r) => encodeResponse({ callId: r.header.callId, contextId: 0, stub: Buffer.alloc(4), flags: PFC.FIRST_FRAG }));
  const c4 = new RpcClient(restart);
  await c4.bind(SAMR);
  await t.throwsAsync(c4.call(1, Buffer.alloc(0)), { message: /fragment 2 restarts PFC_FIRST_FRAG/ });

  const hangUp = scripted(() => Buffer.alloc(0));
  const c5 = new RpcClient(hangUp);
  await c5.bind(SAMR);
  await t.throwsAsync(c5.call(1, Buffer.alloc(0)), { message: /peer closed/ });

  const silent: RpcTransport = { write: async () => undefined, read: () => new Promise<Buffer>(() => undefined), close: () => undefined };
  const c6 = new RpcClient(silent, { timeoutMs: 50 });
  await t.throwsAsync(c6.bind(SAMR), { instanceOf: ProbeError, message: /bind took longer than 50 ms/ });
});

test('NTLM-style authentication at connect level: bind token, challenge in bind_ack, auth3 on the bind call_id', async (t) => {
  const provider = new ToyProvider('client');
  const server = new FakeServer({ auth: { provider: new ToyProvider('server'), level: AUTH_LEVEL.connect }, handlers: { 1: () => Buffer.from('ok') } });
  const client = new RpcClient(server, { auth: { provider, level: AUTH_LEVEL.connect } });
  await client.bind(SAMR);
  t.deepEqual(provider.seen, ['CHALLENGE']);
  const [bind, auth3] = server.received;
  t.like(bind, { kind: 'bind', auth: { authType: AUTH_TYPE.ntlm, authLevel: AUTH_LEVEL.connect, contextId: 0 } });
  t.is(bind!.auth!.value.toString(), 'NEGOTIATE');
  t.like(auth3, { kind: 'auth3', header: { callId: bind!.header.callId } });
  t.is(auth3!.auth!.value.toString(), 'AUTHENTICATE');
  t.deepEqual(await client.call(1, Buffer.from('x')), Buffer.from('ok'));
  t.is(server.received[2]!.header.authLength, 0, 'no verifier on requests at connect level');
});

test('packet integrity signs every fragment both ways, and a tampered response is refused', async (t) => {
  const reply = Buffer.alloc(7000, 0x42);
  const server = new FakeServer({ fragments: 2, auth: { provider: new ToyProvider('server'), level: AUTH_LEVEL.integrity, contextId: 3 }, handlers: { 4: () => reply } });
  const client = new RpcClient(server, { auth: { provider: new ToyProvider('client'), level: AUTH_LEVEL.integrity, contextId: 3, headerSigning: true } });
  t.true((await client.bind(SAMR)).headerSigning);
  t.deepEqual(await client.call(4, Buffer.alloc(9000, 1)), reply, 'the server verified each request fragment and the client each response');
  const requests = server.received.filter((p): p is RequestPdu => p.kind === 'request');
  t.is(requests.length, 3);
  t.true(requests.every((r) => r.auth?.authLevel === AUTH_LEVEL.integrity && r.body.length % 16 === 0));

  const tamper = new FakeServer({ auth: { provider: new ToyProvider('server'), level: AUTH_LEVEL.integrity }, handlers: { 4: () => Buffer.from('fine') } });
  const send = tamper.send.bind(tamper);
  tamper.send = (b: Buffer) => {
    if (b[2] === 2) b[24] = b[24]! ^ 1; // flip a stub bit in the response
    send(b);
  };
  const victim = new RpcClient(tamper, { auth: { provider: new ToyProvider('client'), level: AUTH_LEVEL.integrity } });
  await victim.bind(SAMR);
  await t.throwsAsync(victim.call(4, Buffer.alloc(1)), { instanceOf: ProbeError, message: /signature does not verify/ });
});

test('packet privacy puts no plaintext on the wire and round-trips through an alter_context leg', async (t) => {
  const secret = Buffer.from('S-1-5-21-secret-stub-data');
  const provider = new ToyProvider('client', 'spnego');
  const server = new FakeServer({ auth: { provider: new ToyProvider('server', 'spnego'), level: AUTH_LEVEL.privacy }, handlers: { 5: (s) => Buffer.concat([s, s]) } });
  const client = new RpcClient(server, { auth: { provider, level: AUTH_LEVEL.privacy } });
  await client.bind(SAMR);
  t.deepEqual(provider.seen, ['CHALLENGE', 'ACCEPTED']);
  t.deepEqual(
    server.received.map((p) => p.kind),
    ['bind', 'alter_context'],
  );
  t.deepEqual(await client.call(5, secret), Buffer.concat([secret, secret]));
  t.false(server.raw.at(-1)!.includes(secret), 'the request stub is sealed');
});
