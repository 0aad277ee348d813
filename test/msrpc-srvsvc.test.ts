/**
 * SRVSVC ([MS-SRVS]) over an in-process DCE/RPC peer: the module must send exactly the request stubs written out
 * from the specification in fixtures/msrpc-stubs.ts and read back what the hand-built responses say.
 */
import test from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import {
  decodeNetrServerGetInfoResponse,
  decodeNetrShareEnumResponse,
  encodeNetrServerGetInfoRequest,
  encodeNetrShareEnumRequest,
  listShares,
  netrServerGetInfo,
  netrShareEnum,
  serverTypeWords,
  shareTypeWords,
  SRVSVC_SYNTAX,
} from '../enum/msrpc/srvsvc.js';
import { Win32StatusError } from '../enum/msrpc/win32.js';
import {
  dw,
  hex,
  SERVER_GET_INFO_REQUEST,
  SERVER_GET_INFO_RESPONSE,
  SHARE_ENUM_L1_RESPONSE,
  SHARE_ENUM_L2_DENIED,
  SHARE_ENUM_L2_PAGE1,
  SHARE_ENUM_L2_PAGE2,
  shareEnumRequest,
} from '../fixtures/msrpc-stubs.js';
import { scripted } from './helpers/scripted-rpc.js';

const LEVEL1_SHARES = [
  { name: 'ADMIN$', type: 0x80000000, kind: 'disk', special: true, temporary: false, typeWords: ['STYPE_DISKTREE', 'STYPE_SPECIAL'], remark: 'Remote Admin' },
  { name: 'IPC$', type: 0x80000003, kind: 'ipc', special: true, temporary: false, typeWords: ['STYPE_IPC', 'STYPE_SPECIAL'], remark: 'Remote IPC' },
  { name: 'data', type: 0, kind: 'disk', special: false, temporary: false, typeWords: ['STYPE_DISKTREE'], remark: null },
];

test('NetrShareEnum level 1 (3.1.4.8): the request as the spec lays it out; three SHARE_INFO_1 behind unique pointers, one remark NULL', async (t) => {
  t.deepEqual(encodeNetrShareEnumRequest(1), shareEnumRequest(1, 0));
  const { client, unexpected } = await scripted(SRVSVC_SYNTAX, [[15, shareEnumRequest(1, 0), SHARE_ENUM_L1_RESPONSE]]);
  const page = await netrShareEnum(client, 1);
  t.deepEqual(unexpected, []);
  t.deepEqual(page, { level: 1, shares: LEVEL1_SHARES, totalEntries: 3, resumeHandle: 0, more: false });
});

test('listShares asks for level 2 first; ERROR_ACCESS_DENIED falls back to level 1 and says why', async (t) => {
  const { client, calls, unexpected } = await scripted(SRVSVC_SYNTAX, [
    [15, shareEnumRequest(2, 0), SHARE_ENUM_L2_DENIED],
    [15, shareEnumRequest(1, 0), SHARE_ENUM_L1_RESPONSE],
  ]);
  const list = await listShares(client);
  t.deepEqual(unexpected, []);
  t.is(calls.length, 2);
  t.is(list.level, 1);
  t.true(list.complete);
  t.deepEqual(list.shares, LEVEL1_SHARES);
  t.regex(list.note ?? '', /level 2 .* refused with ERROR_ACCESS_DENIED/);
});

test('level 2 over two pages: ERROR_MORE_DATA and ResumeHandle carried into the next request; paths kept, the share password never', async (t) => {
  const { client, calls, unexpected } = await scripted(SRVSVC_SYNTAX, [
    [15, shareEnumRequest(2, 0), SHARE_ENUM_L2_PAGE1],
    [15, shareEnumRequest(2, 1), SHARE_ENUM_L2_PAGE2],
  ]);
  const list = await listShares(client, { level: 2 });
  t.deepEqual(unexpected, []);
  t.deepEqual(calls.map((c) => c.stub), [shareEnumRequest(2, 0), shareEnumRequest(2, 1)]);
  t.deepEqual(list, {
    level: 2,
    complete: true,
    shares: [
      { name: 'ADMIN$', type: 0x80000000, kind: 'disk', special: true, temporary: false, typeWords: ['STYPE_DISKTREE', 'STYPE_SPECIAL'], remark: 'Remote Admin', path: 'C:\\Windows', maxUses: 0xffffffff, currentUses: 1, permissions: 0 },
      { name: 'data', type: 0, kind: 'disk', special: false, temporary: false, typeWords: ['STYPE_DISKTREE'], remark: 'Team data', path: '/srv/data', maxUses: 10, currentUses: 0, permissions: 0 },
    ],
  });
  t.false(JSON.stringify(list).includes('hunter2'), 'shi2_passwd is dropped');
});

test('NetrServerGetInfo level 101 (3.1.4.17): platform, name, version, SV_TYPE bits in words, comment', async (t) => {
  t.deepEqual(encodeNetrServerGetInfoRequest(), SERVER_GET_INFO_REQUEST);
  const { client, unexpected } = await scripted(SRVSVC_SYNTAX, [[21, SERVER_GET_INFO_REQUEST, SERVER_GET_INFO_RESPONSE]]);
  const info = await netrServerGetInfo(client);
  t.deepEqual(unexpected, []);
  t.deepEqual(info, {
    platformId: 500,
    platform: 'nt',
    name: 'DC01',
    versionMajor: 10,
    versionMinor: 0,
    type: 0x000d902b,
    typeWords: ['workstation', 'server', 'domain-controller', 'time-source', 'nt', 'server-nt', 'potential-browser', 'master-browser', 'domain-master-browser'],
    comment: 'Samba 4.17.12',
  });
});

test('statuses: Win32 and NTSTATUS refusals become Win32StatusError with their outcome and name', async (t) => {
  const denied = hex(dw(101), '00000000', dw(5));
  const ntDenied = hex(dw(101), '00000000', dw(0xc0000022));
  const { client } = await scripted(SRVSVC_SYNTAX, [[21, SERVER_GET_INFO_REQUEST, denied]]);
  const err = await t.throwsAsync(netrServerGetInfo(client), { instanceOf: Win32StatusError });
  t.is(err.status, 'access-denied');
  t.is(err.code, 5);
  t.is(err.codeName, 'ERROR_ACCESS_DENIED');
  t.regex(err.message, /^NetrServerGetInfo failed: ERROR_ACCESS_DENIED/);
  const ntErr = t.throws(() => decodeNetrServerGetInfoResponse(ntDenied), { instanceOf: Win32StatusError });
  t.is(ntErr.status, 'access-denied');
  t.is(ntErr.codeName, 'STATUS_ACCESS_DENIED');
  const unknownLevel = hex(dw(1), dw(1), '00000000', dw(0), '00000000', dw(124));
  t.is(t.throws(() => decodeNetrShareEnumResponse(unknownLevel), { instanceOf: Win32StatusError }).status, 'unsupported');
});

test('type words: STYPE base types and flags ([MS-SRVS] 2.2.2.4), SV_TYPE bits with unnamed ones in hex (2.2.2.7)', (t) => {
  t.deepEqual(shareTypeWords(0x40000001), { kind: 'printer', special: false, temporary: true, words: ['STYPE_PRINTQ', 'STYPE_TEMPORARY'] });
  t.deepEqual(shareTypeWords(0x02000000).words, ['STYPE_DISKTREE', 'STYPE_CLUSTER_FS']);
  t.is(shareTypeWords(0x17).kind, 'unknown');
  t.deepEqual(serverTypeWords(0x08000003), ['workstation', 'server', '0x08000000']);
  t.deepEqual(serverTypeWords(0x80000000), ['domain-enum']);
});

test('hostile responses: counts that disagree, arrays that cannot fit, a union arm for another level', (t) => {
  const wrongCount = Buffer.from(SHARE_ENUM_L1_RESPONSE);
  wrongCount.writeUInt32LE(2, 12); // EntriesRead 2 for an array of 3
  t.throws(() => decodeNetrShareEnumResponse(wrongCount), { instanceOf: ProbeError, message: /EntriesRead 2 for 3 entries/ });
  const huge = Buffer.from(SHARE_ENUM_L1_RESPONSE);
  huge.writeUInt32LE(0x10000000, 20); // max_count of the array
  t.throws(() => decodeNetrShareEnumResponse(huge), { instanceOf: ProbeError, message: /cannot fit/ });
  const otherArm = Buffer.from(SHARE_ENUM_L1_RESPONSE);
  otherArm.writeUInt32LE(2, 0); // Level 2 with a level-1 union
  t.throws(() => decodeNetrShareEnumResponse(otherArm), { instanceOf: ProbeError, message: /Level 2 with a union arm for level 1/ });
  t.throws(() => decodeNetrShareEnumResponse(SHARE_ENUM_L1_RESPONSE.subarray(0, 100)), { instanceOf: ProbeError });
  t.throws(() => decodeNetrShareEnumResponse(Buffer.concat([SHARE_ENUM_L1_RESPONSE.subarray(0, -4), Buffer.alloc(8), SHARE_ENUM_L1_RESPONSE.subarray(-4)])), {
    instanceOf: ProbeError,
    message: /octets between the \[out\] parameters and the return value/,
  });
});
