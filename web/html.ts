/**
 * HTML built with one tagged template: every interpolated value is text, escaped by app/html-escape.ts (the one
 * escape function), unless it is itself `Html` made by this tag. There is no way to put an unescaped string into
 * a page: a value read from the database cannot become markup.
 */
import { escapeHtml } from '../app/html-escape.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a page may interpolate: text (escaped), numbers, nothing (null, undefined, false: empty), markup, or lists of these. */
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part instanceof Html) return part.text;
  if (part === null || part === undefined || part === false) return '';
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  parts.forEach((p, i) => {
    out += render(p) + strings[i + 1]!;
  });
  return new Html(out);
}

/** A time as a <time> element: the ISO text (correct without script), shown in the reader's locale by app.js. */
export function time(iso: string | null | undefined, empty = '-'): Html {
  return iso ? html`<time datetime="${iso}">${iso}</time>` : html`${empty}`;
}
