"""config.field_types reads the configuration records' annotations without typing (issue 24:
start-up) and must give what typing.get_type_hints, the reference, gives for each of them."""
from __future__ import annotations

import types
import typing

import pytest

from lookout import records
from lookout.exporters.runtime import config
from lookout.exporters.runtime.settings import RuntimeSettings
from lookout.systems.nectar.exporter.config import NectarConfig
from lookout.systems.pm2.exporter.config import Pm2Config
from lookout.systems.tburn.exporter.config import TburnConfig
from lookout.systems.ticks.exporter.config import TicksConfig


def reference(typ):
    """typing's answer in field_types' terms."""
    origin, args = typing.get_origin(typ), typing.get_args(typ)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return ("optional", reference(inner))
    if origin is typing.Literal:
        return ("literal", args)
    if origin is list:
        return ("list", reference(args[0]))
    if origin is dict:
        assert args[0] is str
        return ("dict", reference(args[1]))
    return typ


def ours(typ):
    if isinstance(typ, config.OptionalOf):
        return ("optional", ours(typ.inner))
    if isinstance(typ, config.OneOf):
        return ("literal", typ.values)
    if isinstance(typ, config.ListOf):
        return ("list", ours(typ.item))
    if isinstance(typ, config.DictOf):
        return ("dict", ours(typ.item))
    return typ


def record_classes():
    seen, todo = [], [RuntimeSettings, NectarConfig, Pm2Config, TburnConfig, TicksConfig]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for typ in hints(cls).values():
            todo += [a for a in (typ, *typing.get_args(typ), *sum(map(typing.get_args, typing.get_args(typ)), ()))
                     if records.is_record(a)]
    return seen


def hints(cls):
    # The modules may name typing's Optional and Literal only for type checkers.
    return typing.get_type_hints(cls, localns={"Optional": typing.Optional, "Literal": typing.Literal})


@pytest.mark.parametrize("cls", record_classes(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_field_types_are_typing_s(cls):
    want = {name: reference(t) for name, t in hints(cls).items()}
    assert {name: ours(t) for name, t in config.field_types(cls).items()} == want


@pytest.mark.parametrize("annotation", ["int | str", "set[str]", "dict[int, str]", "Nowhere", "list[str"])
def test_an_annotation_it_cannot_read_is_a_config_error(annotation):
    @records.record
    class Odd:
        x: int = 0
    records.fields(Odd)[0].type = annotation
    with pytest.raises(config.ConfigError):
        config.field_types(Odd)
