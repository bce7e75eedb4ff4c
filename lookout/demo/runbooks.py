"""The runbooks, served by the native demo so that every runbook_url in its alerts opens.

The generated rules link to the project's published docs (an absolute URL,
lookout/alert_rules/settings.py DEFAULT_RUNBOOK_BASE, or the operator's _config.runbook_url_base).
The demo copies the rule files it loads with every such link moved to this server, which
answers `GET /docs/<page>.md` with the page of the checkout's docs/ as HTML, each heading
carrying GitHub's anchor as its id (the one catalog.anchor computes), so `#<alert>` lands on
the alert's section. Loopback only; no other path is served.
"""
from __future__ import annotations

import html
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from lookout.alert_rules import overrides
from lookout.alert_rules.catalog import anchor
from lookout.alert_rules.settings import DEFAULT_RUNBOOK_BASE, ROOT, THRESHOLDS_FILE

from .procs import pick_port

DOCS = ROOT / "docs"
PORT = 9096  # next to the pages (9095); a taken port is replaced by a free one
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def render(markdown: str, title: str) -> str:
    """An HTML page: headings as <hN id="anchor">, everything else as preformatted text."""
    out, block = [f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"], []

    def flush() -> None:
        if any(line.strip() for line in block):
            out.append("<pre>" + html.escape("\n".join(block).strip("\n")) + "</pre>")
        block.clear()

    fenced = False
    for line in markdown.splitlines():
        fenced ^= line.lstrip().startswith("```")
        m = None if fenced else _HEADING.match(line)
        if m:
            flush()
            level, text = len(m[1]), m[2]
            out.append(f'<h{level} id="{html.escape(anchor(text))}">{html.escape(text)}</h{level}>')
        else:
            block.append(line)
    flush()
    return "\n".join(out) + "\n"


def page(path: str) -> Path | None:
    """The docs page a request path names (`/docs/runbooks.md`), None for anything else."""
    if not path.startswith("/docs/") or not path.endswith(".md"):
        return None
    file = (DOCS / path.removeprefix("/docs/")).resolve()
    return file if file.is_file() and DOCS.resolve() in file.parents else None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        file = page(self.path.split("?", 1)[0].split("#", 1)[0])
        if file is None:
            self.send_error(404, "only docs/*.md pages are served here")
            return
        body = render(file.read_text(), file.name).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quiet: the demo's terminal shows pages
        pass


class RunbookServer:
    """docs/ as HTML on 127.0.0.1:`port`, on a daemon thread; `url` is its root."""

    def __init__(self, port: int = 0):
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-runbooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def published_docs() -> list[str]:
    """The docs/ URLs the rules link to: the operator's configured base's and the default's."""
    bases = {overrides.config(overrides.load(THRESHOLDS_FILE)).runbook_url_base, DEFAULT_RUNBOOK_BASE}
    return sorted(base.rsplit("/", 1)[0] + "/" for base in bases)


def served_rules(files: list[Path], out_dir: Path, docs_url: str) -> list[Path]:
    """Copies of the rule `files` in out_dir whose runbook_url under a published docs/ URL
    points at `docs_url` (the served docs/, ending in /) instead."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefixes, copies = published_docs(), []
    for i, path in enumerate(files):
        data = yaml.safe_load(path.read_text())
        for group in data.get("groups", []):
            for rule in group.get("rules", []):
                notes = rule.get("annotations") or {}
                url = notes.get("runbook_url", "")
                for prefix in prefixes:
                    if url.startswith(prefix):
                        notes["runbook_url"] = docs_url + url.removeprefix(prefix)
        copy = out_dir / f"{i:02}-{path.name}"
        copy.write_text("# Demo-only: runbook_url moved to the demo's runbook server (demo/runbooks.py).\n"
                        + yaml.safe_dump(data, sort_keys=False, width=120))
        copies.append(copy)
    return copies


def serve(stack) -> list[Path]:
    """Start the runbook server for a NativeStack and return its rule files (stack.rule_files
    plus lookout-remediate's), rewritten to link to it. Installed from a wheel there is no
    docs/ to serve: the rules keep their links to the published docs."""
    remediate = ROOT / "lookout" / "remediate" / "alerts.yml"
    if not DOCS.is_dir():
        stack.urls["runbooks"] = overrides.config(overrides.load(THRESHOLDS_FILE)).runbook_url_base
        return [*stack.rule_files, remediate]
    server = RunbookServer(pick_port(PORT, stack.random_ports))
    stack.on_stop("runbook server", server.stop)
    stack.urls["runbooks"] = server.url + "/docs/runbooks.md"
    return served_rules([*stack.rule_files, remediate], stack.dir / "rules-served", server.url + "/docs/")
