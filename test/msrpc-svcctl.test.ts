/**
 * SVCCTL ([MS-SCMR]) over an in-process DCE/RPC peer: the request stubs must equal those written out from the
 * specification (fixtures/msrpc-stubs.ts), the buffer-size retries must follow pcbBytesNeeded, and the
 * ENUM_SERVICE_STATUSW buffer (offsets, not NDR pointers) must be read with every offset checked.
 */
import test from 'ava';
import { RpcFaultError } from '../enum/dcerpc/faults.js';
import { ProbeError } from '../probes/core/outcome.js';
import {
  decodeServiceStatusBuffer,
  encodeROpenSCManagerWRequest,
  enumerateServices,
  listServices,
  rControlService,
  rEnumServicesStatusExW,
  rQueryServiceStatus,
  rStartServiceW,
  SERVICE_CONTROL,
  SVCCTL_SYNTAX,
} from '../enum/msrpc/svcctl.js';
import { Win32StatusError } from '../enum/msrpc/win32.js';
import {
  CLOSE_SERVICE_RESPONSE,
  closeServiceRequest,
  CONFIG_TOO_SMALL,
  dw,
  ENUM_SERVICES_EX_RESPONSE,
  ENUM_SERVICES_RESPONSE,
  ENUM_SERVICES_TOO_SMALL,
  enumServicesExRequest,
  enumServicesRequest,
  handleFailure,
  handleResponse,
  hex,
  OPEN_SCM_REQUEST,
  openServiceRequest,
  queryConfigRequest,
  REMOTE_REGISTRY,
  REMOTE_REGISTRY_CONFIG_RESPONSE,
  RUNNING_STATUS_RESPONSE,
  SCM,
  SERVICE_BUFFER,
  SPOOLER,
  SPOOLER_CONFIG_RESPONSE,
  startServiceRequest,
  STOP_PENDING_RESPONSE,
  stopServiceRequest,
} from '../fixtures/msrpc-stubs.js';
import { type ScriptEntry, scripted } from './helpers/scripted-rpc.js';

const CLOSE = 0;
const CONTROL = 1;
const QUERY_STATUS = 6;
const ENUM = 14;
const OPEN_SCM = 15;
const OPEN_SERVICE = 16;
const QUERY_CONFIG = 17;
const START = 19;
const ENUM_EX = 42;

const SPOOLER_STATUS = {
  serviceType: 0x110,
  currentState: 4,
  controlsAccepted: 5,
  win32ExitCode: 0,
  serviceSpecificExitCode: 0,
  checkPoint: 0,
  waitHint: 0,
  state: 'running',
  typeWords: ['own-process', 'interactive'],
};
const REMOTE_REGISTRY_STATUS = {
  serviceType: 0x20,
  currentState: 1,
  controlsAccepted: 0,
  win32ExitCode: 0,
  serviceSpecificExitCode: 0,
  checkPoint: 0,
  waitHint: 0,
  state: 'stopped',
  typeWords: ['share-process'],
};

test('listServices: ERROR_MORE_DATA with pcbBytesNeeded grows the buffer; each service opened, its configuration read (again after ERROR_INSUFFICIENT_BUFFER) and closed', async (t) => {
  t.deepEqual(encodeROpenSCManagerWRequest(), OPEN_SCM_REQUEST);
  const script: ScriptEntry[] = [
    [OPEN_SCM, OPEN_SCM_REQUEST, handleResponse(SCM)],
    [ENUM, enumServicesRequest(64), ENUM_SERVICES_TOO_SMALL],
    [ENUM, enumServicesRequest(180), ENUM_SERVICES_RESPONSE],
    [OPEN_SERVICE, openServiceRequest('Spooler'), handleResponse(SPOOLER)],
    [QUERY_CONFIG, queryConfigRequest(SPOOLER, 2048), SPOOLER_CONFIG_RESPONSE],
    [CLOSE, closeServiceRequest(SPOOLER), CLOSE_SERVICE_RESPONSE],
    [OPEN_SERVICE, openServiceRequest('RemoteRegistry'), handleResponse(REMOTE_REGISTRY)],
    [QUERY_CONFIG, queryConfigRequest(REMOTE_REGISTRY, 2048), CONFIG_TOO_SMALL],
    [QUERY_CONFIG, queryConfigRequest(REMOTE_REGISTRY, 3072), REMOTE_REGISTRY_CONFIG_RESPONSE],
    [CLOSE, closeServiceRequest(REMOTE_REGISTRY), CLOSE_SERVICE_RESPONSE],
    [CLOSE, closeServiceRequest(SCM), CLOSE_SERVICE_RESPONSE],
  ];
  const { client, calls, unexpected } = await scripted(SVCCTL_SYNTAX, script, { fragments: 2 });
  const listed = await listServices(client, { initialBufferOctets: 64 });
  t.deepEqual(unexpected, []);
  t.deepEqual(calls.map((c) => c.stub), script.map(([, request]) => request), 'every scripted call in order; every handle closed');
  t.deepEqual(listed, {
    complete: true,
    services: [
      {
        name: 'Spooler',
        displayName: 'Print Spooler',
        state: 'running',
        status: SPOOLER_STATUS,
        config: {
          serviceType: 0x110,
          startType: 2,
          start: 'auto',
          errorControl: 1,
          binaryPathName: 'C:\\Windows\\System32\\spoolsv.exe',
          loadOrderGroup: 'SpoolerGroup',
          tagId: 0,
          dependencies: ['RPCSS', 'http'],
          serviceStartName: 'LocalSystem',
          displayName: 'Print Spooler',
        },
      },
      {
        name: 'RemoteRegistry',
        displayName: 'Remote Registry',
        state: 'stopped',
        status: REMOTE_REGISTRY_STATUS,
        config: {
          serviceType: 0x20,
          startType: 4,
          start: 'disabled',
          errorControl: 1,
          binaryPathName: '%SystemRoot%\\system32\\svchost.exe -k localService -p',
          loadOrderGroup: null,
          tagId: 0,
          dependencies: ['RPCSS'],
          serviceStartName: 'NT AUTHORITY\\LocalService',
          displayName: 'Remote Registry',
        },
      },
    ],
  });
});

test('SVCCTL access denied: ROpenSCManagerW answering ERROR_ACCESS_DENIED throws Win32StatusError access-denied', async (t) => {
  const { client, calls } = await scripted(SVCCTL_SYNTAX, [[OPEN_SCM, OPEN_SCM_REQUEST, handleFailure(5)]]);
  const err = await t.throwsAsync(listServices(client), { instanceOf: Win32StatusError });
  t.is(err.status, 'access-denied');
  t.is(err.code, 5);
  t.is(err.codeName, 'ERROR_ACCESS_DENIED');
  t.is(err.message, 'ROpenSCManagerW failed: ERROR_ACCESS_DENIED (0x00000005)');
  t.is(calls.length, 1, 'nothing after the refusal');
});

test('a service whose configuration is refused or gone keeps its status and says why; the walk goes on', async (t) => {
  const script: ScriptEntry[] = [
    [OPEN_SCM, OPEN_SCM_REQUEST, handleResponse(SCM)],
    [ENUM, enumServicesRequest(180), ENUM_SERVICES_RESPONSE],
    [OPEN_SERVICE, openServiceRequest('Spooler'), handleFailure(5)],
    [OPEN_SERVICE, openServiceRequest('RemoteRegistry'), handleFailure(1060)],
    [CLOSE, closeServiceRequest(SCM), CLOSE_SERVICE_RESPONSE],
  ];
  const { client, unexpected } = await scripted(SVCCTL_SYNTAX, script);
  const listed = await listServices(client, { initialBufferOctets: 180 });
  t.deepEqual(unexpected, []);
  t.deepEqual(
    listed.services.map((s) => [s.name, s.config, s.problem]),
    [
      ['Spooler', null, { reason: 'access-denied', detail: 'ERROR_ACCESS_DENIED' }],
      ['RemoteRegistry', null, { reason: 'unsupported', detail: 'ERROR_SERVICE_DOES_NOT_EXIST' }],
    ],
  );
});

test('REnumServicesStatusExW (3.1.4.40): ENUM_SERVICE_STATUS_PROCESSW with the process id; a server without it (Samba) faults as unsupported', async (t) => {
  const { client, unexpected } = await scripted(SVCCTL_SYNTAX, [[ENUM_EX, enumServicesExRequest(92), ENUM_SERVICES_EX_RESPONSE]]);
  const page = await rEnumServicesStatusExW(client, Buffer.from(SCM, 'hex'), { bufferOctets: 92 });
  t.deepEqual(unexpected, []);
  t.deepEqual(page, {
    services: [
      {
        name: 'Dnscache',
        displayName: 'DNS Client',
        status: { serviceType: 0x20, currentState: 4, controlsAccepted: 1, win32ExitCode: 0, serviceSpecificExitCode: 0, checkPoint: 0, waitHint: 0, state: 'running', typeWords: ['share-process'] },
        processId: 1868,
        serviceFlags: 0,
      },
    ],
    bytesNeeded: 92,
    resumeIndex: 0,
    more: false,
  });
  const samba = await scripted(SVCCTL_SYNTAX, [[ENUM, enumServicesRequest(180), ENUM_SERVICES_RESPONSE]]);
  const err = await t.throwsAsync(enumerateServices(samba.client, Buffer.from(SCM, 'hex'), { variant: 'ex', initialBufferOctets: 180 }), { instanceOf: RpcFaultError });
  t.is(err.status, 'unsupported');
  t.is((await enumerateServices(samba.client, Buffer.from(SCM, 'hex'), { initialBufferOctets: 180 })).services.length, 2, 'the connection still serves the W variant');
});

test('RStartServiceW, RControlService(stop), RQueryServiceStatus: the requests and the SERVICE_STATUS answers; ERROR_SERVICE_ALREADY_RUNNING named', async (t) => {
  const { client, unexpected } = await scripted(SVCCTL_SYNTAX, [
    [START, startServiceRequest(REMOTE_REGISTRY), hex(dw(0))],
    [START, startServiceRequest(SPOOLER), hex(dw(1056))],
    [CONTROL, stopServiceRequest(REMOTE_REGISTRY), STOP_PENDING_RESPONSE],
    [QUERY_STATUS, hex(REMOTE_REGISTRY), RUNNING_STATUS_RESPONSE],
  ]);
  const rr = Buffer.from(REMOTE_REGISTRY, 'hex');
  await rStartServiceW(client, rr);
  const running = await t.throwsAsync(rStartServiceW(client, Buffer.from(SPOOLER, 'hex')), { instanceOf: Win32StatusError });
  t.is(running.codeName, 'ERROR_SERVICE_ALREADY_RUNNING');
  const stopping = await rControlService(client, rr, SERVICE_CONTROL.STOP);
  t.is(stopping.state, 'stop-pending');
  t.is(stopping.waitHint, 2000);
  t.is((await rQueryServiceStatus(client, rr)).state, 'running');
  t.deepEqual(unexpected, []);
});

test('the ENUM_SERVICE_STATUSW buffer (2.2.11): offsets from its start, every one checked', (t) => {
  t.deepEqual(
    decodeServiceStatusBuffer(SERVICE_BUFFER, 2).map((s) => [s.name, s.displayName]),
    [
      ['Spooler', 'Print Spooler'],
      ['RemoteRegistry', 'Remote Registry'],
    ],
  );
  const outside = Buffer.from(SERVICE_BUFFER);
  outside.writeUInt32LE(4000, 0);
  t.throws(() => decodeServiceStatusBuffer(outside, 2), { instanceOf: ProbeError, message: /entry 0 lpServiceName offset 4000 outside the 180-octet buffer/ });
  const odd = Buffer.from(SERVICE_BUFFER);
  odd.writeUInt32LE(73, 0);
  t.throws(() => decodeServiceStatusBuffer(odd, 2), { instanceOf: ProbeError, message: /odd/ });
  const unterminated = Buffer.concat([SERVICE_BUFFER.subarray(0, 72), Buffer.from('x'.repeat(2000), 'utf16le')]);
  t.throws(() => decodeServiceStatusBuffer(unterminated, 2), { instanceOf: ProbeError, message: /no terminator within 1024 characters/ });
  t.throws(() => decodeServiceStatusBuffer(SERVICE_BUFFER, 6), { instanceOf: ProbeError, message: /6 entries of 36 octets cannot fit in 180/ });
  const shared = Buffer.from(SERVICE_BUFFER);
  shared.writeUInt32LE(72, 36); // two entries naming the same string: allowed, read once
  t.is(decodeServiceStatusBuffer(shared, 2)[1]!.name, 'Spooler');
});

test('a server that asks for no larger buffer yet returns nothing is refused instead of looped on', async (t) => {
  const stuck = hex(dw(64), '00'.repeat(64), dw(64), dw(0), '00000200', dw(0), dw(234));
  const { client, calls } = await scripted(SVCCTL_SYNTAX, [[ENUM, enumServicesRequest(64), stuck]]);
  const err = await t.throwsAsync(enumerateServices(client, Buffer.from(SCM, 'hex'), { initialBufferOctets: 64 }), { instanceOf: Win32StatusError });
  t.is(err.codeName, 'ERROR_MORE_DATA');
  t.is(calls.length, 1);
});
