// Dies shortly after every start, so PM2's restarts and unstable restarts keep rising.
setTimeout(() => { console.error('fatal: cannot reach the database'); process.exit(1); }, 150);
