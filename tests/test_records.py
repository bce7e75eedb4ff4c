"""lookout/records.py against `dataclasses`, the reference it stands in for in the exporters (issue 24):
the same class bodies decorated both ways must behave alike."""
from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import pytest

from lookout import records


def both(body, frozen: bool = False):
    """The class `body` builds, decorated by dataclasses and by records."""
    return (dataclasses.dataclass(frozen=frozen)(body(dataclasses.field)),
            records.record(frozen=frozen)(body(records.field)))


def point(field):
    class Point:
        x: int
        y: int = 2
        tags: list = field(default_factory=list)
        meta: str = field(default="m", metadata={"required": True})
        kind: ClassVar[str] = "point"
    return Point


@pytest.mark.parametrize("frozen", [False, True])
def test_init_defaults_repr_and_eq_match_dataclasses(frozen):
    d, r = both(point, frozen)
    for args, kwargs in (((1,), {}), ((1, 3), {}), ((1,), {"tags": [1]}), ((), {"x": 5, "meta": "z"})):
        a, b = d(*args, **kwargs), r(*args, **kwargs)
        assert repr(a) == repr(b)
        assert [getattr(a, f.name) for f in dataclasses.fields(a)] == [getattr(b, f.name) for f in records.fields(b)]
    assert r(1) == r(1) and r(1) != r(2) and r(1).__eq__(d(1)) is NotImplemented
    assert r(1).tags is not r(1).tags
    assert r.kind == "point" and "kind" not in [f.name for f in records.fields(r)]
    with pytest.raises(TypeError):
        r()
    with pytest.raises(TypeError):
        d()


def test_fields_carry_names_defaults_factories_and_metadata():
    d, r = both(point)
    for fd, fr in zip(dataclasses.fields(d), records.fields(r), strict=True):
        assert (fd.name, fd.type, fd.default is dataclasses.MISSING, fd.default_factory is dataclasses.MISSING,
                dict(fd.metadata)) == \
               (fr.name, fr.type, fr.default is records.MISSING, fr.default_factory is records.MISSING, dict(fr.metadata))
        if fd.default is not dataclasses.MISSING:
            assert fd.default == fr.default


def test_frozen_refuses_assignment_and_hashes_by_fields():
    d, r = both(point, frozen=True)
    a, b = d(1, tags=()), r(1, tags=())
    for obj, error in ((a, dataclasses.FrozenInstanceError), (b, records.FrozenInstanceError)):
        with pytest.raises(error):
            obj.x = 3
        with pytest.raises(AttributeError):
            del obj.y
    assert hash(b) == hash(r(1, tags=())) and {b, r(1, tags=())} == {b}
    mutable_d, mutable_r = both(point)
    with pytest.raises(TypeError):
        hash(mutable_d(1))
    with pytest.raises(TypeError):
        hash(mutable_r(1))


def test_inheritance_post_init_and_replace():
    def family(field):
        class Base:
            name: str
            help: str = ""

            def __post_init__(self):
                object.__setattr__(self, "checked", self.name.upper())

        class Child(Base):
            kind: str = "gauge"
            help: str = "redefined"

            def __post_init__(self):
                super().__post_init__()
                object.__setattr__(self, "twice", self.kind * 2)
        return Base, Child

    dbase, dchild = family(dataclasses.field)
    dataclasses.dataclass(frozen=True)(dbase)
    dchild = dataclasses.dataclass(frozen=True)(dchild)
    base, child = family(records.field)
    records.record(frozen=True)(base)
    child = records.record(frozen=True)(child)
    c, dc = child("up"), dchild("up")
    assert [f.name for f in records.fields(c)] == [f.name for f in dataclasses.fields(dc)]  # a redefined field keeps its place
    assert (dc.help, dc.checked, dc.twice) == ("redefined", "UP", "gaugegauge")
    assert (c.help, c.checked, c.twice) == ("redefined", "UP", "gaugegauge")
    c2 = records.replace(c, kind="counter")
    assert (c2.name, c2.kind, c2.twice) == ("up", "counter", "countercounter")
    assert records.is_record(c) and records.is_record(child) and not records.is_record(object())


def test_nan_fields_compare_like_dataclasses():
    d, r = both(point)
    nan = math.nan
    assert (d(nan) == d(nan)) == (r(nan) == r(nan))  # the same NaN object: equal, as tuples compare
    assert (d(nan) == d(float("nan"))) == (r(nan) == r(float("nan")))
    a, b = d(1, meta=nan), r(1, meta=nan)
    assert (a == dataclasses.replace(a)) == (b == records.replace(b))


def test_bad_definitions_are_refused_like_dataclasses():
    def unordered(field):
        class Bad:
            a: int = 1
            b: int
        return Bad

    def mutable(field):
        class Bad:
            a: list = []
        return Bad
    for body, error in ((unordered, TypeError), (mutable, ValueError)):
        with pytest.raises(error):
            dataclasses.dataclass(body(dataclasses.field))
        with pytest.raises(error):
            records.record(body(records.field))
