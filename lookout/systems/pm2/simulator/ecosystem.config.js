// PM2 ecosystem for the sync server stand-in. Read by `pm2 start` (native demo) and by
// `pm2-runtime` (docker compose); the environment of that command fills in the blanks.
'use strict';

const path = require('path');

module.exports = {
  apps: [{
    name: process.env.SYNC_APP_NAME || 'rss-sync-server',
    script: path.join(__dirname, 'server.js'),
    // Runbook 003: restarted by PM2 past 200 MB (the app's own ecosystem.config.js says 256M).
    max_memory_restart: process.env.SYNC_MAX_MEMORY || '200M',
    // The real app sets `time: true`: PM2 prefixes each log line with its timestamp.
    time: true,
    autorestart: true,
    restart_delay: Number(process.env.SYNC_RESTART_DELAY_MS || 500),
    // High, so a crash loop goes on restarting for the demo (PM2's default, 16 quick
    // deaths, parks the app as "errored", which is PM2ProcessDown's scenario instead).
    max_restarts: 1000,
    min_uptime: 1000,
    env: {
      SERVER_PORT: process.env.SERVER_PORT || process.env.PORT || '3001',
      HOST: process.env.HOST || '127.0.0.1',
      SYNC_STATE_FILE: process.env.SYNC_STATE_FILE || '',
      SYNC_EVERY_MS: process.env.SYNC_EVERY_MS || '2000',
      // Where the host watchdog's JSON lines go (the real app's rss-services-monitor LOG_FILE).
      WATCHDOG_LOG_FILE: process.env.WATCHDOG_LOG_FILE || '',
    },
  }],
};
