/**
 * The web page in a real browser: headless Chromium (test/helpers/browser.ts) against `surveyor serve` on
 * 127.135.1.1 over the test estate (helpers/estate.ts). Shown:
 * - signing in through the form with the keyboard, the overview's counts, dates shown in the reader's locale,
 *   readable at 1280 px and at 400 px (no sideways scrolling of the page), signing out;
 * - /reports/unmanaged lists exactly the rows of `surveyor report unmanaged --format json` on the same database,
 *   unfiltered and filtered, and its CSV download is the CLI's CSV of the same filter;
 * - HTML and script in every field a scanned host controls (host name, banner, account name, uid, reasons, key
 *   type) and in what a user types are shown as text on every page, with the page's script policy switched off:
 *   no dialog opens and no element is injected.
 * Screenshots of the overview and the unmanaged report go to $SURVEYOR_SCREENSHOTS (npm run screenshots sets it
 * to docs/screenshots) or to a temporary folder.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import test from 'ava';
import { cellText } from '../app/report-render.js';
import type { Cell } from '../app/reports.js';
import { runCli, tempDir } from './helpers/cli.js';
import { buildEstate, HOSTILE } from './helpers/estate.js';
import { browserRequirement, browserTest, launchBrowser } from './helpers/browser.js';
import { serve, type Served } from './helpers/web.js';

const ADMIN = { name: 'alice', password: 'alice-admin-pass-1' };
const AUDITOR = { name: 'carl', password: 'carl-auditor-pass-3' };

const cleanup: Array<() => unknown> = [];
const shared = { teardown: (fn: () => unknown) => void cleanup.push(fn) };
let env: NodeJS.ProcessEnv;
let server: Served;
let browser: Browser;
let shots: string;

if (browserRequirement().ok) {
  test.before(async () => {
    const dir = tempDir(shared);
    const db = join(dir, 's.db');
    env = { SURVEYOR_DB: db, SURVEYOR_KEY_FILE: join(dir, 'vault.key') };
    await buildEstate(db);
    for (const [u, role] of [[ADMIN, 'admin'], [AUDITOR, 'auditor']] as const) {
      const r = await runCli(['users', 'add', u.name, '--role', role, '--password-stdin'], { env, input: `${u.password}\n` });
      if (r.code !== 0) throw new Error(r.stderr);
    }
    shots = process.env.SURVEYOR_SCREENSHOTS ?? join(dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    server = await serve(shared, ['--listen', '127.135.1.1:0', '--db', db]);
    browser = await launchBrowser();
    cleanup.push(() => browser.close());
  });
  test.after.always(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });
}

/** Signs in with the keyboard only: the name field has focus, Tab to the password, Enter submits. */
async function signIn(page: Page, user: { name: string; password: string }, path = '/'): Promise<void> {
  await page.goto(server.url + path);
  await page.waitForURL(/\/login\?next=/);
  await page.keyboard.type(user.name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(user.password);
  await page.keyboard.press('Enter');
  await page.waitForURL(server.url + path);
}

/** The table's rows as the CLI's JSON cells would print: a <time> cell by its datetime, an empty one as "". */
function tableRows(page: Page): Promise<string[][]> {
  return page.$$eval('#report tbody tr', (trs) => trs.filter((tr) => !tr.querySelector('td.none')).map((tr) => [...tr.querySelectorAll('td')].map((td) => {
    const time = td.querySelector('time');
    if (time) return time.getAttribute('datetime') ?? '';
    return td.classList.contains('empty') ? '' : td.textContent ?? '';
  })));
}

async function cliRows(args: string[]): Promise<string[][]> {
  const r = await runCli(['report', 'unmanaged', '--format', 'json', ...args], { env });
  return (JSON.parse(r.stdout) as { rows: Array<Record<string, Cell>> }).rows.map((row) => Object.values(row).map((v) => cellText(v)));
}

browserTest('sign in with the keyboard, the overview and the unmanaged report as the CLI gives it, filtered and downloaded, then sign out', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await signIn(page, ADMIN);
  t.is(await page.textContent('h1'), 'Overview');
  const counts = await page.$$eval('ul.counts li', (lis) => lis.map((li) => li.textContent!.replace(/\s+/g, ' ').trim()));
  t.deepEqual(counts, ['4 assets', '5 open services', '7 accounts', '6 privileged accounts', '5 unmanaged privileged', '1 managed accounts']);
  // Dates in the reader's locale (German here), the ISO time kept in the tooltip.
  const when = await page.$eval('p.meta time', (el) => ({ text: el.textContent, iso: el.getAttribute('datetime'), title: el.getAttribute('title') }));
  t.is(when.title, when.iso);
  t.not(when.text, when.iso);
  t.regex(when.text!, /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2}$/, 'de-DE: dd.mm.yyyy, hh:mm:ss');
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  t.is(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  t.is(await page.evaluate(() => document.activeElement?.id), 'main');

  await page.click('text=Unmanaged accounts');
  await page.waitForURL(`${server.url}/reports/unmanaged`);
  t.is(await page.textContent('h1'), 'Unmanaged privileged accounts');
  t.deepEqual(await tableRows(page), await cliRows([]), 'exactly the rows of surveyor report unmanaged --format json');
  t.is((await tableRows(page)).length, 5);
  await page.screenshot({ path: join(shots, 'unmanaged-report.png'), fullPage: true });

  await page.fill('input[name=address]', '127.136.0.1-2');
  await page.selectOption('select[name=kind]', 'local');
  await page.click('button:has-text("Filter")');
  await page.waitForURL(/kind=local/);
  const filtered = await tableRows(page);
  t.deepEqual(filtered, await cliRows(['--address', '127.136.0.1-2', '--kind', 'local']));
  t.is(filtered.length, 2);
  const csvHref = await page.getAttribute('a:has-text("CSV")', 'href');
  const csv = await page.request.get(server.url + csvHref!);
  t.is(await csv.text(), (await runCli(['report', 'unmanaged', '--address', '127.136.0.1-2', '--kind', 'local', '--format', 'csv'], { env })).stdout);
  const jsonHref = await page.getAttribute('a:has-text("JSON")', 'href');
  t.deepEqual(((await (await page.request.get(server.url + jsonHref!)).json()) as { rows: Array<Record<string, Cell>> }).rows.map((row) => Object.values(row).map((v) => cellText(v))), filtered);

  // A narrow window: the page itself never scrolls sideways (a wide table scrolls in its own box).
  await page.setViewportSize({ width: 400, height: 800 });
  for (const path of ['/', '/reports/unmanaged']) {
    await page.goto(server.url + path);
    t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${path} fits 400 px`);
  }
  await page.screenshot({ path: join(shots, 'unmanaged-report-narrow.png') });

  await page.click('button:has-text("Sign out")');
  await page.waitForURL(`${server.url}/login`);
  await page.goto(server.url + '/');
  t.regex(page.url(), /\/login\?next=%2F$/, 'signed out: back to the sign-in page');
  for (const f of ['overview.png', 'unmanaged-report.png', 'unmanaged-report-narrow.png']) t.true(statSync(join(shots, f)).size > 5000, f);
});

browserTest('hostile fields (host name, banner, account, uid, reasons, key) and typed input are text on every page: no dialog, no injected element', async (t) => {
  // The page's script policy (CSP) is switched off here, so only escaping stands between the data and a script.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 860 } });
  t.teardown(() => context.close());
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const injected = () => page.evaluate(() => ({
    scripts: [...document.scripts].filter((s) => s.getAttribute('src') !== '/static/app.js').length,
    elements: document.querySelectorAll('img, svg, b, iframe, object, embed').length,
  }));

  // A hostile name typed into the sign-in form comes back as the field's value, not as markup.
  await page.goto(`${server.url}/login`);
  await page.fill('#name', HOSTILE.account);
  await page.fill('#password', 'wrong password here');
  await page.press('#password', 'Enter');
  await page.waitForSelector('p.message');
  t.is(await page.inputValue('#name'), HOSTILE.account);
  t.deepEqual(await injected(), { scripts: 0, elements: 0 }, 'login page');

  await signIn(page, AUDITOR, '/reports/unmanaged');
  const text = await page.textContent('#report');
  for (const value of [HOSTILE.hostname, HOSTILE.account, HOSTILE.reason, HOSTILE.uid, HOSTILE.keyType, HOSTILE.product]) t.true(text!.includes(value), `shown as text: ${value}`);
  t.deepEqual(await injected(), { scripts: 0, elements: 0 }, 'unmanaged report');
  for (const path of ['/', `/reports/unmanaged?address=${encodeURIComponent('127.136.0.2')}`, `/reports/unmanaged?address=${encodeURIComponent('<script>alert(7)</script>')}`,
    `/no-such-page/${encodeURIComponent('"><img src=x onerror=alert(8)>')}`]) {
    await page.goto(server.url + path);
    t.deepEqual(await injected(), { scripts: 0, elements: 0 }, path);
  }
  t.regex((await page.textContent('p.message'))!, /nothing at GET \/no-such-page\//);
  await page.goto(`${server.url}/reports/unmanaged?address=${encodeURIComponent('<script>alert(7)</script>')}`);
  t.regex((await page.textContent('p.message'))!, /bad address filter "<script>alert\(7\)<\/script>"/, 'the bad filter is shown as typed');
  t.deepEqual(dialogs, [], 'no dialog opened');
});
