/**
 * The one HTML escape of the project: every value a page shows (the HTML report, the web page) goes through it.
 * It escapes the five characters that can end a text node or a quoted attribute, so a value is text wherever it
 * lands inside an element or a quoted attribute; pages never put values inside a script, a style, or an unquoted
 * attribute.
 */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
