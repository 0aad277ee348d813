/** One report in four forms: an aligned table, CSV (RFC 4180), JSON, and a self-contained HTML page for auditors. */
import { csvField, renderTable, SCHEMA_VERSION } from './formats.js';
import type { Cell, Report } from './reports.js';

export const REPORT_FORMATS = ['table', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

function text(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1b1b}
h1{font-size:1.5em;margin:0 0 .3em}p.meta{color:#555;margin:.2em 0}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0}tr:nth-child(even) td{background:#fafafa}td.empty{color:#999}
details{margin:1em 0}summary{cursor:pointer;color:#333}`;

function html(r: Report): string {
  const head = r.columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('');
  const body = r.rows.map((row) => `<tr>${r.columns.map((c) => {
    const v = text(row[c.key]);
    return v ? `<td>${escapeHtml(v)}</td>` : '<td class="empty">-</td>';
  }).join('')}</tr>`).join('\n');
  const scans = r.scans.map((s) => `<tr><td>${s.id}</td><td>${escapeHtml(s.kind)}</td><td>${escapeHtml(s.startedAt)}</td><td>${escapeHtml(s.finishedAt ?? '')}</td><td>${escapeHtml(s.status)}</td><td>${escapeHtml(s.targets.join(' '))}</td></tr>`).join('\n');
  const params = Object.entries(r.parameters).filter(([, v]) => v !== null).map(([k, v]) => `${escapeHtml(k)} = ${escapeHtml(text(v))}`).join(', ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>surveyor: ${escapeHtml(r.title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(r.title)}</h1>
<p class="meta">${escapeHtml(r.description)}</p>
${r.scans.length ? '' : '<p class="meta"><strong>No scan has been recorded in this database: nothing has been collected yet, so an empty report is not a clean one.</strong></p>\n'}<p class="meta">Data as of <strong>${escapeHtml(r.dataAsOf ?? 'no finished scan')}</strong>; report generated ${escapeHtml(r.generatedAt)}; ${r.rows.length} row(s)${params ? `; ${params}` : ''}.</p>
<table><thead><tr>${head}</tr></thead><tbody>
${body || `<tr><td colspan="${r.columns.length}" class="empty">none</td></tr>`}
</tbody></table>
<details><summary>Scans the data came from (${r.scans.length})</summary>
<table><thead><tr><th>Scan</th><th>Kind</th><th>Started</th><th>Finished</th><th>Status</th><th>Targets</th></tr></thead><tbody>
${scans}
</tbody></table></details>
</body></html>
`;
}

export function renderReport(r: Report, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify({
        schema: SCHEMA_VERSION, report: r.name, title: r.title, generatedAt: r.generatedAt, dataAsOf: r.dataAsOf, noScanRecorded: r.scans.length === 0,
        parameters: r.parameters, scans: r.scans, rows: r.rows,
      }, null, 2) + '\n';
    case 'csv':
      return [r.columns.map((c) => c.key).join(','), ...r.rows.map((row) => r.columns.map((c) => csvField(text(row[c.key]))).join(','))].join('\r\n') + '\r\n';
    case 'html':
      return html(r);
    case 'table':
      return `${r.title}: ${r.rows.length} row(s); data as of ${r.dataAsOf ?? 'no finished scan'}\n`
        + (r.rows.length ? renderTable(r.columns.map((c) => c.label.toUpperCase()), r.rows.map((row) => r.columns.map((c) => text(row[c.key]) || '-'))) : '');
  }
}
