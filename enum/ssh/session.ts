/**
 * One authenticated SSH connection (ssh2) with the two safety rules of credentialed scanning built in:
 * - the host key is checked before any credential is sent (the verifier decides; a refusal ends the handshake);
 * - exactly one authentication attempt: a "none" request to learn the offered methods, then one try with the
 *   credential, and no retry, so a wrong password can never lock an account out.
 * Commands run on channels of their own, a few at a time, each with a timeout and an output cap.
 */
import PQueue from 'p-queue';
import { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { ProbeError } from '../../probes/core/outcome.js';
import type { Credential } from '../../vault/credentials.js';
import { sshFingerprint } from '../../probes/ssh/codec.js';
import { algorithmsForKeyType, keyType } from './keys.js';

export interface HostKeySeen {
  readonly type: string;
  readonly sha256: string;
}

export interface SessionOptions {
  readonly host: string;
  readonly port: number;
  readonly credential: Credential;
  readonly timeoutMs: number;
  /** Negotiate only this host key type (the pinned one), so the comparison is like with like. */
  readonly hostKeyType?: string;
  /** Decides whether the key is the expected one; false ends the connection before authentication. */
  readonly verifyHostKey: (key: HostKeySeen) => Promise<boolean>;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly truncated: boolean;
}

export class SshSession {
  private readonly channels = new PQueue({ concurrency: 4 });

  private constructor(private readonly client: Client, readonly hostKey: HostKeySeen) {}

  static open(options: SessionOptions): Promise<SshSession> {
    const { credential } = options;
    const client = new Client();
    let hostKey: HostKeySeen | undefined;
    let refusedKey = false;
    let attempted: string | undefined;
    let offered: string[] = [];
    const secrets = credential.secrets;
    const config: ConnectConfig = {
      host: options.host,
      port: options.port,
      username: credential.username,
      readyTimeout: options.timeoutMs,
      keepaliveInterval: 0,
      algorithms: options.hostKeyType ? { serverHostKey: algorithmsForKeyType(options.hostKeyType) as never } : undefined,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        hostKey = { type: keyType(key) ?? 'unknown', sha256: sshFingerprint(key) };
        options.verifyHostKey(hostKey).then((ok) => {
          refusedKey = !ok;
          verify(ok);
        }, () => {
          refusedKey = true;
          verify(false);
        });
      },
      authHandler: (methodsLeft, _partial, next) => {
        if (methodsLeft === null) return next('none'); // learn what the server offers; not a password attempt
        if (attempted) return next(false as never);
        offered = methodsLeft;
        const username = credential.username;
        if (credential.auth === 'key' && methodsLeft.includes('publickey') && secrets.privateKey) {
          attempted = 'publickey';
          return next({ type: 'publickey', username, key: secrets.privateKey.reveal(), passphrase: secrets.passphrase?.reveal() });
        }
        if (credential.auth === 'password' && secrets.password) {
          const password = secrets.password.reveal();
          if (methodsLeft.includes('password')) {
            attempted = 'password';
            return next({ type: 'password', username, password });
          }
          if (methodsLeft.includes('keyboard-interactive')) {
            attempted = 'keyboard-interactive';
            let rounds = 0;
            return next({
              type: 'keyboard-interactive',
              username,
              // The password answers the first round's hidden prompts only: a second round (a one-time code) gets
              // empty answers, never the password again.
              prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map((p) => (rounds++ === 0 && !p.echo ? password : ''))),
            });
          }
        }
        return next(false as never);
      },
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: ProbeError) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(err);
      };
      client.once('ready', () => {
        settled = true;
        client.setNoDelay(true); // many small channel requests: Nagle plus delayed ACKs would add 40 ms to each
        resolve(new SshSession(client, hostKey!));
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (refusedKey) return fail(new ProbeError('hostkey-changed', 'the host key is not the pinned one'));
        if (err.level === 'client-authentication') {
          const method = credential.auth === 'key' ? 'publickey' : 'password';
          return fail(new ProbeError('auth-failed', attempted
            ? `the server refused ${attempted} authentication as ${credential.username}`
            : `the server does not offer ${method} authentication (it offers: ${offered.join(', ') || 'nothing'}); nothing was sent`));
        }
        if (err.level === 'client-timeout') return fail(new ProbeError('timeout', `no SSH session within ${options.timeoutMs} ms`));
        if (/no matching.*host key|host key format/i.test(err.message) && options.hostKeyType) {
          return fail(new ProbeError('hostkey-changed', `the server no longer offers a ${options.hostKeyType} host key (the pinned type)`));
        }
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return fail(new ProbeError('refused', 'connection refused'));
        fail(new ProbeError('protocol-error', `SSH failed: ${err.message.slice(0, 200)}`));
      });
      client.on('close', () => fail(new ProbeError(refusedKey ? 'hostkey-changed' : 'protocol-error', refusedKey ? 'the host key is not the pinned one' : 'the server closed the connection')));
      try {
        client.connect(config);
      } catch (err) {
        fail(new ProbeError('protocol-error', `cannot start SSH: ${(err as Error).message.slice(0, 200)}`));
      }
    });
  }

  /** Runs one command; never rejects for the command's own failure (that is in `code` and `stderr`). */
  exec(command: string, options: { timeoutMs: number; maxBytes: number }): Promise<ExecResult> {
    return this.channels.add(() => new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (err, stream: ClientChannel) => {
        if (err) return reject(new ProbeError('access-denied', `the server refused to run a command: ${err.message.slice(0, 200)}`));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let bytes = 0;
        let errBytes = 0;
        let truncated = false;
        let code: number | null = null;
        const timer = setTimeout(() => {
          truncated = true;
          stream.close();
        }, options.timeoutMs);
        stream.on('data', (d: Buffer) => {
          if (truncated) return;
          bytes += d.length;
          if (bytes > options.maxBytes) {
            truncated = true;
            stream.close();
            return;
          }
          out.push(d);
        });
        stream.stderr.on('data', (d: Buffer) => {
          if (errBytes < 4096) errs.push(d);
          errBytes += d.length;
        });
        stream.on('exit', (c: number | null) => {
          code = c;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errs).toString('utf8').slice(0, 4096), code, truncated });
        });
      });
    })) as Promise<ExecResult>;
  }

  close(): void {
    this.client.end();
  }
}
