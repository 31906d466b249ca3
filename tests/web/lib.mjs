// Helpers shared by the web tests: the real `omniq` command on a scratch
// SQLite store, `omniq serve` on a free port, and Debian's Chromium driven by
// playwright-core (never a downloaded browser).
//
// Each test script is run as `node <script> <path of omniq> <scratch dir>`
// (see web_tests.cmake) and exits 77 (skipped) when Chromium or
// playwright-core is missing.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';

export const SKIP = 77;
export const CHROMIUM = '/usr/bin/chromium';
export const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

// The command line: `node script omniq scratch`. The scratch dir is emptied
// first (it belongs to this test).
export async function cliArgs() {
  const [omniq, scratch] = process.argv.slice(2);
  if (!omniq || !scratch) {
    console.error('usage: node ' + path.basename(process.argv[1]) + ' OMNIQ_BINARY SCRATCH_DIR');
    process.exit(2);
  }
  if (!existsSync(omniq)) {
    console.error('no omniq binary at ' + omniq);
    process.exit(2);
  }
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  return { omniq: path.resolve(omniq), scratch: path.resolve(scratch) };
}

// A fresh SQLite store under scratch, and the omniq command on it.
export class Store {
  static async create(omniq, scratch) {
    await mkdir(scratch, { recursive: true });
    const dir = await mkdtemp(path.join(scratch, 'store-'));
    return new Store(omniq, dir);
  }

  constructor(omniq, dir) {
    this.omniq = omniq;
    this.dir = dir;
    this.env = {
      ...process.env,
      OMNIQ_BACKEND: 'sqlite',
      OMNIQ_DB_URL: path.join(dir, 'q.db'),
      OMNIQ_LOG_LEVEL: 'WARNING',
    };
    delete this.env.OMNIQ_WEB_TOKEN;
  }

  // Runs omniq with the arguments; returns stdout; throws with stderr on failure.
  run(...args) {
    return new Promise((resolve, reject) => {
      execFile(this.omniq, args, { env: this.env, timeout: 60000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`omniq ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  async enqueue(name, args = [], ...flags) {
    const out = await this.run('--json', 'enqueue', name, JSON.stringify(args), ...flags);
    return JSON.parse(out).id;
  }

  async stats() {
    return JSON.parse(await this.run('--json', 'stats'));
  }

  // Runs a worker until no task is PENDING, RUNNING or RETRYING, then stops it
  // with SIGTERM. REQUIRES: no task with a future eta.
  async drain(timeoutMs = 60000) {
    const worker = spawn(this.omniq, ['worker', '--concurrency', '4', '--poll-interval', '100ms'], {
      env: this.env, stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = (await this.stats()).counts;
        if (c.PENDING + c.RUNNING + c.RETRYING === 0) break;
        if (Date.now() > deadline) throw new Error('the worker did not drain the queue: ' + JSON.stringify(c));
        await sleep(200);
      }
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  }

  // Starts `omniq serve` on a free loopback port; resolves once it listens.
  async serve(...flags) {
    const proc = spawn(this.omniq, ['--json', 'serve', '--listen', '127.0.0.1:0', ...flags], {
      env: this.env, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const lines = createInterface({ input: proc.stdout });
    const first = await Promise.race([
      new Promise((resolve) => lines.once('line', resolve)),
      exited.then((e) => { throw new Error('omniq serve exited at start: ' + JSON.stringify(e)); }),
      sleep(30000).then(() => { throw new Error('omniq serve printed nothing in 30 s'); }),
    ]);
    const started = JSON.parse(first);
    const base = `http://127.0.0.1:${started.port}`;
    return {
      ...started,
      base,
      proc,
      exited,
      alive: () => proc.exitCode === null && proc.signalCode === null,
      // SIGTERM; resolves with the exit status.
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        return exited;
      },
    };
  }
}

// Chromium with a new empty profile; null when it cannot be had (skip).
// The browser, or the test's exit as skipped (ctest shows it) when there is none.
export async function launchBrowserOrSkip(scratch) {
  const browser = await launchBrowser(scratch);
  if (!browser) {
    console.log('SKIP: needs /usr/bin/chromium and playwright-core (npm ci in tests/web)');
    process.exit(SKIP);
  }
  return browser;
}

export async function launchBrowser(scratch) {
  if (!existsSync(CHROMIUM)) return null;
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (err) {
    console.error('playwright-core is not installed (run npm ci in tests/web): ' + err.message);
    return null;
  }
  await mkdir(scratch, { recursive: true });
  const profile = await mkdtemp(path.join(scratch, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// A new page that records what must never happen: dialogs (alert/confirm from
// injected script), page errors, and Content-Security-Policy violations.
export async function watchedPage(context, problems) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
    });
  });
  page.on('dialog', (d) => {
    problems.push('dialog: ' + d.type() + ' ' + d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  return page;
}

export async function screenshot(page, scratch, name) {
  const dir = path.join(scratch, 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name.replace(/[^A-Za-z0-9_-]+/g, '_') + '.png'), fullPage: true });
}

// A TCP port that was free a moment ago (for commands that cannot report the one they bound).
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Runs omniq and resolves {code, stdout, stderr} whatever the exit code.
export function runOmniq(store, args) {
  return new Promise((resolve) => {
    execFile(store.omniq, args, { env: store.env, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

// Waits until fn() is truthy (polling), or throws with `what`.
export async function waitFor(what, fn, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}
