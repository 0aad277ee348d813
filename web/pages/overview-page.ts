/** `/`: the counts a user looks at first, and the last job runs. */
import type { Overview } from '../../app/overview.js';
import type { SessionRecord } from '../../model/user.js';
import { html, type Html, time } from '../html.js';
import { page } from '../layout.js';

export function overviewPage(session: SessionRecord, o: Overview): Html {
  const c = o.counts;
  const count = (n: number, label: string, href?: string, warn = false) => {
    const inner = html`<span class="n">${n}</span> ${label}`;
    return html`<li${warn ? html` class="warn"` : ''}>${href ? html`<a href="${href}">${inner}</a>` : inner}</li>`;
  };
  const runs = o.lastRuns.map((r) => html`<tr><td>${r.id}</td><td>${r.job}</td><td>${r.trigger}</td><td class="state-${r.state}">${r.state}</td>
<td>${r.unitsTotal === null ? '-' : `${r.unitsDone}/${r.unitsTotal}`}</td><td>${r.progress ? r.progress.hostsFound : '-'}</td>
<td>${time(r.queuedAt)}</td><td>${time(r.startedAt)}</td><td>${time(r.finishedAt)}</td><td>${r.worker ?? '-'}</td><td>${r.note ?? ''}</td></tr>`);
  return page({
    title: 'Overview', path: '/', session,
    body: html`<h1>Overview</h1>
<p class="meta">${o.scans} scan(s) recorded; data as of ${time(o.dataAsOf, 'no finished scan yet')}.</p>
<ul class="counts" aria-label="Counts">
${count(c.assets, 'assets')}${count(c.openServices, 'open services')}${count(c.accounts, 'accounts')}${count(c.privileged, 'privileged accounts')}
${count(c.unmanagedPrivileged, 'unmanaged privileged', '/reports/unmanaged', c.unmanagedPrivileged > 0)}${count(c.managed, 'managed accounts')}
</ul>
<h2 id="runs">Last job runs</h2>
${o.lastRuns.length ? html`<div class="scroll"><table aria-labelledby="runs"><thead><tr><th scope="col">Run</th><th scope="col">Job</th><th scope="col">Trigger</th><th scope="col">State</th>
<th scope="col">Units</th><th scope="col">Hosts found</th><th scope="col">Queued</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Worker</th><th scope="col">Note</th></tr></thead>
<tbody>${runs}</tbody></table></div>` : html`<p class="none">No job has run yet (surveyor jobs add, then surveyor worker).</p>`}`,
  });
}
