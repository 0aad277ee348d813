/**
 * The web server: fastify with its routes, over a store that stays open while it runs. Pages and the JSON API
 * share the application layer with the CLI; this folder only translates HTTP (web/README.md lists what is where).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { Store } from '../store/store.js';
import type { LoginLimits } from '../store/users.js';
import { LOGIN_LIMITS } from '../app/login.js';
import { guardRoutes } from './auth.js';
import { cookieNames } from './cookies.js';
import { handleErrors } from './errors.js';
import { logRequests } from './request-log.js';
import { apiRoutes } from './routes/api-routes.js';
import { pageRoutes } from './routes/page-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { staticRoutes } from './static-files.js';

export interface ServerOptions {
  readonly store: Store;
  /** TLS key and certificate (PEM): served over HTTPS, cookies Secure with the __Host- prefix, HSTS. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  /** Where the request log and errors go, one line each. @default nowhere */
  readonly log?: (line: string) => void;
  /** @default LOGIN_LIMITS */
  readonly loginLimits?: LoginLimits;
}

/** No script, style or image from anywhere but this server; no framing; forms post only here. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  const log = o.log ?? (() => {});
  const common = {
    logger: false,
    bodyLimit: 64 * 1024,
    // Refuse a parameter the route does not know rather than dropping it silently.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false } },
    return503OnClosing: true,
  } as const;
  const app = (o.tls ? Fastify({ ...common, https: { key: o.tls.key, cert: o.tls.cert } }) : Fastify(common)) as unknown as FastifyInstance;
  const names = cookieNames(o.tls !== undefined);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    if (!request.url.startsWith('/static/')) reply.header('cache-control', 'no-store');
    if (o.tls) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });
  logRequests(app, log);
  handleErrors(app, log);
  guardRoutes(app, o.store, names);
  staticRoutes(app);
  sessionRoutes(app, o.store, names, o.loginLimits ?? LOGIN_LIMITS);
  pageRoutes(app, o.store);
  apiRoutes(app, o.store);
  return app;
}
