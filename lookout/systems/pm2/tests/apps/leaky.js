// Holds on to 8 MiB more every 200 ms until PM2's --max-memory-restart recycles it.
const kept = [];
setInterval(() => { kept.push(Buffer.alloc(8 * 1024 * 1024, 1)); }, 200);
