"""The DSN read as libpq reads it, and the description messages show of it.

The expected values come from libpq's URI parser (src/interfaces/libpq/fe-connect.c,
conninfo_uri_parse_options): the user and password are everything before the first `@` that
comes before any `/`, so `#` and `?` there belong to the password."""
from __future__ import annotations

import pytest

from lookout.systems.ticks.exporter.database import _describe_target
from lookout.systems.ticks.exporter.dsn import Params


@pytest.mark.parametrize("password", ["12#34", "1234?sslmode=disable", "9[9]x", "55#", "#", "a:b#1"])
def test_a_password_with_a_fragment_or_query_character_is_the_password(password):
    p = Params(f"postgresql://ticks:{password}@db.example:6432/ticks?sslmode=require")
    assert (p.user, p.password, p.host, p.port, p.database, p.sslmode) == \
           ("ticks", password, "db.example", 6432, "ticks", "require")


@pytest.mark.parametrize("password", ["12#34", "6543?x", "1#"])
def test_the_description_never_shows_a_piece_of_the_password(password):
    where = _describe_target(f"postgresql://ticks:{password}@db.example:6432/ticks")
    assert where == "PostgreSQL at db.example:6432/ticks"


def test_the_query_and_a_password_without_userinfo_stay_as_they_were():
    p = Params("postgresql://db.example/ticks?sslmode=disable&application_name=lk#x")
    assert (p.host, p.port, p.database, p.sslmode, p.settings) == \
           ("db.example", 5432, "ticks", "disable", {"application_name": "lk"})
    assert _describe_target("postgresql://db.example/ticks") == "PostgreSQL at db.example:5432/ticks"


def test_the_configuration_accepts_such_a_password_and_redacts_it_whole():
    from lookout.exporters.runtime import redact
    from lookout.exporters.runtime.secrets import Secret
    from lookout.systems.ticks.exporter.config import DatabaseConfig

    DatabaseConfig(dsn=Secret("postgresql://ticks:zq9#wx7v@db.example:5432/ticks")).validate("database")
    assert "zq9#wx7v" not in redact("the server said: password zq9#wx7v is wrong")
