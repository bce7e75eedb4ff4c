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
import builtins
import math
import os
import sys

from . import yamlread
from .secrets import Secret, redact, remember

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any, Mapping

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
        hints = field_types(cls)
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
        for name, typ in field_types(cls).items():
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
        if isinstance(typ, ListOf):
            item = typ.item
            if not isinstance(raw, list):
                raise ConfigError(key, "expected a list")
            return [self._value(item, v, f"{key}[{i}]") for i, v in enumerate(raw)]
        if isinstance(typ, DictOf):
            item = typ.item
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


# A record field's type, as the Loader reads it: a class (str, int, float, bool, Secret, a
# record), or one of these.
class ListOf:
    def __init__(self, item: Any):
        self.item = item

    def __repr__(self) -> str:
        return f"list[{self.item!r}]"


class DictOf:  # keys are strings
    def __init__(self, item: Any):
        self.item = item

    def __repr__(self) -> str:
        return f"dict[str, {self.item!r}]"


class OneOf:  # Literal[...]
    def __init__(self, values: tuple):
        self.values = values

    def __repr__(self) -> str:
        return f"Literal{list(self.values)!r}"


class OptionalOf:  # X | None, Optional[X]
    def __init__(self, inner: Any):
        self.inner = inner

    def __repr__(self) -> str:
        return f"Optional[{self.inner!r}]"


_TYPES: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """{field name: type} of a record class, read from its annotations as written (the modules
    use `from __future__ import annotations`, so they are strings): a class named in the module
    or the builtins, `X | None`, `Optional[X]`, `list[X]`, `dict[str, X]`, `Literal["a", "b"]`,
    or a name bound to such a typing object. Not typing.get_type_hints, whose import and
    evaluation of every annotation cost an exporter about 0.4 MB and 12 million instructions of
    start-up (issue 24). ConfigError for an annotation it cannot read (a programming error)."""
    known = _TYPES.get(cls)
    if known is None:
        names = vars(sys.modules[cls.__module__])
        known = _TYPES[cls] = {f.name: _annotation(f.type, names, cls) for f in records.fields(cls)}
    return known


def _annotation(text: Any, names: dict, cls: type) -> Any:
    if not isinstance(text, str):
        return _typing_object(text, cls)
    text = text.strip()
    parts = _split_top(text, "|")
    if len(parts) > 1:
        if len(parts) == 2 and "None" in parts:
            parts.remove("None")
            return OptionalOf(_annotation(parts[0], names, cls))
        raise ConfigError("", f"{cls.__qualname__}: unsupported annotation {text!r}")
    head, bracket, rest = text.partition("[")
    if bracket:
        if not rest.endswith("]"):
            raise ConfigError("", f"{cls.__qualname__}: unsupported annotation {text!r}")
        inner = rest[:-1]
        head = head.strip()
        if head in ("Optional", "typing.Optional"):
            return OptionalOf(_annotation(inner, names, cls))
        if head in ("list", "List", "typing.List"):
            return ListOf(_annotation(inner, names, cls))
        if head in ("dict", "Dict", "typing.Dict"):
            key, value = (_split_top(inner, ",") + [""])[:2]
            if key != "str" or not value:
                raise ConfigError("", f"{cls.__qualname__}: only str keys are supported, not {text!r}")
            return DictOf(_annotation(value, names, cls))
        if head in ("Literal", "typing.Literal"):
            return OneOf(tuple(_literal(v.strip(), text, cls) for v in inner.split(",")))
        raise ConfigError("", f"{cls.__qualname__}: unsupported annotation {text!r}")
    if text == "None":
        return type(None)
    value = names.get(text, getattr(builtins, text, None))
    if value is None:
        raise ConfigError("", f"{cls.__qualname__}: unknown type {text!r}")
    return value if isinstance(value, type) else _typing_object(value, cls)


def _split_top(text: str, sep: str) -> list[str]:
    """`text` split at each `sep` outside brackets, each part stripped."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return parts + [text[start:].strip()]


def _literal(text: str, whole: str, cls: type) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1]:
        return text[1:-1]
    if text.lstrip("-").isdigit():
        return int(text)
    raise ConfigError("", f"{cls.__qualname__}: unsupported Literal value {text!r} in {whole!r}")


def _typing_object(obj: Any, cls: type) -> Any:
    """A type alias the module built with typing itself (`SslMode = Literal[...]`, Optional[X]):
    typing is already imported there."""
    import typing
    origin, args = typing.get_origin(obj), typing.get_args(obj)
    if origin is typing.Literal:
        return OneOf(args)
    if origin is typing.Union and len(args) == 2 and type(None) in args:
        return OptionalOf(_typing_object(args[0] if args[1] is type(None) else args[1], cls))
    if origin is list:
        return ListOf(_typing_object(args[0], cls))
    if origin is dict and args[0] is str:
        return DictOf(_typing_object(args[1], cls))
    if isinstance(obj, type):
        return obj
    raise ConfigError("", f"{cls.__qualname__}: unsupported annotation {obj!r}")


def _is_optional(typ: Any) -> bool:
    return isinstance(typ, OptionalOf)


def _strip_optional(typ: Any) -> Any:
    return typ.inner if isinstance(typ, OptionalOf) else typ


def _is_secret(typ: Any) -> bool:
    return _strip_optional(typ) is Secret


def _is_scalar(typ: Any) -> bool:
    typ = _strip_optional(typ)
    return typ in (str, int, float, bool) or isinstance(typ, OneOf)


from .fields import FALSE_WORDS as _FALSE, TRUE_WORDS as _TRUE  # noqa: E402  one word set for config and fields


def _coerce(typ: Any, raw: Any, key: str, from_env: bool = False) -> Any:
    typ = _strip_optional(typ)
    where = " (from the environment)" if from_env else ""
    if isinstance(typ, OneOf):
        allowed = typ.values
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
