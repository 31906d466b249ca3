// omniq dashboard: a small single-page app over the JSON API under /api/.
//
// Everything shown comes from task data that anyone who can enqueue controls,
// so the DOM is built with createElement and textContent only: no innerHTML,
// no HTML strings, no links made from data (ids are URI-encoded into fixed
// "#/tasks/..." links). Actions are POSTs carrying the X-Omniq-Token header,
// each confirmed in a <dialog> first.
'use strict';

(() => {
  const STATUSES = ['PENDING', 'RUNNING', 'RETRYING', 'SUCCESS', 'FAILED', 'CANCELLED'];
  const TOKEN_KEY = 'omniq-token';
  const REFRESH_MS = 5000;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const main = document.getElementById('main');
  const dialog = document.getElementById('confirm');
  let info = { actions: false, version: '', result_ttl_seconds: 0 };
  let generation = 0; // bumped on every navigation: late answers for an old page are dropped
  let refreshTimer = null;
  let toastTimer = null;

  // ---- DOM building (text only) ----

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setProps(node, props) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    setProps(node, props);
    return append(node, children);
  }

  function svg(tag, props, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setProps(node, props);
    return append(node, children);
  }

  // A link to a task's page; the id is encoded, never interpreted.
  function taskLink(id, text) {
    return el('a', { href: '#/tasks/' + encodeURIComponent(id), class: 'mono' }, text || id);
  }

  function badge(status, id) {
    return el('span', { class: 'badge s-' + status, id, 'data-status': status }, status);
  }

  function pre(value, id) {
    return el('pre', { id }, JSON.stringify(value, null, 2));
  }

  function table(headers, rows, id) {
    const head = el('tr', {}, headers.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)));
    return el('div', { class: 'scroll' }, el('table', { id }, el('thead', {}, head), el('tbody', {}, rows)));
  }

  // ---- formatting ----

  function parseTime(iso) {
    if (!iso) return null;
    const t = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
    return Number.isNaN(t.getTime()) ? null : t;
  }

  function formatTime(iso) {
    const t = parseTime(iso);
    return t ? t.toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—';
  }

  function formatAge(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    const s = Math.max(0, seconds);
    const pad = (n) => String(Math.floor(n)).padStart(2, '0');
    if (s < 1) return Math.round(s * 1000) + 'ms';
    if (s < 60) return s.toFixed(1) + 's';
    const two = (big, bigUnit, small, smallUnit) =>
      Math.floor(big) + bigUnit + (Math.floor(small) ? ' ' + pad(small) + smallUnit : '');
    if (s < 3600) return two(s / 60, 'm', s % 60, 's');
    if (s < 86400) return two(s / 3600, 'h', (s % 3600) / 60, 'm');
    return two(s / 86400, 'd', (s % 86400) / 3600, 'h');
  }

  function ago(iso, nowIso) {
    const t = parseTime(iso);
    const now = parseTime(nowIso) || new Date();
    return t ? formatAge((now - t) / 1000) + ' ago' : '—';
  }

  function interval(schedule) {
    const i = schedule && schedule.interval;
    if (i === undefined || i === null) return null;
    const seconds = typeof i === 'object' ? i.total_seconds : i;
    return 'every ' + formatAge(Number(seconds));
  }

  // ---- API ----

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  async function api(path, method = 'GET') {
    const headers = { Accept: 'application/json' };
    if (method === 'POST') headers['X-Omniq-Token'] = token();
    const res = await fetch(path, { method, headers, cache: 'no-store', credentials: 'same-origin' });
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok) throw new Error((body && body.error) || 'HTTP ' + res.status);
    return body;
  }

  // ---- page chrome: token, toast, confirmation ----

  // "#token=..." in the URL (as `omniq serve` prints it) is kept for this tab and removed.
  function takeTokenFromUrl() {
    const m = /^#token=([^&]*)/.exec(location.hash);
    if (!m) return;
    try {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    } catch (e) {
      /* a malformed token is ignored */
    }
    history.replaceState(null, '', location.pathname + '#/');
  }

  function updateChrome() {
    document.getElementById('mode').textContent =
      (info.actions ? 'actions enabled' : 'read-only') + (info.version ? ' · omniq ' + info.version : '');
    document.getElementById('token-form').hidden = !info.actions || token() !== '';
  }

  function toast(message, bad) {
    const box = document.getElementById('toast');
    box.textContent = message;
    box.className = bad ? 'bad' : '';
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 5000);
  }

  function confirmAction(question) {
    document.getElementById('confirm-text').textContent = question;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
    });
  }

  // Confirms, POSTs, then calls done(answer); errors become a toast.
  async function act(question, path, done) {
    if (!token()) {
      toast('Enter the action token that omniq serve printed first.', true);
      document.getElementById('token-form').hidden = false;
      return;
    }
    if (!(await confirmAction(question))) return;
    try {
      done(await api(path, 'POST'));
    } catch (err) {
      toast(err.message, true);
    }
  }

  // ---- navigation ----

  function setActiveNav(name) {
    for (const n of ['overview', 'tasks']) {
      document.getElementById('nav-' + n).className = n === name ? 'active' : '';
    }
  }

  // Loads data and renders it, unless the user has gone elsewhere meanwhile.
  async function show(title, load, build) {
    const mine = ++generation;
    clearTimeout(refreshTimer);
    document.title = title + ' · omniq';
    try {
      const data = await load();
      if (mine === generation) main.replaceChildren(build(data));
    } catch (err) {
      if (mine === generation) main.replaceChildren(el('p', { class: 'error', id: 'page-error' }, err.message));
    }
    return mine === generation;
  }

  function decoded(text) {
    try {
      return decodeURIComponent(text);
    } catch (e) {
      return text;
    }
  }

  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    const m = /^\/tasks\/([^/]+)$/.exec(path);
    if (path === '/' || path === '') return showOverview();
    if (path === '/tasks') return showTasks(params);
    if (m) return showTask(decoded(m[1]));
    setActiveNav(null);
    main.replaceChildren(el('p', { class: 'error', id: 'page-error' }, 'No such page: ' + decoded(hash)));
    return null;
  }

  // ---- overview ----

  async function showOverview() {
    setActiveNav('overview');
    const shown = await show('Overview', () => api('/api/overview'), overviewView);
    if (!shown) return;
    refreshTimer = setTimeout(() => {
      const onOverview = (location.hash.replace(/^#/, '') || '/') === '/';
      if (onOverview && !dialog.open) showOverview();
    }, REFRESH_MS);
  }

  function overviewView(o) {
    return el('section', { class: 'overview' },
      el('h1', {}, 'Overview'),
      statusCards(o.counts, o.total),
      el('div', { class: 'row' },
        el('div', { class: 'panel' }, el('h2', {}, 'Oldest waiting task'),
          el('p', { class: 'big', id: 'oldest-age' },
            o.oldest_pending ? formatAge(o.oldest_pending_age_seconds) : 'none waiting'),
          o.oldest_pending ? el('p', { class: 'muted' }, 'created ' + formatTime(o.oldest_pending)) : null),
        el('div', { class: 'panel' }, el('h2', {}, 'Workers seen recently'),
          el('p', { class: 'big', id: 'worker-count' }, String(o.workers.length)))),
      el('div', { class: 'panel' }, el('h2', {}, 'Tasks finished per minute, last hour'),
        chart(o.finished_per_minute)),
      el('h2', {}, 'Queues'),
      queuesTable(o.queues, o.paused),
      el('h2', {}, 'Workers'),
      o.workers.length ? workersTable(o.workers, o.now) : el('p', { class: 'muted' }, 'No worker reported in the last 5 minutes.'),
      info.actions ? purgePanel() : null);
  }

  function statusCards(counts, total) {
    const card = (status, n, label) => el('a', {
      class: 'card s-' + status, href: '#/tasks' + (status === 'all' ? '' : '?status=' + status),
      id: 'count-' + status, 'data-count': n,
    }, el('span', { class: 'n' }, String(n)), el('span', { class: 'label' }, label));
    return el('div', { class: 'cards', id: 'counts' },
      STATUSES.map((s) => card(s, counts[s] || 0, s)), card('all', total, 'TOTAL'));
  }

  // Bars of finished tasks per minute: an SVG drawn here, no chart library.
  function chart(perMinute) {
    const counts = perMinute.counts || [];
    const since = parseTime(perMinute.since);
    const width = 720;
    const height = 170;
    const top = 14;
    const bottom = 18;
    const plot = height - top - bottom;
    const max = Math.max(1, ...counts);
    const step = width / Math.max(1, counts.length);
    const bars = counts.map((n, i) => {
      const h = (n / max) * plot;
      const minute = since ? new Date(since.getTime() + i * 60000).toISOString().slice(11, 16) + 'Z' : '';
      return svg('rect', {
        class: 'bar', x: (i * step + 1).toFixed(1), y: (top + plot - h).toFixed(1),
        width: Math.max(1, step - 2).toFixed(1), height: Math.max(n ? 1 : 0, h).toFixed(1), 'data-count': n,
      }, svg('title', {}, minute + ': ' + n + ' finished'));
    });
    const total = counts.reduce((a, b) => a + b, 0);
    return el('div', {},
      svg('svg', { class: 'chart', id: 'chart', viewBox: '0 0 ' + width + ' ' + height, role: 'img',
        'aria-label': total + ' tasks finished in the last hour' },
        svg('line', { class: 'axis', x1: 0, x2: width, y1: top + plot, y2: top + plot }),
        svg('text', { x: 2, y: 10 }, 'max ' + max + '/min'),
        svg('text', { x: 2, y: height - 4 }, '60 min ago'),
        svg('text', { x: width - 2, y: height - 4, 'text-anchor': 'end' }, 'now'),
        bars),
      el('p', { class: 'muted', id: 'finished-total' }, total + ' finished in the last hour'));
  }

  function queuesTable(queues, paused) {
    const names = Object.keys(queues).sort();
    if (!names.length) return el('p', { class: 'muted' }, 'No tasks yet.');
    const rows = names.map((q) => el('tr', { 'data-queue': q },
      el('td', {}, el('a', { href: '#/tasks?queue=' + encodeURIComponent(q) }, q)),
      STATUSES.map((s) => el('td', { class: 'num' }, String(queues[q][s] || 0))),
      el('td', {}, paused.includes(q) ? 'paused' : '')));
    return table(['Queue', ...STATUSES.map((s) => ({ label: s, num: true })), ''], rows, 'queues-table');
  }

  function workersTable(workers, now) {
    const rows = workers.map((w) => el('tr', {},
      el('td', { class: 'mono' }, w.id), el('td', {}, w.host), el('td', { class: 'num' }, String(w.pid)),
      el('td', {}, Object.entries(w.queues).map(([q, n]) => q + ' × ' + n).join(', ')),
      el('td', {}, formatTime(w.started_at)), el('td', {}, ago(w.seen_at, now))));
    return table(['Worker', 'Host', { label: 'PID', num: true }, 'Queues', 'Started', 'Last seen'], rows,
      'workers-table');
  }

  function purgePanel() {
    const days = formatAge(info.result_ttl_seconds);
    const purge = () => act('Delete the results (and finished tasks) older than ' + days + '?', '/api/purge',
      (answer) => { toast('Purged ' + answer.purged + ' result(s).'); route(); });
    return el('div', { class: 'panel' }, el('h2', {}, 'Maintenance'),
      el('button', { class: 'danger', id: 'btn-purge', onclick: purge }, 'Purge results older than ' + days));
  }

  // ---- task list ----

  const FILTERS = ['status', 'queue', 'func', 'id', 'page', 'per_page'];

  function showTasks(params) {
    setActiveNav('tasks');
    const query = new URLSearchParams();
    for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
    return show('Tasks', () => api('/api/tasks?' + query), (page) => tasksView(page, query));
  }

  function tasksView(page, query) {
    return el('section', {},
      el('h1', {}, 'Tasks'),
      filterForm(query),
      page.tasks.length ? tasksTable(page.tasks) : el('p', { class: 'muted', id: 'no-tasks' }, 'No task matches.'),
      pager(page, query));
  }

  function filterForm(query) {
    const input = (name, label, placeholder) => el('label', {}, label,
      el('input', { name, id: 'f-' + name, placeholder, value: query.get(name) || '' }));
    const status = el('select', { name: 'status', id: 'f-status' }, el('option', { value: '' }, 'any'),
      STATUSES.map((s) => el('option', { value: s, selected: query.get('status') === s }, s)));
    const perPage = el('select', { name: 'per_page', id: 'f-per_page' },
      [20, 50, 100, 200].map((n) => el('option', { value: n, selected: String(n) === (query.get('per_page') || '50') }, n)));
    const submit = (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      for (const [name, value] of new FormData(event.target)) if (String(value).trim()) next.set(name, String(value).trim());
      location.hash = '#/tasks?' + next;
    };
    return el('form', { class: 'filters', id: 'filters', onsubmit: submit },
      el('label', {}, 'Status', status), input('queue', 'Queue', 'default'), input('func', 'Function', 'exact name'),
      input('id', 'Task id', ''), el('label', {}, 'Per page', perPage),
      el('button', { type: 'submit', class: 'primary', id: 'f-apply' }, 'Filter'),
      el('a', { href: '#/tasks', id: 'f-reset' }, 'Reset'));
  }

  function tasksTable(tasks) {
    const rows = tasks.map((t) => el('tr', { 'data-id': t.id, 'data-status': t.status },
      el('td', { class: 'id' }, taskLink(t.id)),
      el('td', { class: 'func' }, t.func_path),
      el('td', {}, t.queue),
      el('td', {}, badge(t.status)),
      el('td', { class: 'num' }, t.attempts + ' / ' + (t.max_retries + 1)),
      el('td', {}, formatTime(t.created_at)),
      el('td', {}, formatTime(t.updated_at)),
      el('td', { class: 'preview mono' }, t.args_preview),
      el('td', { class: 'message' }, t.error ? t.error.error_type + ': ' + t.error.message : '')));
    return table(['Id', 'Function', 'Queue', 'Status', { label: 'Attempts', num: true }, 'Created', 'Updated',
      'Arguments', 'Last error'], rows, 'tasks-table');
  }

  function pager(page, query) {
    const link = (n, label, id) => {
      const q = new URLSearchParams(query);
      q.set('page', n);
      return el('a', { href: '#/tasks?' + q, id }, label);
    };
    return el('div', { class: 'pager' },
      page.page > 1 ? link(page.page - 1, '← newer', 'page-prev') : null,
      el('span', { class: 'muted', id: 'page-number' }, 'page ' + page.page),
      page.has_more ? link(page.page + 1, 'older →', 'page-next') : null);
  }

  // ---- task detail ----

  function showTask(id) {
    setActiveNav('tasks');
    return show('Task', () => api('/api/tasks/' + encodeURIComponent(id)), taskView);
  }

  function field(label, value) {
    if (value === null || value === undefined || value === '') return null;
    return [el('dt', {}, label), el('dd', {}, value)];
  }

  function nextRun(d) {
    const t = d.task;
    if (t.status !== 'PENDING' && t.status !== 'RETRYING') return null;
    return d.next_run ? formatTime(d.next_run) : 'as soon as a worker is free';
  }

  function taskView(d) {
    const t = d.task;
    const s = t.schedule || {};
    return el('section', { class: 'task' },
      el('h1', {}, el('span', { id: 'task-func' }, t.func_path), badge(t.status, 'task-status')),
      el('p', { class: 'muted mono', id: 'task-id' }, t.id),
      actionBar(d),
      el('dl', { class: 'fields', id: 'task-fields' },
        field('Queue', t.queue), field('Priority', String(t.priority)),
        field('Attempts', t.attempts + ' of at most ' + (t.max_retries + 1)),
        field('Timeout', t.timeout !== undefined ? formatAge(t.timeout) : 'none'),
        field('Created', formatTime(t.created_at)), field('Updated', formatTime(t.updated_at)),
        field('Last attempt', t.last_attempt_at && formatTime(t.last_attempt_at)),
        field('Lease expires', t.lease_expires_at && formatTime(t.lease_expires_at)),
        field('ETA', s.eta && formatTime(s.eta)), field('Interval', interval(s)),
        field('Cron', s.cron && s.cron + (s.timezone ? ' (' + s.timezone + ')' : ' (UTC)')),
        field(d.repeats ? 'Next run' : 'Due', nextRun(d)),
        field('Retry of', t.retry_of && taskLink(t.retry_of)),
        field('Unique key', t.unique_key), field('Cancel requested', t.cancel_requested ? 'yes' : null)),
      el('h2', {}, 'Arguments'), pre(t.args, 'task-args'),
      el('h2', {}, 'Keyword arguments'), pre(t.kwargs, 'task-kwargs'),
      resultSection(d.result),
      t.error && !(d.result && d.result.error) ? errorBox('Last error', t.error, 'task-error') : null);
  }

  function resultSection(r) {
    if (!r) return el('p', { class: 'muted', id: 'no-result' }, 'No result yet.');
    return el('div', { id: 'result' },
      el('h2', {}, 'Result'),
      el('dl', { class: 'fields' }, field('Status', badge(r.status)), field('Finished', formatTime(r.finished_at)),
        field('Attempts', String(r.attempts))),
      'result' in r ? pre(r.result, 'result-value') : null,
      r.error ? errorBox('Error', r.error, 'result-error') : null);
  }

  function errorBox(title, e, id) {
    return el('div', { class: 'panel error-box', id },
      el('h2', {}, title),
      el('p', { class: 'mono', id: id + '-type' }, e.error_type),
      el('p', { class: 'error-message', id: id + '-message' }, e.message),
      el('p', { class: 'muted' }, formatTime(e.timestamp) + ' · retry ' + e.retry_count +
        (e.is_retryable ? '' : ' · not retryable')),
      e.traceback ? el('pre', { id: id + '-traceback' }, e.traceback) : null);
  }

  function actionBar(d) {
    const t = d.task;
    if (!info.actions) return null;
    const name = t.func_path.length > 80 ? t.func_path.slice(0, 80) + '…' : t.func_path;
    const cancel = () => act('Cancel task ' + name + ' (' + t.id + ')?',
      '/api/tasks/' + encodeURIComponent(t.id) + '/cancel',
      (answer) => { toast(answer.outcome === 'requested' ? 'Cancel requested.' : 'Cancelled.'); route(); });
    const retry = () => act('Run task ' + name + ' (' + t.id + ') again, as a new task?',
      '/api/tasks/' + encodeURIComponent(t.id) + '/retry',
      (answer) => { toast('Enqueued ' + answer.id + '.'); location.hash = '#/tasks/' + encodeURIComponent(answer.id); });
    return el('div', { class: 'actions' },
      el('button', { id: 'btn-cancel', disabled: !d.can_cancel, onclick: cancel }, 'Cancel'),
      el('button', { id: 'btn-retry', disabled: !d.can_retry, onclick: retry }, 'Retry'));
  }

  // ---- start ----

  async function start() {
    takeTokenFromUrl();
    document.getElementById('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, document.getElementById('token-input').value.trim());
      updateChrome();
    });
    window.addEventListener('hashchange', route);
    try {
      info = await api('/api/info');
    } catch (err) {
      toast('Cannot reach the server: ' + err.message, true);
    }
    updateChrome();
    route();
  }

  start();
})();
