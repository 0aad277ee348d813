/**
 * Fuzz targets for the interface modules (enum/msrpc): every response decoder of SRVSVC, WINREG, SVCCTL and TSCH,
 * the ENUM_SERVICE_STATUS buffer decoder, registry value data, and the task XML parser. Seeds are the stubs written
 * out from the specifications in fixtures/msrpc-stubs.ts. Same shape as fuzz/run.ts's Target; a target may return
 * or throw ProbeError, anything else is a crash and an input over 100 ms a hang (test/msrpc-fuzz.test.ts runs them
 * with fuzz/harness.ts, aimed as DCE/RPC's stubs are).
 */
import { decodeNetrServerGetInfoResponse, decodeNetrShareEnumResponse } from '../enum/msrpc/srvsvc.js';
import {
  decodeRCloseServiceHandleResponse,
  decodeRControlServiceResponse,
  decodeREnumServicesStatusExWResponse,
  decodeREnumServicesStatusWResponse,
  decodeROpenSCManagerWResponse,
  decodeROpenServiceWResponse,
  decodeRQueryServiceConfigWResponse,
  decodeRQueryServiceStatusResponse,
  decodeRStartServiceWResponse,
  decodeServiceStatusBuffer,
} from '../enum/msrpc/svcctl.js';
import { parseTaskDefinition } from '../enum/msrpc/task-xml.js';
import { decodeSchRpcEnumFoldersResponse, decodeSchRpcEnumTasksResponse, decodeSchRpcRetrieveTaskResponse } from '../enum/msrpc/tsch.js';
import {
  decodeBaseRegCloseKeyResponse,
  decodeBaseRegEnumKeyResponse,
  decodeBaseRegEnumValueResponse,
  decodeBaseRegOpenKeyResponse,
  decodeBaseRegQueryInfoKeyResponse,
  decodeBaseRegQueryValueResponse,
  decodeOpenLocalMachineResponse,
  decodeRegData,
  REG_TYPE,
  type ValueAnswer,
} from '../enum/msrpc/winreg.js';
import * as S from '../fixtures/msrpc-stubs.js';
import { DCERPC } from './dcerpc.js';
import { type FuzzTarget, withMutation } from './harness.js';

const withType = (type: number, data: Buffer) => Buffer.concat([Buffer.from([type]), data]);

/** The value decoders of a value answer, as a caller would apply them. */
function valueThenData(answer: ValueAnswer): unknown {
  return answer.kind === 'value' ? decodeRegData(answer.type, answer.data) : answer;
}

export const MSRPC_FUZZ_TARGETS: FuzzTarget[] = withMutation(DCERPC, [
  // SRVSVC
  { name: 'srvsvc NetrShareEnum response', seeds: [S.SHARE_ENUM_L1_RESPONSE, S.SHARE_ENUM_L2_PAGE1, S.SHARE_ENUM_L2_PAGE2, S.SHARE_ENUM_L2_DENIED], run: (b) => decodeNetrShareEnumResponse(b) },
  { name: 'srvsvc NetrServerGetInfo response', seeds: [S.SERVER_GET_INFO_RESPONSE], run: (b) => decodeNetrServerGetInfoResponse(b) },
  // WINREG
  { name: 'winreg OpenLocalMachine response', seeds: [S.handleResponse(S.HKLM), S.handleFailure(5)], run: (b) => decodeOpenLocalMachineResponse(b) },
  { name: 'winreg BaseRegOpenKey response', seeds: [S.handleResponse(S.UNINSTALL), S.handleFailure(2)], run: (b) => decodeBaseRegOpenKeyResponse(b) },
  { name: 'winreg BaseRegCloseKey response', seeds: [S.CLOSE_KEY_RESPONSE], run: (b) => decodeBaseRegCloseKeyResponse(b) },
  { name: 'winreg BaseRegQueryInfoKey response', seeds: [S.QUERY_INFO_KEY_RESPONSE], run: (b) => decodeBaseRegQueryInfoKeyResponse(b) },
  { name: 'winreg BaseRegEnumKey response', seeds: [S.enumKeyResponse('7-Zip'), S.enumKeyResponse('{90160000-008C-0000-1000-0000000FF1CE}'), S.ENUM_KEY_END], run: (b) => decodeBaseRegEnumKeyResponse(b) },
  {
    name: 'winreg BaseRegEnumValue response',
    seeds: [S.enumValueResponse('SystemBiosVersion', REG_TYPE.REG_MULTI_SZ, S.multiSz(['ALASKA - 1072009', 'Ver: 2.21'])), S.enumValueMoreData(1500), S.ENUM_VALUE_END],
    run: (b) => valueThenData(decodeBaseRegEnumValueResponse(b)),
  },
  {
    name: 'winreg BaseRegQueryValue response',
    seeds: [S.queryValueResponse(REG_TYPE.REG_SZ, S.sz('7-Zip 23.01 (x64)')), S.queryValueResponse(REG_TYPE.REG_DWORD, Buffer.from('2a000000', 'hex')), S.QUERY_VALUE_NOT_FOUND],
    run: (b) => valueThenData(decodeBaseRegQueryValueResponse(b)),
  },
  {
    name: 'winreg value data',
    seeds: [withType(REG_TYPE.REG_MULTI_SZ, S.multiSz(['a', 'bc'])), withType(REG_TYPE.REG_SZ, S.sz('x')), withType(REG_TYPE.REG_QWORD, Buffer.alloc(8, 1)), withType(REG_TYPE.REG_DWORD_BIG_ENDIAN, Buffer.alloc(4, 2))],
    run: (b) => (b.length ? decodeRegData(b[0]! % 12, b.subarray(1)) : null),
  },
  // SVCCTL
  { name: 'svcctl ROpenSCManagerW response', seeds: [S.handleResponse(S.SCM), S.handleFailure(5)], run: (b) => decodeROpenSCManagerWResponse(b) },
  { name: 'svcctl ROpenServiceW response', seeds: [S.handleResponse(S.SPOOLER), S.handleFailure(1060)], run: (b) => decodeROpenServiceWResponse(b) },
  { name: 'svcctl RCloseServiceHandle response', seeds: [S.CLOSE_SERVICE_RESPONSE], run: (b) => decodeRCloseServiceHandleResponse(b) },
  { name: 'svcctl REnumServicesStatusW response', seeds: [S.ENUM_SERVICES_RESPONSE, S.ENUM_SERVICES_TOO_SMALL], run: (b) => decodeREnumServicesStatusWResponse(b) },
  { name: 'svcctl REnumServicesStatusExW response', seeds: [S.ENUM_SERVICES_EX_RESPONSE], run: (b) => decodeREnumServicesStatusExWResponse(b) },
  {
    name: 'svcctl ENUM_SERVICE_STATUS buffer',
    // First octet: the entry count in its low 5 bits, the _PROCESS layout in its top bit; the buffer after it.
    seeds: [Buffer.concat([Buffer.from([2]), S.SERVICE_BUFFER]), Buffer.concat([Buffer.from([0x81]), S.ENUM_SERVICES_EX_RESPONSE.subarray(4, 96)])],
    run: (b) => (b.length ? decodeServiceStatusBuffer(b.subarray(1), b[0]! & 0x1f, (b[0]! & 0x80) !== 0) : null),
  },
  { name: 'svcctl RQueryServiceConfigW response', seeds: [S.SPOOLER_CONFIG_RESPONSE, S.REMOTE_REGISTRY_CONFIG_RESPONSE, S.CONFIG_TOO_SMALL], run: (b) => decodeRQueryServiceConfigWResponse(b) },
  { name: 'svcctl RQueryServiceStatus response', seeds: [S.RUNNING_STATUS_RESPONSE], run: (b) => decodeRQueryServiceStatusResponse(b) },
  { name: 'svcctl RControlService response', seeds: [S.STOP_PENDING_RESPONSE], run: (b) => decodeRControlServiceResponse(b) },
  { name: 'svcctl RStartServiceW response', seeds: [S.hex(S.dw(0)), S.hex(S.dw(1056))], run: (b) => decodeRStartServiceWResponse(b) },
  // TSCH
  { name: 'tsch SchRpcEnumTasks response', seeds: [S.enumNamesResponse(['Backup', 'Sync'], 2), S.enumNamesResponse([], 0)], run: (b) => decodeSchRpcEnumTasksResponse(b) },
  { name: 'tsch SchRpcEnumFolders response', seeds: [S.enumNamesResponse(['Microsoft'], 1, 1)], run: (b) => decodeSchRpcEnumFoldersResponse(b) },
  {
    name: 'tsch SchRpcRetrieveTask response and its XML',
    seeds: [S.retrieveTaskResponse(S.BACKUP_TASK_XML), S.retrieveTaskResponse(S.HOSTILE_TASK_XML)],
    run: (b) => parseTaskDefinition(decodeSchRpcRetrieveTaskResponse(b)),
  },
  { name: 'tsch task XML', seeds: [Buffer.from(S.BACKUP_TASK_XML), Buffer.from(S.HOSTILE_TASK_XML)], run: (b) => parseTaskDefinition(b.toString('utf8')) },
]);
