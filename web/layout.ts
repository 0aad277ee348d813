/** The frame of every page: the head (our own stylesheet and script, nothing from elsewhere), navigation, who is signed in. */
import type { SessionRecord } from '../model/user.js';
import { html, type Html, type Part } from './html.js';

/** The pages, in the order the navigation lists them. */
const NAV: ReadonlyArray<{ readonly path: string; readonly label: string }> = [
  { path: '/', label: 'Overview' },
  { path: '/reports/unmanaged', label: 'Unmanaged accounts' },
];

export interface PageFrame {
  readonly title: string;
  /** The navigation entry to mark as the current page. */
  readonly path: string;
  readonly session?: SessionRecord;
  readonly body: Part;
}

export function page(f: PageFrame): Html {
  const nav = f.session ? html`<nav aria-label="Main"><ul>${NAV.map((n) => html`<li><a href="${n.path}"${n.path === f.path ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
<div class="who"><span>${f.session.user} <small>(${f.session.role})</small></span>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${f.session.csrfToken}"><button type="submit">Sign out</button></form></div>` : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.title} · surveyor</title>
<link rel="stylesheet" href="/static/app.css">
${f.session ? html`<meta name="csrf-token" content="${f.session.csrfToken}">` : ''}
<script src="/static/app.js" defer></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">surveyor</a>${nav}</header>
<main id="main" tabindex="-1">
${f.body}
</main>
</body></html>
`;
}
