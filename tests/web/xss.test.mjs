// Task data is controlled by whoever can enqueue: the dashboard must show it
// as text, never run it. Tasks whose function name, arguments, kwargs and
// error message carry HTML and script payloads are opened on every page; no
// payload may run (window.__xss stays unset, no dialog opens, no element is
// injected, no Content-Security-Policy violation is even attempted) and the
// text must appear literally.
//
//   node xss.test.mjs OMNIQ_BINARY SCRATCH_DIR
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  cliArgs, launchBrowserOrSkip, screenshot, Store, TOKEN, waitFor, watchedPage,
} from './lib.mjs';

const FUNC = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2;alert(2)">';
const ARGS = ['"><img src=x onerror=window.__xss=3>', '</pre><script>window.__xss=4</script>',
  '<svg onload=window.__xss=5>'];
const KWARGS = { '"><img src=x onerror=window.__xss=6>': '<iframe src="javascript:window.__xss=7">' };
const MESSAGE = `<img src=x onerror=window.__xss=8>' onmouseover='window.__xss=9' & "<b>bold</b>"`;

const { omniq, scratch } = await cliArgs();
const browser = await launchBrowserOrSkip(scratch);

const problems = [];
let store;
let server;
let page;
const ids = {};

// Opens a page, waits for it to render, and checks that nothing ran.
async function visit(name, hash, ready) {
  await page.goto(server.base + '/' + hash);
  await page.locator(ready).first().waitFor();
  await page.waitForLoadState('networkidle');
  await screenshot(page, scratch, 'xss-' + name);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'a payload ran on ' + name);
  assert.deepEqual(problems, [], 'on ' + name);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'CSP violations on ' + name);
  const injected = await page.evaluate(() =>
    document.querySelectorAll('main img, main script, main iframe, main b, main svg:not(.chart)').length);
  assert.equal(injected, 0, 'elements injected on ' + name);
}

before(async () => {
  store = await Store.create(omniq, scratch);
  ids.unknown = await store.enqueue(FUNC, ARGS, '--kwargs', JSON.stringify(KWARGS), '--max-retries', '0');
  ids.fail = await store.enqueue('fail', [MESSAGE], '--max-retries', '0');
  await store.drain();
  ids.pending = await store.enqueue(FUNC, ARGS, '--kwargs', JSON.stringify(KWARGS), '--delay', '1h');
  server = await store.serve('--allow-actions', '--token', TOKEN);
  page = await watchedPage(browser.context, problems);
  await page.goto(server.base + '/#token=' + TOKEN);
});

after(async () => {
  if (server) await server.stop();
  await browser.close();
});

test('the overview', async () => {
  await visit('overview', '#/', '#counts');
});

test('the task list shows the payloads as text', async () => {
  await visit('list', '#/tasks', '#tasks-table');
  const funcs = await page.locator('#tasks-table td.func').allTextContents();
  assert.deepEqual(funcs.filter((f) => f === FUNC).length, 2);
  const previews = (await page.locator('#tasks-table td.preview').allTextContents()).join('\n');
  assert.ok(previews.includes('<img src=x onerror=window.__xss=3>'), previews);
  const errors = (await page.locator('#tasks-table td.message').allTextContents()).join('\n');
  assert.ok(errors.includes(MESSAGE), errors);
});

test('the list filtered by the payload function name', async () => {
  await visit('list-func', '#/tasks?func=' + encodeURIComponent(FUNC), '#tasks-table');
  assert.equal(await page.locator('#tasks-table tbody tr').count(), 2);
  assert.equal(await page.locator('#f-func').inputValue(), FUNC);
});

test('the task whose function is unknown', async () => {
  await visit('unknown', '#/tasks/' + ids.unknown, '#task-func');
  assert.equal(await page.locator('#task-func').textContent(), FUNC);
  assert.deepEqual(JSON.parse(await page.locator('#task-args').textContent()), ARGS);
  assert.deepEqual(JSON.parse(await page.locator('#task-kwargs').textContent()), KWARGS);
  assert.equal(await page.locator('#task-status').textContent(), 'FAILED');
});

test('the task whose error message is a payload', async () => {
  await visit('fail', '#/tasks/' + ids.fail, '#result-error-message');
  assert.equal(await page.locator('#result-error-message').textContent(), MESSAGE);
  assert.deepEqual(JSON.parse(await page.locator('#task-args').textContent()), [MESSAGE]);
});

test('the pending task and its cancel dialog', async () => {
  await visit('pending', '#/tasks/' + ids.pending, '#btn-cancel');
  await page.locator('#btn-cancel').click();
  await page.locator('#confirm[open]').waitFor();
  assert.ok((await page.locator('#confirm-text').textContent()).includes(FUNC.slice(0, 60)));
  await screenshot(page, scratch, 'xss-cancel-dialog');
  await page.locator('#confirm-no').click();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('#task-status').textContent(), 'PENDING');
});

test('payloads in the address are shown as text too', async () => {
  const bad = '<img src=x onerror=window.__xss=10>';
  await visit('bad-id', '#/tasks/' + encodeURIComponent(bad), '#page-error');
  assert.match(await page.locator('#page-error').textContent(), /bad task id/);
  await visit('bad-page', '#/' + bad, '#page-error');
  assert.ok((await page.locator('#page-error').textContent()).includes(bad));
  await visit('bad-status', '#/tasks?status=' + encodeURIComponent(bad), '#page-error');
  assert.ok((await page.locator('#page-error').textContent()).includes(bad));
});

test('nothing ran anywhere', async () => {
  await waitFor('a quiet page', async () => true);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(problems, []);
});
