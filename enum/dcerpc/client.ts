/**
 * A connection-oriented DCE/RPC client ([MS-RPCE] 3.3.1, C706 chapter 12) over any byte transport: a named pipe
 * on SMB2 (ncacn_np) or a TCP socket (ncacn_ip_tcp). It binds one presentation context (NDR 2.0), optionally with
 * a security provider (the auth3 leg for NTLM, alter_context legs for multi-round mechanisms), fragments requests
 * to the negotiated size and reassembles responses. A hostile server can make a call fail, never hang it past
 * `timeoutMs` or make it hold more than `maxResponseBytes`.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import { AUTH_LEVEL, type AuthLevel, type ExpectedAuth, isProtected, protectPdu, SEC_TRAILER_LENGTH, type SecurityProvider, STUB_ALIGNMENT, unprotectStub } from './auth.js';
import { RpcBindError, RpcFaultError } from './faults.js';
import {
  type BindAckPdu,
  CONTEXT_RESULT,
  encodeAuth3,
  encodeBind,
  encodeRequest,
  HEADER_LENGTH,
  MIN_FRAG_SIZE,
  NDR20,
  parseHeader,
  parsePdu,
  type Pdu,
  PFC,
  PTYPE,
  type SyntaxId,
  type VerifierInput,
} from './pdu.js';

/**
 * The byte stream under the runtime. On SMB2, `write` is a WRITE to the pipe, `read` a READ, and `transact` an
 * IOCTL FSCTL_PIPE_TRANSCEIVE ([MS-SMB2] 2.2.31, [MS-FSCC] 2.3.53) that writes a request and returns the first
 * part of the answer; on TCP, `write` and `read` are the socket's. `read` resolves with the next chunk of whatever
 * size (a part of a PDU, or several), and with an empty buffer when the peer has closed.
 */
export interface RpcTransport {
  write(data: Buffer): Promise<void>;
  read(): Promise<Buffer>;
  transact?(data: Buffer): Promise<Buffer>;
  close(): Promise<void> | void;
}

/** Authentication for the association ([MS-RPCE] 3.3.1.5.2). */
export interface RpcAuth {
  readonly provider: SecurityProvider;
  /** connect (2) authenticates the bind only; integrity (5) signs every PDU; privacy (6) also encrypts the stub. */
  readonly level: AuthLevel;
  /** auth_context_id. @default 0 */
  readonly contextId?: number;
  /** Offer PFC_SUPPORT_HEADER_SIGN ([MS-RPCE] 2.2.2.3); it holds when the server echoes it. @default false */
  readonly headerSigning?: boolean;
}

export interface RpcClientOptions {
  /** Largest fragment sent, before the server's max_recv_frag lowers it (octets). @default 4280 */
  readonly maxXmitFrag?: number;
  /** Largest fragment accepted (octets); also offered as max_recv_frag. @default 4280 */
  readonly maxRecvFrag?: number;
  /** Largest reassembled response stub (octets). @default 8388608 (8 MiB) */
  readonly maxResponseBytes?: number;
  /** Most fragments in one response. @default 4096 */
  readonly maxFragments?: number;
  /** Time allowed for one bind or call, first write to last fragment; then the transport is closed. @default 30000 */
  readonly timeoutMs?: number;
  readonly auth?: RpcAuth;
}

/** What the bind settled. */
export interface Binding {
  readonly abstract: SyntaxId;
  readonly contextId: number;
  /** Largest fragment this client sends: min(our maxXmitFrag, the server's max_recv_frag). */
  readonly maxXmitFrag: number;
  readonly maxRecvFrag: number;
  readonly assocGroupId: number;
  /** The bind_ack's secondary address ("\PIPE\samr", a TCP port). */
  readonly secondaryAddress: string;
  readonly headerSigning: boolean;
}

export interface CallOptions {
  /** Object UUID for the request (PFC_OBJECT_UUID); DCOM uses it, the pipe interfaces do not. */
  readonly object?: string;
}

const DEFAULTS = { maxXmitFrag: 4280, maxRecvFrag: 4280, maxResponseBytes: 8 * 1024 * 1024, maxFragments: 4096, timeoutMs: 30_000 };
/** Security legs after the bind before the client gives up on a mechanism that never completes. */
const MAX_AUTH_LEGS = 4;

/** Chunks from the transport, joined only when a whole PDU is there: a peer sending one octet at a time costs linear time. */
class Inbox {
  private chunks: Buffer[] = [];
  private size = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.size += b.length;
  }

  get length(): number {
    return this.size;
  }

  /** The first `n` octets, removed when `consume` is set. */
  head(n: number, consume: boolean): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = joined.length ? [joined] : [];
    const out = joined.subarray(0, n);
    if (consume) {
      const rest = joined.subarray(n);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }

  /** The first 16 octets without joining the whole backlog. */
  peekHeader(): Buffer {
    if (this.chunks[0]!.length >= HEADER_LENGTH) return this.chunks[0]!.subarray(0, HEADER_LENGTH);
    const parts: Buffer[] = [];
    let have = 0;
    for (const c of this.chunks) {
      parts.push(c);
      have += c.length;
      if (have >= HEADER_LENGTH) break;
    }
    return Buffer.concat(parts).subarray(0, HEADER_LENGTH);
  }
}

export class RpcClient {
  private readonly options: typeof DEFAULTS;
  private readonly auth?: RpcAuth;
  private readonly inbox = new Inbox();
  private nextCallId = 1;
  private bound?: Binding;
  private broken?: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: RpcTransport,
    options: RpcClientOptions = {},
  ) {
    const { auth, ...sizes } = options;
    this.options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(sizes).filter(([, v]) => v !== undefined)) };
    for (const key of ['maxXmitFrag', 'maxRecvFrag'] as const) {
      const v = this.options[key];
      if (!Number.isInteger(v) || v < MIN_FRAG_SIZE || v > 0xffff) throw new RangeError(`${key} must be an integer from ${MIN_FRAG_SIZE} to 65535, got ${v}`);
    }
    for (const key of ['maxResponseBytes', 'maxFragments', 'timeoutMs'] as const) {
      const v = this.options[key];
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${key} must be a positive integer, got ${v}`);
    }
    const levels: number[] = [AUTH_LEVEL.connect, AUTH_LEVEL.integrity, AUTH_LEVEL.privacy];
    if (auth && !levels.includes(auth.level)) throw new RangeError(`auth.level must be connect (2), integrity (5) or privacy (6), got ${auth.level}`);
    this.auth = auth;
  }

  /** The settled binding, once `bind` has succeeded. */
  get binding(): Binding | undefined {
    return this.bound;
  }

  /** Binds `abstract` over NDR 2.0 as presentation context 0, authenticating when the client has a provider. */
  bind(abstract: SyntaxId): Promise<Binding> {
    return this.exclusive('bind', () => this.doBind(abstract));
  }

  /** Calls `opnum` with an NDR stub; resolves with the response stub. A fault rejects with RpcFaultError. */
  call(opnum: number, stub: Buffer, options: CallOptions = {}): Promise<Buffer> {
    return this.exclusive(`opnum ${opnum}`, () => this.doCall(opnum, stub, options));
  }

  async close(): Promise<void> {
    this.broken ??= 'close';
    await this.transport.close();
  }

  // -------------------------------------------------------------------------------------------------------------

  /** One operation at a time, under the time limit; an error that leaves the stream in an unknown state ends it. */
  private exclusive<T>(what: string, run: () => Promise<T>): Promise<T> {
    const task = this.queue.then(async () => {
      if (this.broken) throw new ProbeError('protocol-error', `RPC connection unusable after ${this.broken}`);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProbeError('timeout', `RPC ${what} took longer than ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      try {
        return await Promise.race([run(), expired]);
      } catch (err) {
        if (!(err instanceof RpcFaultError)) {
          this.broken ??= `a failed ${what}`;
          try {
            await this.transport.close();
          } catch {
            // the stream is already given up; a failing close changes nothing
          }
        }
        throw err instanceof ProbeError ? err : new ProbeError('protocol-error', `RPC ${what}: ${(err as Error).message ?? String(err)}`);
      } finally {
        clearTimeout(timer);
      }
    });
    this.queue = task.catch(() => undefined);
    return task;
  }

  private async readPdu(maxFrag: number): Promise<{ raw: Buffer; pdu: Pdu }> {
    for (;;) {
      if (this.broken) throw new ProbeError('protocol-error', `RPC connection unusable after ${this.broken}`);
      if (this.inbox.length >= HEADER_LENGTH) {
        const n = parseHeader(this.inbox.peekHeader(), maxFrag).fragLength;
        if (this.inbox.length >= n) {
          const raw = this.inbox.head(n, true);
          return { raw, pdu: parsePdu(raw, maxFrag) };
        }
      }
      const chunk = await this.transport.read();
      if (chunk.length === 0) throw new ProbeError('protocol-error', 'RPC peer closed the connection');
      this.inbox.push(chunk);
    }
  }

  private takeCallId(): number {
    const id = this.nextCallId;
    this.nextCallId = (this.nextCallId + 1) >>> 0 || 1;
    return id;
  }

  private verifier(value: Buffer): VerifierInput {
    const auth = this.auth!;
    return { authType: auth.provider.authType, authLevel: auth.level, contextId: auth.contextId ?? 0, value };
  }

  private async doBind(abstract: SyntaxId): Promise<Binding> {
    if (this.bound) throw new ProbeError('protocol-error', 'RPC client is already bound');
    const auth = this.auth;
    const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG | (auth?.headerSigning ? PFC.SUPPORT_HEADER_SIGN : 0);
    const contexts = [{ id: 0, abstract, transfer: [NDR20] }];
    const { maxXmitFrag, maxRecvFrag } = this.options;
    const callId = this.takeCallId();
    const token = auth ? await auth.provider.start() : undefined;
    await this.transport.write(encodeBind({ callId, maxXmitFrag, maxRecvFrag, contexts, flags, auth: token ? this.verifier(token) : undefined }));
    const ack = await this.expectAck(callId, 'bind_ack');
    if (ack.maxRecvFrag < MIN_FRAG_SIZE) throw new ProbeError('protocol-error', `server's max_recv_frag ${ack.maxRecvFrag} is below C706's ${MIN_FRAG_SIZE}`);
    const headerSigning = Boolean(auth?.headerSigning && ack.header.flags & PFC.SUPPORT_HEADER_SIGN);

    if (auth) {
      let serverToken = this.serverToken(ack);
      for (let legs = 0; ; legs++) {
        const step = await auth.provider.next(serverToken);
        if (step.send === 'nothing') break;
        if (legs >= MAX_AUTH_LEGS) throw new ProbeError('auth-failed', `security exchange still going after ${MAX_AUTH_LEGS} legs`);
        if (step.send === 'auth3') {
          // rpc_auth_3 ([MS-RPCE] 2.2.2.10) has no answer; it belongs to the bind's exchange and reuses its call_id.
          await this.transport.write(encodeAuth3(callId, this.verifier(step.token), flags));
          break;
        }
        const alterId = this.takeCallId();
        await this.transport.write(encodeBind({ callId: alterId, maxXmitFrag, maxRecvFrag, assocGroupId: ack.assocGroupId, contexts, flags, auth: this.verifier(step.token) }, PTYPE.alter_context));
        serverToken = this.serverToken(await this.expectAck(alterId, 'alter_context_resp'));
      }
    }
    this.bound = {
      abstract,
      contextId: 0,
      maxXmitFrag: Math.min(maxXmitFrag, ack.maxRecvFrag),
      maxRecvFrag,
      assocGroupId: ack.assocGroupId,
      secondaryAddress: ack.secondaryAddress,
      headerSigning,
    };
    return this.bound;
  }

  private serverToken(ack: BindAckPdu): Buffer {
    if (!ack.auth) return Buffer.alloc(0);
    const auth = this.auth!;
    if (ack.auth.authType !== auth.provider.authType) throw new ProbeError('auth-failed', `server answered with auth_type ${ack.auth.authType}, ${auth.provider.authType} offered`);
    return ack.auth.value;
  }

  private async expectAck(callId: number, kind: 'bind_ack' | 'alter_context_resp'): Promise<BindAckPdu> {
    const { pdu } = await this.readPdu(this.options.maxRecvFrag);
    if (pdu.header.callId !== callId) throw new ProbeError('protocol-error', `${pdu.kind} for call_id ${pdu.header.callId}, ${callId} expected`);
    if (pdu.kind === 'bind_nak') throw new RpcBindError('bind_nak', pdu.reason);
    if (pdu.kind === 'fault') throw new RpcFaultError(pdu.status, kind === 'bind_ack' ? 'bind' : 'alter_context', Boolean(pdu.header.flags & PFC.DID_NOT_EXECUTE));
    if (pdu.kind !== kind) throw new ProbeError('protocol-error', `${pdu.kind} where ${kind} was expected`);
    const result = pdu.results[0];
    if (!result) throw new ProbeError('protocol-error', `${kind} carries no result for the proposed context`);
    if (result.result !== CONTEXT_RESULT.acceptance) throw new RpcBindError('context', result.reason);
    if (result.transfer.uuid !== NDR20.uuid || result.transfer.major !== NDR20.major) {
      throw new ProbeError('protocol-error', `server accepted transfer syntax ${result.transfer.uuid} v${result.transfer.major}, not NDR 2.0`);
    }
    return pdu;
  }

  private expected(binding: Binding): ExpectedAuth | undefined {
    const auth = this.auth;
    if (!auth) return undefined;
    return { provider: auth.provider, level: auth.level, contextId: auth.contextId ?? 0, headerSigning: binding.headerSigning };
  }

  /** Request fragments of at most the negotiated size, each with its own verifier when the connection signs. */
  private fragments(binding: Binding, callId: number, opnum: number, stub: Buffer, object?: string): Buffer[] {
    const auth = this.auth && isProtected(this.auth.level) ? this.auth : undefined;
    const fixed = HEADER_LENGTH + 8 + (object ? 16 : 0);
    let room = binding.maxXmitFrag - fixed;
    if (auth) room = Math.floor((room - SEC_TRAILER_LENGTH - auth.provider.signatureLength) / STUB_ALIGNMENT) * STUB_ALIGNMENT;
    if (room <= 0) throw new ProbeError('protocol-error', `fragment size ${binding.maxXmitFrag} leaves no room for stub data`);
    const out: Buffer[] = [];
    for (let offset = 0; offset === 0 || offset < stub.length; offset += room) {
      const chunk = stub.subarray(offset, offset + room);
      const flags = (offset === 0 ? PFC.FIRST_FRAG : 0) | (offset + room >= stub.length ? PFC.LAST_FRAG : 0);
      const pdu = encodeRequest({
        callId,
        contextId: binding.contextId,
        opnum,
        stub: chunk,
        allocHint: stub.length - offset,
        flags,
        object,
        auth: auth ? this.verifier(Buffer.alloc(auth.provider.signatureLength)) : undefined,
      });
      out.push(auth ? protectPdu(pdu, fixed, auth.level, auth.provider, binding.headerSigning) : pdu);
    }
    return out;
  }

  private async doCall(opnum: number, stub: Buffer, options: CallOptions): Promise<Buffer> {
    const binding = this.bound;
    if (!binding) throw new ProbeError('protocol-error', 'RPC call before bind');
    const callId = this.takeCallId();
    const fragments = this.fragments(binding, callId, opnum, stub, options.object);
    const last = fragments.pop()!;
    for (const f of fragments) await this.transport.write(f);
    if (this.transport.transact) this.inbox.push(await this.transport.transact(last));
    else await this.transport.write(last);

    const expected = this.expected(binding);
    const parts: Buffer[] = [];
    let total = 0;
    for (let count = 1; ; count++) {
      if (count > this.options.maxFragments) throw new ProbeError('protocol-error', `response to opnum ${opnum} exceeds ${this.options.maxFragments} fragments`);
      const { raw, pdu } = await this.readPdu(binding.maxRecvFrag);
      if (pdu.header.callId !== callId) throw new ProbeError('protocol-error', `${pdu.kind} for call_id ${pdu.header.callId}, ${callId} expected`);
      if (pdu.kind === 'fault') throw new RpcFaultError(pdu.status, `opnum ${opnum}`, Boolean(pdu.header.flags & PFC.DID_NOT_EXECUTE));
      if (pdu.kind !== 'response') throw new ProbeError('protocol-error', `${pdu.kind} where a response was expected`);
      if (pdu.contextId !== binding.contextId) throw new ProbeError('protocol-error', `response on presentation context ${pdu.contextId}`);
      const first = Boolean(pdu.header.flags & PFC.FIRST_FRAG);
      if (first !== (count === 1)) throw new ProbeError('protocol-error', `response fragment ${count} ${first ? 'restarts' : 'lacks'} PFC_FIRST_FRAG`);
      const part = unprotectStub(raw, pdu.bodyOffset, expected);
      total += part.length;
      if (total > this.options.maxResponseBytes) throw new ProbeError('protocol-error', `response to opnum ${opnum} exceeds ${this.options.maxResponseBytes} octets`);
      parts.push(part);
      if (pdu.header.flags & PFC.LAST_FRAG) return Buffer.concat(parts, total);
    }
  }
}
