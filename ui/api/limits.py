"""Request guards that need no database: API keys, per-client token buckets, body size.

Keys are stored only as sha256 hex digests (``settings.api_keys``) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable, Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.api.errors import ApiError


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def matching_digest(key: str, digests: Iterable[str]) -> str | None:
    """The configured digest ``key`` hashes to, or None; every digest is compared (no early exit on length)."""
    candidate = key_digest(key)
    found = None
    for digest in digests:
        if hmac.compare_digest(candidate.encode(), digest.strip().lower().encode()):
            found = digest
    return found


def client_id(digest: str | None, host: str | None) -> str:
    """One rate-limit bucket per API key, else per client address — the same for REST and the chat socket."""
    return f"key:{digest}" if digest else f"ip:{host or 'unknown'}"


class RateLimiter:
    """One token bucket per client: ``per_minute`` tokens of capacity, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> float:
        """Take one token; return 0 when allowed, else the seconds until a token is available."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                self._evict()
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _evict(self) -> None:
        """Forget the oldest clients so memory stays bounded under many distinct addresses."""
        if len(self._buckets) > self.max_clients:
            for client in sorted(self._buckets, key=lambda c: self._buckets[c][1])[: len(self._buckets) // 10]:
                del self._buckets[client]


def too_many_requests(wait_s: float) -> ApiError:
    seconds = max(1, math.ceil(wait_s))
    return ApiError(429, "rate_limited", f"요청이 너무 많아요. {seconds}초 후에 다시 시도해 주세요.",
                    {"Retry-After": str(seconds)})


class BodyTooLargeError(HTTPException):
    """Raised while reading a body that exceeds the limit without announcing its length.

    An HTTPException so that FastAPI's body parsing re-raises it instead of turning it into a 400.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, too_large_message(max_bytes))


class BodyLimitMiddleware:
    """413 for bodies over ``max_bytes``: at once from Content-Length, or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_413(send, self.max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited, send)


def too_large_message(max_bytes: int) -> str:
    return f"요청이 너무 커요. 최대 {max_bytes:,}바이트까지 보낼 수 있어요."


async def _send_413(send: Send, max_bytes: int) -> None:
    import json

    body = json.dumps({"error": {"code": "too_large", "message_ko": too_large_message(max_bytes)}},
                      ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
