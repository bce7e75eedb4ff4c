"""The schema-driven config loader: types, nesting, env overrides, secrets from files."""
from lookout.records import record, field
from typing import Literal, Optional

import pytest

from lookout.exporters.runtime import ConfigError, Secret, redact, required
from lookout.exporters.runtime.config import Loader


@record
class Inner:
    port: int = 1
    ratio: float = 0.5
    on: bool = False
    mode: Literal["a", "b"] = "a"
    token: Secret = field(default_factory=Secret)


@record
class Outer:
    name: str = required()
    inner: Inner = field(default_factory=Inner)
    optional: Optional[Inner] = None
    paths: list[str] = field(default_factory=list)
    patterns: dict[str, str] = field(default_factory=dict)


def load(data, env=None):
    return Loader("t", env or {}).load(Outer, data)


def test_types_and_defaults():
    cfg = load({"name": "x", "inner": {"port": "7", "ratio": 2, "on": "yes", "mode": "b"}, "paths": ["/a"]})
    assert (cfg.inner.port, cfg.inner.ratio, cfg.inner.on, cfg.inner.mode) == (7, 2.0, True, "b")
    assert cfg.optional is None and cfg.paths == ["/a"]


@pytest.mark.parametrize("data,key", [
    ({}, "name"),
    ({"name": "x", "inner": {"port": 1.5}}, "inner.port"),
    ({"name": "x", "inner": {"on": "maybe"}}, "inner.on"),
    ({"name": "x", "inner": {"mode": "c"}}, "inner.mode"),
    ({"name": "x", "inner": []}, "inner"),
    ({"name": "x", "paths": "/a"}, "paths"),
    ({"name": "x", "paths": [{"a": 1}]}, "paths[0]"),
    ({"name": "x", "patterns": {"k": ["v"]}}, "patterns.k"),
    ({"name": "x", "inner": {"token": 5}}, "inner.token"),
])
def test_errors_name_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        load(data)
    assert err.value.key == key


def test_environment_overrides_reach_absent_sections():
    cfg = load({"name": "x"}, {"T_INNER__PORT": "9", "T_OPTIONAL__RATIO": "0.25", "T_NAME": "y"})
    assert cfg.name == "y" and cfg.inner.port == 9 and cfg.optional.ratio == 0.25


def test_secret_sources_and_masking(tmp_path):
    f = tmp_path / "tok"
    f.write_text("file-token-123\n")
    assert load({"name": "x", "inner": {"token_file": str(f)}}).inner.token.reveal() == "file-token-123"
    assert load({"name": "x"}, {"T_INNER__TOKEN_FILE": str(f)}).inner.token.reveal() == "file-token-123"
    cfg = load({"name": "x", "inner": {"token": "yaml-token-456"}}, {"T_INNER__TOKEN": "env-token-789"})
    assert cfg.inner.token.reveal() == "env-token-789"
    assert "env-token-789" not in repr(cfg) and "yaml-token-456" not in redact(f"saw yaml-token-456 {cfg}")


def test_redact_dsns_and_key_values():
    assert redact("postgresql://ticks:hunter22@db:5432/x failed") == "postgresql://ticks:***@db:5432/x failed"
    assert redact("host=db password='pa ss' user=u") .startswith("host=db password='***")


def test_unreadable_secret_files_fail_naming_the_key(tmp_path):
    # A secret file that never ends (/dev/zero, a FIFO, a mistyped device) or is binary must
    # be a ConfigError naming the key (exit 2), not a hang eating memory or a traceback.
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\xd0\x00token")
    for path, problem in ((str(binary), "not UTF-8"), ("/dev/zero", "larger than")):
        with pytest.raises(ConfigError, match=rf"^inner\.token_file: .*{problem}"):
            load({"name": "x", "inner": {"token_file": path}})
        with pytest.raises(ConfigError, match=rf"^T_INNER__TOKEN_FILE: .*{problem}"):
            load({"name": "x"}, {"T_INNER__TOKEN_FILE": path})
