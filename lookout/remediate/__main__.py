"""`lookout-remediate [--config.file FILE] [--web.listen-address HOST:PORT] [--web.config.file FILE] [--check-config]`
(the exporters' flags and their older spellings --config, --listen, --web-config).

Exit 2 on a bad configuration, naming the key; 1 when it cannot serve.
"""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from lookout.exporters.runtime import ConfigError, redact
from lookout.exporters.runtime.flags import parser_for
from lookout.exporters.runtime.logs import get_logger, setup_logging
from lookout.exporters.runtime.main import apply_runtime
from lookout.netutil import serve_until_signalled

from . import config as config_mod

log = get_logger("lookout.remediate")


def main(argv: list[str] | None = None) -> None:
    # The exporters' standard flags (--config.file, --web.listen-address, --web.config.file,
    # --web.telemetry-path, --log.level, --log.format, --version, --check-config).
    args = parser_for("lookout-remediate", "Alertmanager webhook receiver that runs the runbooks' remedies, "
                      "guarded and audited", config_mod.DEFAULT_PORT).parse_args(argv)
    setup_logging()
    try:
        cfg = config_mod.load(args.config)
        # cfg has the runtime's `web` and `log` sections
        host, port, web_config = apply_runtime(args, cfg, config_mod.DEFAULT_PORT)
        _check_audit_path(cfg.audit_log)
    except ConfigError as exc:
        print(f"lookout-remediate: configuration error: {redact(str(exc))}", file=sys.stderr)
        sys.exit(2)
    if args.check_config:
        print(f"lookout-remediate: configuration OK ({len(cfg.actions)} actions: {', '.join(cfg.actions) or 'none'}; "
              f"{'enabled' if cfg.enabled else 'OFF'}, {'dry-run' if cfg.dry_run else 'acting'})")
        return
    from .audit import AuditLog
    try:
        audit = AuditLog(cfg.audit_log, cfg.recent)
    except OSError as exc:
        print(f"lookout-remediate: configuration error: audit_log: cannot open {cfg.audit_log}: {exc.strerror}",
              file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(_serve(cfg, audit, web_config, host, port))
    except OSError as exc:
        log.error("cannot serve", extra={"fields": {"address": f"{host}:{port}", "err": str(exc)}})
        sys.exit(1)


def _check_audit_path(path: str) -> None:
    """The audit log must be appendable (checked without creating it, so --check-config has no effect)."""
    p = Path(path)
    if p.exists():
        ok = p.is_file() and os.access(p, os.W_OK)
    else:
        parent = next((q for q in p.absolute().parents if q.exists()), Path("/"))
        ok = parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)
    if not ok:
        raise ConfigError("audit_log", f"cannot append to {path}")


async def _serve(cfg, audit, web_config, host: str, port: int) -> None:
    from .receiver import Receiver
    from .web import build_app
    receiver = Receiver(cfg, audit)
    app = build_app(receiver, web_config)

    def listening(bound: tuple) -> None:
        log.info("listening", extra={"fields": {"address": f"{bound[0]}:{bound[1]}", "tls": web_config.ssl_context is not None,
                                                "actions": ",".join(cfg.actions), "enabled": cfg.enabled,
                                                "dry_run": cfg.dry_run}})
    try:
        await serve_until_signalled(app, host, port, web_config.ssl_context, listening)
    finally:
        await receiver.drain()
        await receiver.close()


if __name__ == "__main__":
    main()
