/**
 * TSCH ([MS-TSCH]) and the task XML parser. Samba does not offer the Task Scheduler interface (no atsvc pipe in the
 * lab), so these tests are the codec's only peer: every stub is written out from the specification's IDL in
 * fixtures/msrpc-stubs.ts, not captured from a server. The hostile cases check that a DOCTYPE or an entity is refused
 * before anything could be expanded or fetched, and that the parser's bounds hold.
 */
import test, { type ExecutionContext } from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import { parseTaskDefinition, parseXml, TaskXmlError, type TaskXmlProblem } from '../enum/msrpc/task-xml.js';
import { decodeSchRpcEnumTasksResponse, encodeEnumNamesRequest, encodeSchRpcRetrieveTaskRequest, scheduledTasks, schRpcRetrieveTask, TSCH_SYNTAX } from '../enum/msrpc/tsch.js';
import { Win32StatusError } from '../enum/msrpc/win32.js';
import { BACKUP_TASK_XML, dw, enumNamesRequest, enumNamesResponse, hex, HOSTILE_TASK_XML, retrieveTaskRequest, retrieveTaskResponse } from '../fixtures/msrpc-stubs.js';
import { type ScriptEntry, scripted } from './helpers/scripted-rpc.js';

const RETRIEVE = 2;
const ENUM_FOLDERS = 6;
const ENUM_TASKS = 7;
const S_FALSE = 1;

const BACKUP_PRINCIPAL = { id: 'Author', userId: 'CONTOSO\\svc_backup', groupId: null, logonType: 'Password', runLevel: 'HighestAvailable', displayName: null };

test('request stubs: SchRpcEnumTasks (3.2.5.4.8) and SchRpcRetrieveTask (3.2.5.4.3) as the IDL lays them out', (t) => {
  t.deepEqual(encodeEnumNamesRequest({ path: '\\' }), enumNamesRequest('\\'));
  t.deepEqual(encodeEnumNamesRequest({ path: '\\Microsoft\\Windows', startIndex: 5 }), enumNamesRequest('\\Microsoft\\Windows', 5));
  t.deepEqual(encodeSchRpcRetrieveTaskRequest('\\Backup'), retrieveTaskRequest('\\Backup'));
});

test('scheduledTasks walks the store: a task run as a domain account with a password, and a hostile definition refused, not fatal', async (t) => {
  const script: ScriptEntry[] = [
    [ENUM_TASKS, enumNamesRequest('\\'), enumNamesResponse(['Backup'], 1)],
    [ENUM_FOLDERS, enumNamesRequest('\\'), enumNamesResponse(['Contoso'], 1)],
    [RETRIEVE, retrieveTaskRequest('\\Backup'), retrieveTaskResponse(BACKUP_TASK_XML)],
    [ENUM_TASKS, enumNamesRequest('\\Contoso'), enumNamesResponse(['Sync'], 1)],
    [ENUM_FOLDERS, enumNamesRequest('\\Contoso'), enumNamesResponse([], 0)],
    [RETRIEVE, retrieveTaskRequest('\\Contoso\\Sync'), retrieveTaskResponse(HOSTILE_TASK_XML)],
  ];
  const { client, calls, unexpected } = await scripted(TSCH_SYNTAX, script);
  const store = await scheduledTasks(client);
  t.deepEqual(unexpected, []);
  t.deepEqual(calls.map((c) => c.stub), script.map(([, request]) => request));
  t.true(store.complete);
  t.deepEqual(store.problems, []);
  t.is(store.tasks.length, 2);
  t.deepEqual(store.tasks[0], {
    path: '\\Backup',
    definition: {
      uri: '\\Backup',
      author: 'CONTOSO\\admin',
      description: 'Nightly backup & rotation',
      enabled: true,
      hidden: false,
      principals: [BACKUP_PRINCIPAL],
      runAs: BACKUP_PRINCIPAL,
      execActions: [{ command: 'C:\\Tools\\backup.exe', arguments: '--all --target "\\\\nas\\backups"', workingDirectory: null }],
      otherActions: [],
    },
  });
  t.is(store.tasks[1]!.path, '\\Contoso\\Sync');
  t.is(store.tasks[1]!.definition, null);
  t.is(store.tasks[1]!.problem?.reason, 'xml-hostile');
  t.regex(store.tasks[1]!.problem?.detail ?? '', /DOCTYPE/);
});

test('S_FALSE means more names: the next SchRpcEnumTasks starts at the returned startIndex', async (t) => {
  const script: ScriptEntry[] = [
    [ENUM_TASKS, enumNamesRequest('\\', 0), enumNamesResponse(['A'], 1, S_FALSE)],
    [ENUM_TASKS, enumNamesRequest('\\', 1), enumNamesResponse(['B'], 2)],
    [ENUM_FOLDERS, enumNamesRequest('\\'), enumNamesResponse([], 0)],
    [RETRIEVE, retrieveTaskRequest('\\A'), retrieveTaskResponse(BACKUP_TASK_XML)],
    [RETRIEVE, retrieveTaskRequest('\\B'), hex('00000000', dw(0x80070005))],
  ];
  const { client, unexpected } = await scripted(TSCH_SYNTAX, script);
  const store = await scheduledTasks(client);
  t.deepEqual(unexpected, []);
  t.deepEqual(store.tasks.map((task) => [task.path, task.definition?.runAs?.userId ?? null, task.problem ?? null]), [
    ['\\A', 'CONTOSO\\svc_backup', null],
    ['\\B', null, { reason: 'access-denied', detail: 'E_ACCESSDENIED' }],
  ]);
});

test('HRESULTs: E_ACCESSDENIED on the root is thrown; HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) is named', async (t) => {
  const { client } = await scripted(TSCH_SYNTAX, [[ENUM_TASKS, enumNamesRequest('\\'), enumNamesResponse([], 0, 0x80070005)]]);
  const err = await t.throwsAsync(scheduledTasks(client), { instanceOf: Win32StatusError });
  t.is(err.status, 'access-denied');
  t.is(err.codeName, 'E_ACCESSDENIED');
  const missing = await scripted(TSCH_SYNTAX, [[RETRIEVE, retrieveTaskRequest('\\Gone'), hex('00000000', dw(0x80070002))]]);
  const gone = await t.throwsAsync(schRpcRetrieveTask(missing.client, '\\Gone'), { instanceOf: Win32StatusError });
  t.is(gone.codeName, 'HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)');
  t.is(gone.win32, 2);
});

test('hostile name lists: pcNames that disagrees with the array, a NULL name', (t) => {
  const wrong = Buffer.from(enumNamesResponse(['A', 'B'], 2));
  wrong.writeUInt32LE(3, 4); // pcNames
  t.throws(() => decodeSchRpcEnumTasksResponse(wrong), { instanceOf: ProbeError, message: /pcNames 3 for 2 names/ });
  const nullName = hex(dw(1), dw(1), '00000200', dw(1), '00000000', dw(0));
  t.throws(() => decodeSchRpcEnumTasksResponse(nullName), { instanceOf: ProbeError, message: /null or empty name/ });
});

// ---------------------------------------------------------------------------------------------------------------
// The XML parser

const refused = (t: ExecutionContext, xml: string, problem: TaskXmlProblem, message?: RegExp) => {
  const err = t.throws(() => parseTaskDefinition(xml), { instanceOf: TaskXmlError });
  t.is(err.problem, problem);
  t.true(err instanceof ProbeError);
  t.is(err.status, 'protocol-error');
  if (message) t.regex(err.message, message);
};

test('hostile XML: DOCTYPE (internal subset, external, lower case), undeclared entities, parameter entities: all refused before any expansion', (t) => {
  refused(t, HOSTILE_TASK_XML, 'hostile', /DOCTYPE/);
  refused(t, '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Task>&lol2;</Task>', 'hostile');
  refused(t, '<!DOCTYPE Task SYSTEM "http://attacker.example/task.dtd"><Task/>', 'hostile');
  refused(t, '<!doctype Task><Task/>', 'hostile');
  refused(t, '<Task><UserId>&xxe;</UserId></Task>', 'hostile', /&xxe; refused/);
  refused(t, '<Task Author="&ext;"/>', 'hostile');
  refused(t, '<Task><!ENTITY % p SYSTEM "x">%p;</Task>', 'hostile');
});

test('malformed XML and the bounds: depth, size, element count, attributes', (t) => {
  refused(t, '<Task><A></B></Task>', 'malformed', /does not close/);
  refused(t, '<Task>', 'malformed', /never closed/);
  refused(t, '<Task/><Task/>', 'malformed', /second root/);
  refused(t, '<Task a=b/>', 'malformed', /not quoted/);
  refused(t, '<Task a="1" a="2"/>', 'malformed', /repeated/);
  refused(t, 'text<Task/>', 'malformed', /outside the root/);
  refused(t, '<Task>&#0;</Task>', 'malformed', /not a character/);
  refused(t, '<Task>&amp</Task>', 'malformed', /unterminated reference/);
  refused(t, '<Actions/>', 'malformed', /<Task> expected/);
  refused(t, `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, 'too-large', /deeper than 32/);
  refused(t, `<Task>${'x'.repeat(300_000)}</Task>`, 'too-large', /more than 262144/);
  refused(t, `<Task>${'<e/>'.repeat(5000)}</Task>`, 'too-large', /more than 4096 elements/);
  refused(t, `<Task ${Array.from({ length: 40 }, (_, i) => `a${i}="1"`).join(' ')}/>`, 'too-large', /more than 32 attributes/);
});

test('what the parser accepts: references, CDATA, comments, prefixes, a BOM; the actions principal chosen by Context', (t) => {
  const root = parseXml('\ufeff<?xml version="1.0"?><!-- c --><t:Task xmlns:t="urn:x" a="&lt;&#x41;&#66;&quot;"><![CDATA[<raw & text>]]>x&amp;y</t:Task><!-- after -->');
  t.is(root.name, 'Task');
  t.is(root.attributes.get('a'), '<AB"');
  t.is(root.text, '<raw & text>x&y');
  const two = parseTaskDefinition(`<Task><Principals>
    <Principal id="Users"><GroupId>S-1-5-32-545</GroupId><RunLevel>LeastPrivilege</RunLevel></Principal>
    <Principal id="System"><UserId>S-1-5-18</UserId><LogonType>ServiceAccount</LogonType></Principal>
  </Principals><Actions Context="System"><ComHandler><ClassId>{x}</ClassId></ComHandler><Exec><Command>cmd.exe</Command></Exec></Actions></Task>`);
  t.is(two.runAs?.userId, 'S-1-5-18');
  t.is(two.runAs?.logonType, 'ServiceAccount');
  t.is(two.principals[0]?.groupId, 'S-1-5-32-545');
  t.deepEqual(two.otherActions, ['ComHandler']);
  t.deepEqual(two.execActions, [{ command: 'cmd.exe', arguments: null, workingDirectory: null }]);
});

test('the parser is linear: a large, valid, deep-enough document and a pathological one both finish fast', (t) => {
  const wide = `<Task>${'<Exec><Command>c</Command><Arguments>a &amp; b</Arguments></Exec>'.repeat(1000)}</Task>`;
  const manyAmps = `<Task>${'&amp;'.repeat(40_000)}</Task>`;
  const unclosedAttrs = `<Task ${'a="'.repeat(50_000)}`;
  for (const doc of [wide, manyAmps, unclosedAttrs]) {
    const t0 = performance.now();
    try {
      parseXml(doc);
    } catch (err) {
      t.true(err instanceof TaskXmlError);
    }
    t.true(performance.now() - t0 < 100, `${doc.slice(0, 20)}... took ${(performance.now() - t0).toFixed(1)} ms`);
  }
});
