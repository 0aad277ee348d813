/**
 * What SRVSVC, WINREG, SVCCTL and TSCH return instead of NTSTATUS: Win32 error codes ([MS-ERREF] 2.2, the
 * NET_API_STATUS and error_status_t / DWORD returns), the NERR_* codes of the LAN Manager APIs that SRVSVC shares,
 * and HRESULTs ([MS-ERREF] 2.1, TSCH). Each failure becomes a Win32StatusError: a ProbeError whose `status` is the
 * outcome an enumeration reports (access-denied, unsupported, timeout, protocol-error) and whose `code` and
 * `codeName` let a caller branch on the exact value (a missing registry key, a buffer to grow).
 *
 * The helpers here also read a response stub's return value first: every operation of these interfaces ends its
 * stub with a 32-bit status, and an error answer's [out] parameters are not worth parsing (Windows zeroes them;
 * a careless or hostile server may not).
 */
import type { ProbeStatus } from '../../model/evidence.js';
import { ProbeError } from '../../probes/core/outcome.js';
import type { RpcClient } from '../dcerpc/client.js';
import { isNtSuccess, ntstatusName } from '../dcerpc/dtyp.js';
import { NdrReader } from '../dcerpc/ndr.js';

/** What an interface module needs of the runtime: one call at a time, stub in, stub out. */
export type RpcCaller = Pick<RpcClient, 'call'>;

type FailureStatus = Exclude<ProbeStatus, 'success'>;

/** Win32 error codes ([MS-ERREF] 2.2) and NERR codes these interfaces return. */
export const WIN32 = {
  ERROR_SUCCESS: 0,
  ERROR_FILE_NOT_FOUND: 2,
  ERROR_PATH_NOT_FOUND: 3,
  ERROR_ACCESS_DENIED: 5,
  ERROR_INVALID_HANDLE: 6,
  ERROR_NOT_ENOUGH_MEMORY: 8,
  ERROR_INVALID_DATA: 13,
  ERROR_OUTOFMEMORY: 14,
  ERROR_WRITE_PROTECT: 19,
  ERROR_NOT_SUPPORTED: 50,
  ERROR_NETWORK_ACCESS_DENIED: 65,
  ERROR_INVALID_PARAMETER: 87,
  ERROR_CALL_NOT_IMPLEMENTED: 120,
  ERROR_INSUFFICIENT_BUFFER: 122,
  ERROR_INVALID_NAME: 123,
  ERROR_INVALID_LEVEL: 124,
  ERROR_BAD_PATHNAME: 161,
  ERROR_MORE_DATA: 234,
  ERROR_NO_MORE_ITEMS: 259,
  ERROR_DEPENDENT_SERVICES_RUNNING: 1051,
  ERROR_INVALID_SERVICE_CONTROL: 1052,
  ERROR_SERVICE_REQUEST_TIMEOUT: 1053,
  ERROR_SERVICE_NO_THREAD: 1054,
  ERROR_SERVICE_DATABASE_LOCKED: 1055,
  ERROR_SERVICE_ALREADY_RUNNING: 1056,
  ERROR_SERVICE_DISABLED: 1058,
  ERROR_SERVICE_DOES_NOT_EXIST: 1060,
  ERROR_SERVICE_CANNOT_ACCEPT_CTRL: 1061,
  ERROR_SERVICE_NOT_ACTIVE: 1062,
  ERROR_DATABASE_DOES_NOT_EXIST: 1065,
  ERROR_SERVICE_LOGON_FAILED: 1069,
  ERROR_SERVICE_MARKED_FOR_DELETE: 1072,
  ERROR_SHUTDOWN_IN_PROGRESS: 1115,
  ERROR_NOT_FOUND: 1168,
  NERR_BufTooSmall: 2123,
  NERR_NetNameNotFound: 2310,
  NERR_InvalidComputer: 2351,
} as const;
export type Win32Name = keyof typeof WIN32;

/** HRESULTs ([MS-ERREF] 2.1) TSCH returns; failures built from Win32 codes are decoded through WIN32. */
export const HRESULT = {
  S_OK: 0x00000000,
  S_FALSE: 0x00000001,
  E_NOTIMPL: 0x80004001,
  E_ACCESSDENIED: 0x80070005,
  E_OUTOFMEMORY: 0x8007000e,
  E_INVALIDARG: 0x80070057,
} as const;

const WIN32_NAMES = new Map<number, Win32Name>(Object.entries(WIN32).map(([k, v]) => [v, k as Win32Name]));
const HRESULT_NAMES = new Map<number, string>(Object.entries(HRESULT).map(([k, v]) => [v, k]));

/** The outcome a Win32 failure means to an enumeration; anything else is a protocol error. */
const WIN32_OUTCOME: Partial<Record<Win32Name, FailureStatus>> = {
  ERROR_ACCESS_DENIED: 'access-denied',
  ERROR_NETWORK_ACCESS_DENIED: 'access-denied',
  ERROR_FILE_NOT_FOUND: 'unsupported',
  ERROR_PATH_NOT_FOUND: 'unsupported',
  ERROR_NOT_SUPPORTED: 'unsupported',
  ERROR_CALL_NOT_IMPLEMENTED: 'unsupported',
  ERROR_INVALID_LEVEL: 'unsupported',
  ERROR_SERVICE_DOES_NOT_EXIST: 'unsupported',
  ERROR_SERVICE_DISABLED: 'unsupported',
  ERROR_DATABASE_DOES_NOT_EXIST: 'unsupported',
  ERROR_NOT_FOUND: 'unsupported',
  NERR_NetNameNotFound: 'unsupported',
  ERROR_SERVICE_REQUEST_TIMEOUT: 'timeout',
};

/** Which table a status comes from. */
export type StatusSpace = 'win32' | 'hresult' | 'ntstatus';

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** HRESULT_FROM_WIN32 ([MS-ERREF] 2.1.2): facility 7 with the severity bit; the Win32 code is the low 16 bits. */
function win32OfHresult(code: number): number | undefined {
  return (code >>> 16) === 0x8007 ? code & 0xffff : undefined;
}

/** `ERROR_ACCESS_DENIED`, `E_ACCESSDENIED`, `STATUS_ACCESS_DENIED`, or the value in hex. */
export function statusName(code: number, space: StatusSpace): string {
  const c = code >>> 0;
  if (space === 'ntstatus' || (space === 'win32' && c >= 0xc0000000)) return ntstatusName(c);
  if (space === 'hresult') {
    const named = HRESULT_NAMES.get(c);
    if (named) return named;
    const w = win32OfHresult(c);
    const wname = w === undefined ? undefined : WIN32_NAMES.get(w);
    return wname ? `HRESULT_FROM_WIN32(${wname})` : hex32(c);
  }
  return WIN32_NAMES.get(c) ?? (c < 0x10000 ? `Win32 error ${c}` : hex32(c));
}

function outcomeOf(code: number, space: StatusSpace): FailureStatus {
  const c = code >>> 0;
  if (space === 'ntstatus' || (space === 'win32' && c >= 0xc0000000)) {
    if (c === 0xc0000022) return 'access-denied';
    if (c === 0xc00000bb || c === 0xc0000002 || c === 0xc0000034) return 'unsupported';
    return 'protocol-error';
  }
  const w = space === 'hresult' ? win32OfHresult(c) : c;
  if (space === 'hresult' && c === HRESULT.E_NOTIMPL) return 'unsupported';
  const name = w === undefined ? undefined : WIN32_NAMES.get(w);
  return (name && WIN32_OUTCOME[name]) ?? 'protocol-error';
}

/** A server's failure answer to one operation. The message names the operation and the status, never a value sent. */
export class Win32StatusError extends ProbeError {
  readonly code: number;
  readonly codeName: string;
  constructor(
    code: number,
    readonly space: StatusSpace,
    /** The operation that failed: "BaseRegOpenKey", "REnumServicesStatusW". */
    readonly operation: string,
  ) {
    super(outcomeOf(code, space), `${operation} failed: ${statusName(code, space)} (${hex32(code)})`);
    this.name = 'Win32StatusError';
    this.code = code >>> 0;
    this.codeName = statusName(code, space);
  }

  /** The Win32 code behind the status (itself, or the one inside an HRESULT_FROM_WIN32). */
  get win32(): number | undefined {
    if (this.space === 'win32') return this.code;
    if (this.space === 'hresult') return win32OfHresult(this.code);
    return undefined;
  }
}

/** Whether `err` is the server saying the named object does not exist (a key, a value, a service, a task). */
export function isNotFound(err: unknown): boolean {
  if (!(err instanceof Win32StatusError)) return false;
  const w = err.win32;
  return (
    w === WIN32.ERROR_FILE_NOT_FOUND ||
    w === WIN32.ERROR_PATH_NOT_FOUND ||
    w === WIN32.ERROR_SERVICE_DOES_NOT_EXIST ||
    w === WIN32.ERROR_NOT_FOUND ||
    w === WIN32.NERR_NetNameNotFound ||
    (err.space === 'ntstatus' && err.code === 0xc0000034)
  );
}

/** Whether a status is a success in its space (HRESULT and NTSTATUS: any non-error severity, S_FALSE included). */
export function succeeded(code: number, space: StatusSpace): boolean {
  if (space === 'win32') return code >>> 0 === 0;
  if (space === 'hresult') return code >>> 0 < 0x80000000;
  return isNtSuccess(code);
}

/** The return value: the last four octets of every response stub of these interfaces. */
export function trailingStatus(stub: Buffer, operation: string): number {
  if (stub.length < 4) throw new ProbeError('protocol-error', `${operation} response of ${stub.length} octets has no return value`);
  return stub.readUInt32LE(stub.length - 4);
}

/**
 * Decodes a response stub whose return value is a success in `space` or one of `parseAlso` (ERROR_MORE_DATA and
 * the like, whose [out] parameters say how to retry): `read` takes the [out] parameters in order, then the return
 * value is read where it must be and nothing may follow. Any other status throws Win32StatusError unparsed.
 */
export function decodeResponse<T>(stub: Buffer, operation: string, space: StatusSpace, read: (r: NdrReader) => T, parseAlso: readonly number[] = []): { out: T; status: number } {
  const status = trailingStatus(stub, operation);
  if (!succeeded(status, space) && !parseAlso.includes(status)) throw new Win32StatusError(status, space, operation);
  const r = new NdrReader(stub);
  const out = read(r);
  r.align(4);
  if (r.remaining !== 4) throw new ProbeError('protocol-error', `${operation} response: ${r.remaining - 4} octets between the [out] parameters and the return value`);
  return { out, status };
}

/**
 * Runs `job`, then `cleanup` (closing a handle) whatever happened. A failed close is not reported: it never hides
 * the job's own error, and a connection that broke under it fails the caller's next call anyway.
 */
export async function finallyClose<T>(job: () => Promise<T>, cleanup: () => Promise<unknown>): Promise<T> {
  try {
    return await job();
  } finally {
    await cleanup().catch(() => undefined);
  }
}
