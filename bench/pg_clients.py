"""Resident memory of a bare Python process that imports a PostgreSQL client, logs in (scram,
no TLS) to a devstack PostgreSQL and reads one row by COPY, per client, in one run (issue 24:
which client lets lookout-ticks stay under 20 MB RSS).

Candidates: asyncpg (with asyncio.run), pg8000 (pure Python), psycopg 3 (binary, its libpq) and
Lookout's own lookout/systems/ticks/exporter/pgwire.py; "python" is the interpreter alone.
pg8000 and psycopg are not Lookout dependencies: install them in another venv and give its
site-packages with --site (`python3 -m venv /tmp/cand && /tmp/cand/bin/pip install pg8000
'psycopg[binary]'`). Each child runs with `python -S` (as the installed wheel's scripts do not
run the editable install's finder), rounds alternate, medians are printed.

    .venv/bin/python bench/pg_clients.py --site /tmp/cand/lib/python3.11/site-packages [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lookout.devstack.postgres import PostgresServer  # noqa: E402

WATCH = ("ssl", "_hashlib", "asyncio", "datetime", "decimal", "uuid", "scramp", "asn1crypto", "dateutil",
         "logging", "ipaddress", "json")

CLIENTS = {
    "python": "",
    # Its two files alone (not the exporter's package, whose __init__ loads the runtime).
    "pgwire": """
import time, types
sys.modules["pgw"] = pkg = types.ModuleType("pgw")
pkg.__path__ = [PGWIRE_DIR]
from pgw import pgwire
c = pgwire.connect(pgwire.Params(DSN + "?sslmode=disable"), time.monotonic() + 10)
row = c.copy_out(SQL, time.monotonic() + 10)[0]
""",
    # As lookout-ticks imports it without a TLS sslmode: hashlib without OpenSSL (as lazyssl.only_if).
    "pgwire-nossl": """
import time, types
sys.modules["pgw"] = pkg = types.ModuleType("pgw")
pkg.__path__ = [PGWIRE_DIR]
sys.modules["_hashlib"] = None
from pgw import pgwire
del sys.modules["_hashlib"]
c = pgwire.connect(pgwire.Params(DSN + "?sslmode=disable"), time.monotonic() + 10)
row = c.copy_out(SQL, time.monotonic() + 10)[0]
""",
    "asyncpg": """
import asyncio, asyncpg
async def main():
    c = await asyncpg.connect(DSN, ssl=False, statement_cache_size=0)
    out = []
    async def sink(b): out.append(b)
    await c.copy_from_query(SQL[6:-11], output=sink)
    return c, b"".join(out)
c, row = asyncio.run(main())
""",
    "pg8000": """
import pg8000.native
c = pg8000.native.Connection(USER, password=PASSWORD, host=HOST, port=PORT, database="postgres")
import io
buf = io.BytesIO()
c.run(SQL, stream=buf)
row = buf.getvalue()
""",
    "psycopg": """
import psycopg
c = psycopg.connect(DSN + "?sslmode=disable")
with c.cursor() as cur:
    with cur.copy(SQL) as cp:
        row = b"".join(bytes(b) for b in cp)
""",
}

CHILD = r"""
import sys, json
sys.path[:0] = json.loads(sys.argv[1])
DSN, USER, PASSWORD, HOST, PORT = json.loads(sys.argv[2])
SQL = "COPY (SELECT 1, 'x', now()) TO STDOUT"
PGWIRE_DIR = sys.argv[4]
row = b""
exec(sys.argv[3])
def field(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
mods = set(sys.modules)
print(json.dumps({"rss_kb": field("/proc/self/status", "VmRSS:"), "pss_kb": field("/proc/self/smaps_rollup", "Pss:"),
                  "row": row.decode() if row else "", "loaded": sorted(m for m in WATCH if m in mods)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", default="", help="site-packages holding pg8000 and psycopg")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    paths = [str(ROOT), sysconfig.get_paths()["purelib"]] + ([args.site] if args.site else [])
    pg = PostgresServer().init().start()
    try:
        conn = json.dumps([pg.dsn(), "postgres", pg.password, "127.0.0.1", pg.port])
        results: dict[str, list[dict]] = {name: [] for name in CLIENTS}
        for _ in range(args.rounds):
            for name, code in CLIENTS.items():
                res = subprocess.run([sys.executable, "-S", "-c", f"WATCH = {WATCH!r}\n" + CHILD, json.dumps(paths),
                                      conn, code, str(ROOT / "lookout/systems/ticks/exporter")], capture_output=True, text=True, env=env, timeout=60)
                if res.returncode:
                    results[name].append({"error": res.stderr.strip().splitlines()[-1]})
                else:
                    results[name].append(json.loads(res.stdout))
        print(f"{'client':12} {'RSS MB':>7} {'PSS MB':>7}  row / loaded")
        for name, runs in results.items():
            ok = [r for r in runs if "error" not in r]
            if not ok:
                print(f"{name:12} failed: {runs[0]['error']}")
                continue
            rss = statistics.median(r["rss_kb"] for r in ok) / 1024
            pss = statistics.median(r["pss_kb"] for r in ok) / 1024
            print(f"{name:12} {rss:7.1f} {pss:7.1f}  {ok[0]['row'].strip()!r} {' '.join(ok[0]['loaded'])}")
    finally:
        pg.destroy()


if __name__ == "__main__":
    main()
