// The JSON API of a real `omniq serve` under bad input: unknown routes, bad
// ids, malformed and huge requests, actions without or with a wrong token,
// GET on action routes, 10,000 requests in a loop. Every answer must be a
// clear 4xx (or, for requests past the parser's limits, a closed
// connection), with the security headers and without CORS headers, and the
// server must still be up at the end.
//
//   node api.test.mjs OMNIQ_BINARY SCRATCH_DIR
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';

import { cliArgs, Store, TOKEN } from './lib.mjs';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

const { omniq, scratch } = await cliArgs();
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let store;
let server;
const ids = [];

// One HTTP request; resolves {status, headers, text, json} or rejects on a network error.
function request(method, path, { headers = {}, port = server.port, host } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: { ...(host ? { Host: host } : {}), ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch (e) {
          json = null;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// Writes raw bytes on a new connection; resolves with what came back before it closed (or 2 s).
function raw(bytes) {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const chunks = [];
    const done = () => { socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); };
    socket.setTimeout(2000, done);
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes);
  });
}

async function expectError(method, path, status, options) {
  const res = await request(method, path, options);
  assert.equal(res.status, status, `${method} ${path.slice(0, 80)}: ${res.text.slice(0, 200)}`);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.equal(typeof res.json.error, 'string');
  assert.ok(res.json.error.length > 0);
  return res;
}

function checkSecurityHeaders(res, what) {
  assert.equal(res.headers['content-security-policy'], CSP, what);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  for (const name of Object.keys(res.headers)) {
    assert.ok(!name.startsWith('access-control-'), `${what} sends ${name}`);
  }
}

async function storeStatus(id) {
  return JSON.parse(await store.run('--json', 'status', id)).status;
}

before(async () => {
  store = await Store.create(omniq, scratch);
  ids.push(await store.enqueue('echo', ['one'], '--delay', '1h'));
  ids.push(await store.enqueue('echo', ['two'], '--delay', '1h'));
  server = await store.serve('--allow-actions', '--token', TOKEN);
});

after(async () => {
  agent.destroy();
  if (server) await server.stop();
});

test('unknown routes get 404 with a JSON error', async () => {
  for (const path of ['/nope', '/api/nope', '/api/tasks/x/y/z', '/api/', '/app.jsx', '/index.html']) {
    await expectError('GET', path, 404);
  }
  await expectError('POST', '/nope', 404);
});

test('bad ids get 400 and unknown ids 404', async () => {
  for (const id of ['bad!id', '%3Cscript%3E', 'a'.repeat(65), 'x.y', '%00']) {
    await expectError('GET', '/api/tasks/' + id, 400);
    await expectError('POST', `/api/tasks/${id}/cancel`, 400, { headers: { 'X-Omniq-Token': TOKEN } });
  }
  await expectError('GET', '/api/tasks/' + UNKNOWN_ID, 404);
  await expectError('POST', `/api/tasks/${UNKNOWN_ID}/cancel`, 404, { headers: { 'X-Omniq-Token': TOKEN } });
  await expectError('POST', `/api/tasks/${UNKNOWN_ID}/retry`, 404, { headers: { 'X-Omniq-Token': TOKEN } });
});

test('bad list queries get 400', async () => {
  const bad = ['status=bogus', 'status=', 'page=0', 'page=-1', 'page=abc', 'page=99999999999', 'per_page=0',
    'per_page=201', 'zzz=1', 'queue=bad%2Fname', 'func=%ZZ', 'func=%C3%28', 'id=bad!', 'func=' + 'f'.repeat(300),
    'page=1%00', '%=1'];
  for (const q of bad.filter((x) => x !== 'status=')) await expectError('GET', '/api/tasks?' + q, 400);
  const ok = await request('GET', '/api/tasks?status=pending&per_page=1&page=1&queue=default&func=echo&id=');
  assert.equal(ok.status, 200);
  assert.equal(ok.json.tasks.length, 1);
  assert.equal(ok.json.has_more, true);
});

test('huge request targets get 414 or are cut off', async () => {
  await expectError('GET', '/api/tasks?func=' + 'f'.repeat(10000), 414);
  await expectError('GET', '/api/tasks/' + 'a'.repeat(2000), 414);
  try {
    const res = await request('GET', '/api/tasks?func=' + 'f'.repeat(200000));
    assert.ok(res.status === 414 || res.status === 400, String(res.status));
  } catch (err) {
    assert.match(err.code || err.message, /ECONNRESET|EPIPE|socket hang up/);
  }
  assert.equal((await request('GET', '/api/info')).status, 200);
});

test('malformed HTTP is refused without harm', async () => {
  const attempts = [
    'GARBAGE\r\n\r\n',
    'GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n',
    'GET /api/info\r\n\r\n',
    'GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ' + 'a'.repeat(100000) + '\r\n\r\n',
    'GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n' + 'X-H: 1\r\n'.repeat(500) + '\r\n',
    'POST /api/purge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999\r\n\r\nabc',
    'GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    '\x00\x01\x02\x03\r\n\r\n',
  ];
  for (const bytes of attempts) {
    const answer = await raw(bytes);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
    assert.ok(!status || /^4/.test(status[1]), `answered ${status && status[1]} to ${JSON.stringify(bytes.slice(0, 40))}`);
  }
  assert.equal((await request('GET', '/api/info')).status, 200);
  assert.ok(server.alive());
});

test('actions need the token', async () => {
  const path = `/api/tasks/${ids[0]}/cancel`;
  await expectError('POST', path, 403);
  await expectError('POST', path, 403, { headers: { 'X-Omniq-Token': '' } });
  await expectError('POST', path, 403, { headers: { 'X-Omniq-Token': 'wrong' } });
  await expectError('POST', path, 403, { headers: { 'X-Omniq-Token': TOKEN.slice(0, -1) + 'X' } });
  await expectError('POST', path, 403, { headers: { 'X-Omniq-Token': TOKEN + 'X' } });
  await expectError('POST', path, 403, { headers: { Authorization: 'Bearer ' + TOKEN } });
  await expectError('POST', '/api/purge', 403);
  await expectError('POST', `/api/tasks/${ids[0]}/retry`, 403);
  assert.equal(await storeStatus(ids[0]), 'PENDING');
});

test('actions are POST only and pages GET only', async () => {
  for (const path of [`/api/tasks/${ids[0]}/cancel`, `/api/tasks/${ids[0]}/retry`, '/api/purge']) {
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD']) {
      const res = await request(method, path, { headers: { 'X-Omniq-Token': TOKEN } });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.allow, 'POST');
    }
  }
  for (const path of ['/api/overview', `/api/tasks/${ids[0]}`, '/', '/metrics']) {
    const res = await expectError('POST', path, 405, { headers: { 'X-Omniq-Token': TOKEN } });
    assert.equal(res.headers.allow, 'GET');
  }
  assert.equal(await storeStatus(ids[0]), 'PENDING');
});

test('with the token, each action works once', async () => {
  const headers = { 'X-Omniq-Token': TOKEN };
  const cancelled = await request('POST', `/api/tasks/${ids[0]}/cancel`, { headers });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.deepEqual(cancelled.json, { id: ids[0], outcome: 'cancelled', status: 'CANCELLED' });
  assert.equal(await storeStatus(ids[0]), 'CANCELLED');
  await expectError('POST', `/api/tasks/${ids[0]}/cancel`, 409, { headers });
  await expectError('POST', `/api/tasks/${ids[1]}/retry`, 409, { headers });
  const retried = await request('POST', `/api/tasks/${ids[0]}/retry`, { headers });
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.json.retry_of, ids[0]);
  assert.equal(await storeStatus(retried.json.id), 'PENDING');
  const detail = await request('GET', '/api/tasks/' + retried.json.id);
  assert.equal(detail.json.task.retry_of, ids[0]);
  const purged = await request('POST', '/api/purge', { headers });
  assert.equal(purged.status, 200, purged.text);
  assert.equal(typeof purged.json.purged, 'number');
});

test('security headers on every answer, and no CORS', async () => {
  const origin = { Origin: 'http://evil.example' };
  for (const [method, path] of [['GET', '/'], ['GET', '/app.js'], ['GET', '/app.css'], ['GET', '/api/info'],
    ['GET', '/api/overview'], ['GET', '/api/tasks'], ['GET', '/nope'], ['GET', '/api/purge'], ['GET', '/metrics'],
    ['OPTIONS', `/api/tasks/${ids[1]}/cancel`], ['POST', '/api/purge']]) {
    const res = await request(method, path, { headers: { ...origin, 'Access-Control-Request-Method': 'POST' } });
    checkSecurityHeaders(res, `${method} ${path}`);
    if (method === 'OPTIONS') assert.equal(res.status, 405);
  }
  const page = await request('GET', '/');
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.ok(!/<script>|<style>|\sstyle=|\son\w+=/i.test(page.text), 'the page has no inline script or style');
  assert.match(page.text, /<script src="\/app.js"/);
  assert.match((await request('GET', '/app.js')).headers['content-type'], /^text\/javascript/);
  assert.match((await request('GET', '/app.css')).headers['content-type'], /^text\/css/);
});

test('requests addressed to another host are refused', async () => {
  await expectError('GET', '/api/info', 403, { host: `evil.example:${server.port}` });
  await expectError('GET', '/', 403, { host: 'rebind.attacker.test' });
  assert.equal((await request('GET', '/api/info', { host: `localhost:${server.port}` })).status, 200);
});

test('/metrics has the queue gauges in the Prometheus format', async () => {
  const res = await request('GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const stats = await store.stats();
  for (const s of ['PENDING', 'CANCELLED', 'SUCCESS']) {
    const line = new RegExp(`^omniq_tasks\\{queue="default",status="${s}"\\} (\\d+)$`, 'm').exec(res.text);
    assert.ok(line, `omniq_tasks for ${s} in\n${res.text}`);
    assert.equal(Number(line[1]), stats.counts[s]);
  }
  assert.match(res.text, /^# TYPE omniq_tasks gauge$/m);
  assert.match(res.text, /^omniq_oldest_pending_age_seconds [0-9.e+-]+$/m);
});

test('10,000 requests in a loop', async () => {
  const cases = [
    ['GET', '/api/info', 200], ['GET', '/api/tasks/bad!', 400], ['GET', '/nope', 404],
    ['GET', '/api/tasks?page=x', 400], ['POST', '/api/purge', 403], ['GET', `/api/tasks/${ids[1]}/cancel`, 405],
    ['GET', '/api/tasks/' + UNKNOWN_ID, 404], ['GET', '/metrics', 200],
  ];
  const total = 10000;
  let next = 0;
  const wrong = [];
  const started = Date.now();
  const worker = async () => {
    while (next < total) {
      const [method, path, status] = cases[next++ % cases.length];
      const res = await request(method, path);
      if (res.status !== status) wrong.push(`${method} ${path}: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  console.log(`# ${total} requests in ${Date.now() - started} ms`);
  assert.deepEqual(wrong.slice(0, 10), []);
  assert.ok(server.alive());
});

test('a read-only server refuses actions, even with the token', async () => {
  const readOnly = await store.serve('--token', TOKEN);
  try {
    const info = await request('GET', '/api/info', { port: readOnly.port });
    assert.equal(info.json.actions, false);
    const res = await expectError('POST', `/api/tasks/${ids[1]}/cancel`, 403,
      { port: readOnly.port, headers: { 'X-Omniq-Token': TOKEN } });
    assert.match(res.json.error, /--allow-actions/);
    assert.equal(await storeStatus(ids[1]), 'PENDING');
  } finally {
    assert.equal((await readOnly.stop()).code, 0);
  }
});

test('the server is still up, then stops cleanly', async () => {
  assert.equal((await request('GET', '/api/info')).status, 200);
  assert.ok(server.alive());
  agent.destroy();
  assert.equal((await server.stop()).code, 0);
});
