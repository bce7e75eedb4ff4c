"""Call an application's own remedy routes, in order, authenticated.

For TBURN these are its real routes (trustburn79-droid/TburnChain):
  server/routes/pipeline-routes.ts   POST /api/pipeline/stop, POST /api/pipeline/start
  server/routes/sharding-routes.ts   POST /api/sharding/v6/pipeline/reset-circuit-breaker,
                                     POST /api/sharding/v6/shedder/exit-degraded
Its non-public routes need the session cookie (`connect.sid`, server/app.ts) and admin
routes the X-Admin-Password header (server/routes.ts requireAdmin). A step succeeds on a
2xx whose JSON, when it has `success`, says true.
"""
from __future__ import annotations

import json
import ssl

import aiohttp

from lookout.exporters.runtime import redact

from ..config import ActionConfig
from .base import Action, ActionError


class HttpRoutes(Action):
    kind = "http"

    def __init__(self, name: str, cfg: ActionConfig):
        super().__init__(name, cfg)
        self.headers = {"Content-Type": "application/json"}
        if cfg.bearer_token:
            self.headers["Authorization"] = f"Bearer {cfg.bearer_token.reveal()}"
        if cfg.cookie:
            self.headers["Cookie"] = cfg.cookie.reveal()
        if cfg.admin_password:
            self.headers["X-Admin-Password"] = cfg.admin_password.reveal()

    async def run(self, target: str) -> str:
        base = self.cfg.url.rstrip("/")
        ctx = None
        if base.startswith("https") and self.cfg.tls_insecure_skip_verify:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        done = []
        async with aiohttp.ClientSession(headers=self.headers) as session:
            for step in self.cfg.steps:
                try:
                    async with session.request(step.method, base + step.path, data=b"{}", ssl=ctx,
                                               allow_redirects=False) as resp:
                        text = await resp.text(errors="replace")
                except aiohttp.ClientError as exc:
                    raise ActionError(f"{step.method} {step.path}: {redact(str(exc))[:200]}") from None
                if resp.status == 401:
                    raise ActionError(f"{step.method} {step.path}: 401, authentication required "
                                      "(set cookie_file, bearer_token_file or admin_password_file)")
                if resp.status // 100 != 2:
                    raise ActionError(f"{step.method} {step.path}: HTTP {resp.status}: {redact(text)[:200]}")
                try:
                    body = json.loads(text)
                except ValueError:
                    body = None
                if isinstance(body, dict) and body.get("success") is False:
                    raise ActionError(f"{step.method} {step.path}: success=false: {redact(str(body.get('error')))[:200]}")
                done.append(f"{step.method} {step.path} {resp.status}")
        return "; ".join(done)
