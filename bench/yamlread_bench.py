"""The exporters' own YAML reader (runtime/yamlread.py) beside PyYAML, its peer (issue 24).

1. Import footprint: `python -S` with sys.path set by hand (as tests/runtime/test_footprint.py
   runs an exporter), RSS (VmRSS) after importing lookout.exporters.runtime.config and the time
   that import took, for this checkout, for this checkout plus `import yaml` (what config.py
   imported before yamlread) and, with --baseline DIR, for another checkout's config module
   (`git archive <commit> | tar -x -C DIR`: before and after in one run). Medians of --runs.
2. Parse time of a typical configuration (docs/exporters/nectar.md's example, 30 lines):
   yamlread.load against yaml.load with the libyaml CSafeLoader and with the pure-Python
   SafeLoader (yaml.safe_load), medians of 7 rounds.

    .venv/bin/python bench/yamlread_bench.py [--runs 21] [--baseline DIR]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import sysconfig
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
t0 = time.perf_counter()
import lookout.exporters.runtime.config
if sys.argv[3] == "yaml":
    import yaml
took = time.perf_counter() - t0
with open("/proc/self/status") as f:
    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
print(rss, took, int("yaml" in sys.modules))
"""


def footprint(root: Path, extra: str, runs: int) -> tuple[float, float, bool]:
    rss, took, yaml_loaded = [], [], False
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-S", "-c", CHILD, str(root), sysconfig.get_paths()["purelib"], extra],
                             capture_output=True, text=True, check=True, cwd="/").stdout.split()
        rss.append(int(out[0]) / 1024)
        took.append(float(out[1]) * 1000)
        yaml_loaded = out[2] == "1"
    return statistics.median(rss), statistics.median(took), yaml_loaded


def parse_times(text: str) -> dict[str, float]:
    import yaml

    from lookout.exporters.runtime import yamlread

    assert yamlread.load(text) == yaml.safe_load(text)
    readers = {"yamlread.load": lambda: yamlread.load(text),
               "yaml.load(CSafeLoader)": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
               "yaml.safe_load (pure Python)": lambda: yaml.safe_load(text)}
    result = {}
    for name, read in readers.items():
        number = 200
        rounds = [timeit.timeit(read, number=number) / number * 1e6 for _ in range(7)]
        result[name] = statistics.median(rounds)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--baseline", type=Path, help="another checkout (before the change)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with open("/proc/loadavg") as f:
        print(f"load average {f.read().split()[0]}, {args.runs} runs each, medians")
    rows = [("this checkout: import ...runtime.config", footprint(ROOT, "", args.runs)),
            ("this checkout + import yaml (config.py before)", footprint(ROOT, "yaml", args.runs))]
    if args.baseline:
        rows.append((f"{args.baseline}: import ...runtime.config", footprint(args.baseline, "", args.runs)))
    print(f"{'python -S, sys.path by hand':<52} {'RSS MB':>7} {'import ms':>9}  yaml loaded")
    for name, (rss, took, loaded) in rows:
        print(f"{name:<52} {rss:7.2f} {took:9.1f}  {loaded}")
    for name, (rss, took, _) in rows[1:]:
        print(f"  {name}: +{rss - rows[0][1][0]:.2f} MB, +{took - rows[0][1][1]:.1f} ms")

    text = re.search(r"```yaml\n(.*?)```", (ROOT / "docs/exporters/nectar.md").read_text(), re.S).group(1)
    times = parse_times(text)
    print(f"\nparse of docs/exporters/nectar.md's example config ({len(text.splitlines())} lines, "
          f"{len(text)} bytes), microseconds per parse:")
    mine = times["yamlread.load"]
    for name, us in times.items():
        print(f"  {name:<30} {us:8.1f} us  ({us / mine:.2f}x yamlread)")
    print(json.dumps({"footprint": {n: r for n, r in rows}, "parse_us": times}))


if __name__ == "__main__":
    main()
