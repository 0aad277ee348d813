/** The server-rendered pages: thin over the application layer, the same functions the CLI and the API call. */
import type { FastifyInstance } from 'fastify';
import { ACCOUNT_KINDS, type AccountKind } from '../../model/account.js';
import { overview } from '../../app/overview.js';
import { buildReport } from '../../app/reports.js';
import type { Store } from '../../store/store.js';
import { overviewPage } from '../pages/overview-page.js';
import { unmanagedPage } from '../pages/unmanaged-page.js';

export const UNMANAGED_QUERY = {
  type: 'object',
  properties: {
    address: { type: 'string', maxLength: 100 },
    kind: { type: 'string', enum: ['', ...ACCOUNT_KINDS] },
    format: { type: 'string', enum: ['json', 'csv'] },
  },
  additionalProperties: false,
} as const;

/** The page's own filter: the same parameters, without the download format. */
const UNMANAGED_PAGE_QUERY = {
  ...UNMANAGED_QUERY,
  properties: { address: UNMANAGED_QUERY.properties.address, kind: UNMANAGED_QUERY.properties.kind },
} as const;

export interface UnmanagedQuery {
  readonly address?: string;
  readonly kind?: '' | AccountKind;
  readonly format?: 'json' | 'csv';
}

/** The report's options from the query: an empty field (a form submitted as it was) filters nothing. */
export function unmanagedOptions(q: UnmanagedQuery): { address?: string; kind?: AccountKind } {
  return { ...(q.address?.trim() ? { address: q.address.trim() } : {}), ...(q.kind ? { kind: q.kind } : {}) };
}

export function pageRoutes(app: FastifyInstance, store: Store): void {
  app.get('/', async (request, reply) => {
    return reply.type('text/html; charset=utf-8').send(overviewPage(request.session!, await overview(store)).text);
  });

  app.get<{ Querystring: UnmanagedQuery }>('/reports/unmanaged', { schema: { querystring: UNMANAGED_PAGE_QUERY } }, async (request, reply) => {
    const filter = unmanagedOptions(request.query);
    const report = await buildReport(store, 'unmanaged', filter);
    return reply.type('text/html; charset=utf-8').send(unmanagedPage(request.session!, report, filter).text);
  });
}
