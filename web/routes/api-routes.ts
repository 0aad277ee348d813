/**
 * The JSON API under /api/v1/: what the pages show, for scripts. Every answer carries `"schema": 1`; parameters
 * are checked against the route's schema (an unknown one is refused, naming it). Thin over the application layer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SCHEMA_VERSION } from '../../app/formats.js';
import { ASSET_SORTS, type AssetQuery, assetSummary, findAssets, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '../../app/asset-query.js';
import { showAsset } from '../../app/assets.js';
import { runJobNow } from '../../app/jobs.js';
import { journal } from '../../app/journal.js';
import { overview } from '../../app/overview.js';
import { permissionTable } from '../../app/permissions.js';
import { buildReport } from '../../app/reports.js';
import { renderReport } from '../../app/report-render.js';
import { listUsers } from '../../app/users.js';
import { SurveyorError } from '../../scanner/errors.js';
import type { Store } from '../../store/store.js';
import { actorOf } from '../auth.js';
import { sendError } from '../errors.js';
import { UNMANAGED_QUERY, type UnmanagedQuery, unmanagedOptions } from './page-routes.js';

const NAME_PARAM = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } } } as const;

const ASSETS_QUERY = {
  type: 'object',
  properties: {
    address: { type: 'string', maxLength: 100 }, name: { type: 'string', maxLength: 253 }, os: { type: 'string', maxLength: 100 },
    service: { type: 'string', maxLength: 32 }, sort: { type: 'string', enum: ASSET_SORTS }, order: { type: 'string', enum: ['asc', 'desc'] },
    limit: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT }, offset: { type: 'integer', minimum: 0, default: 0 },
  },
  additionalProperties: false,
} as const;

const LIMIT_QUERY = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, before: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
} as const;

/** Runs a change and journals it with its result: done, or failed with the application's message. */
async function journaled<T>(store: Store, request: FastifyRequest, action: string, target: string | null, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    await journal(store, actorOf(request), action, target, 'ok');
    return result;
  } catch (err) {
    await journal(store, actorOf(request), action, target, 'failed', err instanceof SurveyorError ? err.message : 'unexpected failure');
    throw err;
  }
}

export function apiRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api/v1/session', async (request) => {
    const s = request.session!;
    return {
      schema: SCHEMA_VERSION, user: s.user, role: s.role, csrfToken: s.csrfToken, expiresAt: s.expiresAt,
      permissions: permissionTable().filter((p) => p.roles.includes(s.role)).map((p) => p.action),
    };
  });

  app.get('/api/v1/overview', async () => ({ schema: SCHEMA_VERSION, ...(await overview(store)) }));

  app.get<{ Querystring: AssetQuery }>('/api/v1/assets', { schema: { querystring: ASSETS_QUERY } }, async (request) => {
    const page = await findAssets(store, request.query);
    return { schema: SCHEMA_VERSION, total: page.total, offset: page.offset, limit: page.limit, assets: page.assets.map(assetSummary) };
  });

  app.get<{ Params: { address: string } }>('/api/v1/assets/:address', {
    schema: { params: { type: 'object', properties: { address: { type: 'string', minLength: 1, maxLength: 253 } } } },
  }, async (request, reply) => {
    try {
      const { asset, enumerations } = await showAsset(store, request.params.address);
      return { schema: SCHEMA_VERSION, asset, enumerations };
    } catch (err) {
      if (err instanceof SurveyorError && err.status === 'bad-input') return sendError(request, reply, 404, err.message);
      throw err;
    }
  });

  app.get<{ Querystring: UnmanagedQuery }>('/api/v1/reports/unmanaged', { schema: { querystring: UNMANAGED_QUERY } }, async (request, reply) => {
    const report = await buildReport(store, 'unmanaged', unmanagedOptions(request.query));
    const format = request.query.format ?? 'json';
    reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    reply.header('content-disposition', `inline; filename="unmanaged.${format}"`);
    return reply.send(renderReport(report, format));
  });

  app.get('/api/v1/jobs', async () => {
    const [jobs, runs] = await Promise.all([store.jobs.list(), store.jobs.listRuns({ limit: 1000 })]);
    const lastOf = new Map<number, (typeof runs)[number]>();
    for (const r of runs) if (!lastOf.has(r.jobId)) lastOf.set(r.jobId, r);
    return { schema: SCHEMA_VERSION, jobs: jobs.map((job) => ({ ...job, lastRun: lastOf.get(job.id) ?? null })) };
  });

  app.post<{ Params: { name: string } }>('/api/v1/jobs/:name/run', {
    config: { permission: 'jobs.run', action: 'jobs.run' }, schema: { params: NAME_PARAM },
  }, async (request, reply) => {
    try {
      const run = await journaled(store, request, 'jobs.run', request.params.name, () => runJobNow(store, request.params.name));
      return reply.code(202).send({ schema: SCHEMA_VERSION, run });
    } catch (err) {
      if (err instanceof SurveyorError && err.status === 'bad-input') return sendError(request, reply, 404, err.message);
      throw err;
    }
  });

  // Names, types, users and scopes only: a secret never leaves the vault, sealed or not.
  app.get('/api/v1/credentials', async () => ({
    schema: SCHEMA_VERSION,
    credentials: (await store.listCredentials()).map((c) => ({
      name: c.name, type: c.type, username: c.username, auth: c.auth, elevate: c.elevate, scope: c.scope, createdAt: c.createdAt, updatedAt: c.updatedAt,
    })),
  }));

  app.get('/api/v1/users', async () => ({ schema: SCHEMA_VERSION, users: await listUsers(store) }));

  app.get<{ Querystring: { limit: number; before?: number } }>('/api/v1/journal', { schema: { querystring: LIMIT_QUERY } }, async (request) => ({
    schema: SCHEMA_VERSION, entries: await store.users.listJournal({ limit: request.query.limit, before: request.query.before }),
  }));
}
