/**
 * Test doubles for the DCE/RPC runtime: an in-process server behind the RpcTransport interface (bind, auth legs,
 * fragmented requests and responses, faults) and a toy security provider with the shape of NTLMSSP's (sequence
 * numbers, a 16-octet signature over header + plaintext body + trailer, a keystream over the body). The provider
 * is not cryptography anyone should use; it only lets the tests check what is signed, sealed and in what order.
 */
import { createHash, createHmac } from 'node:crypto';
import { AUTH_LEVEL, AUTH_TYPE, type AuthStep, type ExpectedAuth, protectPdu, type ProtectedPdu, type SecurityProvider, signedBytes, unprotectStub } from '../../enum/dcerpc/auth.js';
import type { RpcTransport } from '../../enum/dcerpc/client.js';
import { encodeBindAck, encodeBindNak, encodeFault, encodeResponse, NDR20, parsePdu, type Pdu, PFC, PTYPE } from '../../enum/dcerpc/pdu.js';

type Role = 'client' | 'server';

export class ToyProvider implements SecurityProvider {
  readonly authType = AUTH_TYPE.ntlm;
  readonly signatureLength = 16;
  /** Server tokens the client was given, in order. */
  readonly seen: string[] = [];
  private sendSeq = 0;
  private recvSeq = 0;

  constructor(
    private readonly role: Role,
    /** ntlm: bind, bind_ack, auth3. spnego: bind, bind_ack, alter_context, alter_context_resp. */
    private readonly flow: 'ntlm' | 'spnego' = 'ntlm',
    private readonly key = Buffer.from('toy session key'),
  ) {}

  start(): Buffer {
    return Buffer.from('NEGOTIATE');
  }

  next(serverToken: Buffer): AuthStep {
    const token = serverToken.toString();
    this.seen.push(token);
    if (token === 'CHALLENGE') return { send: this.flow === 'ntlm' ? 'auth3' : 'alter_context', token: Buffer.from('AUTHENTICATE') };
    return { send: 'nothing' };
  }

  private other(): Role {
    return this.role === 'client' ? 'server' : 'client';
  }

  private mac(from: Role, seq: number, data: Buffer): Buffer {
    return createHmac('sha256', this.key).update(`${from}:${seq}:`).update(data).digest().subarray(0, 16);
  }

  private keystream(from: Role, seq: number, n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let block = 0; block * 32 < n; block++) createHash('sha256').update(this.key).update(`${from}:${seq}:${block}`).digest().copy(out, block * 32);
    return out;
  }

  private xor(data: Buffer, from: Role, seq: number): Buffer {
    const ks = this.keystream(from, seq, data.length);
    return Buffer.from(data.map((b, i) => b ^ ks[i]!));
  }

  sign(p: ProtectedPdu): Buffer {
    return this.mac(this.role, this.sendSeq++, signedBytes(p));
  }

  verify(p: ProtectedPdu, signature: Buffer): boolean {
    return this.mac(this.other(), this.recvSeq++, signedBytes(p)).equals(signature);
  }

  seal(p: ProtectedPdu): { body: Buffer; signature: Buffer } {
    const seq = this.sendSeq++;
    return { body: this.xor(p.body, this.role, seq), signature: this.mac(this.role, seq, signedBytes(p)) };
  }

  unseal(p: ProtectedPdu, signature: Buffer): Buffer | undefined {
    const seq = this.recvSeq++;
    const plain = this.xor(p.body, this.other(), seq);
    return this.mac(this.other(), seq, signedBytes({ ...p, body: plain })).equals(signature) ? plain : undefined;
  }
}

export type Handler = (stub: Buffer, opnum: number) => Buffer | { fault: number };

export interface FakeServerOptions {
  readonly handlers?: Record<number, Handler>;
  /** Response fragments per call (the stub is cut evenly). @default 1 */
  readonly fragments?: number;
  /** The server's max_recv_frag in the bind_ack. @default 4280 */
  readonly maxRecvFrag?: number;
  readonly secondaryAddress?: string;
  /** Answer the bind with bind_nak and this reason. */
  readonly bindNak?: number;
  /** Refuse the proposed context with this provider reason. */
  readonly rejectContext?: number;
  readonly auth?: { provider: ToyProvider; level: number; contextId?: number };
  /** Answer on another call_id than the request's. */
  readonly wrongCallId?: boolean;
  /** Hand the client its octets in reads of at most this many. */
  readonly chunk?: number;
}

/** A DCE/RPC server in the test process, reached through the RpcTransport it implements. */
export class FakeServer implements RpcTransport {
  /** Every PDU the client sent, parsed. */
  readonly received: Pdu[] = [];
  readonly raw: Buffer[] = [];
  closed = false;
  private outbox: Buffer[] = [];
  private waiting?: (b: Buffer) => void;
  private pending: Buffer[] = [];
  private headerSigning = false;

  constructor(private readonly options: FakeServerOptions = {}) {}

  async write(data: Buffer): Promise<void> {
    if (this.closed) throw new Error('write after close');
    this.raw.push(data);
    const pdu = parsePdu(data);
    this.received.push(pdu);
    this.handle(pdu, data);
  }

  read(): Promise<Buffer> {
    const next = this.outbox.shift();
    if (next) return Promise.resolve(next);
    if (this.closed) return Promise.resolve(Buffer.alloc(0));
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.closed = true;
    this.waiting?.(Buffer.alloc(0));
    this.waiting = undefined;
  }

  /** Queues octets for the client, cut into `chunk`-sized reads when asked. */
  send(data: Buffer): void {
    const size = this.options.chunk ?? data.length;
    for (let i = 0; i < data.length; i += size) {
      const part = data.subarray(i, i + size);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(part);
      } else this.outbox.push(part);
    }
  }

  private expected(): ExpectedAuth | undefined {
    const a = this.options.auth;
    return a && { provider: a.provider, level: a.level, contextId: a.contextId ?? 0, headerSigning: this.headerSigning };
  }

  private handle(pdu: Pdu, raw: Buffer): void {
    const o = this.options;
    const a = o.auth;
    if (pdu.kind === 'bind' || pdu.kind === 'alter_context') {
      if (o.bindNak !== undefined) return this.send(encodeBindNak(pdu.header.callId, o.bindNak));
      this.headerSigning = Boolean(pdu.header.flags & PFC.SUPPORT_HEADER_SIGN);
      const token = pdu.kind === 'bind' ? 'CHALLENGE' : 'ACCEPTED';
      const results = [{ result: o.rejectContext === undefined ? 0 : 2, reason: o.rejectContext ?? 0, transfer: NDR20 }];
      this.send(
        encodeBindAck(
          {
            callId: pdu.header.callId,
            maxXmitFrag: 4280,
            maxRecvFrag: o.maxRecvFrag ?? 4280,
            assocGroupId: 0x53f0,
            secondaryAddress: pdu.kind === 'bind' ? (o.secondaryAddress ?? '\\PIPE\\samr') : '',
            results,
            flags: pdu.header.flags,
            auth: a && pdu.auth ? { authType: a.provider.authType, authLevel: a.level, contextId: a.contextId ?? 0, value: Buffer.from(token) } : undefined,
          },
          pdu.kind === 'bind' ? PTYPE.bind_ack : PTYPE.alter_context_resp,
        ),
      );
      return;
    }
    if (pdu.kind !== 'request') return;
    this.pending.push(unprotectStub(raw, pdu.bodyOffset, this.expected()));
    if (!(pdu.header.flags & PFC.LAST_FRAG)) return;
    const stub = Buffer.concat(this.pending);
    this.pending = [];
    const callId = o.wrongCallId ? pdu.header.callId + 1 : pdu.header.callId;
    const handler = o.handlers?.[pdu.opnum];
    const answer = handler ? handler(stub, pdu.opnum) : { fault: 0x1c010002 };
    if (!Buffer.isBuffer(answer)) return this.send(encodeFault(callId, answer.fault));
    const n = Math.max(1, o.fragments ?? 1);
    const size = Math.ceil(answer.length / n);
    for (let i = 0; i < n; i++) {
      const part = answer.subarray(i * size, (i + 1) * size);
      const flags = (i === 0 ? PFC.FIRST_FRAG : 0) | (i === n - 1 ? PFC.LAST_FRAG : 0);
      const signed = a && a.level >= AUTH_LEVEL.integrity;
      let frag = encodeResponse({
        callId,
        contextId: 0,
        stub: part,
        allocHint: answer.length - i * size,
        flags,
        auth: signed ? { authType: a.provider.authType, authLevel: a.level, contextId: a.contextId ?? 0, value: Buffer.alloc(16) } : undefined,
      });
      if (signed) frag = protectPdu(frag, 24, a.level, a.provider, this.headerSigning);
      this.send(frag);
    }
  }
}

/** The same server reached as an SMB named pipe is: the last fragment of a call goes through FSCTL_PIPE_TRANSCEIVE. */
export class FakePipeServer extends FakeServer {
  transacts = 0;

  async transact(data: Buffer): Promise<Buffer> {
    this.transacts++;
    await this.write(data);
    return this.read();
  }
}
