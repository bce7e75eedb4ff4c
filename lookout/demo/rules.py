"""The alert rules a demo loads: the generated files as they are (profile `real`), or, for
a compressed profile, rules regenerated with `python -m lookout.alert_rules --thresholds --out` from
the operator's thresholds plus the profile's overrides, then with range windows and offsets shortened.

The window rewrite is the one step the rule generator has no override for; it is demo-only
and applied to a copy in the demo's temp dir, never to alert_rules/*.yml.
"""
from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import yaml

from .profiles import Profile

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "lookout" / "alert_rules" / "generated"
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
# A range or subquery selector: [5m], [1h30m], [30m:1m]
_RANGE = re.compile(r"\[((?:\d+(?:ms|s|m|h|d|w|y))+)(:((?:\d+(?:ms|s|m|h|d|w|y))*))?\]")
# `offset 1h` compares with the past: the past shrinks with the windows.
_OFFSET = re.compile(r"\boffset\s+(-?)((?:\d+(?:ms|s|m|h|d|w|y))+)")


def seconds(duration: str) -> float:
    parts = _DURATION.findall(duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return sum(int(n) * _UNIT[u] for n, u in parts)


def compress(duration: str, factor: float, floor: float) -> str:
    return f"{max(math.ceil(seconds(duration) / factor), math.ceil(floor))}s"


def generated_rule_files() -> list[Path]:
    """The rule files as committed (what `real` and docker compose load)."""
    return sorted(p for p in RULES_DIR.glob("*.yml") if p.name != "thresholds.yml")


def profile_overrides(profile: Profile, operator: dict) -> dict:
    """The operator's overrides, every `for` compressed, then the profile's own on top."""
    from lookout.alert_rules.catalog import build
    merged = {k: dict(v) for k, v in operator.items()}
    for sig in build(None):
        for level in ("warning", "critical"):
            duration = getattr(sig, f"for_{level}")
            if getattr(sig, level) is None or not duration:
                continue
            current = merged.get(sig.key, {}).get(f"for_{level}", duration)
            merged.setdefault(sig.key, {})[f"for_{level}"] = compress(current, profile.time_factor, profile.min_for)
    for key, change in profile.thresholds.items():
        merged.setdefault(key, {}).update(change)
    return merged


# PromQL string literals ("...", '...', `...`): label values, regexes; never rewritten.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')


def compress_windows(text: str, factor: float, floor: float) -> str:
    """Every range window, subquery and offset divided by `factor`, string literals untouched."""
    out, last = [], 0
    for m in _STRING.finditer(text):
        out += [_compress_code(text[last:m.start()], factor, floor), m[0]]
        last = m.end()
    return "".join(out + [_compress_code(text[last:], factor, floor)])


def _compress_code(text: str, factor: float, floor: float) -> str:
    def repl(m: re.Match) -> str:
        rng = compress(m[1], factor, floor)
        if m[2] is None:
            return f"[{rng}]"
        step = compress(m[3], factor, 1) if m[3] else ""
        return f"[{rng}:{step}]"
    text = _RANGE.sub(repl, text)
    return _OFFSET.sub(lambda m: f"offset {m[1]}{compress(m[2], factor, 1)}", text)


def build_rules(profile: Profile, out_dir: Path) -> list[Path]:
    """Rule files for `profile`, written under out_dir when they differ from the committed ones."""
    if not profile.compressed:
        return generated_rule_files()
    from lookout.alert_rules import overrides
    out_dir.mkdir(parents=True, exist_ok=True)
    thresholds = out_dir / "thresholds.yml"
    thresholds.write_text(yaml.safe_dump(profile_overrides(profile, overrides.load(RULES_DIR / "thresholds.yml"))))
    res = subprocess.run([sys.executable, "-m", "lookout.alert_rules", "--thresholds", str(thresholds), "--out", str(out_dir)],
                         cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"python -m lookout.alert_rules failed: {res.stderr or res.stdout}")
    files = sorted(p for p in out_dir.glob("*.yml") if p != thresholds)
    for path in files:
        data = yaml.safe_load(path.read_text())
        for group in data.get("groups", []):
            for rule in group.get("rules", []):
                rule["expr"] = compress_windows(rule["expr"], profile.time_factor, profile.min_window)
        path.write_text("# Demo-only: range windows divided by the profile's time factor (demo/rules.py).\n"
                        + yaml.safe_dump(data, sort_keys=False, width=120))
    return files
