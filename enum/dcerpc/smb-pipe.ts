/**
 * ncacn_np ([MS-RPCE] 2.1.1.2): DCE/RPC over a named pipe of an SMB2 session. The pipe (enum/smb2/pipe.ts) is
 * the transport; a call's last (usually only) request fragment and the first answering fragment travel in one
 * FSCTL_PIPE_TRANSCEIVE, as Windows clients send them ([MS-RPCE] 2.1.1.2: the transact form of the pipe).
 */
import type { PipeSizes, Smb2Client } from '../smb2/client.js';
import type { Smb2Pipe } from '../smb2/pipe.js';
import type { AuthLevel } from './auth.js';
import { RpcClient, type RpcClientOptions, type RpcTransport } from './client.js';
import { NtlmSecurityProvider } from './ntlm-provider.js';
import type { SyntaxId } from './pdu.js';
import type { NtlmClientOptions } from '../ntlm/client.js';

/** The pipe as an RpcTransport; without `transact`, every request goes as WRITE and every answer as READ. */
export function pipeTransport(pipe: Smb2Pipe, options: { readonly transact?: boolean } = {}): RpcTransport {
  const transport: RpcTransport = {
    write: (data) => pipe.write(data),
    read: () => pipe.read(),
    close: () => pipe.close(),
  };
  return options.transact === false ? transport : { ...transport, transact: (data) => pipe.transact(data) };
}

export interface PipeBindOptions {
  /**
   * DCE/RPC authentication on top of the SMB session: NTLM at packet integrity (5) or privacy (6), with the
   * credential of the SMB logon. @default none (the SMB session's own signing or encryption protects the pipe)
   */
  readonly auth?: { readonly credential: NtlmClientOptions; readonly level: AuthLevel };
  /** Use FSCTL_PIPE_TRANSCEIVE for calls. @default true */
  readonly transact?: boolean;
  readonly rpc?: Omit<RpcClientOptions, 'auth'>;
  /** READ and transceive sizes of the pipe. @default 64 KiB each */
  readonly pipe?: PipeSizes;
}

/** Opens `\PIPE\<pipe>` and binds `syntax` on it; the RpcClient's close closes the pipe. */
export async function bindPipe(smb: Smb2Client, pipe: string, syntax: SyntaxId, options: PipeBindOptions = {}): Promise<RpcClient> {
  const opened = await smb.openPipe(pipe, options.pipe);
  const auth = options.auth
    ? { provider: new NtlmSecurityProvider(options.auth.credential), level: options.auth.level }
    : undefined;
  const rpc = new RpcClient(pipeTransport(opened, { transact: options.transact ?? true }), { ...options.rpc, ...(auth ? { auth } : {}) });
  try {
    await rpc.bind(syntax);
  } catch (err) {
    await rpc.close();
    throw err;
  }
  return rpc;
}

