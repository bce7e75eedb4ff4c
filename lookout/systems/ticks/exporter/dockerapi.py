"""The Docker daemon as the tick collectors see it: a lazily made client, the chosen
containers, and one blocking call at a time per collector on a thread of its own."""
from __future__ import annotations

import calendar
import re
import threading
from typing import Any, Callable

from lookout.exporters.runtime import BlockingPool, CollectError, redact

from .config import DockerConfig


class DockerDaemon:
    """Shared by the container and log collectors; the SDK's session is thread-safe for this."""

    def __init__(self, cfg: DockerConfig):
        self.cfg = cfg
        self._api = None
        self._lock = threading.Lock()
        self.where = cfg.host or "DOCKER_HOST or unix:///var/run/docker.sock"

    def api(self):
        """The low-level client; made on first use because making it already asks the daemon
        for its API version, and the daemon may be down when the exporter starts."""
        with self._lock:
            if self._api is None:
                import docker  # imported here: an exporter without Docker never pays for it
                kwargs = {"base_url": self.cfg.host} if self.cfg.host else docker.utils.kwargs_from_env()
                # For messages: the SDK rewrites unix:// URLs into an internal form.
                self.where = kwargs.get("base_url") or "unix:///var/run/docker.sock"
                self._api = docker.APIClient(version="auto", timeout=self.cfg.timeout_seconds, **kwargs)
            return self._api

    def forget(self) -> None:
        """After a connection failure: renegotiate with whatever daemon answers next."""
        with self._lock:
            if self._api is not None:
                self._api.close()
            self._api = None

    def select(self) -> list[dict]:
        """Container summaries of the chosen containers, by name, capped at max_containers."""
        filters = {}
        if self.cfg.labels:
            filters["label"] = [f"{k}={v}" if v else k for k, v in self.cfg.labels.items()]
        found = []
        for summary in self.api().containers(all=True, filters=filters):
            name = container_name(summary)
            if self.cfg.containers and name not in self.cfg.containers:
                continue
            found.append({**summary, "name": name})
        found.sort(key=lambda s: s["name"])
        return found[: self.cfg.max_containers]

    def failure(self, exc: BaseException, what: str) -> CollectError:
        """A CollectError for anything the SDK raised, with the reason Docker gave."""
        import docker.errors
        import requests.exceptions
        if isinstance(exc, ValueError):  # JSON the SDK could not decode
            return CollectError("parse", f"{what}: unreadable answer from the Docker daemon: {_root_cause(exc)}")
        if isinstance(exc, (requests.exceptions.ConnectionError, docker.errors.DockerException, OSError)) \
                and not isinstance(exc, docker.errors.APIError):
            self.forget()
            if isinstance(exc, requests.exceptions.Timeout):
                return CollectError("timeout", f"{what}: the Docker daemon at {self.where} did not answer in time")
            return CollectError("connection", f"{what}: cannot reach the Docker daemon at {self.where}: "
                                              f"{_root_cause(exc)}")
        if isinstance(exc, docker.errors.APIError):
            return CollectError("api", f"{what}: Docker answered {exc.status_code}: {redact(str(exc.explanation))[:300]}")
        return CollectError("error", f"{what}: {redact(str(exc))[:300]}")


class OneCallAtATime(BlockingPool):
    """Blocking SDK calls on this collector's own thread, refusing a new call while the last one
    is still stuck (a hung daemon would otherwise pile up a thread per scrape)."""

    def __init__(self, what: str):
        super().__init__(what, 1, max_abandoned=0)

    async def run(self, fn: Callable[..., Any], *args) -> Any:
        return await super().run(fn, *args, timeout=None)


def vanished(exc: BaseException) -> bool:
    """The container was removed (404) or is being removed (409 "dead or marked for
    removal") since it was listed: not a failure, it is just not there any more."""
    import docker.errors
    return isinstance(exc, docker.errors.APIError) and exc.status_code in (404, 409)


def container_name(summary: dict) -> str:
    # Names holds link aliases too ("/web/db"); the container's own name has a single slash.
    names = summary.get("Names") or []
    own = [n for n in names if n.count("/") == 1] or names or [summary.get("Id", "")[:12]]
    return own[0].lstrip("/")


_TS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
_ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339_ns(text: str) -> int | None:
    """Nanoseconds since the epoch from Docker's RFC 3339 timestamps (Go's RFC3339Nano),
    exact where a float would round; None for Go's zero time or anything unparseable."""
    m = _TS.match(text)
    if not m or text == _ZERO_TIME:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    if tz != "Z":
        offset = int(tz[1:3]) * 3600 + int(tz[4:6]) * 60
        secs -= offset if tz[0] == "+" else -offset
    return secs * 1_000_000_000 + int((frac or "").ljust(9, "0"))


def _root_cause(exc: BaseException) -> str:
    """The OS-level reason buried in requests/urllib3 wrappers ("No such file or directory")."""
    seen, todo = set(), [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
    return redact(str(exc).splitlines()[0][:300]) if str(exc) else type(exc).__name__
