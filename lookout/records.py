"""Record classes: the part of `dataclasses` the exporters use, without importing it.

Why: `dataclasses` imports `inspect` (with `ast`, `dis` and `tokenize`), about 1.25 MB of resident
memory in every exporter (issue 24: the PM2 exporter's budget is 17 MB). The exporters' records
(configuration sections, descriptors, the systems' registry) need only what is here:

- `@record` / `@record(frozen=True)`: `__init__` from the annotated fields in definition order,
  base classes' fields first (a field with a default may not precede one without); defaults and
  `field(default_factory=...)`; `__post_init__` when defined; `__repr__` and `__eq__` as
  dataclasses writes them; frozen records refuse assignment (FrozenInstanceError, an
  AttributeError) and hash by their fields; mutable ones are unhashable, as with dataclasses.
- `field(default=..., default_factory=..., metadata=...)`, `fields(record_or_class)` (objects with
  `name`, `type`, `default`, `default_factory`, `metadata`), `is_record`, `replace`, `MISSING`.

`ClassVar` annotations are not fields. tests/test_records.py checks each behaviour against
`dataclasses` itself.
"""
from __future__ import annotations

from types import MappingProxyType

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any, Callable


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_EMPTY = MappingProxyType({})


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    __slots__ = ("name", "type", "default", "default_factory", "metadata")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, metadata: Any = None):
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None
        self.default, self.default_factory = default, default_factory
        self.metadata = _EMPTY if metadata is None else MappingProxyType(dict(metadata))

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING, metadata: Any = None) -> Any:
    return Field(default, default_factory, metadata)


def fields(obj: Any) -> tuple[Field, ...]:
    """The record's fields in `__init__` order; TypeError for anything else."""
    try:
        return tuple(getattr(obj, "__record_fields__").values())
    except AttributeError:
        raise TypeError("must be called with a record class or instance") from None


def is_record(obj: Any) -> bool:
    return hasattr(obj if isinstance(obj, type) else type(obj), "__record_fields__")


def replace(obj: Any, **changes: Any) -> Any:
    """A new record like `obj` with `changes` (through `__init__`, so `__post_init__` runs)."""
    for f in fields(obj):
        changes.setdefault(f.name, getattr(obj, f.name))
    return type(obj)(**changes)


def record(cls: type | None = None, *, frozen: bool = False):
    def wrap(c: type) -> type:
        return _process(c, frozen)
    return wrap if cls is None else wrap(cls)


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _process(cls: type, frozen: bool) -> type:
    all_fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        all_fields.update(getattr(base, "__record_fields__", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name, f.type = name, annotation
        if f.default is not MISSING and type(f.default).__hash__ is None:  # dataclasses' rule
            raise ValueError(f"mutable default {type(f.default).__name__} for field {name}: use default_factory")
        if f.default is MISSING:
            if name in cls.__dict__:
                delattr(cls, name)
        else:
            setattr(cls, name, f.default)
        all_fields[name] = f  # a base's field redefined keeps its place, as in dataclasses
    cls.__record_fields__ = all_fields
    _check_order(cls, all_fields)
    glob: dict[str, Any] = {"MISSING": MISSING, "__object_setattr": object.__setattr__}
    params, body = [], []
    for f in all_fields.values():
        if f.default_factory is not MISSING:
            glob[f"__factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            value = f"__factory_{f.name}() if {f.name} is MISSING else {f.name}"
        elif f.default is not MISSING:
            glob[f"__default_{f.name}"] = f.default
            params.append(f"{f.name}=__default_{f.name}")
            value = f.name
        else:
            params.append(f.name)
            value = f.name
        body.append(f"__object_setattr(self, {f.name!r}, {value})" if frozen else f"self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(body or ["pass"])
    if not params:
        source = "def __init__(self):\n    " + "\n    ".join(body or ["pass"])
    local: dict[str, Any] = {}
    exec(source, glob, local)
    init = local["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init
    names = tuple(all_fields)
    if "__repr__" not in cls.__dict__:
        def __repr__(self) -> str:
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
            return f"{type(self).__qualname__}({inner})"
        cls.__repr__ = __repr__
    if "__eq__" not in cls.__dict__:
        def __eq__(self, other: Any) -> bool:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
        cls.__eq__ = __eq__
    if frozen:
        def __setattr__(self, name: str, value: Any) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self, name: str) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)
        cls.__setattr__, cls.__delattr__ = __setattr__, __delattr__
    own = cls.__dict__
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:
        cls.__hash__ = (lambda self: hash(tuple(getattr(self, n) for n in names))) if frozen else None
    return cls


def _check_order(cls: type, all_fields: dict[str, Field]) -> None:
    seen_default = False
    for f in all_fields.values():
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument in {cls.__qualname__}")
        seen_default = seen_default or has_default
