/**
 * WINREG ([MS-RRP]) over an in-process DCE/RPC peer: every request must equal the stub written out from the
 * specification (fixtures/msrpc-stubs.ts), and the helpers must report missing keys and values instead of failing.
 */
import test from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import { isNotFound, Win32StatusError } from '../enum/msrpc/win32.js';
import {
  baseRegOpenKey,
  baseRegQueryInfoKey,
  baseRegQueryValue,
  CURRENT_VERSION_KEY,
  decodeBaseRegEnumValueResponse,
  decodeRegData,
  encodeBaseRegEnumKeyRequest,
  encodeOpenLocalMachineRequest,
  enumerateValues,
  hardware,
  HARDWARE_KEY,
  installedSoftware,
  osVersion,
  REG_TYPE,
  ValueTooLargeError,
  withKey,
  withLocalMachine,
  WINREG_SYNTAX,
} from '../enum/msrpc/winreg.js';
import {
  CLOSE_KEY_RESPONSE,
  closeKeyRequest,
  CURRENT_VERSION,
  dw,
  ENUM_KEY_END,
  ENUM_VALUE_END,
  enumKeyRequest,
  enumKeyResponse,
  enumValueMoreData,
  enumValueRequest,
  enumValueResponse,
  handleFailure,
  handle,
  handleResponse,
  hex,
  HKLM,
  multiSz,
  OPEN_HKLM_REQUEST,
  openKeyRequest,
  PROGRAM_7ZIP,
  PROGRAM_CONTOSO,
  QUERY_INFO_KEY_RESPONSE,
  QUERY_VALUE_NOT_FOUND,
  queryInfoKeyRequest,
  queryValueRequest,
  queryValueResponse,
  SYSTEM_KEY,
  sz,
  UNINSTALL,
  UNINSTALL_PATH,
  WOW_UNINSTALL_PATH,
} from '../fixtures/msrpc-stubs.js';
import { type ScriptEntry, scripted } from './helpers/scripted-rpc.js';

const OPEN = 2;
const CLOSE = 5;
const ENUM_KEY = 9;
const ENUM_VALUE = 10;
const OPEN_KEY = 15;
const QUERY_INFO = 16;
const QUERY_VALUE = 17;

const dword = (n: number) => hex(dw(n));

test('request stubs: OpenLocalMachine and BaseRegEnumKey as [MS-RRP] 3.1.5.3 and 3.1.5.10 lay them out', (t) => {
  t.deepEqual(encodeOpenLocalMachineRequest(), OPEN_HKLM_REQUEST);
  t.deepEqual(encodeBaseRegEnumKeyRequest(Buffer.from(UNINSTALL, 'hex'), 7), enumKeyRequest(UNINSTALL, 7));
});

test('installedSoftware: both Uninstall keys, subkeys enumerated, four values each; a missing value is null, a missing WOW6432Node is reported, not thrown', async (t) => {
  const program7zip = `${UNINSTALL_PATH}\\7-Zip`;
  const programContoso = `${UNINSTALL_PATH}\\ContosoAgent`;
  const script: ScriptEntry[] = [
    [OPEN, OPEN_HKLM_REQUEST, handleResponse(HKLM)],
    [OPEN_KEY, openKeyRequest(HKLM, UNINSTALL_PATH), handleResponse(UNINSTALL)],
    [ENUM_KEY, enumKeyRequest(UNINSTALL, 0), enumKeyResponse('7-Zip')],
    [ENUM_KEY, enumKeyRequest(UNINSTALL, 1), enumKeyResponse('ContosoAgent')],
    [ENUM_KEY, enumKeyRequest(UNINSTALL, 2), ENUM_KEY_END],
    [CLOSE, closeKeyRequest(UNINSTALL), CLOSE_KEY_RESPONSE],
    [OPEN_KEY, openKeyRequest(HKLM, program7zip), handleResponse(PROGRAM_7ZIP)],
    [QUERY_VALUE, queryValueRequest(PROGRAM_7ZIP, 'DisplayName'), queryValueResponse(REG_TYPE.REG_SZ, sz('7-Zip 23.01 (x64)'))],
    [QUERY_VALUE, queryValueRequest(PROGRAM_7ZIP, 'DisplayVersion'), queryValueResponse(REG_TYPE.REG_SZ, sz('23.01'))],
    [QUERY_VALUE, queryValueRequest(PROGRAM_7ZIP, 'Publisher'), queryValueResponse(REG_TYPE.REG_SZ, sz('Igor Pavlov'))],
    [QUERY_VALUE, queryValueRequest(PROGRAM_7ZIP, 'InstallDate'), QUERY_VALUE_NOT_FOUND],
    [CLOSE, closeKeyRequest(PROGRAM_7ZIP), CLOSE_KEY_RESPONSE],
    [OPEN_KEY, openKeyRequest(HKLM, programContoso), handleResponse(PROGRAM_CONTOSO)],
    [QUERY_VALUE, queryValueRequest(PROGRAM_CONTOSO, 'DisplayName'), queryValueResponse(REG_TYPE.REG_SZ, sz('Contoso Agent'))],
    [QUERY_VALUE, queryValueRequest(PROGRAM_CONTOSO, 'DisplayVersion'), queryValueResponse(REG_TYPE.REG_DWORD, dword(42))],
    [QUERY_VALUE, queryValueRequest(PROGRAM_CONTOSO, 'Publisher'), queryValueResponse(REG_TYPE.REG_SZ, sz('Contoso Ltd.'))],
    [QUERY_VALUE, queryValueRequest(PROGRAM_CONTOSO, 'InstallDate'), queryValueResponse(REG_TYPE.REG_SZ, sz('20240115'))],
    [CLOSE, closeKeyRequest(PROGRAM_CONTOSO), CLOSE_KEY_RESPONSE],
    [OPEN_KEY, openKeyRequest(HKLM, WOW_UNINSTALL_PATH), handleFailure(2)],
    [CLOSE, closeKeyRequest(HKLM), CLOSE_KEY_RESPONSE],
  ];
  const { client, calls, unexpected } = await scripted(WINREG_SYNTAX, script);
  const inventory = await installedSoftware(client);
  t.deepEqual(unexpected, []);
  t.deepEqual(
    calls.map((c) => c.stub),
    script.map(([, request]) => request),
    'every scripted call, in order, and nothing else: each key opened is closed',
  );
  t.deepEqual(inventory, {
    programs: [
      { view: 'native', key: '7-Zip', displayName: '7-Zip 23.01 (x64)', displayVersion: '23.01', publisher: 'Igor Pavlov', installDate: null },
      { view: 'native', key: 'ContosoAgent', displayName: 'Contoso Agent', displayVersion: '42', publisher: 'Contoso Ltd.', installDate: '20240115' },
    ],
    problems: [{ path: WOW_UNINSTALL_PATH, reason: 'not-found', detail: 'ERROR_FILE_NOT_FOUND' }],
    complete: true,
  });
});

test('BaseRegEnumValue (3.1.5.11): REG_MULTI_SZ, ERROR_MORE_DATA retried with the size lpcbData asks for, ERROR_NO_MORE_ITEMS ends', async (t) => {
  const configurationData = Buffer.alloc(1500, 0x5a);
  const script: ScriptEntry[] = [
    [OPEN, OPEN_HKLM_REQUEST, handleResponse(HKLM)],
    [OPEN_KEY, openKeyRequest(HKLM, 'HARDWARE\\DESCRIPTION\\System'), handleResponse(SYSTEM_KEY)],
    [ENUM_VALUE, enumValueRequest(SYSTEM_KEY, 0), enumValueResponse('SystemBiosVersion', REG_TYPE.REG_MULTI_SZ, multiSz(['ALASKA - 1072009', 'BIOS Date: 03/21/23 10:14:33 Ver: 2.21']))],
    [ENUM_VALUE, enumValueRequest(SYSTEM_KEY, 1), enumValueMoreData(1500)],
    [ENUM_VALUE, enumValueRequest(SYSTEM_KEY, 1, 512, 1500), enumValueResponse('Configuration Data', REG_TYPE.REG_FULL_RESOURCE_DESCRIPTOR, configurationData)],
    [ENUM_VALUE, enumValueRequest(SYSTEM_KEY, 2), enumValueResponse('Identifier', REG_TYPE.REG_SZ, sz('AT/AT COMPATIBLE'))],
    [ENUM_VALUE, enumValueRequest(SYSTEM_KEY, 3), ENUM_VALUE_END],
    [CLOSE, closeKeyRequest(SYSTEM_KEY), CLOSE_KEY_RESPONSE],
    [CLOSE, closeKeyRequest(HKLM), CLOSE_KEY_RESPONSE],
  ];
  const { client, calls, unexpected } = await scripted(WINREG_SYNTAX, script);
  const listed = await withLocalMachine(client, (hklm) => withKey(client, hklm, 'HARDWARE\\DESCRIPTION\\System', (key) => enumerateValues(client, key)));
  t.deepEqual(unexpected, []);
  t.deepEqual(calls.map((c) => c.stub), script.map(([, request]) => request));
  t.deepEqual(listed, {
    complete: true,
    values: [
      { name: 'SystemBiosVersion', type: 7, typeName: 'REG_MULTI_SZ', data: { kind: 'strings', value: ['ALASKA - 1072009', 'BIOS Date: 03/21/23 10:14:33 Ver: 2.21'] } },
      { name: 'Configuration Data', type: 9, typeName: 'REG_FULL_RESOURCE_DESCRIPTOR', data: { kind: 'binary', value: configurationData } },
      { name: 'Identifier', type: 1, typeName: 'REG_SZ', data: { kind: 'string', value: 'AT/AT COMPATIBLE' } },
    ],
  });
});

test('a key that does not exist: BaseRegOpenKey throws Win32StatusError ERROR_FILE_NOT_FOUND that isNotFound recognises', async (t) => {
  const { client } = await scripted(WINREG_SYNTAX, [[OPEN_KEY, openKeyRequest(HKLM, 'SOFTWARE\\Nope'), handleFailure(2)]]);
  const err = await t.throwsAsync(baseRegOpenKey(client, Buffer.from(HKLM, 'hex'), 'SOFTWARE\\Nope'), { instanceOf: Win32StatusError });
  t.true(isNotFound(err));
  t.is(err.codeName, 'ERROR_FILE_NOT_FOUND');
  t.is(err.status, 'unsupported');
  const denied = await scripted(WINREG_SYNTAX, [[OPEN_KEY, openKeyRequest(HKLM, 'SAM\\SAM'), handleFailure(5)]]);
  const deniedErr = await t.throwsAsync(baseRegOpenKey(denied.client, Buffer.from(HKLM, 'hex'), 'SAM\\SAM'), { instanceOf: Win32StatusError });
  t.is(deniedErr.status, 'access-denied');
  t.false(isNotFound(deniedErr));
});

test('BaseRegQueryValue (3.1.5.17): ERROR_MORE_DATA retried with lpcbData; a value past the caller\'s limit stops with ValueTooLargeError', async (t) => {
  const moreData = (needed: number) => hex('00000200', dw(0), '00000000', '04000200', dw(needed), '08000200', dw(0), dw(234));
  const big = Buffer.alloc(3000, 0x41);
  const { client, calls, unexpected } = await scripted(WINREG_SYNTAX, [
    [QUERY_VALUE, queryValueRequest(SYSTEM_KEY, 'Component Information'), moreData(3000)],
    [QUERY_VALUE, queryValueRequest(SYSTEM_KEY, 'Component Information', 3000), queryValueResponse(REG_TYPE.REG_BINARY, big)],
    [QUERY_VALUE, queryValueRequest(SYSTEM_KEY, 'Huge'), moreData(10_000_000)],
  ]);
  const key = Buffer.from(SYSTEM_KEY, 'hex');
  const value = await baseRegQueryValue(client, key, 'Component Information');
  t.deepEqual(value, { name: 'Component Information', type: 3, typeName: 'REG_BINARY', data: { kind: 'binary', value: big } });
  const err = await t.throwsAsync(baseRegQueryValue(client, key, 'Huge'), { instanceOf: ValueTooLargeError });
  t.is(err.status, 'incomplete');
  t.is(err.neededOctets, 10_000_000);
  t.is(calls.length, 3, 'no second try past the limit');
  t.deepEqual(unexpected, []);
});

test('BaseRegQueryInfoKey (3.1.5.16): counts, lengths and the last write time', async (t) => {
  const { client, unexpected } = await scripted(WINREG_SYNTAX, [[QUERY_INFO, queryInfoKeyRequest(SYSTEM_KEY), QUERY_INFO_KEY_RESPONSE]]);
  const info = await baseRegQueryInfoKey(client, Buffer.from(SYSTEM_KEY, 'hex'));
  t.deepEqual(unexpected, []);
  t.deepEqual(info, {
    className: null,
    subKeys: 2,
    maxSubKeyLength: 14,
    maxClassLength: 0,
    values: 5,
    maxValueNameLength: 17,
    maxValueLength: 2048,
    securityDescriptorLength: 160,
    lastWriteTime: 0x01d9c4a5d53e8000n,
  });
});

test('osVersion: product, version numbers, build, UBR and edition; an absent value is listed as missing', async (t) => {
  const v = (name: string, type: number, data: Buffer): ScriptEntry => [QUERY_VALUE, queryValueRequest(CURRENT_VERSION, name), queryValueResponse(type, data)];
  const script: ScriptEntry[] = [
    [OPEN, OPEN_HKLM_REQUEST, handleResponse(HKLM)],
    [OPEN_KEY, openKeyRequest(HKLM, CURRENT_VERSION_KEY), handleResponse(CURRENT_VERSION)],
    v('ProductName', REG_TYPE.REG_SZ, sz('Windows Server 2022 Standard')),
    v('CurrentVersion', REG_TYPE.REG_SZ, sz('6.3')),
    v('CurrentMajorVersionNumber', REG_TYPE.REG_DWORD, dword(10)),
    v('CurrentMinorVersionNumber', REG_TYPE.REG_DWORD, dword(0)),
    v('CurrentBuild', REG_TYPE.REG_SZ, sz('20348')),
    v('CurrentBuildNumber', REG_TYPE.REG_SZ, sz('20348')),
    v('UBR', REG_TYPE.REG_DWORD, dword(2113)),
    v('EditionID', REG_TYPE.REG_SZ, sz('ServerStandard')),
    v('DisplayVersion', REG_TYPE.REG_SZ, sz('21H2')),
    [QUERY_VALUE, queryValueRequest(CURRENT_VERSION, 'ReleaseId'), QUERY_VALUE_NOT_FOUND],
    v('InstallationType', REG_TYPE.REG_SZ, sz('Server')),
    [CLOSE, closeKeyRequest(CURRENT_VERSION), CLOSE_KEY_RESPONSE],
    [CLOSE, closeKeyRequest(HKLM), CLOSE_KEY_RESPONSE],
  ];
  const { client, calls, unexpected } = await scripted(WINREG_SYNTAX, script);
  const os = await osVersion(client);
  t.deepEqual(unexpected, []);
  t.is(calls.length, script.length);
  t.deepEqual(os, {
    productName: 'Windows Server 2022 Standard',
    currentVersion: '6.3',
    majorVersion: 10,
    minorVersion: 0,
    currentBuild: '20348',
    ubr: 2113,
    editionId: 'ServerStandard',
    displayVersion: '21H2',
    releaseId: null,
    installationType: 'Server',
    missing: [`${CURRENT_VERSION_KEY}\\ReleaseId`],
    problems: [],
  });
});

test('hardware: processor and BIOS strings (REG_MULTI_SZ read through BaseRegQueryValue), CPUs counted by their subkeys, a missing BIOS key reported', async (t) => {
  const CPU0 = handle(0x77);
  const CPUS = handle(0x78);
  const system = HARDWARE_KEY;
  const script: ScriptEntry[] = [
    [OPEN, OPEN_HKLM_REQUEST, handleResponse(HKLM)],
    [OPEN_KEY, openKeyRequest(HKLM, system), handleResponse(SYSTEM_KEY)],
    [QUERY_VALUE, queryValueRequest(SYSTEM_KEY, 'SystemBiosVersion'), queryValueResponse(REG_TYPE.REG_MULTI_SZ, multiSz(['DELL   - 1072009', '1.9.0']))],
    [QUERY_VALUE, queryValueRequest(SYSTEM_KEY, 'SystemBiosDate'), queryValueResponse(REG_TYPE.REG_SZ, sz('03/21/23'))],
    [QUERY_VALUE, queryValueRequest(SYSTEM_KEY, 'VideoBiosVersion'), QUERY_VALUE_NOT_FOUND],
    [CLOSE, closeKeyRequest(SYSTEM_KEY), CLOSE_KEY_RESPONSE],
    [OPEN_KEY, openKeyRequest(HKLM, `${system}\\BIOS`), handleFailure(2)],
    [OPEN_KEY, openKeyRequest(HKLM, `${system}\\CentralProcessor\\0`), handleResponse(CPU0)],
    [QUERY_VALUE, queryValueRequest(CPU0, 'ProcessorNameString'), queryValueResponse(REG_TYPE.REG_SZ, sz('Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz   '))],
    [QUERY_VALUE, queryValueRequest(CPU0, 'Identifier'), queryValueResponse(REG_TYPE.REG_SZ, sz('Intel64 Family 6 Model 106 Stepping 6'))],
    [QUERY_VALUE, queryValueRequest(CPU0, 'VendorIdentifier'), queryValueResponse(REG_TYPE.REG_SZ, sz('GenuineIntel'))],
    [QUERY_VALUE, queryValueRequest(CPU0, '~MHz'), queryValueResponse(REG_TYPE.REG_DWORD, dword(1995))],
    [CLOSE, closeKeyRequest(CPU0), CLOSE_KEY_RESPONSE],
    [OPEN_KEY, openKeyRequest(HKLM, `${system}\\CentralProcessor`), handleResponse(CPUS)],
    [ENUM_KEY, enumKeyRequest(CPUS, 0), enumKeyResponse('0')],
    [ENUM_KEY, enumKeyRequest(CPUS, 1), enumKeyResponse('1')],
    [ENUM_KEY, enumKeyRequest(CPUS, 2), ENUM_KEY_END],
    [CLOSE, closeKeyRequest(CPUS), CLOSE_KEY_RESPONSE],
    [CLOSE, closeKeyRequest(HKLM), CLOSE_KEY_RESPONSE],
  ];
  const { client, calls, unexpected } = await scripted(WINREG_SYNTAX, script);
  const hw = await hardware(client);
  t.deepEqual(unexpected, []);
  t.deepEqual(calls.map((c) => c.stub), script.map(([, request]) => request));
  const bios = `${system}\\BIOS`;
  t.deepEqual(hw, {
    processorName: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    processorIdentifier: 'Intel64 Family 6 Model 106 Stepping 6',
    processorVendor: 'GenuineIntel',
    processorMhz: 1995,
    processorCount: 2,
    systemBiosVersion: ['DELL   - 1072009', '1.9.0'],
    systemBiosDate: '03/21/23',
    videoBiosVersion: [],
    systemManufacturer: null,
    systemProductName: null,
    biosVendor: null,
    biosVersion: null,
    biosReleaseDate: null,
    missing: [
      `${system}\\VideoBiosVersion`,
      ...['SystemManufacturer', 'SystemProductName', 'BIOSVendor', 'BIOSVersion', 'BIOSReleaseDate'].map((name) => `${bios}\\${name}`),
    ],
    problems: [{ path: bios, reason: 'not-found', detail: 'ERROR_FILE_NOT_FOUND' }],
  });
});

test('value data by type ([MS-RRP] 3.1.1.5, REG_MULTI_SZ 2.2.5), from literal octets', (t) => {
  t.deepEqual(decodeRegData(REG_TYPE.REG_SZ, Buffer.from('610062006300000000', 'hex')), { kind: 'string', value: 'abc' }, 'stops at the NUL; an odd trailing octet is ignored');
  t.deepEqual(decodeRegData(REG_TYPE.REG_EXPAND_SZ, sz('%SystemRoot%\\system32')), { kind: 'string', value: '%SystemRoot%\\system32' });
  t.deepEqual(decodeRegData(REG_TYPE.REG_MULTI_SZ, Buffer.from('61000000620000000000', 'hex')), { kind: 'strings', value: ['a', 'b'] });
  t.deepEqual(decodeRegData(REG_TYPE.REG_MULTI_SZ, Buffer.from('0000', 'hex')), { kind: 'strings', value: [] });
  t.deepEqual(decodeRegData(REG_TYPE.REG_MULTI_SZ, Buffer.from('610000006200', 'hex')), { kind: 'strings', value: ['a', 'b'] }, 'an unterminated list keeps its last string');
  t.deepEqual(decodeRegData(REG_TYPE.REG_DWORD, Buffer.from('2a000000', 'hex')), { kind: 'number', value: 42 });
  t.deepEqual(decodeRegData(REG_TYPE.REG_DWORD_BIG_ENDIAN, Buffer.from('0000002a', 'hex')), { kind: 'number', value: 42 });
  t.deepEqual(decodeRegData(REG_TYPE.REG_QWORD, Buffer.from('0100000002000000', 'hex')), { kind: 'bigint', value: 0x0000000200000001n });
  t.deepEqual(decodeRegData(REG_TYPE.REG_DWORD, Buffer.from('2a00', 'hex')), { kind: 'binary', value: Buffer.from('2a00', 'hex') }, 'a DWORD of the wrong size stays binary');
  t.deepEqual(decodeRegData(REG_TYPE.REG_BINARY, Buffer.from('deadbeef', 'hex')), { kind: 'binary', value: Buffer.from('deadbeef', 'hex') });
});

test('hostile value responses: a data count past the stub, a value without a name', (t) => {
  const ok = enumValueResponse('Identifier', REG_TYPE.REG_SZ, sz('x'));
  const tooLong = Buffer.from(ok);
  const lpData = ok.indexOf(Buffer.from('08000200', 'hex'));
  tooLong.writeUInt32LE(0x7fffffff, lpData + 4); // max_count: a conformance alone is no claim on the stub
  tooLong.writeUInt32LE(0x7ffffff0, lpData + 12); // actual_count: octets that are not there
  t.throws(() => decodeBaseRegEnumValueResponse(tooLong), { instanceOf: ProbeError, message: /needs 2147483632 octets/ });
  const nameless = hex('0000', '0002', '00000000', '04000200', dw(1), '08000200', dw(0), dw(0), dw(0), '0c000200', dw(0), '10000200', dw(0), dw(0));
  t.throws(() => decodeBaseRegEnumValueResponse(nameless), { instanceOf: ProbeError, message: /a value without a name/ });
});
