"""Process entry point shared by every exporter: flags, config, serving, shutdown."""
from __future__ import annotations

import gc
import resource
import sys
from lookout.records import record, field
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any, Callable

from lookout import __version__
from lookout.netutil import split_hostport

from . import lazyssl
from .collector import Collector
from .collectorflags import apply_switches, chosen, select
from .config import ConfigError, Loader, read_yaml
from .flags import apply_flags, parse, revision
from .http import App
from .landing import watched
from .logs import get_logger, setup_logging
from .scrape import Scraper
from .secrets import redact
from .server import Server, serve_until_signalled
from .settings import RUNTIME_KEYS, RuntimeSettings
from .webconfig import WebConfigSource, load_web_config

VERSION = __version__
log = get_logger("lookout")


@record
class ExporterSpec:
    """What a domain package gives the runtime; adding a system means writing one of these."""

    namespace: str
    title: str
    config_class: type  # a dataclass of the domain's own settings
    build: Callable[[Any], list[Collector]]
    default_port: int
    # Collector names for --collector.<name>/--no-collector.<name>, and the settings' switch of
    # those the file turns on and off (collectorflags.py).
    collectors: tuple[str, ...] = ()
    switches: dict[str, str] = field(default_factory=dict)
    # Whether the drivers `build` imports make TLS connections with this configuration. When
    # it says no, they are imported without `ssl` and OpenSSL's hashes (lazyssl.only_if); only
    # for drivers that fall back without them (PyMySQL does; ticks' own client imports `ssl` only
    # for a connection that negotiates TLS). None: imported
    # as they are.
    drivers_use_tls: Callable[[Any], bool] | None = None


@record
class LoadedConfig:
    runtime: RuntimeSettings
    domain: Any


def load_config(spec: ExporterSpec, path: str | None, environ=None) -> LoadedConfig:
    data = read_yaml(path)
    loader = Loader(spec.namespace, environ)
    loader.remember_secrets(spec.config_class, data)
    runtime = loader.load(RuntimeSettings, {k: data.pop(k) for k in RUNTIME_KEYS if k in data})
    return LoadedConfig(runtime, loader.load(spec.config_class, data))


def parse_listen(address: str) -> tuple[str, int]:
    try:
        return split_hostport(address, "0.0.0.0")
    except ValueError as exc:
        raise ConfigError("web.listen_address", str(exc)) from None


def apply_runtime(args, runtime, default_port: int) -> tuple[str, int, Any]:
    """The standard flags over the config's `web` and `log` sections, then logging set up;
    returns (host, port, web config or None). Raises ConfigError naming the key."""
    apply_flags(args, runtime)
    host, port = parse_listen(runtime.web.listen_address or f":{default_port}")
    web_config = load_web_config(runtime.web.config_file)
    setup_logging(runtime.log.level, runtime.log.format)
    return host, port, web_config


def main_for(spec: ExporterSpec, argv: list[str] | None = None) -> None:
    args = parse(f"lookout-{spec.namespace}", spec.title, spec.default_port, spec.collectors, spec.switches, argv)
    setup_logging()
    try:
        cfg = load_config(spec, args.config)
        host, port, web_config = apply_runtime(args, cfg.runtime, spec.default_port)
        apply_switches(chosen(args), spec.switches, cfg.domain)
        with lazyssl.only_if(spec.drivers_use_tls is None or spec.drivers_use_tls(cfg.domain)):
            built = spec.build(cfg.domain)
        collectors = select(chosen(args), built, spec.namespace)
    except ConfigError as exc:
        print(f"lookout-{spec.namespace}: configuration error: {redact(str(exc))}", file=sys.stderr)
        sys.exit(2)
    if args.check_config:
        print(f"lookout-{spec.namespace}: configuration OK ({len(collectors)} collectors: "
              f"{', '.join(c.name for c in collectors)})")
        return
    web = WebConfigSource(cfg.runtime.web.config_file, web_config)
    scraper = Scraper(spec.namespace, collectors, VERSION, cfg.runtime.scrape.min_interval_seconds,
                      extra_metrics=web.metrics, revision=revision())
    scrape = cfg.runtime.scrape
    app = App(scraper, spec.title, scrape.default_timeout_seconds, scrape.timeout_offset_seconds,
              scrape.max_timeout_seconds, telemetry_path=cfg.runtime.web.telemetry_path,
              watches=watched(cfg.domain), runbooks_url=cfg.runtime.web.runbooks_url)
    server = Server(app, web, cfg.runtime.web.idle_timeout_seconds)
    settle_gc()
    try:
        raise_open_files_limit()
        _serve(server, web, scraper, host, port)
    except OSError as exc:
        log.error("cannot serve", extra={"fields": {"address": f"{host}:{port}", "err": str(exc)}})
        sys.exit(1)


# Young-generation collections: one per this many tracked objects allocated and not yet freed
# (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def settle_gc() -> None:
    """The cyclic garbage collector set for serving (issue 24), called once everything is built.

    What start-up made (modules, classes, descriptors, configuration) lives as long as the
    process: frozen, a full collection no longer walks it again. A scrape allocates thousands
    of containers that it frees itself at its end (a decoded reply, a MetricSet's rows: about
    11,000 at 200 PM2 apps); with the default threshold of 700 each was walked by a young and
    then a middle collection while still in use, about a tenth of the scrape's CPU. With
    GC_YOUNG_THRESHOLD a collection runs about once a scrape; cyclic garbage waits at most that
    long (the young generation's objects, a few hundred KB). No collection before freezing:
    it would cost about 10 ms of start-up to free what start-up left (about 120 objects, once).
    The console scripts start with the collector off (lookout/exporters/start.py): on here."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    gc.enable()


def _serve(server: Server, web: WebConfigSource, scraper: Scraper, host: str, port: int) -> None:
    """Serve on this (the main) thread until SIGTERM or SIGINT; SIGHUP re-reads the web-config."""
    def listening(bound: tuple) -> None:
        log.info("listening", extra={"fields": {
            "address": f"{bound[0]}:{bound[1]}", "tls": web.current.ssl_context is not None,
            "collectors": ",".join(c.name for c in scraper.collectors)}})

    def close_backends() -> None:
        log.info("shutting down")
        for c in scraper.collectors:
            try:
                c.close()
            except Exception as exc:  # shutdown must finish even if a backend is gone
                log.warning("close failed", extra={"fields": {"collector": c.name, "err": str(exc)}})
    serve_until_signalled(server, host, port, listening, on_stop=close_backends, on_reload=web.reload)


def raise_open_files_limit() -> None:
    """Soft RLIMIT_NOFILE up to the hard limit, as Go programs do at start: systemd's soft
    1024 is too few for a scrape storm or a flood of idle connections."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:  # e.g. hard is unlimited beyond fs.nr_open
        log.debug("cannot raise the open-files limit", extra={"fields": {"err": str(exc)}})
