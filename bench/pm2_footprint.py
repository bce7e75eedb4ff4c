"""The PM2 exporter's resident memory on a small host (docs/deploying.md, issue 17): PM2 with
`--apps` online apps (one the sync server), the exporter scraped `--scrapes` times as
Prometheus would, then VmRSS sampled 10 times while scraping goes on; the median is printed.

    .venv/bin/python bench/pm2_footprint.py [--apps 5] [--scrapes 2000]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import Scraper, mb, median, rss_bytes
from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import ExporterProcess
from pm2_bench import start_apps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=5)
    ap.add_argument("--scrapes", type=int, default=2000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pm2-footprint-"))
    pm2 = PM2(work / "pm2home")
    exporter = None
    try:
        port = start_apps(pm2, args.apps)
        cfg = work / "pm2.yml"
        cfg.write_text(yaml.safe_dump({"daemon": {"home": str(pm2.home)},
                                       "health": {"url": f"http://127.0.0.1:{port}/health"}}))
        exporter = ExporterProcess("pm2", cfg, work).wait_ready()
        scraper = Scraper(exporter.port)
        for _ in range(args.scrapes):
            scraper.get()
        samples = []
        for _ in range(10):
            for _ in range(20):
                scraper.get()
            samples.append(rss_bytes(exporter.proc.pid))
            time.sleep(0.5)
        print(f"PM2 {pm2.run('--version').stdout.strip()}, {args.apps} online apps, Python {sys.version.split()[0]}: "
              f"lookout-pm2 RSS median {mb(median(samples))} (min {mb(min(samples))}, max {mb(max(samples))}) "
              f"after {args.scrapes} scrapes")
    finally:
        if exporter:
            exporter.stop()
        pm2.kill_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
