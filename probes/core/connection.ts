/**
 * A TCP (optionally TLS) connection for probes, owned by the engine: every read is capped, every wait ends at the
 * probe's deadline or when its signal aborts, and the socket is always destroyed. A hostile server can make one
 * probe fail (protocol-error or timeout), never hang it or fill memory.
 */
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions, TLSSocket } from 'node:tls';
import { ProbeError } from './outcome.js';

export interface ProbeConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Absolute deadline (performance.now() clock) for everything this connection does. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /** Most bytes kept from the server before the reply counts as hostile. @default 65536 */
  readonly maxBytes?: number;
}

export class ProbeConnection {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes received over the connection's whole life: the cap applies to this, not to what is still unread. */
  private received = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly maxBytes: number;

  private constructor(
    private socket: Socket | TLSSocket,
    private readonly options: ProbeConnectionOptions,
  ) {
    this.maxBytes = options.maxBytes ?? 65536;
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      if (this.received > this.maxBytes) {
        this.failure = new ProbeError('protocol-error', `reply larger than ${this.maxBytes} bytes`);
        socket.destroy();
      } else this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.failure) this.failure = err.code === 'ECONNRESET' ? new ProbeError('protocol-error', 'connection reset by the server') : err;
      this.ended = true;
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  static open(options: ProbeConnectionOptions): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: options.host, port: options.port });
      const fail = (err: Error) => {
        cleanup();
        socket.destroy();
        reject(err);
      };
      const onError = (err: NodeJS.ErrnoException) =>
        fail(err.code === 'ECONNREFUSED' ? new ProbeError('refused', 'connection refused') : new ProbeError('protocol-error', `connect failed: ${err.code ?? err.message}`));
      const onAbort = () => fail(new ProbeError('timeout', 'aborted'));
      const timer = setTimeout(() => fail(new ProbeError('timeout', 'connect timed out')), Math.max(0, options.deadline - performance.now()));
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      socket.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        cleanup();
        resolve(new ProbeConnection(socket, options));
      });
    });
  }

  /** Waits until `enough(buffer)` returns the number of bytes to take (> 0), then takes them. */
  private async take(enough: (b: Buffer) => number, what: string, deadline = this.options.deadline): Promise<Buffer> {
    for (;;) {
      const n = enough(this.buffer);
      if (n > 0) {
        const out = this.buffer.subarray(0, n);
        this.buffer = this.buffer.subarray(n);
        return out;
      }
      if (this.failure) throw this.failure instanceof ProbeError ? this.failure : new ProbeError('protocol-error', this.failure.message);
      if (this.ended) throw new ProbeError('protocol-error', `connection closed before ${what} (${this.buffer.length} bytes received)`);
      if (this.options.signal?.aborted) throw new ProbeError('timeout', 'aborted');
      const left = deadline - performance.now();
      if (left <= 0) throw new ProbeError('timeout', `no ${what} within the probe's time budget`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const onAbort = () => resolve();
        this.options.signal?.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          clearTimeout(timer);
          this.options.signal?.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
  }

  /** Exactly `n` bytes. */
  readExactly(n: number, what = `${n} bytes`): Promise<Buffer> {
    if (n > this.maxBytes) return Promise.reject(new ProbeError('protocol-error', `${what} of ${n} bytes exceeds the ${this.maxBytes}-byte cap`));
    return this.take((b) => (b.length >= n ? n : 0), what);
  }

  /**
   * One framed message: `lengthOf(buffered)` returns the message's total length once enough has arrived, 0 while
   * more is needed, and throws for a length the protocol forbids.
   */
  readFrame(lengthOf: (buffered: Buffer) => number, what: string): Promise<Buffer> {
    return this.take(lengthOf, what);
  }

  /** Up to and including the first `delimiter`. */
  readUntil(delimiter: string | Buffer, what = 'a line'): Promise<Buffer> {
    const d = typeof delimiter === 'string' ? Buffer.from(delimiter) : delimiter;
    return this.take((b) => {
      const i = b.indexOf(d);
      return i >= 0 ? i + d.length : 0;
    }, what);
  }

  /** Whatever arrives first (at least one byte). */
  readSome(what = 'data', deadline = this.options.deadline): Promise<Buffer> {
    return this.take((b) => b.length, what, deadline);
  }

  /**
   * Everything the server sends until it closes, goes quiet for `quietMs`, or the probe's deadline passes, as long
   * as something came; nothing at all is a timeout.
   */
  async readIdle(quietMs: number, what = 'data'): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const probeDeadline = this.options.deadline;
      const deadline = parts.length ? Math.min(probeDeadline, performance.now() + quietMs) : probeDeadline;
      try {
        parts.push(await this.readSome(what, deadline));
      } catch (err) {
        if (parts.length > 0 && err instanceof ProbeError && err.status !== 'refused') return Buffer.concat(parts);
        throw err;
      }
    }
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Upgrades to TLS on the same connection (after STARTTLS or an RDP/LDAP negotiation), or from the start. */
  async startTls(options: ConnectionOptions = {}): Promise<TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    this.buffer = Buffer.alloc(0);
    const tls = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: options.servername, ...options });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ProbeError('timeout', 'TLS handshake timed out'));
      }, Math.max(0, this.options.deadline - performance.now()));
      s.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new ProbeError('protocol-error', `TLS handshake failed: ${err.message}`));
      });
    });
    this.socket = tls;
    this.ended = false;
    this.attach(tls);
    return tls;
  }

  close(): void {
    this.socket.destroy();
  }
}
