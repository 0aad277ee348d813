/** `surveyor serve`: the web page and its JSON API, until SIGTERM or SIGINT. */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { InputError, SurveyorError } from '../scanner/errors.js';
import { parseAddress } from '../scanner/targets/ip.js';
import { openStore, resolveDbLocation } from '../store/open-store.js';
import { buildServer } from '../web/server.js';
import { intOption, parseCommand } from './args.js';

export const SERVE_HELP = `usage: surveyor serve [--listen 127.0.0.1:8080] [--db PATH] [--tls-cert PEM --tls-key PEM]

Serves the web page (overview, reports) and its JSON API under /api/v1/ for the users of "surveyor users".
It listens on loopback (127.0.0.1:8080) unless --listen names another address; beyond loopback give
--tls-cert and --tls-key (PEM files), or it warns that passwords and session cookies cross the network in clear.

  --listen ADDR:PORT   an IPv4 address and port, or [IPv6]:PORT; port 0 takes a free one (printed at start)
  --tls-cert FILE      the server's certificate chain (PEM); with --tls-key, serves HTTPS (Secure cookies, HSTS)
  --tls-key FILE       its private key (PEM)

One line per request goes to standard error (time, client, method, path, status, duration, user): never a
cookie, a header or a form body. SIGTERM or SIGINT (Ctrl-C) stops it: open requests finish, then it exits 0.
See docs/web.md for the roles, sessions and the API.
`;

const MAX_PEM_BYTES = 1024 * 1024;

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly loopback: boolean;
}

export function parseListen(value: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:[\]]+):(\d+)$/.exec(value);
  const bad = (why: string) => new InputError(`bad --listen "${value}": ${why}`);
  if (!m) throw bad('expected ADDRESS:PORT, like 127.0.0.1:8080 or [::1]:8080');
  const parsed = parseAddress(m[1]!);
  if (!parsed.ok) throw bad(`"${m[1]}" is not an IP address (${parsed.reason})`);
  const port = intOption('listen', m[2], 0, 65535)!;
  const loopback = parsed.address.family === 4 ? (parsed.address.value >> 24n) === 127n : parsed.address.value === 1n;
  return { host: m[1]!, port, loopback };
}

function readPem(option: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`bad --${option} "${path}": cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.length > MAX_PEM_BYTES || !bytes.includes('-----BEGIN ')) throw new InputError(`bad --${option} "${path}": not a PEM file`);
  return bytes;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('serve', argv, {
    listen: { type: 'string' }, db: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  if (positionals.length) throw new InputError(`serve: unexpected "${positionals[0]}"`);
  const listen = parseListen(values.listen ?? '127.0.0.1:8080');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new InputError('serve: give both --tls-cert and --tls-key, or neither');
  let tls: { key: Buffer; cert: Buffer } | undefined;
  if (values['tls-cert'] !== undefined) {
    tls = { cert: readPem('tls-cert', values['tls-cert']), key: readPem('tls-key', values['tls-key']!) };
    try {
      createSecureContext(tls);
    } catch (err) {
      throw new InputError(`bad --tls-cert/--tls-key: the certificate and key cannot be used together (${(err as Error).message.split('\n')[0]})`);
    }
  }
  // Caught from here on: a stop asked for while the server starts closes it as soon as it listens.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const store = await openStore(resolveDbLocation(values.db));
  const log = (line: string) => process.stderr.write(line + '\n');
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  try {
    if ((await store.users.list()).length === 0) log('surveyor serve: note: no users yet, so nobody can sign in: add one with surveyor users add NAME --role admin --password-stdin');
    app = await buildServer({ store, tls, log });
    try {
      await app.listen({ host: listen.host, port: listen.port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRNOTAVAIL') throw new InputError(`bad --listen "${values.listen}": this machine has no such address`);
      if (code === 'EADDRINUSE') throw new SurveyorError('runtime', `cannot listen on ${listen.host}:${listen.port}: the port is in use`);
      if (code === 'EACCES') throw new SurveyorError('runtime', `cannot listen on ${listen.host}:${listen.port}: not allowed (a port below 1024 needs privileges)`);
      throw err;
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    if (!tls && !listen.loopback) {
      log(`surveyor serve: WARNING: serving plain HTTP on ${host}:${port}, beyond loopback: passwords and session cookies cross the network in clear. Give --tls-cert and --tls-key.`);
    }
    log(`surveyor serve: listening on ${tls ? 'https' : 'http'}://${host}:${port}/ (database ${store.location}); stop with Ctrl-C or SIGTERM`);
    const signal = await stopped;
    log(`surveyor serve: ${signal}: closing (open requests finish first)`);
    return 0;
  } finally {
    await app?.close();
    await store.close();
  }
}
