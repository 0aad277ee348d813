/** A page that says what went wrong, in words, with the way back. */
import type { SessionRecord } from '../../model/user.js';
import { html, type Html } from '../html.js';
import { page } from '../layout.js';

export function errorPage(status: number, message: string, session?: SessionRecord): Html {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status >= 500 ? 'Something went wrong' : 'Bad request';
  return page({ title, path: '', session, body: html`<h1>${title}</h1><p class="message" role="alert">${message}</p><p><a href="/">Back to the overview</a></p>` });
}
