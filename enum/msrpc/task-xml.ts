/**
 * A bounded, minimal XML parser for task definitions ([MS-TSCH] 2.5, the XML that SchRpcRetrieveTask returns), and
 * the run-as principal and actions read from them (2.5.6 Principal, 2.5.7 Actions).
 *
 * The XML comes from the remote host, so it is hostile input: there is no DTD processing at all. A DOCTYPE (and any
 * other markup declaration) is refused outright, so no entity can be declared, expanded or fetched; the only entity
 * references accepted are the five predefined ones and character references. Input length, nesting depth, element
 * count and attributes per element are bounded, and every step scans forward with indexOf: time is linear in the
 * input. Namespaces are reduced to local names (the task schema uses one default namespace).
 */
import { ProbeError } from '../../probes/core/outcome.js';

export type TaskXmlProblem = 'hostile' | 'malformed' | 'too-large';

/** A task definition the parser refuses: a DOCTYPE or entity (hostile), broken XML, or one past a bound. */
export class TaskXmlError extends ProbeError {
  constructor(
    readonly problem: TaskXmlProblem,
    message: string,
  ) {
    super('protocol-error', `task XML: ${message}`);
    this.name = 'TaskXmlError';
  }
}

export interface XmlElement {
  /** The local name (prefix removed). */
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** The element's own character data (text and CDATA), concatenated. */
  readonly text: string;
}

export interface XmlLimits {
  /** Longest document in UTF-16 units. @default 262144 */
  readonly maxChars?: number;
  /** @default 32 */
  readonly maxDepth?: number;
  /** @default 4096 */
  readonly maxElements?: number;
  /** @default 32 */
  readonly maxAttributes?: number;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /^[A-Za-z_:\u00C0-\uFFEF][-A-Za-z0-9._:\u00B7\u00C0-\uFFEF]*$/;

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** XML 1.0 Char production: what a character reference may produce. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Replaces the predefined entities and character references; any other reference is refused. */
function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let at = 0;
  for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', at)) {
    out += raw.slice(at, amp);
    const semi = raw.indexOf(';', amp);
    if (semi < 0 || semi - amp > 12) throw new TaskXmlError('malformed', `an unterminated reference at "${raw.slice(amp, amp + 12)}"`);
    const ref = raw.slice(amp + 1, semi);
    if (ref.startsWith('#')) {
      const cp = /^#x[0-9A-Fa-f]{1,6}$/.test(ref) ? Number.parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? Number(ref.slice(1)) : NaN;
      if (!isXmlChar(cp)) throw new TaskXmlError('malformed', `character reference &${ref}; is not a character`);
      out += String.fromCodePoint(cp);
    } else {
      const value = PREDEFINED[ref];
      if (value === undefined) throw new TaskXmlError('hostile', `entity reference &${ref}; refused: only the five predefined entities are accepted, no DTD is read`);
      out += value;
    }
    at = semi + 1;
  }
  return out + raw.slice(at);
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

interface Open {
  qname: string;
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  text: string[];
}

/** Parses a whole document into its root element. */
export function parseXml(input: string, limits: XmlLimits = {}): XmlElement {
  const maxChars = limits.maxChars ?? 262_144;
  const maxDepth = limits.maxDepth ?? 32;
  const maxElements = limits.maxElements ?? 4096;
  const maxAttributes = limits.maxAttributes ?? 32;
  if (input.length > maxChars) throw new TaskXmlError('too-large', `${input.length} characters, more than ${maxChars}`);
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let at = 0;

  const expectEnd = (token: string, from: number, what: string): number => {
    const end = text.indexOf(token, from);
    if (end < 0) throw new TaskXmlError('malformed', `unterminated ${what} at ${from}`);
    return end;
  };

  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const chunk = text.slice(at, lt < 0 ? text.length : lt);
    if (chunk.length > 0) {
      const top = stack.at(-1);
      if (top) top.text.push(decodeEntities(chunk));
      else if (chunk.trim() !== '') throw new TaskXmlError('malformed', 'text outside the root element');
    }
    if (lt < 0) break;
    if (text.startsWith('<?', lt)) {
      at = expectEnd('?>', lt + 2, 'processing instruction') + 2;
    } else if (text.startsWith('<!--', lt)) {
      at = expectEnd('-->', lt + 4, 'comment') + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const top = stack.at(-1);
      if (!top) throw new TaskXmlError('malformed', 'CDATA outside the root element');
      const end = expectEnd(']]>', lt + 9, 'CDATA section');
      top.text.push(text.slice(lt + 9, end));
      at = end + 3;
    } else if (text.startsWith('<!', lt)) {
      // <!DOCTYPE, <!ENTITY, <!ELEMENT, ...: a DTD is never read, so a document that has one is refused whole.
      throw new TaskXmlError('hostile', `markup declaration "${text.slice(lt, lt + 10)}" refused: DOCTYPE and entity declarations are not accepted`);
    } else if (text.startsWith('</', lt)) {
      const gt = expectEnd('>', lt + 2, 'end tag');
      const qname = text.slice(lt + 2, gt).trimEnd();
      const top = stack.pop();
      if (!top || top.qname !== qname) throw new TaskXmlError('malformed', `end tag </${qname.slice(0, 40)}> does not close <${top?.qname ?? ''}>`);
      const element: XmlElement = { name: top.name, attributes: top.attributes, children: top.children, text: top.text.join('') };
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else root = element;
      at = gt + 1;
    } else {
      if (root) throw new TaskXmlError('malformed', 'a second root element');
      if (++elements > maxElements) throw new TaskXmlError('too-large', `more than ${maxElements} elements`);
      if (stack.length >= maxDepth) throw new TaskXmlError('too-large', `elements nested deeper than ${maxDepth}`);
      let p = lt + 1;
      while (p < text.length && !isSpace(text[p]) && text[p] !== '>' && text[p] !== '/') p++;
      const qname = text.slice(lt + 1, p);
      if (!NAME.test(qname)) throw new TaskXmlError('malformed', `bad element name "${qname.slice(0, 40)}"`);
      const attributes = new Map<string, string>();
      let selfClosing = false;
      for (;;) {
        while (isSpace(text[p])) p++;
        if (p >= text.length) throw new TaskXmlError('malformed', `unterminated start tag <${qname}>`);
        if (text[p] === '>') {
          p++;
          break;
        }
        if (text.startsWith('/>', p)) {
          selfClosing = true;
          p += 2;
          break;
        }
        const eq = expectEnd('=', p, 'attribute');
        const attr = text.slice(p, eq).trimEnd();
        if (!NAME.test(attr)) throw new TaskXmlError('malformed', `bad attribute name "${attr.slice(0, 40)}" in <${qname}>`);
        p = eq + 1;
        while (isSpace(text[p])) p++;
        const quote = text[p];
        if (quote !== '"' && quote !== "'") throw new TaskXmlError('malformed', `attribute ${attr} of <${qname}> is not quoted`);
        const close = expectEnd(quote, p + 1, 'attribute value');
        const raw = text.slice(p + 1, close);
        if (raw.includes('<')) throw new TaskXmlError('malformed', `"<" in attribute ${attr} of <${qname}>`);
        if (attributes.has(attr)) throw new TaskXmlError('malformed', `attribute ${attr} repeated in <${qname}>`);
        if (attributes.size >= maxAttributes) throw new TaskXmlError('too-large', `more than ${maxAttributes} attributes in <${qname}>`);
        attributes.set(attr, decodeEntities(raw));
        p = close + 1;
        if (!isSpace(text[p]) && text[p] !== '>' && !text.startsWith('/>', p)) throw new TaskXmlError('malformed', `no space after attribute ${attr} of <${qname}>`);
      }
      const open: Open = { qname, name: localName(qname), attributes, children: [], text: [] };
      if (selfClosing) {
        const element: XmlElement = { name: open.name, attributes, children: [], text: '' };
        const parent = stack.at(-1);
        if (parent) parent.children.push(element);
        else root = element;
      } else stack.push(open);
      at = p;
    }
  }
  if (stack.length > 0) throw new TaskXmlError('malformed', `<${stack.at(-1)!.qname}> is never closed`);
  if (!root) throw new TaskXmlError('malformed', 'no root element');
  return root;
}

// ---------------------------------------------------------------------------------------------------------------
// Task definitions ([MS-TSCH] 2.5)

export interface TaskPrincipal {
  /** The Principal's id attribute, which Actions' Context names. */
  readonly id: string | null;
  /** UserId: the run-as account (a name or a SID string such as S-1-5-18). */
  readonly userId: string | null;
  readonly groupId: string | null;
  /** S4U, Password, InteractiveToken, InteractiveTokenOrPassword, ServiceAccount, Group ([MS-TSCH] 2.5.6). */
  readonly logonType: string | null;
  /** LeastPrivilege or HighestAvailable. */
  readonly runLevel: string | null;
  readonly displayName: string | null;
}

export interface TaskExecAction {
  readonly command: string;
  readonly arguments: string | null;
  readonly workingDirectory: string | null;
}

export interface TaskDefinition {
  readonly uri: string | null;
  readonly author: string | null;
  readonly description: string | null;
  readonly enabled: boolean | null;
  readonly hidden: boolean | null;
  readonly principals: TaskPrincipal[];
  /** The principal the actions run as: the one Actions' Context names, else the only or first one. */
  readonly runAs: TaskPrincipal | null;
  readonly execActions: TaskExecAction[];
  /** Actions other than Exec (ComHandler, SendEmail, ShowMessage), by element name. */
  readonly otherActions: string[];
}

function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children.find((c) => c.name === name);
}

function childText(e: XmlElement | undefined, name: string): string | null {
  const c = child(e, name);
  if (!c) return null;
  const t = c.text.trim();
  return t === '' ? null : t;
}

function flag(e: XmlElement | undefined, name: string): boolean | null {
  const t = childText(e, name);
  return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : null;
}

/** The parts of a task definition an inventory needs, from its XML; the root must be <Task>. */
export function parseTaskDefinition(xml: string, limits: XmlLimits = {}): TaskDefinition {
  const task = parseXml(xml, limits);
  if (task.name !== 'Task') throw new TaskXmlError('malformed', `root element <${task.name}>, <Task> expected`);
  const registration = child(task, 'RegistrationInfo');
  const settings = child(task, 'Settings');
  const principals = (child(task, 'Principals')?.children ?? [])
    .filter((c) => c.name === 'Principal')
    .map((p) => ({
      id: p.attributes.get('id') ?? null,
      userId: childText(p, 'UserId'),
      groupId: childText(p, 'GroupId'),
      logonType: childText(p, 'LogonType'),
      runLevel: childText(p, 'RunLevel'),
      displayName: childText(p, 'DisplayName'),
    }));
  const actions = child(task, 'Actions');
  const context = actions?.attributes.get('Context') ?? null;
  const runAs = (context === null ? undefined : principals.find((p) => p.id === context)) ?? principals[0] ?? null;
  const execActions: TaskExecAction[] = [];
  const otherActions: string[] = [];
  for (const a of actions?.children ?? []) {
    if (a.name !== 'Exec') {
      otherActions.push(a.name);
      continue;
    }
    const command = childText(a, 'Command');
    if (command !== null) execActions.push({ command, arguments: childText(a, 'Arguments'), workingDirectory: childText(a, 'WorkingDirectory') });
  }
  return {
    uri: childText(registration, 'URI'),
    author: childText(registration, 'Author'),
    description: childText(registration, 'Description'),
    enabled: flag(settings, 'Enabled'),
    hidden: flag(settings, 'Hidden'),
    principals,
    runAs,
    execActions,
    otherActions,
  };
}
