/**
 * The web tests' tools: `surveyor serve` started as a child process on a loopback address (port 0: the port it
 * prints), and a small HTTP client over node:http that keeps cookies like a browser, sends from a source address
 * of its own (so the per-address login limit of one test does not touch another's) and keeps every response it
 * got, for the check that no secret ever appears in one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ExecutionContext } from 'ava';
import { BIN } from './cli.js';

export interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far (its request log). */
  log(): string;
  /** Sends the signal and resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `surveyor serve` with `args` (give --listen HOST:0 and --db); resolves once it prints where it listens. */
export function serve(t: Pick<ExecutionContext, 'teardown'>, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 20 s:\n${stderr}`)), 20_000);
    child.stdout!.resume();
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (https?:\/\/\S+?)\/ /.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, log: () => stderr, stop: (signal = 'SIGTERM') => (child.kill(signal), exited) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${stderr}`));
    });
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
  /** The Set-Cookie lines of this reply. */
  readonly cookies: readonly string[];
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  readonly form?: Record<string, string>;
  /** Sent as application/json. */
  readonly json?: unknown;
}

/** Every reply any client got, headers and body: what the secrets check reads. */
export const allReplies: string[] = [];

export class WebClient {
  readonly jar = new Map<string, string>();

  /** `localAddress`: a loopback address this client sends from. `ca`: the certificate a TLS server must present. */
  constructor(readonly base: string, readonly localAddress: string, private readonly ca?: Buffer) {}

  request(path: string, o: RequestOptions = {}): Promise<Reply> {
    const url = new URL(path, this.base);
    const body = o.form ? new URLSearchParams(o.form).toString() : o.json !== undefined ? JSON.stringify(o.json) : undefined;
    const headers: Record<string, string> = { ...o.headers };
    if (o.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (o.json !== undefined) headers['content-type'] = 'application/json';
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, localAddress: this.localAddress, ...(this.ca ? { ca: this.ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const cookies = res.headers['set-cookie'] ?? [];
          for (const line of cookies) {
            const [pair] = line.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            if (value === '' || /max-age=0/i.test(line)) this.jar.delete(name);
            else this.jar.set(name, value);
          }
          allReplies.push(JSON.stringify(res.headers), text);
          resolve({ status: res.statusCode!, headers: res.headers, body: text, cookies, json: <T>() => JSON.parse(text) as T });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The sign-in form as a browser fills it: GET /login for its token, then POST it with name and password. */
  async signIn(name: string, password: string, next = '/'): Promise<Reply> {
    const form = await this.request(`/login?next=${encodeURIComponent(next)}`);
    const token = /name="_login" value="([^"]+)"/.exec(form.body)?.[1];
    if (!token) throw new Error(`no login token in the form (status ${form.status})`);
    return this.request('/login', { form: { name, password, next, _login: token } });
  }

  /** The session's CSRF token, as a script reads it. */
  async csrf(): Promise<string> {
    return (await this.request('/api/v1/session')).json<{ csrfToken: string }>().csrfToken;
  }
}
