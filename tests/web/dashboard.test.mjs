// The dashboard in Chromium against a real `omniq serve`: the overview agrees
// with `omniq stats`, the task list filters, a failed task shows its error,
// and the cancel and retry actions work through their confirmation dialog.
//
//   node dashboard.test.mjs OMNIQ_BINARY SCRATCH_DIR
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  cliArgs, launchBrowserOrSkip, screenshot, Store, TOKEN, waitFor, watchedPage,
} from './lib.mjs';

const STATUSES = ['PENDING', 'RUNNING', 'RETRYING', 'SUCCESS', 'FAILED', 'CANCELLED'];
const { omniq, scratch } = await cliArgs();
const browser = await launchBrowserOrSkip(scratch);

const problems = [];
let store;
let server;
let page;
const ids = { echo: [], fail: [], later: [] };

// Runs a step and saves a screenshot of where the page is, pass or fail.
function step(name, fn) {
  test(name, { timeout: 60000 }, async () => {
    try {
      await fn();
    } finally {
      if (page) await screenshot(page, scratch, 'dashboard-' + name).catch(() => {});
    }
  });
}

async function storeStatus(id) {
  return JSON.parse(await store.run('--json', 'status', id)).status;
}

async function open(hash) {
  await page.goto(server.base + '/' + hash);
}

before(async () => {
  store = await Store.create(omniq, scratch);
  for (let i = 0; i < 3; i++) ids.echo.push(await store.enqueue('echo', ['hello', i]));
  for (let i = 0; i < 2; i++) ids.fail.push(await store.enqueue('fail', ['boom number ' + i], '--max-retries', '0'));
  await store.drain();
  ids.later.push(await store.enqueue('echo', ['later'], '--delay', '1h'));
  ids.later.push(await store.enqueue('sleep', [1], '--delay', '1h'));
  server = await store.serve('--allow-actions', '--token', TOKEN);
  page = await watchedPage(browser.context, problems);
});

after(async () => {
  if (server) await server.stop();
  await browser.close();
});

step('overview shows the counts of omniq stats', async () => {
  await open('#token=' + TOKEN);
  await page.locator('#count-SUCCESS').waitFor();
  const stats = await store.stats();
  for (const s of STATUSES) {
    assert.equal(await page.locator('#count-' + s).getAttribute('data-count'), String(stats.counts[s]), s);
  }
  assert.equal(await page.locator('#count-all').getAttribute('data-count'), String(stats.total));
  assert.equal(stats.counts.SUCCESS, 3);
  assert.equal(stats.counts.FAILED, 2);
  assert.equal(stats.counts.PENDING, 2);
  assert.equal(await page.locator('#chart rect.bar').count(), 60);
  assert.match(await page.locator('#finished-total').textContent(), /^5 finished/);
  assert.notEqual(await page.locator('#oldest-age').textContent(), 'none waiting');
  assert.match(await page.locator('#worker-count').textContent(), /^\d+$/);
  assert.match(await page.locator('#mode').textContent(), /actions enabled/);
  assert.equal(await page.locator('#token-form').isHidden(), true, 'the token came from the URL');
});

step('the task list filters by status, function and id', async () => {
  await page.locator('#nav-tasks').click();
  await page.locator('#tasks-table').waitFor();
  assert.equal(await page.locator('#tasks-table tbody tr').count(), 7);

  await page.locator('#f-status').selectOption('FAILED');
  await page.locator('#f-apply').click();
  await waitFor('the FAILED filter', async () => (await page.locator('#tasks-table tbody tr').count()) === 2);
  const statuses = await page.locator('#tasks-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.deepEqual(statuses, ['FAILED', 'FAILED']);

  await open('#/tasks?func=echo');
  await waitFor('the func filter', async () => (await page.locator('#tasks-table tbody tr').count()) === 4);
  const funcs = await page.locator('#tasks-table td.func').allTextContents();
  assert.deepEqual([...new Set(funcs)], ['echo']);

  await page.locator('#f-func').fill('');
  await page.locator('#f-id').fill(ids.later[1]);
  await page.locator('#f-apply').click();
  await waitFor('the id filter', async () => (await page.locator('#tasks-table tbody tr').count()) === 1);
  assert.equal(await page.locator('#tasks-table tbody tr').getAttribute('data-id'), ids.later[1]);

  await open('#/tasks?per_page=20&page=2');
  await page.locator('#no-tasks').waitFor();
});

step('a failed task shows its error', async () => {
  await open('#/tasks?status=FAILED');
  await page.locator('#tasks-table tbody tr a').first().click();
  await page.locator('#result-error-message').waitFor();
  assert.equal(await page.locator('#task-status').textContent(), 'FAILED');
  assert.match(await page.locator('#result-error-message').textContent(), /^boom number [01]$/);
  assert.ok((await page.locator('#result-error-type').textContent()).length > 0);
  assert.equal(await page.locator('#btn-retry').isEnabled(), true);
  assert.equal(await page.locator('#btn-cancel').isEnabled(), false);
});

step('cancel asks first and does nothing when declined', async () => {
  await open('#/tasks/' + ids.later[1]);
  await page.locator('#btn-cancel').click();
  await page.locator('#confirm[open]').waitFor();
  await page.locator('#confirm-no').click();
  await page.locator('#confirm:not([open])').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#task-status').textContent(), 'PENDING');
  assert.equal(await storeStatus(ids.later[1]), 'PENDING');
});

step('cancelling a pending task turns it CANCELLED', async () => {
  await open('#/tasks/' + ids.later[0]);
  assert.equal(await page.locator('#task-status').textContent(), 'PENDING');
  await page.locator('#btn-cancel').click();
  await page.locator('#confirm-yes').click();
  await waitFor('CANCELLED on the page', async () => (await page.locator('#task-status').textContent()) === 'CANCELLED');
  assert.equal(await storeStatus(ids.later[0]), 'CANCELLED');
  assert.equal(await page.locator('#btn-retry').isEnabled(), true);
});

step('retrying a failed task enqueues a linked task', async () => {
  const failed = ids.fail[0];
  await open('#/tasks/' + failed);
  await page.locator('#btn-retry').click();
  await page.locator('#confirm-yes').click();
  await waitFor('the new task', async () => !page.url().endsWith('#/tasks/' + failed) &&
    (await page.locator('#task-status').textContent().catch(() => '')) === 'PENDING');
  const newId = decodeURIComponent(page.url().split('#/tasks/')[1]);
  assert.notEqual(newId, failed);
  assert.equal(await page.locator(`#task-fields a[href="#/tasks/${failed}"]`).count(), 1, 'links to the retried task');
  assert.equal(await storeStatus(newId), 'PENDING');
  assert.equal(await page.locator('#task-func').textContent(), 'fail');
});

step('the overview follows the actions', async () => {
  await open('#/');
  const stats = await store.stats();
  await waitFor('fresh counts', async () =>
    (await page.locator('#count-CANCELLED').getAttribute('data-count')) === String(stats.counts.CANCELLED));
  assert.equal(stats.counts.CANCELLED, 1);
  assert.equal(await page.locator('#count-PENDING').getAttribute('data-count'), String(stats.counts.PENDING));
});

step('nothing went wrong in the page', async () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
});

step('omniq serve stops cleanly on SIGTERM', async () => {
  const { code } = await server.stop();
  assert.equal(code, 0);
});
