// Stands in for the RSS sync server: its health endpoint as runbook 003 describes it, plus
// the sync counters Lookout reads. The test drives it through /control:
//   /control?mode=ok|slow|error|garbage|missing&delay_ms=N   how /health answers
//   /control?queue=N&api_errors=N&successes=N&failures=N&last_ms=N   what it reports
// and /control answers with its state, including the Authorization header /health last saw.
const http = require('http');
const { URL } = require('url');

const state = { authorization: null, mode: 'ok', delayMs: 0, queue: 0, apiErrors: 0, successes: 0, failures: 0, lastMs: 0 };
const numeric = { queue: 'queue', api_errors: 'apiErrors', successes: 'successes', failures: 'failures', last_ms: 'lastMs', delay_ms: 'delayMs' };

function healthBody() {
  const m = process.memoryUsage();
  const body = {
    status: 'ok',
    memory: { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external },
    restartCount: Number(process.env.PM2_RESTART_COUNT || 0),
    uptime: process.uptime(),
    queue: { depth: state.queue },
    sync: { apiErrors: state.apiErrors, successes: state.successes, failures: state.failures, lastDurationMs: state.lastMs },
  };
  if (state.mode === 'missing') {
    delete body.queue;
    delete body.sync.lastDurationMs;
    body.memory.external = 'n/a';
  }
  return body;
}

function health(res) {
  switch (state.mode) {
    case 'error':
      res.writeHead(500, { 'Content-Type': 'application/json' });
      return res.end('{"status":"error"}');
    case 'garbage':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end('{"memory": {"heapUsed": 12, <html>oops');
    case 'slow':
      return setTimeout(() => { res.writeHead(200); res.end(JSON.stringify(healthBody())); }, state.delayMs);
    default:
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(healthBody()));
  }
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/health') {
    state.authorization = req.headers.authorization || null;
    return health(res);
  }
  if (url.pathname === '/control') {
    for (const [k, v] of url.searchParams) {
      if (k === 'mode') state.mode = v;
      else if (numeric[k]) state[numeric[k]] = Number(v);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(state));
  }
  res.writeHead(404);
  res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
