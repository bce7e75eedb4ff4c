// Stands in for the RSS sync server (shayonpal/rss-news-reader) with its real interface:
//   GET /server/health      the body of server/lib/sync-health-check.js checkHealth(),
//                           503 when its status is "unhealthy" (server/server.js)
//   GET /server/sync/stats  the sync_queue_stats view's row (total_pending, never_attempted,
//                           retry_pending, failed, action_types)
//   log lines of server/services/bidirectional-sync.js on stdout/stderr (PM2's log files).
// Values are the test's own, set through /control:
//   /control?mode=ok|slow|error|garbage|missing|bare503&delay_ms=N   how /server/health answers
//   /control?status=S&database=S&oauth=S&sync_queue=S&error_count=N&last_activity=ISO
//   /control?pending=N&retry=N&failed=N                              what /server/sync/stats says
//   /control?log_completed_ms=N   prints "[BiDirectionalSync] Sync completed in Nms"
//   /control?log_batch_failed=N   prints N "[BiDirectionalSync] Batch sync failed: ..." lines
// and /control answers with its state, including the Authorization header last seen.
// GET /health is kept as an alias of /server/health for the dashboards' live stack.
const http = require('http');
const { URL } = require('url');

const state = {
  authorization: null, mode: 'ok', delayMs: 0, status: 'healthy', errorCount: 0,
  deps: { database: 'healthy', oauth: 'healthy', syncQueue: 'healthy' },
  lastActivity: '2026-01-13T10:00:00.000Z', pending: 0, retry: 0, failed: 0,
};
const started = Date.now();

function healthBody() {
  const body = {
    status: state.status, service: 'rss-sync-server', uptime: Math.floor((Date.now() - started) / 1000),
    lastActivity: state.lastActivity, errorCount: state.errorCount, dependencies: { ...state.deps },
    performance: { avgSyncTime: 180, avgDbQueryTime: 12, avgApiCallTime: 240 }, details: { services: [] },
  };
  if (state.mode === 'missing') {
    delete body.lastActivity;
    delete body.dependencies.oauth;
    body.uptime = 'n/a';
  }
  return body;
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function health(res) {
  const code = state.status === 'unhealthy' ? 503 : 200;
  switch (state.mode) {
    case 'error': return send(res, 500, '{"error":"Internal Server Error"}');
    case 'bare503': return send(res, 503, '<html>Service Unavailable</html>');
    case 'garbage': return send(res, 200, '{"status": "healthy", <html>oops');
    case 'slow': return setTimeout(() => send(res, code, healthBody()), state.delayMs);
    default: return send(res, code, healthBody());
  }
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/server/health' || url.pathname === '/health') {
    state.authorization = req.headers.authorization || null;
    return health(res);
  }
  if (url.pathname === '/server/sync/stats') {
    return send(res, 200, { total_pending: state.pending, never_attempted: state.pending - state.retry - state.failed,
      retry_pending: state.retry, failed: state.failed, action_types: 2 });
  }
  if (url.pathname === '/control') {
    for (const [k, v] of url.searchParams) {
      if (k === 'mode') state.mode = v;
      else if (k === 'delay_ms') state.delayMs = Number(v);
      else if (k === 'status') state.status = v;
      else if (k === 'database' || k === 'oauth') state.deps[k] = v;
      else if (k === 'sync_queue') state.deps.syncQueue = v;
      else if (k === 'error_count') state.errorCount = Number(v);
      else if (k === 'last_activity') state.lastActivity = v;
      else if (k === 'pending' || k === 'retry' || k === 'failed') state[k] = Number(v);
      else if (k === 'log_completed_ms') console.log(`[BiDirectionalSync] Sync completed in ${v}ms`);
      else if (k === 'log_batch_failed') {
        for (let i = 0; i < Number(v); i++) {
          console.error('[BiDirectionalSync] Batch sync failed: Error: Inoreader sync failed: 429 Too Many Requests - slow down');
        }
      }
    }
    return send(res, 200, state);
  }
  res.writeHead(404);
  res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
