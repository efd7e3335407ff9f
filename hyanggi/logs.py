"""Logs an operator can search: with ``HYANGGI_LOG_FORMAT=json`` each record is one JSON object (python-json-logger)
carrying the chat session and the API request it belongs to, set where a turn or a request begins."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_ID: ContextVar[str | None] = ContextVar("session_id", default=None)
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a caller's id is logged only if it cannot forge a log line
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(session_id)s %(request_id)s"


class _Context(logging.Filter):
    """Stamp every record with the session and request of the code that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.session_id = SESSION_ID.get()
        record.request_id = REQUEST_ID.get()
        return True


def configure_logging(fmt: str, level: int = logging.INFO) -> None:
    """JSON lines on stderr for ``fmt == "json"``; with "text" the frameworks' own logging is left as it is."""
    if fmt != "json":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(FIELDS))
    handler.addFilter(_Context())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


class RequestIdMiddleware:
    """``X-Request-ID``: the caller's (a proxy's) or a new one, set for this request's logs and echoed back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
