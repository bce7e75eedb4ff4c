// The RSS sync server stand-in, run under PM2 (runbook 003): GET /health answers the
// health JSON the pm2 exporter reads; a sync loop drains a queue; faults come through
// the same control API as the Python simulators (/_sim/faults) and are kept in a state
// file, so a leak or a crash loop carries on after PM2 restarts the process.
'use strict';

const http = require('http');
const fs = require('fs');

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const STATE_FILE = process.env.SYNC_STATE_FILE || '';
const SYNC_EVERY_MS = Number(process.env.SYNC_EVERY_MS || 2000);

// name -> {help, params: {name: [default, min]}}
const FAULTS = {
  'memory-leak': { help: 'Memory grows until PM2 restarts the process at max_memory_restart.',
    params: { mb_per_second: [20, 0] } },
  'crash-loop': { help: 'The process dies shortly after each start.', params: { run_seconds: [2, 0.5] } },
  'queue-backlog': { help: 'Items arrive faster than the sync drains them.', params: { items_per_second: [60, 0] } },
  'api-errors': { help: 'Calls to the upstream API fail.', params: { per_minute: [30, 0] } },
};

const active = {}; // name -> {params, until (ms since epoch) | null}

function save() {
  if (!STATE_FILE) return;
  fs.writeFileSync(STATE_FILE + '.tmp', JSON.stringify(active));
  fs.renameSync(STATE_FILE + '.tmp', STATE_FILE);
}

function load() {
  if (!STATE_FILE || !fs.existsSync(STATE_FILE)) return;
  try {
    Object.assign(active, JSON.parse(fs.readFileSync(STATE_FILE, 'utf8') || '{}'));
  } catch (err) {
    console.error(`ignoring unreadable fault state: ${err.message}`);
  }
}

function fault(name) {
  const f = active[name];
  if (f && f.until !== null && Date.now() >= f.until) {
    delete active[name];
    save();
    return null;
  }
  return f || null;
}

function parseDuration(raw) {
  if (raw === undefined || raw === null) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(raw));
  if (!m || Number(m[1]) <= 0) throw new Error(`for: expected a duration like 30s, 2m, 500ms; got ${JSON.stringify(raw)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] || 's'];
}

function inject(name, body) {
  const spec = FAULTS[name];
  if (!spec) { const e = new Error(`unknown fault '${name}' (known: ${Object.keys(FAULTS).join(', ')})`); e.status = 404; throw e; }
  const duration = parseDuration(body.for);
  const params = {};
  for (const [key, [def, min]] of Object.entries(spec.params)) {
    const value = key in body ? Number(body[key]) : def;
    if (!Number.isFinite(value) || value < min) throw new Error(`${key}: must be a number >= ${min}`);
    params[key] = value;
  }
  const unknown = Object.keys(body).filter((k) => k !== 'for' && !(k in spec.params));
  if (unknown.length) throw new Error(`${name}: unknown parameter ${unknown.join(', ')}`);
  active[name] = { params, until: duration === null ? null : Date.now() + duration };
  save();
  console.log(`fault on: ${name} ${JSON.stringify(params)}`);
  return { name, params, remaining_seconds: duration === null ? null : duration / 1000 };
}

function clear(name) {
  if (!FAULTS[name]) { const e = new Error(`unknown fault '${name}'`); e.status = 404; throw e; }
  const had = name in active;
  delete active[name];
  if (name === 'memory-leak') leaked.length = 0;
  save();
  console.log(`fault off: ${name}`);
  return had;
}

function clearAll() {
  const n = Object.keys(active).length;
  for (const name of Object.keys(active)) delete active[name];
  leaked.length = 0;
  save();
  return n;
}

// --- the server's own state ---------------------------------------------------------

const started = Date.now();
const leaked = [];
const restartCount = Number(process.env.restart_time || 0); // PM2 passes its pm2_env down
const state = { queue: 0, apiErrors: 0, successes: 0, failures: 0, lastDurationMs: 0, arrivals: 0, errorsDue: 0 };

function tick(dtMs) {
  const leak = fault('memory-leak');
  if (leak) {
    // Buffers are zero-filled, so every byte is touched and counts in RSS, which PM2 watches.
    const chunks = Math.max(1, Math.round((leak.params.mb_per_second * dtMs) / 1000));
    for (let i = 0; i < chunks; i++) leaked.push(Buffer.alloc(1024 * 1024, 1));
  }
  const backlog = fault('queue-backlog');
  state.arrivals += ((backlog ? backlog.params.items_per_second : 2) * dtMs) / 1000;
  const arrived = Math.floor(state.arrivals);
  state.arrivals -= arrived;
  state.queue += arrived;
  const errors = fault('api-errors');
  if (errors) {
    state.errorsDue += (errors.params.per_minute * dtMs) / 60000;
    const n = Math.floor(state.errorsDue);
    state.errorsDue -= n;
    state.apiErrors += n;
  }
}

function sync() {
  const t0 = Date.now();
  const errors = fault('api-errors');
  if (errors && Math.random() < 0.5) {
    state.failures += 1;
  } else {
    // Drains what a run can carry; a backlog outruns it.
    state.queue = Math.max(0, state.queue - Math.round((SYNC_EVERY_MS / 1000) * 25));
    state.successes += 1;
  }
  state.lastDurationMs = Date.now() - t0 + 150 + Math.round(Math.random() * 100);
}

function health() {
  const mem = process.memoryUsage();
  return {
    status: 'ok',
    uptime: (Date.now() - started) / 1000,
    restartCount,
    memory: { heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, rss: mem.rss, external: mem.external },
    queue: { depth: state.queue },
    sync: { apiErrors: state.apiErrors, successes: state.successes, failures: state.failures,
      lastDurationMs: state.lastDurationMs },
    timestamp: new Date().toISOString(),
  };
}

// --- HTTP ------------------------------------------------------------------------------

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; if (data.length > 65536) reject(new Error('body too large')); });
    req.on('end', () => {
      try { resolve(data.trim() ? JSON.parse(data) : {}); } catch (err) { reject(new Error(`the body is not JSON: ${err.message}`)); }
    });
  });
}

function describe() {
  const now = Date.now();
  const list = Object.keys(active).filter((n) => fault(n)).map((n) => ({ name: n, params: active[n].params,
    remaining_seconds: active[n].until === null ? null : Math.max(active[n].until - now, 0) / 1000 }));
  const available = {};
  for (const [n, s] of Object.entries(FAULTS)) {
    available[n] = { help: s.help, params: Object.fromEntries(Object.entries(s.params).map(([k, [d]]) => [k, { type: 'float', default: d }])) };
  }
  return { active: list, available };
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const m = /^\/_sim\/faults\/([A-Za-z0-9-]+)$/.exec(url.pathname);
  try {
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, health());
    if (req.method === 'GET' && url.pathname === '/_sim/faults') return send(res, 200, describe());
    if (req.method === 'POST' && m) {
      const body = await readBody(req);
      if (typeof body !== 'object' || Array.isArray(body) || body === null) throw new Error('the body must be a JSON object');
      return send(res, 200, inject(m[1], body));
    }
    if (req.method === 'DELETE' && m) return send(res, 200, { cleared: clear(m[1]) });
    if (req.method === 'DELETE' && url.pathname === '/_sim/faults') return send(res, 200, { cleared: clearAll() });
    if (req.method === 'POST' && url.pathname === '/_sim/reset') return send(res, 200, { cleared: clearAll(), reset: true });
    return send(res, 404, { error: 'not found' });
  } catch (err) {
    return send(res, err.status || 400, { error: err.message });
  }
});

load();
let last = Date.now();
setInterval(() => { const now = Date.now(); tick(now - last); last = now; }, 250);
setInterval(sync, SYNC_EVERY_MS);
const crash = fault('crash-loop');
if (crash) {
  setTimeout(() => {
    console.error('Error: sync worker crashed (crash-loop fault)');
    process.exit(1);
  }, crash.params.run_seconds * 1000);
}
server.listen(PORT, HOST, () => console.log(`sync server listening on http://${HOST}:${PORT} (restart ${restartCount})`));
process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
