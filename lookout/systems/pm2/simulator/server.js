// The RSS sync server stand-in, run under PM2 as `rss-sync-server` (shayonpal/rss-news-reader,
// ecosystem.config.js: SERVER_PORT 3001, max_memory_restart). It answers what the real one
// does: GET /server/health with the health JSON of server/lib/sync-health-check.js (503 when
// unhealthy), GET /server/sync/stats with the sync_queue_stats view's row, and it prints the
// log lines of server/services/bidirectional-sync.js ("[BiDirectionalSync] Sync completed in
// Nms" on stdout, "[BiDirectionalSync] Batch sync failed: ..." on stderr), which PM2 writes
// to the app's log files. Faults come through the same control API as the Python simulators
// (/_sim/faults) and are kept in a state file, so a leak or a crash loop carries on after PM2
// restarts the process.
'use strict';

const http = require('http');
const fs = require('fs');

const PORT = Number(process.env.SERVER_PORT || process.env.PORT || 3001);
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
  'slow-sync': { help: 'Each sync run takes this long.', params: { seconds: [45, 0] } },
  'database-down': { help: 'The database check fails: health unhealthy, /server/health answers 503.', params: {} },
  'oauth-expiring': { help: 'The OAuth tokens expire soon: health degraded (still 200).', params: {} },
  'watchdog-gave-up': { help: "The host watchdog's hourly restart budget is spent: it refuses to restart this app"
    + ' (a restart_throttled/rate_limited line every check).', params: { check_seconds: [2, 0.5] } },
};
// The host watchdog (rss-news-reader 5aa2950e scripts/monitor-services-pm2.sh, run by PM2 as
// rss-services-monitor) writes log_event()'s JSON lines to its LOG_FILE; the stand-in writes
// them for it, to WATCHDOG_LOG_FILE, while the watchdog-gave-up fault lasts.
const WATCHDOG_LOG_FILE = process.env.WATCHDOG_LOG_FILE || '';
const MAX_RETRIES = 3; // SYNC_MAX_RETRIES

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
// The sync_queue rows by sync_attempts (0, 1, 2, >= MAX_RETRIES).
const queue = [0, 0, 0, 0];
const state = { arrivals: 0, errorsDue: 0, lastProcessed: null, watchdogDue: 0 };

function watchdogRefuses(dtMs) {
  const gaveUp = fault('watchdog-gave-up');
  if (!gaveUp || !WATCHDOG_LOG_FILE) { state.watchdogDue = 0; return; }
  state.watchdogDue -= dtMs;
  if (state.watchdogDue > 0) return;
  state.watchdogDue = gaveUp.params.check_seconds * 1000;
  const line = JSON.stringify({ timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), event: 'restart_throttled',
    service: 'rss-sync-server', status: 'rate_limited', message: 'Max restarts per hour reached' });
  fs.appendFileSync(WATCHDOG_LOG_FILE, line + '\n');
}

function tick(dtMs) {
  watchdogRefuses(dtMs);
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
  queue[0] += arrived;
  const errors = fault('api-errors');
  if (errors) {
    state.errorsDue += (errors.params.per_minute * dtMs) / 60000;
    const n = Math.floor(state.errorsDue);
    state.errorsDue -= n;
    for (let i = 0; i < n; i++) failBatch();
  }
}

function failBatch() {
  // bidirectional-sync.js handleSyncError: console.error with the Error, then one retry step.
  console.error('[BiDirectionalSync] Batch sync failed: Error: Inoreader sync failed: 503 Service Unavailable - upstream busy');
  for (let a = MAX_RETRIES - 1; a >= 0; a--) {
    const moved = Math.min(queue[a], 5);
    queue[a] -= moved;
    queue[a + 1] += moved;
  }
}

function sync() {
  const slow = fault('slow-sync');
  const pending = queue[0] + queue[1] + queue[2];
  if (pending === 0) {
    console.log('[BiDirectionalSync] No pending changes to sync');
    return;
  }
  console.log(`[BiDirectionalSync] Found ${pending} pending changes`);
  if (!fault('api-errors')) {
    // Drains what a run can carry; a backlog outruns it.
    let room = Math.round((SYNC_EVERY_MS / 1000) * 25);
    let synced = 0;
    for (let a = 0; a < MAX_RETRIES && room > 0; a++) {
      const n = Math.min(queue[a], room);
      queue[a] -= n;
      room -= n;
      synced += n;
    }
    console.log(`[BiDirectionalSync] Successfully synced ${synced} read changes`);
  }
  const duration = slow ? Math.round(slow.params.seconds * 1000) : 150 + Math.round(Math.random() * 100);
  console.log(`[BiDirectionalSync] Sync completed in ${duration}ms`);
  state.lastProcessed = new Date().toISOString();
}

function queueStats() {
  // The sync_queue_stats view (supabase migration): total_pending counts every queued row.
  return { total_pending: queue[0] + queue[1] + queue[2] + queue[3], never_attempted: queue[0],
    retry_pending: queue[1] + queue[2], failed: queue[3], action_types: 1 };
}

function health() {
  // server/lib/sync-health-check.js checkHealth()
  const stats = queueStats();
  const dependencies = {
    database: fault('database-down') ? 'unhealthy' : 'healthy',
    oauth: fault('oauth-expiring') ? 'degraded' : 'healthy',
    syncQueue: stats.failed > 50 ? 'unhealthy' : (stats.total_pending > 100 || stats.failed > 10) ? 'degraded' : 'healthy',
  };
  const all = Object.values(dependencies);
  const status = all.includes('unhealthy') ? 'unhealthy' : all.includes('degraded') ? 'degraded' : 'healthy';
  return {
    status,
    service: 'rss-sync-server',
    uptime: Math.floor((Date.now() - started) / 1000),
    lastActivity: state.lastProcessed || new Date().toISOString(),
    errorCount: 0,
    dependencies,
    performance: { avgSyncTime: 180, avgDbQueryTime: 12, avgApiCallTime: 240 },
    details: { services: [] },
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
    if (req.method === 'GET' && url.pathname === '/server/health') {
      const body = health();
      return send(res, body.status === 'unhealthy' ? 503 : 200, body);
    }
    if (req.method === 'GET' && url.pathname === '/server/sync/stats') return send(res, 200, queueStats());
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
server.listen(PORT, HOST, () => {
  console.log(`[Server] RSS Reader server listening on port ${PORT}`);
  console.log(`[BiDirectionalSync] Started periodic sync every ${SYNC_EVERY_MS / 60000} minutes`);
});
process.on('SIGINT', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
