/**
 * The web page's pure parts: the permission table, the one HTML escape and the template built on it, where a
 * sign-in may send the browser next, the request log's redaction, --listen, and the password hash format.
 */
import test from 'ava';
import { ACTIONS, can, permissionTable } from '../app/permissions.js';
import { escapeHtml } from '../app/html-escape.js';
import { hashPassword, verifyPassword, checkPassword, SCRYPT_LOG_N } from '../app/passwords.js';
import { ROLES } from '../model/user.js';
import { html, time } from '../web/html.js';
import { localPath } from '../web/auth.js';
import { safeUrl } from '../web/request-log.js';
import { parseListen } from '../cli/serve-command.js';

test('the permission table: auditors only read; authors also edit and dry-run rules; admins do everything', (t) => {
  const expected: Record<string, string[]> = {
    read: ['auditor', 'author', 'admin'],
    'rules.edit': ['author', 'admin'],
    'rules.dry-run': ['author', 'admin'],
    'rules.apply': ['admin'],
    'rules.undo': ['admin'],
    'jobs.run': ['admin'],
    'jobs.manage': ['admin'],
    'credentials.manage': ['admin'],
    'workgroups.manage': ['admin'],
    'users.manage': ['admin'],
  };
  t.deepEqual(Object.keys(expected).sort(), [...ACTIONS].sort(), 'every action is in the expected table');
  for (const action of ACTIONS) for (const role of ROLES) t.is(can(role, action), expected[action]!.includes(role), `${role} ${action}`);
  t.deepEqual(ACTIONS.filter((a) => can('auditor', a)), ['read'], 'an auditor changes nothing');
  t.deepEqual(permissionTable().find((p) => p.action === 'rules.dry-run')?.roles, ['author', 'admin']);
});

test('escapeHtml and the html tag: every interpolated value is text; only html-made markup passes through', (t) => {
  t.is(escapeHtml(`<script>alert("1")</script> & 'x'`), '&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt; &amp; &#39;x&#39;');
  const value = '"><img src=x onerror=alert(1)>';
  t.is(html`<input value="${value}">`.text, '<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">');
  t.is(html`<p>${['<a>', html`<b>ok</b>`, 3, null, undefined, false]}</p>`.text, '<p>&lt;a&gt;<b>ok</b>3</p>');
  t.is(time('2026-01-02T03:04:05.000Z').text, '<time datetime="2026-01-02T03:04:05.000Z">2026-01-02T03:04:05.000Z</time>');
  t.is(time('<x>').text, '<time datetime="&lt;x&gt;">&lt;x&gt;</time>');
  t.is(time(null, 'never').text, 'never');
});

test('after sign-in the browser goes only to a path of this server', (t) => {
  t.is(localPath('/reports/unmanaged?kind=local'), '/reports/unmanaged?kind=local');
  for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/login?next=/', '', undefined, 42, '/a b', '/\n']) {
    t.is(localPath(bad), '/', String(bad));
  }
});

test('the request log redacts parameters named like secrets and keeps the rest', (t) => {
  t.is(safeUrl('/api/v1/assets?name=web&limit=5'), '/api/v1/assets?name=web&limit=5');
  t.is(safeUrl('/x?password=hunter2&_csrf=abc&api_key=k&name=a'), '/x?password=***&_csrf=***&api_key=***&name=a');
  t.is(safeUrl('/plain'), '/plain');
});

test('--listen: address and port, loopback told apart; bad ones name the problem', (t) => {
  t.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080, loopback: true });
  t.deepEqual(parseListen('127.135.9.9:0'), { host: '127.135.9.9', port: 0, loopback: true });
  t.deepEqual(parseListen('[::1]:443'), { host: '::1', port: 443, loopback: true });
  t.deepEqual(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080, loopback: false });
  t.deepEqual(parseListen('10.1.2.3:80'), { host: '10.1.2.3', port: 80, loopback: false });
  for (const [bad, message] of [['localhost:8080', /is not an IP address/], ['127.0.0.1', /expected ADDRESS:PORT/], ['127.0.0.1:65536', /bad --listen "65536"/], ['::1:80', /expected ADDRESS:PORT/], ['1.2.3.4:x', /expected ADDRESS:PORT/]] as const) {
    t.throws(() => parseListen(bad), { message }, bad);
  }
});

test('passwords: scrypt with the cost in the hash, a salt of its own each time, checked in constant time', async (t) => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  t.regex(a, new RegExp(`^\\$scrypt\\$ln=${SCRYPT_LOG_N},r=8,p=1\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
  t.not(a, b, 'a new salt each time');
  t.true(await verifyPassword('correct horse battery', a));
  t.false(await verifyPassword('correct horse batterY', a));
  t.false(await verifyPassword('correct horse battery', 'plain text'));
  t.false(await verifyPassword('correct horse battery', a.replace('ln=15', 'ln=40')));
  t.true(await verifyPassword('x'.repeat(12), await hashPassword('x'.repeat(12), 10)), 'a hash made with another cost still checks');
  t.throws(() => checkPassword('short'), { message: /too short: 5 characters, at least 12/ });
  t.throws(() => checkPassword('twelve chars\n'), { message: /control character/ });
  t.notThrows(() => checkPassword('twelve chars'));
});
