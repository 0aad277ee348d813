/**
 * One TCP connection to an SMB2 server ([MS-SMB2] 2.1 Direct TCP, 3.2.4.1 sending, 3.2.5.1 receiving): frames
 * out, frames in, each response handed to the request with its MessageId. It owns what every request shares: the
 * message id sequence and the credits the server granted (3.2.4.1.5, 3.2.5.1.4), interim STATUS_PENDING answers
 * (3.2.5.1.5), the size bound on what the server may send, a time limit on every request, and the end of the
 * connection failing every request still waiting, at once. Signing and encryption are the client's business: this
 * layer moves bytes and reports whether a response came in a TRANSFORM_HEADER.
 */
import { connect as netConnect, Socket } from 'node:net';
import { ProbeError } from '../../probes/core/outcome.js';
import { commandName, FLAGS, HEADER_SIZE } from './constants.js';
import { frame, framedLength } from './framing.js';
import { isSmb2, parseHeader } from './header.js';
import { NT_STATUS } from './status.js';
import { isTransformed, TRANSFORM_HEADER_SIZE } from './transform.js';

/** A response as it arrived: the plain SMB2 message and whether it had been encrypted. */
export interface Arrival {
  readonly message: Buffer;
  readonly encrypted: boolean;
}

interface Pending {
  readonly command: number;
  readonly resolve: (a: Arrival) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface ConnectionOptions {
  readonly address: string;
  readonly port: number;
  /** Time for the TCP connect and for each request's answer. */
  readonly timeoutMs: number;
  /** Largest message (after the 4-byte frame) accepted from the server. */
  readonly maxMessageBytes: number;
  readonly signal?: AbortSignal;
  /** Opens a TRANSFORM_HEADER message; throws when it cannot (no session keys, a bad tag). */
  readonly decrypt: (data: Buffer) => Buffer;
}

/** Credits asked for on every request: enough for a few calls in flight without starving the server. */
export const CREDIT_TARGET = 64;

export class Smb2Connection {
  #buffer: Buffer = Buffer.alloc(0);
  #nextMessageId = 0n;
  /** [MS-SMB2] 3.2.1.2 the credits granted and not yet spent; NEGOTIATE may always be sent with the first. */
  #credits = 1;
  readonly #pending = new Map<bigint, Pending>();
  readonly #creditWaiters: Array<() => void> = [];
  #closed: ProbeError | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(new ProbeError('protocol-error', `connection to ${options.address}:${options.port} failed: ${err.code ?? err.message}`)));
    socket.on('close', () => this.#fail(new ProbeError('protocol-error', `the server ${options.address}:${options.port} closed the connection`)));
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  static open(options: ConnectionOptions): Promise<Smb2Connection> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new ProbeError('timeout', 'aborted before connecting'));
      const socket = netConnect({ host: options.address, port: options.port });
      socket.setNoDelay(true);
      const fail = (err: ProbeError) => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onError = (err: NodeJS.ErrnoException) =>
        fail(err.code === 'ECONNREFUSED' ? new ProbeError('refused', `${options.address}:${options.port}: connection refused`)
          : new ProbeError('protocol-error', `${options.address}:${options.port}: connect failed: ${err.code ?? err.message}`));
      const onAbort = () => fail(new ProbeError('timeout', 'aborted while connecting'));
      const timer = setTimeout(() => fail(new ProbeError('timeout', `${options.address}:${options.port}: no TCP connection within ${options.timeoutMs} ms`)), options.timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      socket.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        cleanup();
        resolve(new Smb2Connection(socket, options));
      });
    });
  }

  /** Why the connection is over, or null while it is usable. */
  get closed(): ProbeError | null {
    return this.#closed;
  }

  get credits(): number {
    return this.#credits;
  }

  /**
   * Reserves `charge` credits (at least one message id each, [MS-SMB2] 3.2.4.1.5) and returns the first message
   * id, waiting while the server has granted too few. A charge above what a server ever granted would wait
   * forever, so it fails instead once nothing is in flight to bring more.
   */
  async reserve(charge: number): Promise<bigint> {
    const need = Math.max(1, charge);
    while (this.#credits < need) {
      if (this.#closed) throw this.#closed;
      if (this.#pending.size === 0) throw new ProbeError('protocol-error', `the server granted ${this.#credits} credits, a request needs ${need}`);
      await new Promise<void>((r) => this.#creditWaiters.push(r));
    }
    if (this.#closed) throw this.#closed;
    this.#credits -= need;
    const id = this.#nextMessageId;
    this.#nextMessageId += BigInt(need);
    return id;
  }

  /**
   * Sends one prepared message (signed or encrypted by the caller) and waits for the final response to
   * `messageId`; an interim STATUS_PENDING answer only grants credits and keeps the wait going.
   */
  exchange(messageId: bigint, command: number, wire: Buffer): Promise<Arrival> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A request the server never answers leaves its message id and credits in an unknown state: the connection
        // is given up so that no later request waits behind it.
        this.#fail(new ProbeError('timeout', `no answer to SMB2 ${commandName(command)} within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.#pending.set(messageId, { command, resolve, reject, timer });
      this.socket.write(frame(wire));
    });
  }

  /** Sends a message that gets no answer of its own (CANCEL). */
  sendOnly(wire: Buffer): void {
    if (!this.#closed) this.socket.write(frame(wire));
  }

  /** Ends the connection; requests still waiting fail with `reason`. */
  destroy(reason = new ProbeError('protocol-error', 'the SMB2 connection was closed')): void {
    this.#fail(reason);
  }

  #onAbort = (): void => {
    this.#fail(new ProbeError('timeout', 'aborted'));
  };

  #fail(reason: ProbeError): void {
    if (this.#closed) return;
    this.#closed = reason;
    this.options.signal?.removeEventListener('abort', this.#onAbort);
    this.socket.destroy();
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new ProbeError(reason.status, `SMB2 ${commandName(p.command)}: ${reason.message}`));
    }
    for (const wake of this.#creditWaiters.splice(0)) wake();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    try {
      for (;;) {
        const n = framedLength(this.#buffer, this.options.maxMessageBytes);
        if (n === 0) break;
        const data = this.#buffer.subarray(4, n);
        this.#buffer = this.#buffer.subarray(n);
        this.#dispatch(data);
      }
    } catch (err) {
      this.#fail(err instanceof ProbeError ? err : new ProbeError('protocol-error', (err as Error).message));
    }
  }

  #dispatch(data: Buffer): void {
    let encrypted = false;
    let plain = data;
    if (isTransformed(data)) {
      if (data.length < TRANSFORM_HEADER_SIZE + HEADER_SIZE) throw new ProbeError('protocol-error', `an encrypted SMB2 message of ${data.length} bytes`);
      plain = this.options.decrypt(Buffer.from(data));
      encrypted = true;
    } else if (!isSmb2(data)) {
      if (data.length >= 4 && data[0] === 0xff && data.subarray(1, 4).toString('latin1') === 'SMB') {
        throw new ProbeError('unsupported', 'the server answered in SMB1: it speaks no SMB2 or SMB3 dialect');
      }
      throw new ProbeError('protocol-error', `not an SMB2 message (protocol id ${data.subarray(0, 4).toString('hex')})`);
    }
    // A compounded answer ([MS-SMB2] 3.2.5.1.9): each part goes to its own request. This client sends no compound
    // requests, but the walk is bounded by the message either way.
    for (let at = 0; at < plain.length;) {
      const header = parseHeader(plain.subarray(at));
      const end = header.nextCommand ? at + header.nextCommand : plain.length;
      if (header.nextCommand && (header.nextCommand < HEADER_SIZE || header.nextCommand % 8 !== 0 || end > plain.length)) {
        throw new ProbeError('protocol-error', `SMB2 NextCommand ${header.nextCommand} is out of bounds`);
      }
      this.#deliver(Buffer.from(plain.subarray(at, end)), header, encrypted);
      at = end;
    }
  }

  #deliver(message: Buffer, header: ReturnType<typeof parseHeader>, encrypted: boolean): void {
    if (!(header.flags & FLAGS.SERVER_TO_REDIR)) throw new ProbeError('protocol-error', 'the server sent an SMB2 request');
    // [MS-SMB2] 3.2.5.1.4: the credits granted count whatever the response says.
    this.#credits += header.credits;
    if (header.credits) for (const wake of this.#creditWaiters.splice(0)) wake();
    if (header.messageId === 0xffffffffffffffffn) return; // an unsolicited OPLOCK_BREAK notification: no pipe client takes oplocks
    const pending = this.#pending.get(header.messageId);
    if (!pending) throw new ProbeError('protocol-error', `an SMB2 response to message ${header.messageId}, which no request is waiting for`);
    if (header.command !== pending.command) {
      throw new ProbeError('protocol-error', `an SMB2 ${commandName(header.command)} response to message ${header.messageId}, a ${commandName(pending.command)} request`);
    }
    if (header.status === NT_STATUS.PENDING && header.flags & FLAGS.ASYNC_COMMAND) return; // interim: the final answer follows
    clearTimeout(pending.timer);
    this.#pending.delete(header.messageId);
    pending.resolve({ message, encrypted });
  }
}
