"""The exporters' own YAML reader (runtime/yamlread.py) beside PyYAML, its peer (issue 24).

1. Import footprint: `python -S` with sys.path set by hand (as tests/runtime/test_footprint.py
   runs an exporter), RSS (VmRSS) after importing lookout.exporters.runtime.config and the time
   that import took, for this checkout, for this checkout plus `import yaml` (what config.py
   imported before yamlread) and, with --baseline DIR, for another checkout's config module
   (`git archive <commit> | tar -x -C DIR`: before and after in one run); then, after only
   `re` and `typing`, the yamlread module alone against `import yaml` alone. Medians of --runs,
   the variants alternated.
2. Parse time of a typical configuration (docs/exporters/nectar.md's example, 30 lines):
   yamlread.load against yaml.load with the libyaml CSafeLoader and with the pure-Python
   SafeLoader (yaml.safe_load), medians of 9 alternated rounds of 200 parses.

    .venv/bin/python bench/yamlread_bench.py [--runs 21] [--baseline DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
mode = sys.argv[3]
sys.path[:0] = [sys.argv[1] + "/lookout/exporters/runtime" if mode == "yamlread" else sys.argv[1], sys.argv[2]]
import re, typing  # what yamlread itself imports: the "bare" baseline of the standalone rows
t0 = time.process_time()  # CPU, not wall time: the 2 cores are shared
if mode in ("config", "config+yaml"):
    import lookout.exporters.runtime.config
if mode in ("config+yaml", "yaml"):
    import yaml
if mode == "yamlread":
    import yamlread  # the module alone, outside its package
took = time.process_time() - t0
with open("/proc/self/status") as f:
    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
print(rss, took, int("yaml" in sys.modules))
"""


def footprint(variants: list[tuple[Path, str]], runs: int) -> list[tuple[float, float, bool]]:
    """(median RSS MB, median import CPU ms, yaml loaded) per (checkout, mode) variant, the
    variants alternated run by run so that the machine's load falls on each alike. Bytecode is
    cached (in a temporary prefix, one warm-up run each) as an installed wheel has it: compiling
    the source on every import would cost more than the import itself."""
    with tempfile.TemporaryDirectory(prefix="yamlread-bench-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        samples: list[list[tuple[float, float, bool]]] = [[] for _ in variants]
        for run in range(runs + 1):
            for n, (root, mode) in enumerate(variants):
                out = subprocess.run([sys.executable, "-S", "-c", CHILD, str(root), sysconfig.get_paths()["purelib"], mode],
                                     capture_output=True, text=True, check=True, cwd="/", env=env).stdout.split()
                if run:
                    samples[n].append((int(out[0]) / 1024, float(out[1]) * 1000, out[2] == "1"))
    return [(statistics.median(r for r, _, _ in rows), statistics.median(t for _, t, _ in rows), rows[0][2])
            for rows in samples]


def parse_times(text: str) -> dict[str, float]:
    import yaml

    from lookout.exporters.runtime import yamlread

    assert yamlread.load(text) == yaml.safe_load(text)
    readers = {"yamlread.load": lambda: yamlread.load(text),
               "yaml.load(CSafeLoader)": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
               "yaml.safe_load (pure Python)": lambda: yaml.safe_load(text)}
    rounds: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(9):  # alternated, so that the machine's load falls on each reader alike
        for name, read in readers.items():
            rounds[name].append(timeit.timeit(read, number=200) / 200 * 1e6)
    return {name: statistics.median(times) for name, times in rounds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--baseline", type=Path, help="another checkout (before the change)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with open("/proc/loadavg") as f:
        print(f"load average {f.read().split()[0]}, {args.runs} runs each, medians")
    variants = [("this checkout: import ...runtime.config", ROOT, "config"),
                ("this checkout + import yaml (config.py before)", ROOT, "config+yaml")]
    if args.baseline:
        variants.append((f"{args.baseline}: import ...runtime.config", args.baseline, "config"))
    variants += [("standalone: re and typing only", ROOT, "bare"),
                 ("standalone: + yamlread (the module alone)", ROOT, "yamlread"),
                 ("standalone: + import yaml", ROOT, "yaml")]
    results = footprint([(root, extra) for _, root, extra in variants], args.runs)
    rows = [(name, result) for (name, _, _), result in zip(variants, results)]
    print(f"{'python -S, sys.path by hand':<52} {'RSS MB':>7} {'CPU ms':>9}  yaml loaded")
    for name, (rss, took, loaded) in rows:
        print(f"{name:<52} {rss:7.2f} {took:9.1f}  {loaded}")
    bare = next(n for n, (_, _, mode) in enumerate(variants) if mode == "bare")
    for n, (name, (rss, took, _)) in enumerate(rows):
        if n not in (0, bare):
            base = rows[bare if n > bare else 0][1]
            print(f"  {name}: {rss - base[0]:+.2f} MB, {took - base[1]:+.1f} ms CPU")

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
