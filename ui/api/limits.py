"""Request guards that need no database: API keys, per-client rate limits (``limits``), body size.

Keys are stored only as sha256 hex digests (``settings.api_keys``) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hyanggi.settings import Settings
from ui.api.errors import ApiError

logger = logging.getLogger(__name__)

LIMIT_NAMESPACE = "hyanggi-api"  # key prefix in the shared storage
MIN_WAIT_S = 0.001


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
    """At most ``rate`` requests per client in any moving window (``limits`` notation, e.g. "60/minute").

    The counters live in Redis when ``redis_url`` is set, so every web worker draws on one budget per
    client; otherwise in this process (expired entries are dropped, so memory stays bounded). When Redis
    cannot be reached the request is let through and the failure logged: a limiter outage must not become
    a service outage.
    """

    def __init__(self, rate: str, redis_url: str = "") -> None:
        from limits import parse
        from limits.aio.strategies import MovingWindowRateLimiter
        from limits.storage import storage_from_string

        self.item = parse(rate)
        storage = storage_from_string(f"async+{redis_url}", implementation="redispy") if redis_url else \
            storage_from_string("async+memory://")
        self.strategy = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(f"{settings.rate_limit_per_minute}/minute", settings.redis_url)

    async def check(self, client: str) -> float:
        """Count one request; return 0 when allowed, else the seconds until the window lets one through."""
        try:
            if await self.strategy.hit(self.item, LIMIT_NAMESPACE, client):
                return 0.0
            stats = await self.strategy.get_window_stats(self.item, LIMIT_NAMESPACE, client)
        except Exception:  # noqa: BLE001 - any storage failure: fail open, loudly
            logger.warning("rate-limit storage unavailable; request let through", exc_info=True)
            return 0.0
        return max(stats.reset_time - time.time(), MIN_WAIT_S)


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
