/**
 * Typed errors for what a DCE/RPC server refuses: fault PDUs by status (C706 Appendix E nca_s_* codes, and the
 * Win32 codes of [MS-ERREF] 2.2 that Windows and Samba put in faults), bind_nak by reason, and rejected
 * presentation contexts. Each is a ProbeError, so the enumeration maps it to an outcome like any other failure.
 */
import type { ProbeStatus } from '../../model/evidence.js';
import { ProbeError } from '../../probes/core/outcome.js';
import { bindNakReasonName, PROVIDER_REASON } from './pdu.js';

type FailureStatus = Exclude<ProbeStatus, 'success'>;

/** The fault statuses a client meets, by name; the ProbeStatus says how an enumeration reports each. */
export const FAULT_STATUS: Readonly<Record<number, { name: string; status: FailureStatus }>> = {
  0x00000005: { name: 'rpc_s_access_denied', status: 'access-denied' },
  0x000006b5: { name: 'rpc_s_unknown_if', status: 'unsupported' },
  0x000006d1: { name: 'rpc_s_procnum_out_of_range', status: 'unsupported' },
  0x000006d8: { name: 'ept_s_cant_perform_op', status: 'protocol-error' },
  0x000006e4: { name: 'rpc_s_cannot_support', status: 'unsupported' },
  0x000006f7: { name: 'rpc_x_bad_stub_data', status: 'protocol-error' },
  0x00000721: { name: 'rpc_s_sec_pkg_error', status: 'auth-failed' },
  0x1c000006: { name: 'nca_s_fault_invalid_tag', status: 'protocol-error' },
  0x1c000007: { name: 'nca_s_fault_invalid_bound', status: 'protocol-error' },
  0x1c000009: { name: 'nca_s_unspec_reject', status: 'protocol-error' },
  0x1c00000d: { name: 'nca_s_fault_cancel', status: 'protocol-error' },
  0x1c000012: { name: 'nca_s_fault_unspec', status: 'protocol-error' },
  0x1c00001a: { name: 'nca_s_fault_context_mismatch', status: 'protocol-error' },
  0x1c00001b: { name: 'nca_s_fault_remote_no_memory', status: 'protocol-error' },
  0x1c00001c: { name: 'nca_s_invalid_pres_context_id', status: 'protocol-error' },
  0x1c00001d: { name: 'nca_s_unsupported_authn_level', status: 'auth-failed' },
  0x1c00001f: { name: 'nca_s_invalid_checksum', status: 'auth-failed' },
  0x1c010002: { name: 'nca_s_op_rng_error', status: 'unsupported' },
  0x1c010003: { name: 'nca_s_unk_if', status: 'unsupported' },
  0x1c01000b: { name: 'nca_s_proto_error', status: 'protocol-error' },
  0x1c010013: { name: 'nca_s_out_args_too_big', status: 'protocol-error' },
  0x1c010014: { name: 'nca_s_server_too_busy', status: 'protocol-error' },
  0x1c010017: { name: 'nca_s_unsupported_type', status: 'unsupported' },
};

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** The name of a fault status, or its hex form when it is not in the table. */
export function faultName(status: number): string {
  return FAULT_STATUS[status >>> 0]?.name ?? hex32(status);
}

/** A fault PDU answered a call ([MS-RPCE] 3.3.1.5.7; C706 12.6.4.7). The connection stays usable. */
export class RpcFaultError extends ProbeError {
  /** The status word of the fault PDU. */
  readonly code: number;
  /** faultName(code). */
  readonly faultName: string;
  /** PFC_DID_NOT_EXECUTE: the server did not start running the call. */
  readonly didNotExecute: boolean;

  /** `on` names what faulted: "opnum 13", "bind". */
  constructor(code: number, on: string, didNotExecute = false) {
    super(FAULT_STATUS[code >>> 0]?.status ?? 'protocol-error', `RPC fault ${faultName(code)} on ${on}`);
    this.name = 'RpcFaultError';
    this.code = code >>> 0;
    this.faultName = faultName(code);
    this.didNotExecute = didNotExecute;
  }
}

/** The server refused the bind (bind_nak) or the proposed presentation context. */
export class RpcBindError extends ProbeError {
  /** bind_nak: the p_reject_reason_t; rejected context: the p_provider_reason_t. */
  readonly reason: number;
  readonly reasonName: string;

  constructor(kind: 'bind_nak' | 'context', reason: number) {
    const reasonName = kind === 'bind_nak' ? bindNakReasonName(reason) : (PROVIDER_REASON[reason] ?? `reason ${reason}`);
    const status: FailureStatus = kind === 'bind_nak' && (reason === 8 || reason === 9) ? 'auth-failed' : 'unsupported';
    super(status, kind === 'bind_nak' ? `bind refused: ${reasonName}` : `presentation context refused: ${reasonName}`);
    this.name = 'RpcBindError';
    this.reason = reason;
    this.reasonName = reasonName;
  }
}
