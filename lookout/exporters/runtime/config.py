"""Typed configuration from YAML, with environment overrides and secrets from files.

Each exporter describes its configuration as records (lookout.records). The loader walks that
schema, so every error can name the exact key (`database.port: expected an integer`).

Environment overrides: `<NS>_<PATH>`, the path's keys upper-cased and joined by `__`,
for example `NECTAR_DATABASE__HOST`. A Secret field `password` may also come from
`password_file:` in YAML or `NECTAR_DATABASE__PASSWORD_FILE`, so no secret ever has
to sit in the config file.
"""
from __future__ import annotations

from lookout import records
import math
import os
import types
import typing
from typing import Any, Literal, Mapping

from . import yamlread
from .secrets import Secret, redact, remember

_MISSING = object()


class ConfigError(Exception):
    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key


def required(**metadata) -> Any:
    """A field with no default: the config must set it."""
    return records.field(metadata={"required": True, **metadata})


class Loader:
    def __init__(self, env_prefix: str, environ: Mapping[str, str] | None = None):
        self.env_prefix = env_prefix.upper()
        self.environ = os.environ if environ is None else environ

    def env_name(self, path: str) -> str:
        return f"{self.env_prefix}_{path.replace('.', '__').upper()}"

    def load(self, cls: type, data: Any, path: str = "") -> Any:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(path, f"expected a mapping, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in records.fields(cls)}
        secret_files = {f"{n}_file" for n, t in hints.items() if _is_secret(t)}
        for key in data:
            if key not in fields and key not in secret_files:
                raise ConfigError(_join(path, str(key)), f"unknown key (known: {', '.join(sorted(fields))})")
        kwargs = {}
        for name, f in fields.items():
            key = _join(path, name)
            typ = hints[name]
            if _is_secret(typ):
                value = self._secret(data, name, key)
            else:
                raw = self.environ.get(self.env_name(key), _MISSING)
                if raw is not _MISSING and _is_scalar(typ):
                    value = _coerce(typ, raw, key, from_env=True)
                elif name in data:
                    value = self._value(typ, data[name], key)
                elif records.is_record(_strip_optional(typ)) and not f.metadata.get("required"):
                    # Absent section: its defaults, plus any environment overrides below it.
                    # An optional section (default None) stays off unless the environment sets it.
                    if _is_optional(typ) and not self._env_below(key):
                        continue
                    value = self.load(_strip_optional(typ), {}, key)
                elif f.metadata.get("required"):
                    raise ConfigError(key, f"required (set it in the file or in {self.env_name(key)})")
                else:
                    continue  # dataclass default
            kwargs[name] = value
        try:
            obj = cls(**kwargs)
        except TypeError as exc:
            raise ConfigError(path, str(exc)) from None
        check = getattr(obj, "validate", None)
        if check:
            try:
                check(path)
            except ConfigError:
                raise
            except (ValueError, TypeError, OverflowError) as exc:  # a validator's own slip: still exit 2
                raise ConfigError(path, redact(str(exc))) from None
        return obj

    def remember_secrets(self, cls: type, data: Any, path: str = "") -> None:
        """Register every secret value in `data` (and the environment) before anything is
        validated, so an error about any key, even one loaded earlier, can redact them."""
        if not isinstance(data, dict) or not records.is_record(cls):
            return
        for name, typ in typing.get_type_hints(cls).items():
            key = _join(path, name)
            if _is_secret(typ):
                for value in (data.get(name), self.environ.get(self.env_name(key))):
                    if isinstance(value, str):
                        remember(value)
            elif records.is_record(_strip_optional(typ)):
                self.remember_secrets(_strip_optional(typ), data.get(name), key)

    def _env_below(self, key: str) -> bool:
        prefix = self.env_name(key) + "__"
        return any(k.startswith(prefix) for k in self.environ)

    def _secret(self, data: dict, name: str, key: str) -> Secret:
        if isinstance(data.get(name), str):
            remember(data[name])  # even when overridden below: it must never be echoed either
        env_value = self.environ.get(self.env_name(key))
        env_file = self.environ.get(self.env_name(key) + "_FILE")
        file_key = f"{name}_file"
        if env_value is not None:
            return Secret(env_value)
        source, file_path = None, None
        if env_file:
            source, file_path = self.env_name(key) + "_FILE", env_file
        elif data.get(file_key):
            source, file_path = _join(key.rpartition(".")[0], file_key), str(data[file_key])
        if file_path:
            return Secret(_read_secret_file(file_path, source))
        raw = data.get(name, "")
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raise ConfigError(key, "expected a string")
        return Secret(raw)

    def _value(self, typ: Any, raw: Any, key: str) -> Any:
        typ = _strip_optional(typ) if raw is not None else typ
        if raw is None:
            if _is_optional(typ):
                return None
            raise ConfigError(key, "must not be empty")
        if records.is_record(typ):
            return self.load(typ, raw, key)
        origin = typing.get_origin(typ)
        if origin is list:
            (item,) = typing.get_args(typ)
            if not isinstance(raw, list):
                raise ConfigError(key, "expected a list")
            return [self._value(item, v, f"{key}[{i}]") for i, v in enumerate(raw)]
        if origin is dict:
            _, item = typing.get_args(typ)
            if not isinstance(raw, dict):
                raise ConfigError(key, "expected a mapping")
            return {str(k): self._value(item, v, _join(key, str(k))) for k, v in raw.items()}
        return _coerce(typ, raw, key)


def _read_secret_file(path: str, key: str) -> str:
    """The stripped UTF-8 text of a secret file; ConfigError naming `key` otherwise.

    Bounded like the config file itself: a path to /dev/zero or a FIFO must not hang the
    process or fill its memory.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(key, f"cannot read secret file {path}: {exc.strerror}") from None
    if len(raw) > MAX_SECRET_BYTES:
        raise ConfigError(key, f"secret file {path} is larger than {MAX_SECRET_BYTES} bytes")
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ConfigError(key, f"secret file {path} is not UTF-8 text (byte {exc.start})") from None


def _shown(raw: Any) -> str:
    """A value for an error message: short, and scrubbed of every known secret."""
    text = repr(raw)
    return redact(text if len(text) <= 60 else text[:57] + "...")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_optional(typ: Any) -> bool:
    return typing.get_origin(typ) in (typing.Union, types.UnionType) and type(None) in typing.get_args(typ)


def _strip_optional(typ: Any) -> Any:
    if _is_optional(typ):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        return args[0] if len(args) == 1 else typ
    return typ


def _is_secret(typ: Any) -> bool:
    return _strip_optional(typ) is Secret


def _is_scalar(typ: Any) -> bool:
    typ = _strip_optional(typ)
    return typ in (str, int, float, bool) or typing.get_origin(typ) is Literal


from .fields import FALSE_WORDS as _FALSE, TRUE_WORDS as _TRUE  # noqa: E402  one word set for config and fields


def _coerce(typ: Any, raw: Any, key: str, from_env: bool = False) -> Any:
    typ = _strip_optional(typ)
    where = " (from the environment)" if from_env else ""
    if typing.get_origin(typ) is Literal:
        allowed = typing.get_args(typ)
        if raw not in allowed:
            raise ConfigError(key, f"must be one of {', '.join(map(str, allowed))}, got {_shown(raw)}{where}")
        return raw
    if typ is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ConfigError(key, f"expected true or false, got {_shown(raw)}{where}")
    if typ is int:
        if isinstance(raw, bool):
            raise ConfigError(key, f"expected an integer, got {_shown(raw)}{where}")
        try:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(raw)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(key, f"expected an integer, got {_shown(raw)}{where}") from None
    if typ is float:
        if isinstance(raw, bool):
            raise ConfigError(key, f"expected a number, got {_shown(raw)}{where}")
        try:
            value = float(raw)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(key, f"expected a number, got {_shown(raw)}{where}") from None
        if not math.isfinite(value):  # YAML's .inf and .nan, or 1e309
            raise ConfigError(key, f"expected a finite number, got {_shown(raw)}{where}")
        return value
    if typ is str:
        if isinstance(raw, (dict, list)):
            raise ConfigError(key, f"expected a string, got a {type(raw).__name__}{where}")
        return str(raw)
    raise ConfigError(key, f"unsupported type {typ!r}")


# Configuration files are a few KiB; the caps bound what a wrong path (/dev/zero, a log file)
# or a hostile file costs before it is refused.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_SECRET_BYTES = 64 * 1024  # passwords, tokens, cookies; a certificate is not read through here
MAX_DEPTH = 32
MAX_NODES = 100_000  # keys, values and collections; aliases (the alias bomb) are refused outright


def read_yaml(path: str | None) -> dict:
    """The mapping in the YAML file at `path` ({} for none or an empty file).

    Raises ConfigError naming the file for anything but a small, UTF-8, well-formed mapping
    without duplicate keys: never more than MAX_CONFIG_BYTES are read. The YAML is read by
    yamlread (the subset configuration files use, valued as PyYAML's SafeLoader values it),
    not PyYAML, whose import costs an exporter 1.35 MB (issue 24).
    """
    if not path:
        return {}
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError("", f"cannot read config file {path}: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError("", f"{path} is larger than {MAX_CONFIG_BYTES} bytes; not a configuration file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("", f"{path} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = yamlread.load(text, max_depth=MAX_DEPTH, max_nodes=MAX_NODES)
    except yamlread.LimitError as exc:
        if exc.limit == "depth":
            raise ConfigError("", f"{path} is nested more than {MAX_DEPTH} levels deep") from None
        raise ConfigError("", f"{path} holds more than {MAX_NODES} values") from None
    except yamlread.YAMLError as exc:
        # The problem never quotes the file, except a duplicate key's name: redacted all the same.
        raise ConfigError("", f"{path} is not valid YAML at line {exc.line}: {redact(exc.problem)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("", f"{path} must hold a mapping at the top level")
    return data


def positive(key: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(key, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")
