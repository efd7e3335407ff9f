"""Security headers on every HTTP response: a Content-Security-Policy, no MIME sniffing, no framing by any
other site, no referrer leaving the server.

The chat page and the API docs carry inline scripts; their CSP allows exactly those scripts by hash, so no
injected script runs and ``'unsafe-inline'`` is never needed for scripts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)

# JSON answers need nothing from a browser.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def script_hashes(html: str) -> list[str]:
    """CSP sources for each inline ``<script>`` of ``html``."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in _INLINE_SCRIPT.findall(html)]


def page_csp(html: str, *, scripts: Iterable[str] = (), styles: Iterable[str] = (), fonts: Iterable[str] = (),
             images: Iterable[str] = (), connect: Iterable[str] = ()) -> str:
    """A CSP for one HTML page: its own origin, its inline scripts by hash, and the named extra sources.

    Inline styles stay allowed: the chat UI and its charts set element styles at run time.
    """
    def directive(name: str, *parts: Iterable[str]) -> str:
        return " ".join([name, *(source for part in parts for source in part)])

    return "; ".join([
        "default-src 'self'",
        directive("script-src", ["'self'"], script_hashes(html), scripts),
        directive("style-src", ["'self'", "'unsafe-inline'"], styles),
        directive("font-src", ["'self'", "data:"], fonts),
        directive("img-src", ["'self'", "data:", "blob:"], images),
        directive("connect-src", ["'self'"], connect),
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response that does not already set them (an inner app's own CSP wins)."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
