/** The sign-in form. Its hidden token matches the pre-session cookie (login CSRF: a foreign page cannot sign a browser in). */
import { html, type Html, type Part } from '../html.js';
import { page } from '../layout.js';

export interface LoginForm {
  readonly loginToken: string;
  /** Where to go once signed in (a path on this server). */
  readonly next: string;
  readonly name?: string;
  readonly message?: Part;
}

export function loginPage(f: LoginForm): Html {
  return page({
    title: 'Sign in', path: '/login',
    body: html`<div class="login">
<h1>Sign in to surveyor</h1>
${f.message ? html`<p class="message" role="alert">${f.message}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_login" value="${f.loginToken}">
<input type="hidden" name="next" value="${f.next}">
<label for="name">User name</label>
<input id="name" name="name" autocomplete="username" required maxlength="64" value="${f.name ?? ''}"${f.name ? '' : html` autofocus`}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${f.name ? html` autofocus` : ''}>
<button class="primary" type="submit">Sign in</button>
</form>
</div>`,
  });
}
