/**
 * [MS-SCMR] Service Control Manager Remote Protocol on \PIPE\svcctl: the services a host runs, each with its state,
 * start type, binary path and the account it runs as (lpServiceStartName), and the start/stop calls that an explicit
 * `--start-remote-registry` needs. Returns are Win32 codes (DWORD).
 *
 * Two enumerations: REnumServicesStatusW (opnum 14), which Samba implements and Windows keeps, and
 * REnumServicesStatusExW (opnum 42, adds the process id), which Windows has and Samba answers with a fault. Both
 * return their ENUM_SERVICE_STATUS(_PROCESS)W array inside a byte buffer whose string "pointers" are 32-bit offsets
 * from the start of that buffer (Samba's [relative] pointers), not NDR pointers: decodeServiceStatusBuffer reads
 * it, every offset and string checked against the buffer. Both, and RQueryServiceConfigW, size their answer by
 * the caller's buffer: too small gives ERROR_MORE_DATA or ERROR_INSUFFICIENT_BUFFER with pcbBytesNeeded, and the
 * helpers here call again with that size (bounded by the IDL's ranges: 256 KiB and 8 KiB).
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { contextHandle, isNullHandle } from '../dcerpc/dtyp.js';
import type { SyntaxId } from '../dcerpc/pdu.js';
import { type Codec, conformantArray, conformantBytes, encode, struct, u32, unique, wstring } from '../dcerpc/ndr.js';
import { decodeResponse, finallyClose, type RpcCaller, WIN32, Win32StatusError } from './win32.js';

/** The interface to bind ([MS-SCMR] 2.1): svcctl 367abb81-9844-35f1-ad32-98f038001003 version 2.0. */
export const SVCCTL_SYNTAX: SyntaxId = { uuid: '367abb81-9844-35f1-ad32-98f038001003', major: 2, minor: 0 };
/** The named pipe on IPC$ ([MS-SCMR] 2.1). */
export const SVCCTL_PIPE = 'svcctl';

export const SVCCTL_OPNUM = {
  RCloseServiceHandle: 0,
  RControlService: 1,
  RQueryServiceStatus: 6,
  REnumServicesStatusW: 14,
  ROpenSCManagerW: 15,
  ROpenServiceW: 16,
  RQueryServiceConfigW: 17,
  RStartServiceW: 19,
  REnumServicesStatusExW: 42,
} as const;

/** SCM access rights ([MS-SCMR] 3.1.4). */
export const SC_MANAGER = { CONNECT: 0x0001, CREATE_SERVICE: 0x0002, ENUMERATE_SERVICE: 0x0004, LOCK: 0x0008, QUERY_LOCK_STATUS: 0x0010 } as const;
/** Service access rights ([MS-SCMR] 3.1.4). */
export const SERVICE_ACCESS = { QUERY_CONFIG: 0x0001, CHANGE_CONFIG: 0x0002, QUERY_STATUS: 0x0004, ENUMERATE_DEPENDENTS: 0x0008, START: 0x0010, STOP: 0x0020, INTERROGATE: 0x0080 } as const;
/** dwServiceType ([MS-SCMR] 2.2.47). */
export const SERVICE_TYPE = {
  KERNEL_DRIVER: 0x01,
  FILE_SYSTEM_DRIVER: 0x02,
  WIN32_OWN_PROCESS: 0x10,
  WIN32_SHARE_PROCESS: 0x20,
  INTERACTIVE_PROCESS: 0x100,
  /** SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS. */
  WIN32: 0x30,
} as const;
/** dwServiceState for the enumerations ([MS-SCMR] 3.1.4.14). */
export const SERVICE_STATE_FILTER = { ACTIVE: 1, INACTIVE: 2, ALL: 3 } as const;
/** SERVICE_CONTROL_* ([MS-SCMR] 3.1.4.2). */
export const SERVICE_CONTROL = { STOP: 1, PAUSE: 2, CONTINUE: 3, INTERROGATE: 4 } as const;

const STATES: Record<number, string> = { 1: 'stopped', 2: 'start-pending', 3: 'stop-pending', 4: 'running', 5: 'continue-pending', 6: 'pause-pending', 7: 'paused' };
const START_TYPES: Record<number, string> = { 0: 'boot', 1: 'system', 2: 'auto', 3: 'demand', 4: 'disabled' };

/** dwCurrentState in words ([MS-SCMR] 2.2.47). */
export function serviceStateName(state: number): string {
  return STATES[state] ?? `state ${state}`;
}

/** dwStartType in words ([MS-SCMR] 2.2.15). */
export function startTypeName(type: number): string {
  return START_TYPES[type] ?? `start type ${type}`;
}

/** dwServiceType in words. */
export function serviceTypeWords(type: number): string[] {
  const words: string[] = [];
  if (type & SERVICE_TYPE.KERNEL_DRIVER) words.push('kernel-driver');
  if (type & SERVICE_TYPE.FILE_SYSTEM_DRIVER) words.push('file-system-driver');
  if (type & SERVICE_TYPE.WIN32_OWN_PROCESS) words.push('own-process');
  if (type & SERVICE_TYPE.WIN32_SHARE_PROCESS) words.push('share-process');
  if (type & 0x40) words.push('user-service');
  if (type & SERVICE_TYPE.INTERACTIVE_PROCESS) words.push('interactive');
  return words;
}

// ---------------------------------------------------------------------------------------------------------------
// NDR types

/** [MS-SCMR] 2.2.47 SERVICE_STATUS. */
const SERVICE_STATUS = struct({
  serviceType: u32,
  currentState: u32,
  controlsAccepted: u32,
  win32ExitCode: u32,
  serviceSpecificExitCode: u32,
  checkPoint: u32,
  waitHint: u32,
});
export type ServiceStatus = ReturnType<typeof readStatus>;

function readStatus(s: { serviceType: number; currentState: number; controlsAccepted: number; win32ExitCode: number; serviceSpecificExitCode: number; checkPoint: number; waitHint: number }) {
  return { ...s, state: serviceStateName(s.currentState), typeWords: serviceTypeWords(s.serviceType) };
}

/**
 * lpDependencies of QUERY_SERVICE_CONFIGW: a [string] wchar_t* whose text is a list, names separated by NUL
 * (REG_MULTI_SZ style) or by "/" (3.1.4.17 says the server converts the separators). Read as the names.
 */
const dependencyList: Codec<string[]> = {
  align: 4,
  minSize: 12,
  write(w, v) {
    wstring.write(w, v.join('/'));
  },
  read(r, into) {
    const max = r.u32();
    const offset = r.u32();
    const actual = r.u32();
    if (offset > max || actual > max - offset) throw new ProbeError('protocol-error', `NDR: dependency list offset ${offset} + actual_count ${actual} exceeds ${max}`);
    const text = r.bytes(r.count(actual, 2, 'wchar array') * 2).toString('utf16le');
    into(text.split(/[\0/]/).filter((s) => s.length > 0));
  },
};

/** [MS-SCMR] 2.2.15 QUERY_SERVICE_CONFIGW: NDR pointers (unlike the enumeration buffers). */
const QUERY_SERVICE_CONFIGW = struct({
  serviceType: u32,
  startType: u32,
  errorControl: u32,
  binaryPathName: unique(wstring),
  loadOrderGroup: unique(wstring),
  tagId: u32,
  dependencies: unique(dependencyList),
  serviceStartName: unique(wstring),
  displayName: unique(wstring),
});

// ---------------------------------------------------------------------------------------------------------------
// Errors and handles

function malformed(operation: string, message: string): ProbeError {
  return new ProbeError('protocol-error', `${operation} response: ${message}`);
}

function handleFrom(operation: string, stub: Buffer): Buffer {
  const { out } = decodeResponse(stub, operation, 'win32', (r) => r.read(contextHandle));
  if (isNullHandle(out)) throw malformed(operation, 'success with a null handle');
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// ROpenSCManagerW (Opnum 15), [MS-SCMR] 3.1.4.15

export interface OpenScManagerOptions {
  /** lpMachineName: the server's name as the caller knows it ("\\HOST"); the server does not use it. @default null */
  readonly machineName?: string | null;
  /** @default SC_MANAGER.CONNECT | SC_MANAGER.ENUMERATE_SERVICE */
  readonly access?: number;
}

/** lpMachineName, lpDatabaseName ("ServicesActive", SERVICES_ACTIVE_DATABASE), dwDesiredAccess. */
export function encodeROpenSCManagerWRequest(options: OpenScManagerOptions = {}): Buffer {
  return encode([unique(wstring), options.machineName ?? null], [unique(wstring), 'ServicesActive'], [u32, options.access ?? SC_MANAGER.CONNECT | SC_MANAGER.ENUMERATE_SERVICE]);
}

/** [out] lpScHandle, then DWORD. */
export function decodeROpenSCManagerWResponse(stub: Buffer): Buffer {
  return handleFrom('ROpenSCManagerW', stub);
}

export async function rOpenSCManagerW(client: RpcCaller, options: OpenScManagerOptions = {}): Promise<Buffer> {
  return decodeROpenSCManagerWResponse(await client.call(SVCCTL_OPNUM.ROpenSCManagerW, encodeROpenSCManagerWRequest(options)));
}

// ---------------------------------------------------------------------------------------------------------------
// ROpenServiceW (Opnum 16), [MS-SCMR] 3.1.4.16

/** hSCManager, lpServiceName (a top-level [string]: no referent), dwDesiredAccess. */
export function encodeROpenServiceWRequest(scm: Buffer, serviceName: string, access: number = SERVICE_ACCESS.QUERY_CONFIG | SERVICE_ACCESS.QUERY_STATUS): Buffer {
  return encode([contextHandle, scm], [wstring, serviceName], [u32, access]);
}

/** [out] lpServiceHandle, then DWORD (ERROR_SERVICE_DOES_NOT_EXIST for an unknown name). */
export function decodeROpenServiceWResponse(stub: Buffer): Buffer {
  return handleFrom('ROpenServiceW', stub);
}

export async function rOpenServiceW(client: RpcCaller, scm: Buffer, serviceName: string, access?: number): Promise<Buffer> {
  return decodeROpenServiceWResponse(await client.call(SVCCTL_OPNUM.ROpenServiceW, encodeROpenServiceWRequest(scm, serviceName, access)));
}

// ---------------------------------------------------------------------------------------------------------------
// RCloseServiceHandle (Opnum 0), [MS-SCMR] 3.1.4.1

export function encodeRCloseServiceHandleRequest(handle: Buffer): Buffer {
  return encode([contextHandle, handle]);
}

/** [in, out] hSCObject (zeroed), then DWORD. */
export function decodeRCloseServiceHandleResponse(stub: Buffer): void {
  decodeResponse(stub, 'RCloseServiceHandle', 'win32', (r) => r.read(contextHandle));
}

export async function rCloseServiceHandle(client: RpcCaller, handle: Buffer): Promise<void> {
  decodeRCloseServiceHandleResponse(await client.call(SVCCTL_OPNUM.RCloseServiceHandle, encodeRCloseServiceHandleRequest(handle)));
}

// ---------------------------------------------------------------------------------------------------------------
// The enumeration buffer: ENUM_SERVICE_STATUSW ([MS-SCMR] 2.2.11) and ENUM_SERVICE_STATUS_PROCESSW (2.2.13)

export interface EnumeratedService {
  readonly name: string;
  readonly displayName: string;
  readonly status: ServiceStatus;
  /** ENUM_SERVICE_STATUS_PROCESSW only (SERVICE_STATUS_PROCESS, 2.2.49). */
  readonly processId?: number;
  readonly serviceFlags?: number;
}

/** Longest string read at an offset, in UTF-16 units: service and display names are at most 256 characters (2.2.11). */
const MAX_BUFFER_STRING_UNITS = 1024;

function stringAt(buf: Buffer, offset: number, what: string, cache: Map<number, string>): string {
  const known = cache.get(offset);
  if (known !== undefined) return known;
  if (offset >= buf.length || offset % 2 !== 0) throw new ProbeError('protocol-error', `service buffer: ${what} offset ${offset} outside the ${buf.length}-octet buffer or odd`);
  const window = buf.subarray(offset, Math.min(buf.length, offset + 2 * MAX_BUFFER_STRING_UNITS + 2));
  let end = -1;
  for (let at = window.indexOf(0); at >= 0 && at + 1 < window.length; at = window.indexOf(0, at + 1)) {
    if (at % 2 === 0 && window[at + 1] === 0) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ProbeError('protocol-error', `service buffer: ${what} at ${offset} has no terminator within ${MAX_BUFFER_STRING_UNITS} characters`);
  const text = window.subarray(0, end).toString('utf16le');
  cache.set(offset, text);
  return text;
}

/**
 * The `count` entries at the start of an enumeration buffer: per entry two 32-bit offsets (service name, display
 * name) from the start of the buffer, then SERVICE_STATUS (7 DWORDs) or SERVICE_STATUS_PROCESS (9 DWORDs).
 */
export function decodeServiceStatusBuffer(buf: Buffer, count: number, withProcess = false): EnumeratedService[] {
  const entrySize = withProcess ? 44 : 36;
  if (!Number.isInteger(count) || count < 0 || count * entrySize > buf.length) {
    throw new ProbeError('protocol-error', `service buffer: ${count} entries of ${entrySize} octets cannot fit in ${buf.length}`);
  }
  const cache = new Map<number, string>();
  const services: EnumeratedService[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const dword = (n: number) => buf.readUInt32LE(at + 8 + 4 * n);
    const status = readStatus({
      serviceType: dword(0),
      currentState: dword(1),
      controlsAccepted: dword(2),
      win32ExitCode: dword(3),
      serviceSpecificExitCode: dword(4),
      checkPoint: dword(5),
      waitHint: dword(6),
    });
    const entry: EnumeratedService = {
      name: stringAt(buf, buf.readUInt32LE(at), `entry ${i} lpServiceName`, cache),
      displayName: stringAt(buf, buf.readUInt32LE(at + 4), `entry ${i} lpDisplayName`, cache),
      status,
      ...(withProcess ? { processId: dword(7), serviceFlags: dword(8) } : {}),
    };
    services.push(entry);
  }
  return services;
}

// ---------------------------------------------------------------------------------------------------------------
// REnumServicesStatusW (Opnum 14), [MS-SCMR] 3.1.4.14, and REnumServicesStatusExW (Opnum 42), 3.1.4.40

/** The IDL's range on cbBufSize: LPBOUNDED_DWORD_256K. */
export const MAX_ENUM_BUFFER_OCTETS = 256 * 1024;

export interface EnumServicesRequest {
  /** @default SERVICE_TYPE.WIN32 */
  readonly serviceType?: number;
  /** @default SERVICE_STATE_FILTER.ALL */
  readonly serviceState?: number;
  /** cbBufSize. */
  readonly bufferOctets: number;
  /** lpResumeIndex: 0 on the first call, then what the server returned. */
  readonly resumeIndex?: number | null;
}

export interface EnumServicesPage {
  readonly services: EnumeratedService[];
  readonly bytesNeeded: number;
  readonly resumeIndex: number | null;
  /** ERROR_MORE_DATA or ERROR_INSUFFICIENT_BUFFER: more services than fit (perhaps none fit). */
  readonly more: boolean;
}

/** hSCManager, dwServiceType, dwServiceState, cbBufSize, lpResumeIndex. */
export function encodeREnumServicesStatusWRequest(scm: Buffer, request: EnumServicesRequest): Buffer {
  return encode(
    [contextHandle, scm],
    [u32, request.serviceType ?? SERVICE_TYPE.WIN32],
    [u32, request.serviceState ?? SERVICE_STATE_FILTER.ALL],
    [u32, request.bufferOctets],
    [unique(u32), request.resumeIndex === undefined ? 0 : request.resumeIndex],
  );
}

/** hSCManager, InfoLevel (SC_ENUM_PROCESS_INFO, 0), dwServiceType, dwServiceState, cbBufSize, lpResumeIndex, pszGroupName (NULL: every group). */
export function encodeREnumServicesStatusExWRequest(scm: Buffer, request: EnumServicesRequest): Buffer {
  return encode(
    [contextHandle, scm],
    [u32, 0],
    [u32, request.serviceType ?? SERVICE_TYPE.WIN32],
    [u32, request.serviceState ?? SERVICE_STATE_FILTER.ALL],
    [u32, request.bufferOctets],
    [unique(u32), request.resumeIndex === undefined ? 0 : request.resumeIndex],
    [unique(wstring), null],
  );
}

const BUFFER_RETRY = [WIN32.ERROR_MORE_DATA, WIN32.ERROR_INSUFFICIENT_BUFFER];

function decodeEnumPage(stub: Buffer, operation: string, withProcess: boolean): EnumServicesPage {
  const { out, status } = decodeResponse(
    stub,
    operation,
    'win32',
    (r) => ({ buffer: r.read(conformantBytes), bytesNeeded: r.read(u32), returned: r.read(u32), resumeIndex: r.read(unique(u32)) }),
    BUFFER_RETRY,
  );
  return { services: decodeServiceStatusBuffer(out.buffer, out.returned, withProcess), bytesNeeded: out.bytesNeeded, resumeIndex: out.resumeIndex, more: status !== 0 };
}

/** [out] lpBuffer (max_count, octets), pcbBytesNeeded, lpServicesReturned, lpResumeIndex, then DWORD. */
export function decodeREnumServicesStatusWResponse(stub: Buffer): EnumServicesPage {
  return decodeEnumPage(stub, 'REnumServicesStatusW', false);
}

/** The same [out] parameters as REnumServicesStatusW, the buffer holding ENUM_SERVICE_STATUS_PROCESSW entries. */
export function decodeREnumServicesStatusExWResponse(stub: Buffer): EnumServicesPage {
  return decodeEnumPage(stub, 'REnumServicesStatusExW', true);
}

export async function rEnumServicesStatusW(client: RpcCaller, scm: Buffer, request: EnumServicesRequest): Promise<EnumServicesPage> {
  return decodeREnumServicesStatusWResponse(await client.call(SVCCTL_OPNUM.REnumServicesStatusW, encodeREnumServicesStatusWRequest(scm, request)));
}

export async function rEnumServicesStatusExW(client: RpcCaller, scm: Buffer, request: EnumServicesRequest): Promise<EnumServicesPage> {
  return decodeREnumServicesStatusExWResponse(await client.call(SVCCTL_OPNUM.REnumServicesStatusExW, encodeREnumServicesStatusExWRequest(scm, request)));
}

export interface EnumerateServicesOptions {
  /** 'w' (REnumServicesStatusW: Samba and Windows) or 'ex' (REnumServicesStatusExW: Windows, adds process ids). @default 'w' */
  readonly variant?: 'w' | 'ex';
  readonly serviceType?: number;
  readonly serviceState?: number;
  /** cbBufSize of the first call; a larger pcbBytesNeeded raises it up to 256 KiB. @default 8192 */
  readonly initialBufferOctets?: number;
  /** Most calls in all (buffer growth and resumed pages). @default 32 */
  readonly maxCalls?: number;
  /** Most services kept. @default 16384 */
  readonly maxServices?: number;
}

/**
 * Every service record: calls again with pcbBytesNeeded when the buffer is too small, and from lpResumeIndex when
 * the server returned a part. Stops with a ProbeError when the server neither returns entries nor asks for a larger
 * buffer it may be given (no progress), or at `maxCalls`.
 */
export async function enumerateServices(client: RpcCaller, scm: Buffer, options: EnumerateServicesOptions = {}): Promise<{ services: EnumeratedService[]; complete: boolean }> {
  const call = options.variant === 'ex' ? rEnumServicesStatusExW : rEnumServicesStatusW;
  const operation = options.variant === 'ex' ? 'REnumServicesStatusExW' : 'REnumServicesStatusW';
  const maxCalls = options.maxCalls ?? 32;
  const maxServices = options.maxServices ?? 16_384;
  let bufferOctets = Math.min(options.initialBufferOctets ?? 8192, MAX_ENUM_BUFFER_OCTETS);
  let resumeIndex: number | null = 0;
  const services: EnumeratedService[] = [];
  for (let calls = 1; ; calls++) {
    const page = await call(client, scm, { serviceType: options.serviceType, serviceState: options.serviceState, bufferOctets, resumeIndex });
    services.push(...page.services);
    if (services.length >= maxServices) return { services: services.slice(0, maxServices), complete: !page.more && services.length === maxServices };
    if (!page.more) return { services, complete: true };
    if (calls >= maxCalls) return { services, complete: false };
    const grows = page.bytesNeeded > bufferOctets && bufferOctets < MAX_ENUM_BUFFER_OCTETS;
    if (page.services.length === 0 && !grows) {
      throw new Win32StatusError(WIN32.ERROR_MORE_DATA, 'win32', `${operation} (no entry fits in ${bufferOctets} octets and pcbBytesNeeded is ${page.bytesNeeded})`);
    }
    if (grows) bufferOctets = Math.min(page.bytesNeeded, MAX_ENUM_BUFFER_OCTETS);
    if (page.services.length > 0) {
      if (page.resumeIndex === null) throw malformed(operation, 'a partial page without lpResumeIndex');
      resumeIndex = page.resumeIndex;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RQueryServiceConfigW (Opnum 17), [MS-SCMR] 3.1.4.17

/** The IDL's range on cbBufSize: LPBOUNDED_DWORD_8K. */
export const MAX_CONFIG_BUFFER_OCTETS = 8 * 1024;

export interface ServiceConfig {
  readonly serviceType: number;
  readonly startType: number;
  /** boot, system, auto, demand, disabled. */
  readonly start: string;
  readonly errorControl: number;
  readonly binaryPathName: string | null;
  readonly loadOrderGroup: string | null;
  readonly tagId: number;
  readonly dependencies: string[];
  /** The account the service runs as: "LocalSystem", "NT AUTHORITY\LocalService", ".\svc_sql", "DOMAIN\user". */
  readonly serviceStartName: string | null;
  readonly displayName: string | null;
}

export type ConfigAnswer = { readonly kind: 'config'; readonly config: ServiceConfig } | { readonly kind: 'insufficient-buffer'; readonly bytesNeeded: number };

/** hService, cbBufSize. */
export function encodeRQueryServiceConfigWRequest(service: Buffer, bufferOctets: number): Buffer {
  return encode([contextHandle, service], [u32, bufferOctets]);
}

/** [out] lpServiceConfig, pcbBytesNeeded, then DWORD; ERROR_INSUFFICIENT_BUFFER says the size to ask for. */
export function decodeRQueryServiceConfigWResponse(stub: Buffer): ConfigAnswer {
  const { out, status } = decodeResponse(stub, 'RQueryServiceConfigW', 'win32', (r) => ({ config: r.read(QUERY_SERVICE_CONFIGW), bytesNeeded: r.read(u32) }), BUFFER_RETRY);
  if (status !== 0) return { kind: 'insufficient-buffer', bytesNeeded: out.bytesNeeded };
  const c = out.config;
  return { kind: 'config', config: { ...c, start: startTypeName(c.startType), dependencies: c.dependencies ?? [] } };
}

/** The service's configuration, calling again with pcbBytesNeeded when the first buffer is too small. */
export async function rQueryServiceConfigW(client: RpcCaller, service: Buffer, initialBufferOctets = 2048): Promise<ServiceConfig> {
  let octets = Math.min(initialBufferOctets, MAX_CONFIG_BUFFER_OCTETS);
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = decodeRQueryServiceConfigWResponse(await client.call(SVCCTL_OPNUM.RQueryServiceConfigW, encodeRQueryServiceConfigWRequest(service, octets)));
    if (answer.kind === 'config') return answer.config;
    if (answer.bytesNeeded <= octets || octets >= MAX_CONFIG_BUFFER_OCTETS) break;
    octets = Math.min(answer.bytesNeeded, MAX_CONFIG_BUFFER_OCTETS);
  }
  throw new Win32StatusError(WIN32.ERROR_INSUFFICIENT_BUFFER, 'win32', `RQueryServiceConfigW (still too small at ${octets} octets)`);
}

// ---------------------------------------------------------------------------------------------------------------
// RQueryServiceStatus (Opnum 6) 3.1.4.7, RStartServiceW (Opnum 19) 3.1.4.19, RControlService (Opnum 1) 3.1.4.2

export function encodeRQueryServiceStatusRequest(service: Buffer): Buffer {
  return encode([contextHandle, service]);
}

/** [out] lpServiceStatus, then DWORD. */
export function decodeRQueryServiceStatusResponse(stub: Buffer): ServiceStatus {
  return readStatus(decodeResponse(stub, 'RQueryServiceStatus', 'win32', (r) => r.read(SERVICE_STATUS)).out);
}

export async function rQueryServiceStatus(client: RpcCaller, service: Buffer): Promise<ServiceStatus> {
  return decodeRQueryServiceStatusResponse(await client.call(SVCCTL_OPNUM.RQueryServiceStatus, encodeRQueryServiceStatusRequest(service)));
}

/** hService, argc 0, argv (a [unique, size_is(argc)] STRING_PTRSW array) NULL: start without arguments. */
export function encodeRStartServiceWRequest(service: Buffer): Buffer {
  return encode([contextHandle, service], [u32, 0], [unique(conformantArray(unique(wstring))), null]);
}

/** DWORD only (ERROR_SERVICE_ALREADY_RUNNING, ERROR_SERVICE_DISABLED, ERROR_ACCESS_DENIED, ...). */
export function decodeRStartServiceWResponse(stub: Buffer): void {
  decodeResponse(stub, 'RStartServiceW', 'win32', () => undefined);
}

/** Starts the service (needs SERVICE_START on the handle). Only for an explicit `--start-remote-registry`. */
export async function rStartServiceW(client: RpcCaller, service: Buffer): Promise<void> {
  decodeRStartServiceWResponse(await client.call(SVCCTL_OPNUM.RStartServiceW, encodeRStartServiceWRequest(service)));
}

/** hService, dwControl. */
export function encodeRControlServiceRequest(service: Buffer, control: number): Buffer {
  return encode([contextHandle, service], [u32, control]);
}

/** [out] lpServiceStatus, then DWORD. */
export function decodeRControlServiceResponse(stub: Buffer): ServiceStatus {
  return readStatus(decodeResponse(stub, 'RControlService', 'win32', (r) => r.read(SERVICE_STATUS)).out);
}

/** Sends a control (SERVICE_CONTROL.STOP needs SERVICE_STOP on the handle); answers the status after it. */
export async function rControlService(client: RpcCaller, service: Buffer, control: number): Promise<ServiceStatus> {
  return decodeRControlServiceResponse(await client.call(SVCCTL_OPNUM.RControlService, encodeRControlServiceRequest(service, control)));
}

// ---------------------------------------------------------------------------------------------------------------
// Services with their accounts

export interface ServiceRecord {
  readonly name: string;
  readonly displayName: string;
  readonly state: string;
  readonly status: ServiceStatus;
  readonly processId?: number;
  /** From RQueryServiceConfigW; null when the configuration could not be read (see `problem`). */
  readonly config: ServiceConfig | null;
  /** Why the configuration is missing: the server's status in words. */
  readonly problem?: { readonly reason: string; readonly detail: string };
}

export interface ListServicesOptions extends EnumerateServicesOptions, OpenScManagerOptions {
  /** Read each service's configuration (binary path, start type, run-as account). @default true */
  readonly withConfig?: boolean;
}

/**
 * Opens the SCM, enumerates the services and reads each one's configuration. A service whose configuration is
 * refused (access denied, deleted meanwhile) keeps its status and says why; ERROR_ACCESS_DENIED on the SCM itself
 * (non-administrators on recent Windows) throws Win32StatusError with status access-denied.
 */
export async function listServices(client: RpcCaller, options: ListServicesOptions = {}): Promise<{ services: ServiceRecord[]; complete: boolean }> {
  const scm = await rOpenSCManagerW(client, options);
  return finallyClose(async () => {
    const { services, complete } = await enumerateServices(client, scm, options);
    const records: ServiceRecord[] = [];
    for (const s of services) {
      const base = { name: s.name, displayName: s.displayName, state: s.status.state, status: s.status, ...(s.processId === undefined ? {} : { processId: s.processId }) };
      if (options.withConfig === false) {
        records.push({ ...base, config: null });
        continue;
      }
      try {
        const service = await rOpenServiceW(client, scm, s.name, SERVICE_ACCESS.QUERY_CONFIG);
        const config = await finallyClose(() => rQueryServiceConfigW(client, service), () => rCloseServiceHandle(client, service));
        records.push({ ...base, config });
      } catch (err) {
        if (!(err instanceof Win32StatusError)) throw err;
        records.push({ ...base, config: null, problem: { reason: err.status, detail: err.codeName } });
      }
    }
    return { services: records, complete };
  }, () => rCloseServiceHandle(client, scm));
}
