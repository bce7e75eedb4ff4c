"""Shared benchmark plumbing: wrk runs, sequential scrapes, RSS, medians."""
from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wrk(url: str, seconds: int = 10, connections: int = 4, threads: int = 2) -> dict:
    """Scrapes/s and latency percentiles with `connections` concurrent scrapers."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        lat[pct] = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"], "non2xx": int(errors.group(1)) if errors else 0,
            "requests": requests, "seconds": requests / rps if rps else float(seconds)}


def collections(url: str, namespace: str) -> int:
    """Lookout's `<ns>_collections_total` as one scrape of `url` shows it.

    That scrape runs a collection of its own, counted in the value it shows, so the
    collections a load ran between two readings are `after - before - 1`.
    """
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = resp.read().decode()
    m = re.search(rf"^{namespace}_collections_total (\S+)$", body, re.M)
    return int(float(m.group(1)))


def counted_wrk(url: str, seconds: int, connections: int, namespace: str | None = None,
                statements=None) -> dict:
    """wrk, plus what the answers cost: with `namespace` (a Lookout exporter), the
    collections it ran per answered scrape (below 1 when concurrent scrapes joined one
    collection in flight: single flight); with `statements` (a callable reading the
    database's statement counter), the statements the server ran per answered scrape."""
    before_c = collections(url, namespace) if namespace else 0
    before_s = statements() if statements else 0
    r = wrk(url, seconds, connections=connections, threads=min(connections, 2))
    if statements:
        r["statements_per_scrape"] = (statements() - before_s) / max(r["requests"], 1)
    if namespace:
        r["collections"] = collections(url, namespace) - before_c - 1
        r["collections_per_scrape"] = r["collections"] / max(r["requests"], 1)
        r["collections_per_second"] = r["collections"] / r["seconds"]
    else:  # a peer without single flight collects for every answer
        r["collections_per_second"] = r["rps"]
    return r


class Scraper:
    """Sequential scrapes over one keep-alive connection, as Prometheus does."""

    def __init__(self, port: int, path: str = "/metrics"):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path = path

    def get(self, headers: dict | None = None) -> tuple[float, bytes]:
        t = time.perf_counter()
        self.conn.request("GET", self.path, headers=headers or {})
        resp = self.conn.getresponse()
        body = resp.read()
        return time.perf_counter() - t, body


def fair_ratios(ours_c1: dict, peer_c1: dict, ours_c4: dict, peer_c4: dict, peer: str) -> list[str]:
    """The throughput ratio lines of a bench (issue 24): the HEADLINE with one scraper, where
    both sides collect for every answer, and with 4 scrapers our collections/s (single flight
    joins concurrent scrapes) against the peer's scrapes/s. Each dict has "rps"; ours also
    "collections_per_second"."""
    one = ours_c1["rps"] / peer_c1["rps"]
    four = ours_c4["collections_per_second"] / peer_c4["rps"]
    joined = ours_c4["rps"] / peer_c4["rps"]
    return [f"HEADLINE ratio lookout / {peer}, one scraper, both collecting for every answer: "
            f"{one:.1f}x (target >= 20x)",
            f"ratio with 4 scrapers, collections/s against the peer's scrapes/s: {four:.1f}x "
            f"(scrapes/s, some answered by a joined collection: {joined:.1f}x, not a fair figure)"]


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """Resident memory now, or with field="VmHWM" its peak since the process started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (/proc/<pid>/stat fields 14 and 15), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(xs) -> float:
    return statistics.median(xs)


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def ms(s: float) -> str:
    return f"{s * 1000:.2f} ms"


def stop_all(procs) -> None:
    """Stop what a benchmark started: harness processes by their own stop(), bare Popens
    by SIGTERM then SIGKILL."""
    from lookout.devstack.proc import terminate
    for p in procs:
        if hasattr(p, "stop"):
            p.stop()
        else:
            terminate(p)
