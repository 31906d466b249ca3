// `omniq worker --metrics HOST:PORT`: the worker's Prometheus counters and
// histograms after a real run; and the command-line errors of --metrics and
// of `omniq serve` (bad addresses, bad tokens, ports in use).
//
//   node metrics.test.mjs OMNIQ_BINARY SCRATCH_DIR
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, test } from 'node:test';

import { cliArgs, freePort, runOmniq, Store, waitFor } from './lib.mjs';

const { omniq, scratch } = await cliArgs();
let store;
let worker;
let port;

async function scrape(path = '/metrics', method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function value(text, name) {
  const line = new RegExp(`^${name}\\{queue="default"\\} ([0-9.e+-]+)$`, 'm').exec(text);
  assert.ok(line, `${name} in\n${text}`);
  return Number(line[1]);
}

before(async () => {
  store = await Store.create(omniq, scratch);
  for (let i = 0; i < 3; i++) await store.enqueue('echo', [i]);
  await store.enqueue('fail', ['on purpose'], '--max-retries', '0');
  port = await freePort();
  worker = spawn(omniq, ['worker', '--concurrency', '2', '--poll-interval', '100ms', '--metrics', `127.0.0.1:${port}`],
    { env: store.env, stdio: ['ignore', 'pipe', 'inherit'] });
  worker.exited = new Promise((resolve) => worker.on('exit', (code) => resolve(code)));
  await waitFor('the queue to drain', async () => {
    const c = (await store.stats()).counts;
    return c.PENDING + c.RUNNING + c.RETRYING === 0;
  }, 60000);
});

after(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGTERM');
});

test('the worker counts its attempts', async () => {
  const m = await waitFor('four attempts on /metrics', async () => {
    const res = await scrape().catch(() => null);
    return res && /omniq_worker_tasks_started_total\{queue="default"\} 4$/m.test(res.text) ? res : null;
  });
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assert.equal(value(m.text, 'omniq_worker_tasks_succeeded_total'), 3);
  assert.equal(value(m.text, 'omniq_worker_tasks_failed_total'), 1);
  assert.equal(value(m.text, 'omniq_worker_tasks_retried_total'), 0);
  assert.equal(value(m.text, 'omniq_worker_tasks_cancelled_total'), 0);
  assert.equal(value(m.text, 'omniq_worker_leases_lost_total'), 0);
  assert.equal(value(m.text, 'omniq_worker_task_run_seconds_count'), 4);
  assert.equal(value(m.text, 'omniq_worker_task_start_delay_seconds_count'), 4);
  assert.match(m.text, /^# TYPE omniq_worker_task_run_seconds histogram$/m);
  assert.match(m.text, /^omniq_worker_task_run_seconds_bucket\{queue="default",le="\+Inf"\} 4$/m);
});

test('the endpoint serves only GET /metrics', async () => {
  assert.equal((await scrape('/nope')).status, 404);
  assert.equal((await scrape('/metrics', 'POST')).status, 405);
  assert.equal((await scrape('/')).status, 404);
});

test('the worker stops cleanly on SIGTERM', async () => {
  worker.kill('SIGTERM');
  assert.equal(await worker.exited, 0);
});

test('bad --metrics and --listen addresses are bad usage', async () => {
  for (const address of ['nonsense', '127.0.0.1', '127.0.0.1:99999', ':80', '::1:80', '127.0.0.1:x']) {
    assert.equal((await runOmniq(store, ['worker', '--metrics', address])).code, 2, address);
    assert.equal((await runOmniq(store, ['serve', '--listen', address])).code, 2, address);
  }
});

test('a token that is too short is bad usage', async () => {
  const r = await runOmniq(store, ['serve', '--listen', '127.0.0.1:0', '--allow-actions', '--token', 'short']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /token/);
});

test('a port in use is a failure that says so', async () => {
  const busy = net.createServer();
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const taken = `127.0.0.1:${busy.address().port}`;
  try {
    const w = await runOmniq(store, ['worker', '--metrics', taken]);
    assert.equal(w.code, 1);
    assert.match(w.stderr, /cannot listen/);
    const s = await runOmniq(store, ['serve', '--listen', taken]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /cannot listen/);
  } finally {
    busy.close();
  }
});
