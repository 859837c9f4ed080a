// End-to-end scenarios of the labeling UI in Debian's headless Chromium, driven by playwright-core.
// Run by BrowserEndToEndTest, which starts the real server and passes its address in the environment.
// Prints progress lines, and as its last line one JSON object: {"ok": true|false, ...}.
'use strict';
const http = require('http');
const path = require('path');
const fs = require('fs');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const SHOTS = process.env.SCREENSHOT_DIR;
const ANN = { user: process.env.ANN_USER, pass: process.env.ANN_PASS };
const REV = { user: process.env.REV_USER, pass: process.env.REV_PASS };
const checks = {};
const problems = [];

/** Polls the page until {@code predicate} holds (the DOM updates asynchronously); false on timeout. */
async function eventually(page, predicate, arg, timeout = 5000) {
  try {
    await page.waitForFunction(predicate, arg, { timeout });
    return true;
  } catch (e) {
    return false;
  }
}

function check(name, cond, detail) {
  checks[name] = !!cond;
  console.log((cond ? 'ok   ' : 'FAIL ') + name + (detail ? ' — ' + detail : ''));
  if (!cond) problems.push(name + (detail ? ': ' + detail : ''));
}

async function login(page, who) {
  await page.goto(BASE + '/login');
  await page.fill('#username', who.user);
  await page.fill('#password', who.pass);
  await page.press('#password', 'Enter');
  await page.waitForURL('**/annotate');
  await page.waitForSelector('body[data-ready="true"]');
}

async function currentSample(page) {
  return page.getAttribute('#task-body', 'data-sample');
}

async function labelWithKey(page, key) {
  const before = await currentSample(page);
  const done = Number(await page.getAttribute('body', 'data-done-today'));
  await page.keyboard.press(key);
  await page.waitForFunction(([s, d]) => {
    const b = document.getElementById('task-body');
    return b.getAttribute('data-sample') !== s && Number(document.body.getAttribute('data-done-today')) !== d;
  }, [before, done], { timeout: 10000 });
  return before;
}

function evilSite(target) {
  // another origin that tries to make the signed-in browser post to the labeling UI
  const page = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<form id="f" method="POST" action="${target}/api/undo" enctype="text/plain">
<input name='{"idempotencyKey":"evil-key-0001","x":"' value='"}'></form>
<script>document.getElementById('f').submit();</script></body></html>`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // ---------------------------------------------------------------- annotator
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await ctx.newPage();
    const consoleErrors = [];
    page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', e => consoleErrors.push(String(e)));
    await login(page, ANN);
    check('annotator sees a task with charts',
      await eventually(page, () => document.querySelectorAll('#charts .uplot').length >= 2),
      (await page.locator('#charts .uplot').count()) + ' charts');
    const blamed = await page.locator('#attributions li').first().textContent();
    check('blamed metrics are shown first', blamed.includes('cpu'), blamed);
    await page.keyboard.press('1'); // mark the first blamed metric as a root cause
    check('a root cause is picked with a digit key',
      await eventually(page, () => document.querySelectorAll('#attributions li.picked').length === 1));
    await page.screenshot({ path: path.join(SHOTS, 'annotator.png'), fullPage: true });

    const first = await labelWithKey(page, 'a');
    check('anomaly label opens an incident',
      await eventually(page, () => document.getElementById('status').textContent.includes('incident opened')),
      await page.textContent('#status'));
    const second = await labelWithKey(page, 'n');
    await page.keyboard.press('/');
    await page.keyboard.type('flat line, sensor restart');
    await page.keyboard.press('Escape');
    const third = await labelWithKey(page, 'u');
    check('three tasks labeled with the keyboard', new Set([first, second, third]).size === 3,
      [first, second, third].join(','));
    check('progress shows three done today',
      await eventually(page, () => document.getElementById('done-today').textContent.trim() === '3'));

    await page.keyboard.press('z');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Undone'));
    await page.waitForFunction(() => document.body.getAttribute('data-done-today') === '2');
    check('undo gives the last task back', (await currentSample(page)) === third, await currentSample(page));
    check('progress drops to two after undo',
      await eventually(page, () => document.getElementById('done-today').textContent.trim() === '2'));
    const left = Number(await page.textContent('#left'));
    check('queue size is shown', left >= 1, String(left));
    await labelWithKey(page, 'n');
    check('progress back to three',
      await eventually(page, () => document.getElementById('done-today').textContent.trim() === '3'));

    await eventually(page, () => document.getElementById('incidents').textContent.includes('follow-up'));
    const incidents = await page.textContent('#incidents');
    check('the opened incident is listed with its follow-ups', incidents.includes('web-1') &&
      incidents.includes('follow-up'), incidents.slice(0, 160));

    // the next task carries an XSS payload in its entity and metric names
    await page.waitForFunction(() => document.getElementById('entity').textContent.includes('<img'));
    const entity = await page.textContent('#entity');
    const injected = await page.evaluate(() => [window.__xss, document.querySelectorAll('#task img, #task script').length]);
    check('XSS payload is shown as text and stays inert', entity.includes('<img src=x onerror=') &&
      injected[0] === undefined && injected[1] === 0, JSON.stringify({ entity, injected }));
    const metricText = await page.locator('#attributions').textContent();
    check('XSS in metric names stays text', metricText.includes('<script>'), metricText.slice(0, 120));
    await labelWithKey(page, 's');

    const csp = consoleErrors.filter(e => /Content Security Policy|Refused/.test(e));
    check('no CSP violations or script errors on the annotator screen', consoleErrors.length === 0,
      JSON.stringify(consoleErrors.slice(0, 3)));

    // ---------------------------------------------------------------- cross-site POST
    const evil = await evilSite(BASE);
    const evilPort = evil.address().port;
    const evilPage = await ctx.newPage();
    const refused = evilPage.waitForResponse(r => r.url().endsWith('/api/undo'), { timeout: 10000 });
    await evilPage.goto('http://127.0.0.1:' + evilPort + '/');
    const resp = await refused;
    check('a cross-site POST is refused', resp.status() === 403, 'HTTP ' + resp.status());
    evil.close();
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    check('the cross-site POST undid nothing',
      await eventually(page, () => document.getElementById('done-today').textContent.trim() === '4'),
      await page.textContent('#done-today'));
    await ctx.close();

    // ---------------------------------------------------------------- reviewer
    const rctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const rpage = await rctx.newPage();
    const rErrors = [];
    rpage.on('console', m => { if (m.type() === 'error') rErrors.push(m.text()); });
    rpage.on('pageerror', e => rErrors.push(String(e)));
    await login(rpage, REV);
    await rpage.goto(BASE + '/review');
    await rpage.waitForSelector('body[data-ready="true"]');
    const conflict = rpage.locator('li[data-sample="conflict-1"]');
    check('the reviewer sees the conflict',
      await eventually(rpage, () => document.querySelectorAll('li[data-sample="conflict-1"]').length === 1));
    await rpage.screenshot({ path: path.join(SHOTS, 'review-conflict.png'), fullPage: true });
    await conflict.locator('input.resolution').fill('cpu saturation is visible');
    await conflict.locator('button[data-resolve="ANOMALY"]').click();
    await rpage.waitForFunction(() => document.getElementById('status').textContent.startsWith('Resolved'));
    check('the conflict is resolved',
      await eventually(rpage, () => document.querySelector('li[data-sample="conflict-1"]') === null));
    await rpage.screenshot({ path: path.join(SHOTS, 'review.png'), fullPage: true });

    await rpage.goto(BASE + '/models');
    await rpage.waitForSelector('body[data-ready="true"]');
    check('champion vs challenger metrics shown',
      await eventually(rpage, () => document.querySelectorAll('#metrics tr').length >= 3));
    await rpage.screenshot({ path: path.join(SHOTS, 'models.png'), fullPage: true });
    await rpage.fill('#reason', 'challenger wins on F1 and PR-AUC');
    await rpage.click('#approve');
    await rpage.waitForFunction(() => document.getElementById('status').textContent.includes('approved'));
    await rpage.waitForFunction(() => document.getElementById('champ-head').textContent.includes('v2'));
    check('promotion approved and champion moved', true);
    check('the alias history shows who approved',
      await eventually(rpage, u => document.getElementById('history').textContent.includes(u), REV.user));
    await rpage.screenshot({ path: path.join(SHOTS, 'models-approved.png'), fullPage: true });

    await rpage.goto(BASE + '/audit');
    await rpage.waitForSelector('body[data-ready="true"]');
    await eventually(rpage, () => ['LABEL', 'UNDO', 'REVIEW', 'PROMOTION_APPROVED', 'LOGIN']
      .every(a => document.getElementById('entries').textContent.includes(a)));
    const audit = await rpage.textContent('#entries');
    check('the audit trail lists labels, undo, review and approval',
      ['LABEL', 'UNDO', 'REVIEW', 'PROMOTION_APPROVED', 'LOGIN'].every(a => audit.includes(a)));
    check('no script errors on reviewer pages', rErrors.length === 0, JSON.stringify(rErrors.slice(0, 3)));
    await rctx.close();
  } catch (e) {
    problems.push('exception: ' + (e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)));
  } finally {
    await browser.close();
  }
  const result = { ok: problems.length === 0, checks: Object.keys(checks).length, problems };
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
})();
