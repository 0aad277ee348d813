/** Webhook calls over HTTP: how a rule run's `notify` actions reach their URLs (see onboarding/notify.ts). */
import type { Poster } from '../onboarding/notify.js';

/** How long one webhook POST may take. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** One JSON POST, no redirects followed; anything but a 2xx answer is an error naming the URL. */
export const httpPoster: Poster = async (url, body) => {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'surveyor' }, body: JSON.stringify(body),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), redirect: 'error',
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new Error(`POST ${url} failed: ${cause === 'TimeoutError' ? `no answer in ${WEBHOOK_TIMEOUT_MS / 1000} s` : cause}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`POST ${url} answered HTTP ${res.status}`);
};
