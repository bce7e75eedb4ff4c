// Prints the sync server's own log lines (shayonpal/rss-news-reader
// server/services/bidirectional-sync.js: console.log "[BiDirectionalSync] Sync completed in
// <N>ms", console.error "[BiDirectionalSync] Batch sync failed:") once per generation written
// to $TRIGGER: COMPLETED lines on stdout and FAILED on stderr. One copy per PM2 instance.
const fs = require("fs");
const trigger = process.env.TRIGGER;
const completed = Number(process.env.COMPLETED || 3);
const failed = Number(process.env.FAILED || 2);
let seen = "0";  // the generation the test writes before starting the app
setInterval(() => {
  let gen;
  try { gen = fs.readFileSync(trigger, "utf8").trim(); } catch (e) { return; }
  if (gen === "" || gen === seen) return;  // "": caught between the test's truncate and its write
  seen = gen;
  for (let i = 0; i < completed; i++) console.log(`[BiDirectionalSync] Sync completed in ${1000 + i}ms`);
  for (let i = 0; i < failed; i++) console.error("[BiDirectionalSync] Batch sync failed:", new Error("HTTP 429"));
  fs.appendFileSync(trigger + ".done", `${process.env.NODE_APP_INSTANCE}\n`);
}, 100);
