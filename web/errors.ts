/**
 * Errors in the form the client reads: JSON `{schema, error: {status, message}}` for the API, a page otherwise.
 * A bad request names what is wrong (the schema's or the application's own words); an unexpected failure says
 * only that, and goes to the server's log.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SCHEMA_VERSION } from '../app/formats.js';
import { SurveyorError } from '../scanner/errors.js';
import { errorPage } from './pages/error-page.js';

export function isApi(request: FastifyRequest): boolean {
  return request.url === '/api' || request.url.startsWith('/api/');
}

export async function sendError(request: FastifyRequest, reply: FastifyReply, status: number, message: string): Promise<FastifyReply> {
  reply.code(status);
  if (isApi(request) || (request.headers['content-type'] ?? '').startsWith('application/json')) {
    return reply.type('application/json; charset=utf-8').send({ schema: SCHEMA_VERSION, error: { status, message } });
  }
  return reply.type('text/html; charset=utf-8').send(errorPage(status, message, request.session ?? undefined).text);
}

/** A schema's refusal in words that name the parameter: `bad querystring: unknown parameter "foo"`. */
function validationMessage(err: FastifyError): string {
  const first = err.validation![0]!;
  const where = err.validationContext ?? 'request';
  const extra = (first.params as { additionalProperty?: string }).additionalProperty;
  if (extra !== undefined) return `bad ${where}: unknown parameter "${extra}"`;
  const field = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return `bad ${where}${field ? ` parameter "${field}"` : ''}: ${first.message ?? 'invalid'}`;
}

export function handleErrors(app: FastifyInstance, log: (line: string) => void): void {
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, `nothing at ${request.method} ${request.url.split('?')[0]}`));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) return sendError(request, reply, 400, validationMessage(err));
    if (err instanceof SurveyorError && err.status === 'bad-input') return sendError(request, reply, 400, err.message);
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return sendError(request, reply, err.statusCode, err.message);
    log(`${new Date().toISOString()} error in ${request.method} ${request.url.split('?')[0]}: ${err.message}`);
    return sendError(request, reply, 500, 'the server failed to answer this request (its log says why)');
  });
}
