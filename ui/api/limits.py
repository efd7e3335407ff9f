"""Request guards that need no database: per-client rate limits (``limits``), the login throttle, body size.

Which key a request carries is ``ui.api.identity``'s question; here a key is only a rate-limit bucket.
"""

from __future__ import annotations

import json
import logging
import math
import time
import unicodedata

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hyanggi.settings import Settings
from ui.api.errors import ApiError

logger = logging.getLogger(__name__)

LIMIT_NAMESPACE = "hyanggi-api"  # key prefix in the shared storage
MIN_WAIT_S = 0.001


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
    await _send_json(send, 413, {"error": {"code": "too_large", "message_ko": too_large_message(max_bytes)}})


# --- the chat login -------------------------------------------------------------------------------
LOGIN_PER_ADDRESS = "10/minute"
LOGIN_PER_NAME = "5/minute"
MAX_LOGIN_BYTES = 16_384  # a user name and a password; a bigger body is not a login form
LOGIN_LIMITED_KO = "로그인 시도가 너무 많아요. {seconds}초 후에 다시 시도해 주세요."


class LoginThrottle:
    """Login attempts (right or wrong) per client address and per user name, each in its own moving window:
    guessing a password costs a minute every few tries, from one address or spread over many."""

    def __init__(self, redis_url: str = "", per_address: str = LOGIN_PER_ADDRESS,
                 per_name: str = LOGIN_PER_NAME) -> None:
        self.address = RateLimiter(per_address, redis_url)
        self.name = RateLimiter(per_name, redis_url)

    async def check(self, host: str | None, username: str | None) -> float:
        """Count one attempt; 0 when allowed, else the seconds until both windows let one through."""
        waits = [await self.address.check(f"login-ip:{host or 'unknown'}")]
        if username:
            folded = unicodedata.normalize("NFKC", username).strip().casefold()[:64]
            waits.append(await self.name.check(f"login-name:{folded}"))
        return max(waits)


class LoginThrottleMiddleware:
    """Throttles ``POST <path>`` (Chainlit's password login, whose callback sees neither the address nor the
    request): the form is read here for its user name, then handed on unchanged. Over the limit the answer is
    429 with ``Retry-After`` and a Korean ``detail`` (the shape of Chainlit's own login errors)."""

    def __init__(self, app: ASGIApp, throttle: LoginThrottle, path: str = "/login") -> None:
        self.app, self.throttle, self.path = app, throttle, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, MAX_LOGIN_BYTES)
        if body is None:
            await _send_json(send, 413, {"detail": too_large_message(MAX_LOGIN_BYTES)})
            return
        client = scope.get("client")
        wait = await self.throttle.check(client[0] if client else None, await _form_username(scope, body))
        if wait:
            seconds = max(1, math.ceil(wait))
            await _send_json(send, 429, {"detail": LOGIN_LIMITED_KO.format(seconds=seconds)},
                             [(b"retry-after", str(seconds).encode())])
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, then: Receive | None = None) -> Receive:
    """A ``receive`` that hands over the body already read, then the real one's messages (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then() if then is not None else {"type": "http.disconnect"}

    return receive


async def _form_username(scope: Scope, body: bytes) -> str | None:
    """The ``username`` field of a login form (urlencoded or multipart), None when there is none."""
    try:
        form = await Request(scope, _replay(body)).form()
    except Exception:  # noqa: BLE001 - an unreadable form is still an attempt (counted by address)
        return None
    name = form.get("username")
    return name if isinstance(name, str) else None


async def _send_json(send: Send, status: int, payload: dict[str, object],
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
