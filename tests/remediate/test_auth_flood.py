"""The receiver behind basic auth under a flood of wrong passwords (issue 24: WebConfig.authorized
blocks now, so the receiver runs it off its aiohttp loop): an authorised request whose
credentials were verified once is answered promptly however many wrong ones queue."""
from __future__ import annotations

import base64
import time

import bcrypt

from lookout.devstack.proc import Flood, http_get

USER, GOOD = "alertmanager", "am-hook-pw-7731"


def _basic(password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()}


def test_wrong_password_flood_does_not_delay_a_verified_client(receiver, tmp_path):
    hashed = bcrypt.hashpw(GOOD.encode(), bcrypt.gensalt(rounds=10)).decode()  # exporter-toolkit's usual cost
    r = receiver({"dry_run": True, "actions": {}}, web_config={"basic_auth_users": {USER: hashed}})
    url = r.url + "/-/healthy"
    assert http_get(url, _basic(GOOD), timeout=10)[0] == 200  # verified once, cached
    with Flood(url, _basic("wrong-password")):
        time.sleep(1.0)
        took = []
        for _ in range(10):
            t0 = time.monotonic()
            assert http_get(url, _basic(GOOD), timeout=10)[0] == 200
            took.append(time.monotonic() - t0)
    assert max(took) < 1.0, took
