/**
 * One report in four forms: an aligned table, CSV (RFC 4180), JSON, and a self-contained HTML page for auditors.
 * Every form but CSV starts with the report's summary counts (CSV stays one header line and the rows, for tools).
 */
import { csvField, renderTable, SCHEMA_VERSION } from './formats.js';
import type { Cell, Report } from './reports.js';
import { escapeHtml } from './html-escape.js';

export const REPORT_FORMATS = ['table', 'jsonl', 'json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A cell as text: lists joined with "; ", booleans as yes/no, null as empty. */
export function cellText(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.join('; ');
  return String(v);
}


const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1b1b}
h1{font-size:1.5em;margin:0 0 .3em}p.meta{color:#555;margin:.2em 0}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0}tr:nth-child(even) td{background:#fafafa}td.empty{color:#999}
td{max-width:32em;overflow-wrap:anywhere}th{cursor:pointer;user-select:none}tr.filters th{cursor:auto;padding:2px 4px}
tr.filters input{width:100%;box-sizing:border-box;font:inherit;min-width:4em}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}ul.summary{list-style:none;padding:0;margin:.6em 0;display:flex;flex-wrap:wrap;gap:.4em 1.4em}
p.tools input{font:inherit;width:24em}details{margin:1em 0}summary{cursor:pointer;color:#333}`;

/**
 * The page's only script, inline: sort by a header click, filter per column, search every column, all offline.
 * `surveyorTable` holds the pure parts (compare, matches, order) so that a test can run them without a DOM; the
 * rest binds them to the table when there is a document.
 */
export const TABLE_SCRIPT = `var surveyorTable = (function () {
  'use strict';
  var blank = function (t) { return t === '' || t === '-'; };
  /* Empty cells last; numbers by value; other text case-insensitively, digit runs by value. */
  function compare(a, b) {
    if (blank(a) || blank(b)) return blank(a) === blank(b) ? 0 : blank(a) ? 1 : -1;
    var na = Number(a), nb = Number(b);
    if (!isNaN(na) && !isNaN(nb)) return na - nb;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
  }
  /* A row shows when the search is in any cell and each column filter is in its cell, ignoring case. */
  function matches(cells, search, filters) {
    var has = function (cell, q) { return (cell || '').toLowerCase().indexOf(q.trim().toLowerCase()) >= 0; };
    if (search.trim() && !cells.some(function (c) { return has(c, search); })) return false;
    return filters.every(function (f, i) { return !f || !f.trim() || has(cells[i], f); });
  }
  /* Row indexes sorted by column col, empty cells last either way; ties keep the report's order. */
  function order(rows, col, ascending) {
    return rows.map(function (r, i) { return i; })
      .sort(function (x, y) {
        var a = rows[x][col], b = rows[y][col];
        return (blank(a) ? 1 : 0) - (blank(b) ? 1 : 0) || (ascending ? 1 : -1) * compare(a, b) || x - y;
      });
  }
  function bind(doc) {
    var table = doc.getElementById('report');
    if (!table) return;
    var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
    var trs = Array.prototype.filter.call(body.rows, function (tr) { return !tr.classList.contains('none'); });
    var rows = trs.map(function (tr) {
      return Array.prototype.map.call(tr.cells, function (td) { return td.classList.contains('empty') ? '' : td.textContent; });
    });
    var search = doc.getElementById('search'), shown = doc.getElementById('shown');
    var filters = Array.prototype.slice.call(table.querySelectorAll('tr.filters input'));
    function apply() {
      var n = 0, wanted = filters.map(function (f) { return f.value; });
      trs.forEach(function (tr, i) { tr.hidden = !matches(rows[i], search.value, wanted); if (!tr.hidden) n++; });
      shown.textContent = String(n);
    }
    search.addEventListener('input', apply);
    filters.forEach(function (f) { f.addEventListener('input', apply); });
    var sorted = -1, ascending = true;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        ascending = sorted === col ? !ascending : true;
        sorted = col;
        order(rows, col, ascending).forEach(function (i) { body.appendChild(trs[i]); });
        Array.prototype.forEach.call(heads, function (h, j) { h.setAttribute('aria-sort', j === col ? (ascending ? 'ascending' : 'descending') : 'none'); });
      });
    });
  }
  if (typeof document !== 'undefined') bind(document);
  return { compare: compare, matches: matches, order: order };
})();
`;

function html(r: Report): string {
  const head = r.columns.map((c) => `<th title="sort by ${escapeHtml(c.label)}">${escapeHtml(c.label)}</th>`).join('');
  const filters = r.columns.map((c) => `<th><input type="search" aria-label="filter ${escapeHtml(c.label)}" placeholder="filter"></th>`).join('');
  const summary = r.summary.map((s) => `<li><strong>${s.value}</strong> ${escapeHtml(s.label)}</li>`).join('');
  const body = r.rows.map((row) => `<tr>${r.columns.map((c) => {
    const v = cellText(row[c.key]);
    return v ? `<td>${escapeHtml(v)}</td>` : '<td class="empty">-</td>';
  }).join('')}</tr>`).join('\n');
  const scans = r.scans.map((s) => `<tr><td>${s.id}</td><td>${escapeHtml(s.kind)}</td><td>${escapeHtml(s.startedAt)}</td><td>${escapeHtml(s.finishedAt ?? '')}</td><td>${escapeHtml(s.status)}</td><td>${escapeHtml(s.targets.join(' '))}</td></tr>`).join('\n');
  const params = Object.entries(r.parameters).filter(([, v]) => v !== null).map(([k, v]) => `${escapeHtml(k)} = ${escapeHtml(cellText(v))}`).join(', ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>surveyor: ${escapeHtml(r.title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(r.title)}</h1>
<p class="meta">${escapeHtml(r.description)}</p>
${r.scans.length ? '' : '<p class="meta"><strong>No scan has been recorded in this database: nothing has been collected yet, so an empty report is not a clean one.</strong></p>\n'}<p class="meta">Data as of <strong>${escapeHtml(r.dataAsOf ?? 'no finished scan')}</strong>; report generated ${escapeHtml(r.generatedAt)}; ${r.rows.length} row(s)${params ? `; ${params}` : ''}.</p>
<ul class="summary">${summary}</ul>
<p class="tools"><input id="search" type="search" aria-label="search every column" placeholder="search every column"> <span id="shown">${r.rows.length}</span> of ${r.rows.length} row(s) shown; click a header to sort.</p>
<table id="report"><thead><tr>${head}</tr><tr class="filters">${filters}</tr></thead><tbody>
${body || `<tr class="none"><td colspan="${r.columns.length}" class="empty">none</td></tr>`}
</tbody></table>
<details><summary>Scans the data came from (${r.scans.length})</summary>
<table><thead><tr><th>Scan</th><th>Kind</th><th>Started</th><th>Finished</th><th>Status</th><th>Targets</th></tr></thead><tbody>
${scans}
</tbody></table></details>
<script>${TABLE_SCRIPT}</script>
</body></html>
`;
}

export function renderReport(r: Report, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify({
        schema: SCHEMA_VERSION, report: r.name, title: r.title, generatedAt: r.generatedAt, dataAsOf: r.dataAsOf, noScanRecorded: r.scans.length === 0, parameters: r.parameters,
        summary: Object.fromEntries(r.summary.map((s) => [s.key, s.value])), scans: r.scans, rows: r.rows,
      }, null, 2) + '\n';
    case 'jsonl':
      // One row per line, each with the report's name and the time of its data (the summary is in json).
      return r.rows.map((row) => JSON.stringify({ schema: SCHEMA_VERSION, report: r.name, dataAsOf: r.dataAsOf, ...row }) + '\n').join('');
    case 'csv':
      return [r.columns.map((c) => c.key).join(','), ...r.rows.map((row) => r.columns.map((c) => csvField(cellText(row[c.key]))).join(','))].join('\r\n') + '\r\n';
    case 'html':
      return html(r);
    case 'table':
      return `${r.title}: ${r.rows.length} row(s); data as of ${r.dataAsOf ?? 'no finished scan'}\n`
        + r.summary.map((s) => `  ${s.label}: ${s.value}\n`).join('') + '\n'
        + (r.rows.length ? renderTable(r.columns.map((c) => c.label.toUpperCase()), r.rows.map((row) => r.columns.map((c) => cellText(row[c.key]) || '-'))) : '');
  }
}
