"""What an exporter loads with its default configuration (issue 24): not a test of time.

Each exporter's real main runs in a child process, with a minimal configuration whose backends
are absent, is scraped once over a plain socket, and then writes the modules it has loaded. A
module that costs megabytes and is not used by that configuration must not be among them:
aiohttp (17 MB), prometheus_client (its package imports ssl and http.server), bcrypt (only with
basic-auth users) and, unless the configuration uses TLS, ssl and OpenSSL's libssl and
libcrypto (about 5 MB: the runtime imports no asyncio, whose import pulls ssl in, and PyMySQL is
imported without it when Nectar's `database.ssl_mode` is disabled, and ticks' own PostgreSQL
client imports it only for a connection that negotiates TLS). Nor asyncio itself.
"""
from __future__ import annotations

import json
import sys

import pytest
import yaml

from lookout.devstack.proc import bare_python, free_port

# Runs the exporter's main in this process; a thread scrapes it once (socket only: urllib would
# import ssl itself), records sys.modules, then sends SIGTERM. Run with `python -S` and the
# dependencies' site-packages put on sys.path by hand, as an installed wheel runs: site would run
# the editable install's finder, which imports pathlib, importlib.util and re before Lookout does.
HARNESS = r"""
import sys
sys.path.append(sys.argv.pop())
import os, signal, socket, threading, time
ns, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def probe():
    for _ in range(300):
        try:
            with socket.create_connection((b"127.0.0.1", port), timeout=10) as s:  # bytes: no idna codec
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 2\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            break
        except OSError:
            time.sleep(0.05)
    modules = sorted(sys.modules)  # before this harness imports json
    with open("/proc/self/maps") as f:
        openssl = sorted({line.split()[-1] for line in f if "/libcrypto" in line or "/libssl" in line})
    import json
    with open(out, "w") as f:
        json.dump({"status": data.split(b" ")[1].decode(), "modules": modules, "openssl": openssl}, f)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=probe, daemon=True).start()
import importlib
main = importlib.import_module(f"lookout.systems.{ns}.exporter.__main__").main
sys.argv = [f"lookout-{ns}", "--config", sys.argv[4], "--web.listen-address", f"127.0.0.1:{port}", *sys.argv[5:]]
main()
"""

CONFIGS = {
    "nectar": {"database": {"host": "127.0.0.1", "port": 1, "connect_timeout_seconds": 0.5}},
    "ticks": {"database": {"dsn": "postgresql://lookout@127.0.0.1:1/ticks", "connect_timeout_seconds": 0.5}},
    "pm2": {"daemon": {"home": "/nonexistent-pm2-home"}, "health": {"url": "http://127.0.0.1:1/server/health"}},
    "tburn": {"base_url": "http://127.0.0.1:1"},
}
NEVER = {"aiohttp", "yarl", "prometheus_client", "bcrypt", "http.server", "docker", "requests"}
NO_SSL = {"pm2", "tburn", "nectar", "ticks"}
# The runtime runs on threads and a `selectors` loop (issue 24): asyncio (about 2 MB and 25 ms
# of start-up, and `concurrent.futures` with it) in none of them.
NO_ASYNCIO = {"pm2", "tburn", "nectar", "ticks"}
# What the exporters do with code of their own instead of a library, for its resident memory
# (issue 24): PyYAML (runtime/yamlread.py, 1.35 MB), h11 and the dataclasses and inspect it brings
# (runtime/http11.py and lookout/records.py, 1.9 MB) in every exporter; the stdlib's logging
# (runtime/logs.py, 0.7 MB) and inspect where no driver brings them; psutil (1.9 MB
# with its datetime and subprocess) and datetime (0.8 MB) where /proc/meminfo and
# fields.iso_seconds serve: PM2's host collector on Linux.
OWN_CODE = {"yaml", "h11", "dataclasses"}
OWN_CODE_TOO = {"nectar": {"logging", "inspect"}, "pm2": {"logging", "inspect", "psutil", "datetime"},
                "tburn": {"logging", "inspect", "datetime"}, "ticks": {"logging", "inspect", "datetime"}}
# Start-up (issue 24): modules nothing before the first answer uses, each imported where it is
# used (the landing page, --version, --help, a failing backend's jitter, the docs' descriptor
# listing, TLS); argparse's formatter would import shutil (with bz2 and lzma) to size help text.
# Nor urllib.parse with the ipaddress it imports (lookout.netutil splits the URLs and decodes
# percent escapes: about 0.4 MB and 18 ms), nor the idna codec (stringprep and unicodedata, 9 ms)
# that socket loads for a str host name (netutil.wire_host gives an ASCII name as bytes).
# argparse (with gettext and locale, 0.5 MB and 10 ms) answers only --help, --version and usage
# errors: flags.parse reads a plain command line itself. (locale is not listed: subprocess imports
# it, and a checkout, as here, asks git for its revision; an installed wheel reads REVISION.)
# Nor the json package (about 2.5 ms) where no backend answers JSON: the logs quote values with
# its accelerator's function alone. Nor typing (about 4 ms): the runtime imports its names for
# annotations only, under TYPE_CHECKING. Nor importlib.util (about 0.4 ms): lazyssl finds the
# builtin hashes by importing them. Nor traceback with linecache and tokenize (about 2.5 ms), nor
# configparser (about 3 ms): PyMySQL, which imports them for a failed connection's format_exc()
# and for my.cnf files, gets stand-ins (nectar's db.py).
LATER = {"html", "platform", "shutil", "bz2", "lzma", "pathlib", "pkgutil", "random", "json", "typing",
         "urllib", "ipaddress", "encodings.idna", "stringprep", "unicodedata", "argparse", "gettext",
         "importlib.util", "traceback", "linecache", "tokenize", "configparser"}
# ...except where this test's configuration or a driver needs it: the absent database's backoff
# draws its jitter from random (nectar, ticks); PM2's daemon and the TBURN API answer JSON; PM2's
# and TBURN's own modules still import typing (TypedDict, Literal). Ticks' own client reads its
# DSN with netutil and connects by wire_host (its Docker module, loaded only with a `docker`
# section, uses urllib.parse and json); Nectar opens PyMySQL's socket itself, by wire_host, and
# its modules import typing's names under TYPE_CHECKING only.
JSON = {"json", "json.decoder", "json.encoder", "json.scanner"}
TYPING = {"typing", "typing.io", "typing.re"}
DRIVERS_LOAD = {"nectar": {"random"}, "ticks": {"random"}, "pm2": JSON | TYPING, "tburn": JSON | TYPING}


def loaded(tmp_path, ns: str, *args: str, config: dict | None = None) -> dict:
    cfg = tmp_path / f"{ns}.yml"
    cfg.write_text(yaml.safe_dump(config or CONFIGS[ns]))
    out = tmp_path / "modules.json"
    bare_python(HARNESS, ns, str(free_port()), str(out), str(cfg), *args)
    return json.loads(out.read_text())


@pytest.mark.parametrize("ns", sorted(CONFIGS))
def test_default_configuration_loads_only_what_it_uses(tmp_path, ns):
    got = loaded(tmp_path, ns)
    assert got["status"] == "200"
    modules = set(got["modules"])
    heavy = {m for m in modules if m.split(".")[0] in NEVER or m in NEVER}
    assert not heavy, f"lookout-{ns} loaded {sorted(heavy)} with its default configuration"
    if ns in NO_ASYNCIO:
        loop = {m for m in modules if m.split(".")[0] in ("asyncio", "concurrent")}
        assert not loop, f"lookout-{ns} loaded {sorted(loop)}"
    libraries = {m for m in modules if m.split(".")[0] in OWN_CODE | OWN_CODE_TOO.get(ns, set())}
    if sys.platform.startswith("linux") or ns != "pm2":
        assert not libraries, f"lookout-{ns} loaded {sorted(libraries)}, which Lookout's own code replaces"
    if ns in NO_SSL:
        assert "ssl" not in modules and "_hashlib" not in modules, f"lookout-{ns} loaded ssl or hashlib"
        assert not got["openssl"], f"lookout-{ns} mapped {got['openssl']}"


def test_nectar_database_tls_is_decided_by_its_configuration(tmp_path):
    """ssl_mode other than disabled: PyMySQL is imported whole (its TLS needs ssl); disabled (the
    default, above): without ssl and OpenSSL's hashes."""
    tls = {"database": {**CONFIGS["nectar"]["database"], "ssl_mode": "required"}}
    got = loaded(tmp_path, "nectar", config=tls)
    assert got["status"] == "200"
    assert {"ssl", "_hashlib", "pymysql"} <= set(got["modules"]) and got["openssl"]
    plain = loaded(tmp_path, "nectar")
    assert "pymysql" in plain["modules"] and "ssl" not in plain["modules"]


@pytest.mark.parametrize("ns", sorted(CONFIGS))
def test_start_up_defers_what_the_first_scrape_does_not_use(tmp_path, ns):
    """The start-up cost an exporter pays before its first answer is only what that answer needs:
    its own system's package (not the registry's other systems) and no module of LATER."""
    got = loaded(tmp_path, ns)
    assert got["status"] == "200"
    modules = set(got["modules"])
    early = {m for m in modules if m.split(".")[0] in LATER or m in LATER} - DRIVERS_LOAD.get(ns, set())
    assert not early, f"lookout-{ns} imported {sorted(early)} before its first answer"
    others = {m for m in modules if m.startswith("lookout.systems.") and m.split(".")[2] != ns}
    assert not others, f"lookout-{ns} imported other systems' packages: {sorted(others)}"


def test_basic_auth_loads_bcrypt_but_not_ssl(tmp_path):
    import bcrypt
    web = tmp_path / "web.yml"
    web.write_text(yaml.safe_dump({"basic_auth_users": {"p": bcrypt.hashpw(b"x", bcrypt.gensalt(4)).decode()}}))
    modules = set(loaded(tmp_path, "pm2", "--web.config.file", str(web))["modules"])
    assert "bcrypt" in modules and "ssl" not in modules
    assert "asyncio" not in modules and "concurrent" not in modules  # bcrypt checks bounded with threading


# A collector that is off costs nothing: the modules only it uses are imported when it is
# configured (psutil about 0.4 MB RSS). Nectar's process, logfile and app collectors are off by
# default; PM2's host and sync_log collectors are turned off by flag here.
OFF = {
    "nectar": ((), {"psutil", "lookout.exporters.runtime.logtail", "lookout.exporters.runtime.httpclient",
                    "lookout.systems.nectar.exporter.process", "lookout.systems.nectar.exporter.logfile",
                    "lookout.systems.nectar.exporter.app"}),
    "pm2": (("--no-collector.host", "--no-collector.sync_log"),
            {"psutil", "lookout.exporters.runtime.logtail", "lookout.systems.pm2.exporter.host",
             "lookout.systems.pm2.exporter.synclog"}),
}


@pytest.mark.parametrize("ns", sorted(OFF))
def test_a_collector_that_is_off_imports_nothing_of_its_own(tmp_path, ns):
    args, never = OFF[ns]
    got = loaded(tmp_path, ns, *args)
    assert got["status"] == "200"
    modules = set(got["modules"])
    early = {m for m in modules if m in never or m.split(".")[0] in never}
    assert not early, f"lookout-{ns} {' '.join(args)} imported {sorted(early)}"
