"""Malformed configuration (issue 12, case 7): exit 2 with a message naming the key or the
file, no traceback, in bounded time and memory, and no secret echoed."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from lookout.devstack.proc import ROOT

SECRET = "Pasted-Secret-77zq"


def _check(domain: str, config: str, timeout: float = 20.0) -> tuple[int, str, float]:
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", f"lookout.systems.{domain}.exporter", "--check-config", "--config", config],
                         capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    return res.returncode, res.stdout + res.stderr, time.monotonic() - t0


CASES = {
    "non_utf8": (b"database:\n  host: \xff\xfe\n", "not UTF-8"),
    "deep_nesting": (b"database: " + b"[" * 10000 + b"]" * 10000 + b"\n", "nested"),
    "alias_bomb": (None, "anchors (&name) are not supported"),
    "oversized": (b"# " + b"x" * (2 * 1024 * 1024) + b"\n", "larger than"),
    "nan_timeout": (b"database: {host: db}\nscrape: {default_timeout_seconds: .nan}\n", "scrape.default_timeout_seconds"),
    "inf_backoff": (b"database: {host: db, reconnect_max_backoff_seconds: .inf}\n", "database.reconnect_max_backoff_seconds"),
    "huge_number": (b"database: {host: db, connect_timeout_seconds: 1e309}\n", "database.connect_timeout_seconds"),
    "duplicate_key": (b"database: {host: db}\ndatabase: {host: other}\n", "duplicate key 'database'"),
}


def _alias_bomb() -> bytes:
    """The "billion laughs" in YAML: nine aliases per level, nine levels, under a typed key."""
    names = "abcdefghi"
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, cur in zip(names, names[1:]):
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return ("\n".join(lines) + "\ndatabase: {host: db, pool_size: *i}\n").encode()


CASES["alias_bomb"] = (_alias_bomb(), CASES["alias_bomb"][1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_config_exits_2_naming_the_problem(tmp_path, case):
    body, needle = CASES[case]
    path = tmp_path / "c.yml"
    path.write_bytes(body)
    code, out, took = _check("nectar", str(path))
    assert code == 2, out
    assert needle in out, out
    assert "Traceback" not in out
    assert took < 15, took


def test_endless_file_is_refused_after_a_bounded_read():
    code, out, took = _check("nectar", "/dev/zero")
    assert code == 2 and "/dev/zero" in out and "Traceback" not in out, out
    assert took < 15


def test_tburn_base_url_without_scheme_names_the_key(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("base_url: tburn.example:5000\n")
    code, out, _ = _check("tburn", str(path))
    assert code == 2 and "base_url" in out and "Traceback" not in out, out


def test_a_secret_pasted_into_a_wrong_typed_field_is_not_echoed(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(f"scrape: {{default_timeout_seconds: {SECRET}}}\n"
                    f"database: {{host: db, password: {SECRET}}}\n")
    code, out, _ = _check("nectar", str(path))
    assert code == 2 and "scrape.default_timeout_seconds" in out, out
    assert SECRET not in out
