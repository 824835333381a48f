"""Security headers on every response, and the API docs served from our own origin.

The console and the web chat load only their own scripts and styles (Plotly from
``/console/vendor``), so the Content-Security-Policy can refuse everything else: a script that
slipped into a page (a stored question, an uploaded file's title) would not run, and no other site
may frame the console to trick a manager into clicking. Pages and API answers hold people's
questions and figures: browsers and proxies must not keep them (``no-store``); only the static
files may be cached.
"""

from __future__ import annotations

from collections.abc import Awaitable
from importlib import resources
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Inline style attributes stay allowed: the console's bars and tree indents use them, and Plotly
# sets styles as it draws. Scripts are only ever our own files.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
CACHEABLE_PREFIXES: Final = ("/static/", "/docs/assets/", "/console/vendor/")
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Pure ASGI middleware (no buffering of bodies, so streamed responses stay streamed)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: the lifespan and websockets pass straight through, without this
        # frame in their stack (the event-loop guard in bot.storage.database reads the stack).
        if scope["type"] != "http":
            return self._app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                headers += SECURITY_HEADERS
                if not cacheable:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, with_headers)


_OURS: Final = frozenset(name for name, _ in SECURITY_HEADERS)

DOCS_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>changebot API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/static/docs.js"></script>
</body>
</html>
"""


def serve_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` from the installed ``fastapi-swagger`` package's files (Swagger UI 5,
    which reads the OpenAPI 3.1 FastAPI writes), not a CDN: it works offline, and no third-party
    script runs on the console's origin."""
    assets = Path(str(resources.files("fastapi_swagger").joinpath("resources")))
    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
