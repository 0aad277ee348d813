/**
 * `/reports/unmanaged`: the rows of `surveyor report unmanaged` (the same report, app/reports.ts), with the
 * filter in the address bar and CSV/JSON downloads of exactly what the filter shows.
 */
import { ACCOUNT_KINDS } from '../../model/account.js';
import type { Cell, Report } from '../../app/reports.js';
import { cellText } from '../../app/report-render.js';
import type { SessionRecord } from '../../model/user.js';
import { html, type Html, time } from '../html.js';
import { page } from '../layout.js';

export interface UnmanagedFilter {
  readonly address?: string;
  readonly kind?: string;
}

/** The filter as a query string (`address=...&kind=...`), the same for the page and its downloads. */
export function filterQuery(f: UnmanagedFilter, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (f.address) q.set('address', f.address);
  if (f.kind) q.set('kind', f.kind);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

const TIME_COLUMNS = new Set(['firstSeen', 'lastSeen', 'lastLogon']);
/** Short values that read badly broken across lines. */
const NOWRAP_COLUMNS = new Set(['address', 'kind', 'enabled', 'passwordAgeDays']);

export function unmanagedPage(session: SessionRecord, r: Report, f: UnmanagedFilter): Html {
  const cell = (key: string, v: Cell | undefined) => {
    const text = cellText(v);
    if (!text) return html`<td class="empty">-</td>`;
    const isTime = TIME_COLUMNS.has(key) && /^\d{4}-\d\d-\d\dT/.test(text);
    return html`<td${isTime || NOWRAP_COLUMNS.has(key) ? html` class="nowrap"` : ''}>${isTime ? time(text) : text}</td>`;
  };
  const api = '/api/v1/reports/unmanaged';
  return page({
    title: r.title, path: '/reports/unmanaged', session,
    body: html`<h1>${r.title}</h1>
<p class="meta">${r.description} Data as of ${time(r.dataAsOf, 'no finished scan')}.</p>
<form class="filters" method="get" action="/reports/unmanaged" role="search">
<label>Address, CIDR or range<input name="address" value="${f.address ?? ''}" placeholder="10.0.0.0/8"></label>
<label>Kind<select name="kind"><option value="">any</option>${ACCOUNT_KINDS.map((k) => html`<option${k === f.kind ? html` selected` : ''}>${k}</option>`)}</select></label>
<button class="primary" type="submit">Filter</button>
</form>
<ul class="summary" aria-label="Summary">${r.summary.map((s) => html`<li><strong>${s.value}</strong> ${s.label}</li>`)}</ul>
<p class="downloads">Download what this filter shows: <a href="${api}${filterQuery(f, { format: 'csv' })}" download>CSV</a> <a href="${api}${filterQuery(f, { format: 'json' })}" download>JSON</a></p>
<div class="scroll"><table id="report"><caption>${r.rows.length} row(s)</caption>
<thead><tr>${r.columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
<tbody>${r.rows.length ? r.rows.map((row) => html`<tr>${r.columns.map((c) => cell(c.key, row[c.key]))}</tr>`) : html`<tr><td class="none" colspan="${r.columns.length}">none</td></tr>`}</tbody>
</table></div>`,
  });
}
