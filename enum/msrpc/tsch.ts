/**
 * [MS-TSCH] Task Scheduler Service Remoting Protocol, ITaskSchedulerService on \PIPE\atsvc: the folders and tasks
 * of the task store (SchRpcEnumFolders, SchRpcEnumTasks), each task's XML definition (SchRpcRetrieveTask), and the
 * account it runs as, read from that XML (task-xml.ts: UserId, LogonType, RunLevel). Returns are HRESULTs.
 *
 * Samba does not offer this interface (WINDOWS-NOTES: its pipes have no atsvc), so nothing here has met a real
 * server in this lab: the codec is tested only on stubs built by hand from the specification's IDL
 * (test/msrpc-tsch.test.ts), and the first Windows host is its first real peer.
 */
import { ProbeError } from '../../probes/core/outcome.js';
import type { SyntaxId } from '../dcerpc/pdu.js';
import { conformantArray, encode, u32, unique, wstring } from '../dcerpc/ndr.js';
import { parseTaskDefinition, type TaskDefinition, TaskXmlError, type XmlLimits } from './task-xml.js';
import { decodeResponse, HRESULT, type RpcCaller, Win32StatusError } from './win32.js';

/** The interface to bind ([MS-TSCH] 1.9): ITaskSchedulerService 86d35949-83c9-4044-b424-db363231fd0c version 1.0. */
export const TSCH_SYNTAX: SyntaxId = { uuid: '86d35949-83c9-4044-b424-db363231fd0c', major: 1, minor: 0 };
/** The named pipe on IPC$ ([MS-TSCH] 2.1): ITaskSchedulerService shares it with ATSvc. */
export const TSCH_PIPE = 'atsvc';

export const TSCH_OPNUM = { SchRpcRetrieveTask: 2, SchRpcEnumFolders: 6, SchRpcEnumTasks: 7 } as const;

/** TASK_ENUM_HIDDEN ([MS-TSCH] 3.2.5.4.7): include hidden tasks and folders. */
export const TASK_ENUM_HIDDEN = 1;

/** [MS-TSCH] 2.3.12 TASK_NAMES: [string] wchar_t*; the names come back as a conformant array of them. */
const TASK_NAMES_ARRAY = unique(conformantArray(unique(wstring)));

function malformed(operation: string, message: string): ProbeError {
  return new ProbeError('protocol-error', `${operation} response: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// SchRpcEnumFolders (Opnum 6), [MS-TSCH] 3.2.5.4.7, and SchRpcEnumTasks (Opnum 7), 3.2.5.4.8

export interface NamesPage {
  readonly names: string[];
  /** startIndex to send next. */
  readonly startIndex: number;
  /** S_FALSE: the server has more names after these. */
  readonly more: boolean;
}

export interface EnumNamesRequest {
  /** The folder: "\" for the root, "\Microsoft\Windows" below it. */
  readonly path: string;
  /** @default TASK_ENUM_HIDDEN */
  readonly flags?: number;
  /** @default 0 */
  readonly startIndex?: number;
  /** cRequested. @default 100 */
  readonly requested?: number;
}

/** path (a top-level [string]), flags, startIndex, cRequested: SchRpcEnumFolders and SchRpcEnumTasks alike. */
export function encodeEnumNamesRequest(request: EnumNamesRequest): Buffer {
  return encode([wstring, request.path], [u32, request.flags ?? TASK_ENUM_HIDDEN], [u32, request.startIndex ?? 0], [u32, request.requested ?? 100]);
}

function decodeNames(stub: Buffer, operation: string): NamesPage {
  const { out, status } = decodeResponse(stub, operation, 'hresult', (r) => ({ startIndex: r.read(u32), count: r.read(u32), names: r.read(TASK_NAMES_ARRAY) }));
  const names = out.names ?? [];
  if (names.length !== out.count) throw malformed(operation, `pcNames ${out.count} for ${names.length} names`);
  if (names.some((n) => n === null || n === '')) throw malformed(operation, 'a null or empty name');
  return { names: names as string[], startIndex: out.startIndex, more: status === HRESULT.S_FALSE };
}

/** [out] startIndex, pcNames, pNames, then HRESULT. */
export function decodeSchRpcEnumFoldersResponse(stub: Buffer): NamesPage {
  return decodeNames(stub, 'SchRpcEnumFolders');
}

/** [out] startIndex, pcNames, pNames, then HRESULT. */
export function decodeSchRpcEnumTasksResponse(stub: Buffer): NamesPage {
  return decodeNames(stub, 'SchRpcEnumTasks');
}

export async function schRpcEnumFolders(client: RpcCaller, request: EnumNamesRequest): Promise<NamesPage> {
  return decodeSchRpcEnumFoldersResponse(await client.call(TSCH_OPNUM.SchRpcEnumFolders, encodeEnumNamesRequest(request)));
}

export async function schRpcEnumTasks(client: RpcCaller, request: EnumNamesRequest): Promise<NamesPage> {
  return decodeSchRpcEnumTasksResponse(await client.call(TSCH_OPNUM.SchRpcEnumTasks, encodeEnumNamesRequest(request)));
}

// ---------------------------------------------------------------------------------------------------------------
// SchRpcRetrieveTask (Opnum 2), [MS-TSCH] 3.2.5.4.3

/** path, lpcwszLanguagesBuffer (empty: the server's default language), pulNumLanguages 0. */
export function encodeSchRpcRetrieveTaskRequest(path: string): Buffer {
  return encode([wstring, path], [wstring, ''], [u32, 0]);
}

/** [out] pXml (a [string] wchar_t** : a referent, then the string), then HRESULT. */
export function decodeSchRpcRetrieveTaskResponse(stub: Buffer): string {
  const { out } = decodeResponse(stub, 'SchRpcRetrieveTask', 'hresult', (r) => r.read(unique(wstring)));
  if (out === null) throw malformed('SchRpcRetrieveTask', 'success without pXml');
  return out;
}

/** The task's XML definition. */
export async function schRpcRetrieveTask(client: RpcCaller, path: string): Promise<string> {
  return decodeSchRpcRetrieveTaskResponse(await client.call(TSCH_OPNUM.SchRpcRetrieveTask, encodeSchRpcRetrieveTaskRequest(path)));
}

// ---------------------------------------------------------------------------------------------------------------
// The task store, walked

/** The path of `name` inside `folder`. */
export function childPath(folder: string, name: string): string {
  return folder.endsWith('\\') ? `${folder}${name}` : `${folder}\\${name}`;
}

async function allNames(list: (request: EnumNamesRequest) => Promise<NamesPage>, path: string, max: number, maxCalls: number): Promise<{ names: string[]; complete: boolean }> {
  const names: string[] = [];
  let startIndex = 0;
  for (let calls = 1; ; calls++) {
    const page = await list({ path, startIndex });
    names.push(...page.names);
    if (names.length > max) return { names: names.slice(0, max), complete: false };
    if (!page.more) return { names, complete: true };
    if (page.names.length === 0 || page.startIndex <= startIndex || calls >= maxCalls) return { names, complete: false };
    startIndex = page.startIndex;
  }
}

export interface ScheduledTask {
  readonly path: string;
  /** Null when the definition could not be read or was refused (see `problem`). */
  readonly definition: TaskDefinition | null;
  readonly problem?: { readonly reason: string; readonly detail: string };
}

export interface ScheduledTasksOptions {
  /** Most tasks read in all. @default 4096 */
  readonly maxTasks?: number;
  /** Most folders visited. @default 1024 */
  readonly maxFolders?: number;
  /** Deepest folder below the root. @default 16 */
  readonly maxDepth?: number;
  readonly xml?: XmlLimits;
}

/**
 * Every task in the store, folder by folder from the root, each with its definition and run-as principal. A task
 * or folder the server refuses, or a definition the XML parser refuses, is recorded and the walk goes on; a
 * refusal of the root itself throws.
 */
export async function scheduledTasks(client: RpcCaller, options: ScheduledTasksOptions = {}): Promise<{ tasks: ScheduledTask[]; problems: Array<{ path: string; reason: string; detail: string }>; complete: boolean }> {
  const maxTasks = options.maxTasks ?? 4096;
  const maxFolders = options.maxFolders ?? 1024;
  const maxDepth = options.maxDepth ?? 16;
  const tasks: ScheduledTask[] = [];
  const problems: Array<{ path: string; reason: string; detail: string }> = [];
  let complete = true;
  const queue: Array<{ path: string; depth: number }> = [{ path: '\\', depth: 0 }];
  let visited = 0;
  while (queue.length > 0) {
    const { path, depth } = queue.shift()!;
    if (++visited > maxFolders) {
      complete = false;
      break;
    }
    let taskNames: string[];
    let folderNames: string[];
    try {
      const t = await allNames((r) => schRpcEnumTasks(client, r), path, maxTasks - tasks.length, 256);
      const f = await allNames((r) => schRpcEnumFolders(client, r), path, maxFolders, 256);
      taskNames = t.names;
      // Below maxDepth the folders are listed but not entered: the walk says it is incomplete if there are any.
      folderNames = depth < maxDepth ? f.names : [];
      if (!t.complete || !f.complete || (depth >= maxDepth && f.names.length > 0)) complete = false;
    } catch (err) {
      if (!(err instanceof Win32StatusError) || path === '\\') throw err;
      problems.push({ path, reason: err.status, detail: err.codeName });
      continue;
    }
    for (const name of taskNames) {
      const taskPath = childPath(path, name);
      try {
        tasks.push({ path: taskPath, definition: parseTaskDefinition(await schRpcRetrieveTask(client, taskPath), options.xml) });
      } catch (err) {
        if (err instanceof Win32StatusError) tasks.push({ path: taskPath, definition: null, problem: { reason: err.status, detail: err.codeName } });
        else if (err instanceof TaskXmlError) tasks.push({ path: taskPath, definition: null, problem: { reason: `xml-${err.problem}`, detail: err.message } });
        else throw err;
      }
    }
    for (const name of folderNames) queue.push({ path: childPath(path, name), depth: depth + 1 });
  }
  return { tasks, problems, complete };
}
