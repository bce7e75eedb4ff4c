// Does nothing; the tests stop it to see a "stopped" process.
setInterval(() => {}, 60000);
