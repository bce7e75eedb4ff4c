"""copytruncate against a reader that reads when scraped: how many lines are lost, side by side
with GNU `tail -F` (the peer: it follows the file continuously, by inotify).

A writer appends numbered lines at --rate lines/s; Debian's logrotate (copytruncate) rotates
the file at a random moment within each read interval; Lookout's FileTail reads once per
--interval (the scrape interval, scaled down so the bench runs in seconds); `tail -F -n 0`
reads as the lines come. Per rotation it prints the lines each reader lost (written, never
read), and the lines lost by logrotate itself (in neither the copy nor the file: written
between its copy and its truncate), and scales the median to the default 15 s scrape interval.

    .venv/bin/python bench/logtail_bench.py [--rate 20] [--interval 1] [--rotations 20]
"""
from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median  # noqa: E402
from lookout.exporters.runtime.logtail import FileTail  # noqa: E402

DEFAULT_SCRAPE_INTERVAL = 15.0  # deploy/ha and deploy/kubernetes scrape every 15s


def numbers(lines) -> set[int]:
    out = set()
    for line in lines:
        if line.startswith("n="):
            out.add(int(line[2:].split()[0]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=20.0, help="lines per second")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between two reads (scaled scrape interval)")
    ap.add_argument("--rotations", type=int, default=20)
    args = ap.parse_args()
    binary = shutil.which("logrotate") or "/usr/sbin/logrotate"
    work = Path(tempfile.mkdtemp(prefix="lk-logtail-bench-"))
    log = work / "app.log"
    log.write_text("")
    conf = work / "logrotate.conf"
    conf.write_text(f"{log} {{\n  rotate 1000\n  copytruncate\n  nocompress\n}}\n")
    peer = subprocess.Popen(["tail", "-F", "-n", "0", str(log)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    peer_lines: list[str] = []
    threading.Thread(target=lambda: peer_lines.extend(iter(peer.stdout.readline, "")), daemon=True).start()
    tail = FileTail(str(log), from_end=False)
    stop = threading.Event()
    written = [0]

    def writer():
        with open(log, "a", buffering=1) as f:  # O_APPEND, as PM2 and Docker write
            while not stop.is_set():
                f.write(f"n={written[0]} [BiDirectionalSync] Sync completed in 100ms\n")
                written[0] += 1
                time.sleep(1 / args.rate)
    time.sleep(0.5)
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    time.sleep(args.interval)  # steady state: the file is not empty at the first read
    seen: list[str] = []
    lost_ours, lost_peer, lost_rotate, per_interval, windows = [], [], [], [], []
    for r in range(args.rotations):
        seen += tail.read_lines()
        start_n = written[0]
        time.sleep(random.uniform(0, args.interval))
        subprocess.run([binary, "-f", "-s", str(work / "state"), str(conf)], check=True)
        time.sleep(args.interval * 0.5)
        seen += tail.read_lines()
        time.sleep(args.interval * 0.5)
        end_n = written[0]
        per_interval.append(end_n - start_n)
        windows.append(set(range(start_n, end_n)))
    stop.set()
    w.join()
    seen += tail.read_lines()
    time.sleep(1.5)  # tail -F's last lines
    on_disk = numbers(log.read_text().splitlines())
    for p in work.glob("app.log.*"):
        on_disk |= numbers(p.read_text().splitlines())
    ours, theirs = numbers(seen), numbers(peer_lines)
    for window in windows:
        lost_ours.append(len(window - ours))
        lost_peer.append(len(window - theirs))
        lost_rotate.append(len(window - on_disk))
    peer.terminate()
    shutil.rmtree(work, ignore_errors=True)
    lines = median(per_interval)
    print(f"{args.rotations} copytruncate rotations, {args.rate:g} lines/s, one read every {args.interval:g}s "
          f"(~{lines:g} lines per interval)")
    print(f"{'reader':<28} {'median lost/rotation':>22} {'max':>6} {'total':>7}")
    for name, lost in (("lookout FileTail (scrape)", lost_ours), ("GNU tail -F (peer)", lost_peer),
                       ("logrotate itself (no copy)", lost_rotate)):
        print(f"{name:<28} {median(lost):>22g} {max(lost):>6} {sum(lost):>7}")
    total = sum(per_interval)
    print(f"lookout lost {sum(lost_ours)} of {total} lines ({sum(lost_ours) / total:.2%}); at the default "
          f"{DEFAULT_SCRAPE_INTERVAL:g}s scrape interval a copy not found (compressed or moved away before the "
          f"next read) would lose about {DEFAULT_SCRAPE_INTERVAL / 2 * args.rate:.0f} lines per rotation "
          f"(half an interval's lines at {args.rate:g} lines/s)")

if __name__ == "__main__":
    main()
