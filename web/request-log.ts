/**
 * One line per request: time, client address, method, path with its query, status, duration, user. Never a
 * header (so no cookie), never a body (so no password); a query parameter whose name speaks of a secret is
 * written as `***`.
 */
import type { FastifyInstance } from 'fastify';

const SECRET_PARAM = /pass|token|csrf|secret|key|session|cookie/i;

export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const k of [...params.keys()]) if (SECRET_PARAM.test(k)) params.set(k, '***');
  return `${url.slice(0, q)}?${params.toString()}`;
}

export function logRequests(app: FastifyInstance, log: (line: string) => void): void {
  app.addHook('onResponse', async (request, reply) => {
    const ms = reply.elapsedTime.toFixed(1);
    log(`${new Date().toISOString()} ${request.ip} ${request.method} ${safeUrl(request.url)} ${reply.statusCode} ${ms}ms ${request.session?.user ?? '-'}`);
  });
}
