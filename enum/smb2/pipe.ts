/**
 * An open named pipe on IPC$ as a byte transport for DCE/RPC (its shape is enum/dcerpc's RpcTransport; this layer
 * does not import it): `write` is a WRITE ([MS-SMB2] 2.2.21), `read` a READ (2.2.19) returning what the pipe
 * holds, at most one message, and `transact` an IOCTL FSCTL_PIPE_TRANSCEIVE ([MS-SMB2] 2.2.31, [MS-FSCC] 2.3.50)
 * that writes a request and returns the whole answering message: while the server says STATUS_BUFFER_OVERFLOW,
 * the rest is read with READ (3.2.5.14.3 / 3.2.5.12).
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { RequestHeader } from './header.js';
import { COMMAND } from './constants.js';
import { FileId, parseReadResponse, parseWriteResponse, readRequest, writeRequest } from './files.js';
import { parseIoctlResponse, transceiveRequest } from './ioctl.js';

export interface PipeLimits {
  /** Bytes asked for by each READ. */
  readonly readBytes: number;
  /** Largest WRITE. */
  readonly writeBytes: number;
  /** MaxOutputResponse of a transceive. */
  readonly transactBytes: number;
  readonly onClose: () => void;
}

/** What a pipe needs of its SMB2 session; Smb2Client provides it (the client opens pipes, so a pipe knows it only so). */
export interface PipeChannel {
  send(command: number, build: (h: RequestHeader) => Buffer, o?: { readonly treeId?: number; readonly payloadBytes?: number; readonly forceSign?: boolean }): Promise<Buffer>;
  closeFile(treeId: number, fileId: FileId): Promise<void>;
}

/** The largest pipe message a transceive gathers from its continuation reads (a DCE/RPC fragment is at most 64 KiB). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export class Smb2Pipe {
  #closed = false;

  constructor(
    private readonly client: PipeChannel,
    /** The pipe's name, without `\PIPE\`. */
    readonly name: string,
    private readonly treeId: number,
    private readonly fileId: FileId,
    private readonly limits: PipeLimits,
  ) {}

  async write(data: Buffer): Promise<void> {
    this.#open();
    for (let at = 0; at < data.length || at === 0; at += this.limits.writeBytes) {
      const part = data.subarray(at, at + this.limits.writeBytes);
      const response = parseWriteResponse(await this.client.send(COMMAND.WRITE, (h) => writeRequest(h, { fileId: this.fileId, data: part }), {
        treeId: this.treeId, payloadBytes: part.length,
      }));
      if (response.count !== part.length) throw new ProbeError('protocol-error', `the pipe \\PIPE\\${this.name} took ${response.count} of ${part.length} bytes`);
      if (data.length === 0) break;
    }
  }

  /** The next bytes of the pipe: one message, or the next part of one longer than a READ. */
  async read(): Promise<Buffer> {
    this.#open();
    const length = this.limits.readBytes;
    const response = parseReadResponse(await this.client.send(COMMAND.READ, (h) => readRequest(h, { fileId: this.fileId, length }), {
      treeId: this.treeId, payloadBytes: length,
    }));
    return response.data;
  }

  /** Writes `data` and returns the pipe's whole answering message. */
  async transact(data: Buffer): Promise<Buffer> {
    this.#open();
    const maxOutputResponse = this.limits.transactBytes;
    const response = parseIoctlResponse(await this.client.send(COMMAND.IOCTL, (h) => transceiveRequest(h, this.fileId, data, maxOutputResponse), {
      treeId: this.treeId, payloadBytes: Math.max(data.length, maxOutputResponse),
    }));
    const parts = [response.output];
    let total = response.output.length;
    let more = response.more;
    while (more) {
      const length = this.limits.readBytes;
      const next = parseReadResponse(await this.client.send(COMMAND.READ, (h) => readRequest(h, { fileId: this.fileId, length }), {
        treeId: this.treeId, payloadBytes: length,
      }));
      total += next.data.length;
      if (total > MAX_MESSAGE_BYTES) throw new ProbeError('protocol-error', `a message on \\PIPE\\${this.name} longer than ${MAX_MESSAGE_BYTES} bytes`);
      if (next.data.length === 0 && next.more) throw new ProbeError('protocol-error', `\\PIPE\\${this.name} says more data follows but sends none`);
      parts.push(next.data);
      more = next.more;
    }
    return Buffer.concat(parts, total);
  }

  /** Closes the handle (CLOSE); the connection stays. Never throws; safe to call again. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.limits.onClose();
    try {
      await this.client.closeFile(this.treeId, this.fileId);
    } catch {
      // A handle on a dead connection or a dropped tree is gone anyway.
    }
  }

  #open(): void {
    if (this.#closed) throw new ProbeError('protocol-error', `the pipe \\PIPE\\${this.name} is closed`);
  }
}
