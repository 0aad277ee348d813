/**
 * HTTP (and HTTPS): GET / with a bounded body, the status, Server header and page title, following at most three
 * redirects and only on the same host and port (a probe never sends traffic anywhere it was not asked to).
 */
import type { Evidence } from '../../model/evidence.js';
import { ProbeError } from '../core/outcome.js';
import type { Probe, ProbeContext } from '../core/probe.js';
import type { ProbeConnection } from '../core/connection.js';
import { tlsEvidence } from '../tls/probe.js';

const MAX_REDIRECTS = 3;
const MAX_RESPONSE = 65536;

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Parses an HTTP/1.x response head and whatever body arrived (RFC 9112 2-4). */
export function parseResponse(raw: Buffer): HttpResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = (end >= 0 ? raw.subarray(0, end) : raw).toString('latin1');
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: .*)?$/.exec(statusLine ?? '');
  if (!m) throw new ProbeError('no-match', 'not an HTTP response');
  if (end < 0) throw new ProbeError('protocol-error', 'the HTTP response ended inside its header');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers, body: end >= 0 ? raw.subarray(end + 4) : Buffer.alloc(0) };
}

export function pageTitle(body: Buffer): string | null {
  const m = /<title[^>]*>([^<]{0,512})<\/title>/i.exec(body.toString('utf8'));
  return m ? m[1]!.replace(/\s+/g, ' ').trim() : null;
}

async function get(conn: ProbeConnection, host: string, path: string): Promise<HttpResponse> {
  conn.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: surveyor\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
  return parseResponse(await conn.readIdle(300, 'an HTTP response'));
}

async function fetchPage(ctx: ProbeContext, useTls: boolean): Promise<Evidence[]> {
  const evidence: Evidence[] = [];
  let path = '/';
  let redirects = 0;
  for (;;) {
    const conn = await ctx.connect({ maxBytes: MAX_RESPONSE });
    if (useTls) {
      const socket = await conn.startTls();
      if (redirects === 0) evidence.push(tlsEvidence(socket));
    }
    const hostHeader = ctx.host.includes(':') ? `[${ctx.host}]` : ctx.host;
    const res = await get(conn, hostHeader, path);
    conn.close();
    const location = res.headers.location ?? null;
    if (res.status >= 300 && res.status < 400 && location && redirects < MAX_REDIRECTS) {
      const next = sameOriginPath(location, ctx, useTls);
      if (next !== null) {
        redirects++;
        path = next;
        continue;
      }
    }
    evidence.push({ kind: 'http', status: res.status, server: res.headers.server ?? null, title: pageTitle(res.body), location, redirects });
    return evidence;
  }
}

/** The path of a redirect that stays on this host and port, or null. */
function sameOriginPath(location: string, ctx: ProbeContext, useTls: boolean): string | null {
  if (location.startsWith('/') && !location.startsWith('//')) return location;
  try {
    const url = new URL(location);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host === ctx.host && port === ctx.port && (url.protocol === 'https:') === useTls) return `${url.pathname}${url.search}`;
  } catch {
    // not a URL
  }
  return null;
}

export const httpProbe: Probe = {
  name: 'http',
  description: 'HTTP GET /: status, Server header, title, same-host redirects',
  run: async (ctx) => ({ evidence: await fetchPage(ctx, false) }),
};

export const httpsProbe: Probe = {
  name: 'https',
  description: 'TLS handshake, then HTTP GET / over it',
  run: async (ctx) => ({ evidence: await fetchPage(ctx, true) }),
};
