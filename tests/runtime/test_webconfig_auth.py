"""WebConfig.authorized on request threads: the bcrypt checks bounded (at most _CHECK_THREADS
running, _MAX_PENDING_CHECKS running or waiting, _MAX_PENDING_PER_CLIENT per client address;
past that refused at once), a cached good credential never waiting behind them.

`FakeCheck` stands in for webconfig._check (bcrypt.checkpw) so that a check lasts until the
test lets it end; the hashes are real (cost 4), so WebConfig's own set-up runs as configured.
"""
from __future__ import annotations

import base64
import threading
import time

import bcrypt
import pytest

from lookout.exporters.runtime import webconfig
from lookout.exporters.runtime.webconfig import WebConfig

GOOD = "right-pass"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class FakeCheck:
    """Counts checks running at once; each lasts until `release` (then answers like bcrypt)."""

    def __init__(self):
        self.release = threading.Event()
        self.running = self.most = self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, password: bytes, hashed: bytes) -> bool:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        self.release.wait(10)
        with self._lock:
            self.running -= 1
        return bcrypt.checkpw(password, hashed)


@pytest.fixture
def web(monkeypatch):
    fake = FakeCheck()
    monkeypatch.setattr(webconfig, "_check", fake)
    cfg = WebConfig(users={"prometheus": bcrypt.hashpw(GOOD.encode(), bcrypt.gensalt(4))})
    return cfg, fake


def _ask(cfg, header, client, results, key):
    t0 = time.monotonic()
    ok = cfg.authorized(header, client)
    results[key] = (ok, time.monotonic() - t0)


def _flood(cfg, clients: list[str]) -> tuple[list[threading.Thread], dict]:
    results: dict = {}
    threads = [threading.Thread(target=_ask, args=(cfg, _basic("prometheus", f"wrong-{i}"), c, results, i))
               for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    return threads, results


def test_checks_are_bounded_and_the_rest_refused_at_once(web):
    cfg, fake = web
    threads, results = _flood(cfg, [f"10.0.0.{i}" for i in range(20)])  # 20 clients, one each
    time.sleep(0.5)
    refused_at_once = [k for k, (ok, took) in results.items() if not ok and took < 0.5]
    assert len(refused_at_once) == 20 - webconfig._MAX_PENDING_CHECKS
    assert fake.most == webconfig._CHECK_THREADS
    fake.release.set()
    for t in threads:
        t.join(10)
    assert all(not ok for ok, _ in results.values())
    assert fake.calls == webconfig._MAX_PENDING_CHECKS


def test_one_client_holds_only_its_share(web):
    cfg, fake = web
    threads, results = _flood(cfg, ["10.0.0.1"] * 6)
    time.sleep(0.5)
    assert len(results) == 6 - webconfig._MAX_PENDING_PER_CLIENT  # refused at once
    other: dict = {}
    first_login = threading.Thread(target=_ask, args=(cfg, _basic("prometheus", GOOD), "10.0.0.2", other, 0))
    first_login.start()
    time.sleep(0.2)
    fake.release.set()
    first_login.join(10)
    for t in threads:
        t.join(10)
    assert other[0][0] is True  # another address's first login was checked and let in


def test_a_cached_credential_does_not_wait_behind_stuck_checks(web):
    cfg, fake = web
    fake.release.set()
    assert cfg.authorized(_basic("prometheus", GOOD), "10.0.0.9") is True  # now cached
    fake.release.clear()
    threads, _ = _flood(cfg, [f"10.0.0.{i}" for i in range(20)])
    time.sleep(0.3)
    t0 = time.monotonic()
    assert cfg.authorized(_basic("prometheus", GOOD), "10.0.0.9") is True
    assert time.monotonic() - t0 < 0.2
    fake.release.set()
    for t in threads:
        t.join(10)


def test_a_check_that_cannot_start_in_time_is_refused(web, monkeypatch):
    cfg, fake = web
    monkeypatch.setattr(webconfig, "_CHECK_WAIT_SECONDS", 0.3)
    threads, results = _flood(cfg, ["10.0.0.1", "10.0.0.2", "10.0.0.3"])  # the third waits for a turn
    time.sleep(1.0)
    assert [ok for ok, took in results.values()] == [False] and 0.25 < list(results.values())[0][1] < 0.9
    fake.release.set()
    for t in threads:
        t.join(10)
    assert fake.calls == 2
