"""lookout.netutil's urlsplit, unquote and parse_qsl give what urllib.parse gives (the reference), without
importing it at start-up (issue 24)."""
from __future__ import annotations

import urllib.parse

import pytest

from lookout import netutil

URLS = [
    "http://127.0.0.1:3001/server/health", "https://example.org", "http://host:8080", "HTTP://Host.Example:80/a?b=c#d",
    "http://user:pw@host:1/p", "http://user@host/", "http://:pw@host", "http://host:/x", "http://host:port/x",
    "http://host:99999/", "http://host:-1/", "http://host:٣/", "  http://host/path\t\n", "\x00\x1fhttp://h/",
    "http://h/a?b?c#d#e", "http://h#frag?x", "http://h?q", "//host/path", "/just/a/path", "relative?q=1",
    "mailto:someone@example.org", "1http://host/", "ht+tp.x-y://h/", "h_t://h/", "http:/one-slash", "http:host",
    "", ":", "http://", "http://@/", "http://Host%25zone:1/", "http://a.b.c.d:65535/%7Euser", "file:///etc/x",
    "http://[::1]:8080/x", "http://[v1.fe]/", "http://[127.0.0.1]/", "http://[::1/", "http://]/", "http://hôte/",
    "postgresql://monitor@timescaledb:5432/crypto_data", "postgresql://u:p%40ss@h/db?sslmode=disable",
    "postgres://@h", "postgresql://:only-pw@h:5/d", "postgresql://u:a:b@h/d", "postgresql:///d?host=/run/pg",
]


@pytest.mark.parametrize("url", URLS)
def test_urlsplit_is_urllib_parse(url):
    def parts(split):
        try:
            got = split(url)
        except ValueError as exc:
            return ("ValueError", str(exc))
        out = [tuple(got)]
        for attr in ("scheme", "netloc", "path", "query", "fragment", "hostname", "username", "password", "port"):
            try:
                out.append((attr, getattr(got, attr)))
            except ValueError as exc:
                out.append((attr, "ValueError", str(exc)))
        out.append(got._replace(netloc="x").geturl())
        return out
    assert parts(netutil.urlsplit) == parts(urllib.parse.urlsplit)


@pytest.mark.parametrize("text", ["plain", "p%40ss", "%", "%4", "%4g", "%41%42", "a%zzb", "%e2%82%ac", "%E2%82",
                                  "%ff%fe", "100%", "%%41", "ü%41", "a+b", "%2B%2b"])
def test_unquote_is_urllib_parse(text):
    assert netutil.unquote(text) == urllib.parse.unquote(text)


@pytest.mark.parametrize("query", ["", "a=1", "a=1&b=2", "sslmode=disable&application_name=lookout", "a", "a=",
                                   "a&b=", "&&a=1&", "=x", "=", "a=1=2", "a+b=c+d", "k=%20v%2B", "k=%zz", "k=%e2%82%ac",
                                   "k=ü", "a;b=1", "options=-c%20statement_timeout%3D5000", "a=1&a=2"])
@pytest.mark.parametrize("keep", [True, False])
def test_parse_qsl_is_urllib_parse(query, keep):
    assert netutil.parse_qsl(query, keep_blank_values=keep) == urllib.parse.parse_qsl(query, keep_blank_values=keep)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "LocalHost"])
def test_wire_host_resolves_as_the_name_does(host):
    import socket
    try:
        want = socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"{host} does not resolve here")
    assert socket.getaddrinfo(netutil.wire_host(host), 80, type=socket.SOCK_STREAM) == want
