/**
 * The stylesheet and script, served from the package itself (web/static/): the page loads nothing from elsewhere,
 * so it works on an isolated network. Read once at start; revalidated by ETag.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** web/static/ beside the sources: this module runs as dist/web/static-files.js. */
const STATIC_DIR = new URL('../../web/static/', import.meta.url);

const FILES: ReadonlyArray<{ readonly name: string; readonly type: string }> = [
  { name: 'app.css', type: 'text/css; charset=utf-8' },
  { name: 'app.js', type: 'text/javascript; charset=utf-8' },
];

export function staticRoutes(app: FastifyInstance): void {
  for (const f of FILES) {
    const body = readFileSync(new URL(f.name, STATIC_DIR));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    app.get(`/static/${f.name}`, { config: { public: true } }, async (request, reply) => {
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(f.type).send(body);
    });
  }
}
