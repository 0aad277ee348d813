/**
 * What every Windows interface module shares: calling one opnum and decoding its answer with the NDR codecs, the
 * NTSTATUS an operation returns in its stub turned into a typed error, and the handles a module closes.
 *
 * For interface modules (SAMR, LSARPC here; SRVSVC, WINREG, SVCCTL, TSCH beside them):
 *   const out = await invoke(rpc, OPNUM.X, 'SamrOpenDomain', encode([contextHandle, h], [u32, access]), (r) => ({
 *     handle: r.read(contextHandle), status: r.read(ntstatus) }));
 *   checkStatus(out.status, 'SamrOpenDomain');
 */
import type { ProbeStatus } from '../../model/evidence.js';
import { ProbeError } from '../../probes/core/outcome.js';
import type { RpcClient } from '../dcerpc/client.js';
import { NTSTATUS, ntstatusName } from '../dcerpc/dtyp.js';
import { NdrReader } from '../dcerpc/ndr.js';
import { statusName as smb2StatusName } from '../smb2/status.js';

/** [MS-DTYP] 2.4.3 ACCESS_MASK MAXIMUM_ALLOWED: whatever the caller's token is granted. */
export const MAXIMUM_ALLOWED = 0x02000000;

/** NTSTATUS values the interfaces return ([MS-ERREF] 2.3.1), by name: the one table, enum/dcerpc/dtyp.ts's. */
export const STATUS = NTSTATUS;

/** "STATUS_ACCESS_DENIED", or the value in hex. */
export function statusName(code: number): string {
  const known = ntstatusName(code);
  if (known.startsWith('STATUS_')) return known;
  const smb2 = smb2StatusName(code);
  return smb2.startsWith('STATUS_') ? smb2 : known;
}

const OUTCOME: Readonly<Record<number, Exclude<ProbeStatus, 'success'>>> = {
  [STATUS.STATUS_ACCESS_DENIED]: 'access-denied',
  [STATUS.STATUS_NOT_SUPPORTED]: 'unsupported',
  [STATUS.STATUS_NOT_IMPLEMENTED]: 'unsupported',
  [STATUS.STATUS_INVALID_INFO_CLASS]: 'unsupported',
};

/** An operation answered with a failure NTSTATUS in its stub. The RPC connection stays usable. */
export class NtStatusError extends ProbeError {
  readonly statusName: string;
  constructor(
    readonly ntStatus: number,
    /** The operation, as the specification names it: "SamrOpenDomain". */
    readonly operation: string,
  ) {
    const name = statusName(ntStatus);
    super(OUTCOME[ntStatus >>> 0] ?? 'protocol-error', `${operation} failed: ${name}`);
    this.name = 'NtStatusError';
    this.statusName = name;
  }
}

/** Throws NtStatusError unless `status` is one of `allowed` (STATUS_SUCCESS by default). */
export function checkStatus(status: number, operation: string, allowed: readonly number[] = [STATUS.STATUS_SUCCESS]): void {
  if (!allowed.includes(status >>> 0)) throw new NtStatusError(status, operation);
}

/**
 * Calls `opnum` with a request stub and decodes the response stub with `decode`, which reads its top-level values
 * in order; octets left over (beyond NDR's alignment padding) are a protocol error.
 */
export async function invoke<T>(rpc: RpcClient, opnum: number, operation: string, request: Buffer, decode: (r: NdrReader) => T): Promise<T> {
  const stub = await rpc.call(opnum, request);
  const r = new NdrReader(stub);
  let out: T;
  try {
    out = decode(r);
    r.end();
  } catch (err) {
    if (err instanceof ProbeError) throw new ProbeError(err.status, `${operation} response: ${err.message}`);
    throw err;
  }
  return out;
}

/** The pages of an enumeration with a resume handle must end: a server that never says so is cut off here. */
export const MAX_ENUMERATION_PAGES = 10_000;
