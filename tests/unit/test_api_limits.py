"""Rate limits (``limits``, in-process storage) and the login throttle."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ui.api.limits import LoginThrottle, LoginThrottleMiddleware, RateLimiter, too_many_requests


async def test_a_client_gets_its_budget_then_waits_for_the_window() -> None:
    limiter = RateLimiter("3/minute")
    assert [await limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert 55 < await limiter.check("a") <= 60  # the oldest of the three leaves the window in about a minute
    assert await limiter.check("b") == 0.0  # clients are independent


async def test_the_window_moves_on() -> None:
    limiter = RateLimiter("2/second")
    assert [await limiter.check("a") for _ in range(2)] == [0.0, 0.0]
    assert 0 < await limiter.check("a") <= 1
    await asyncio.sleep(1.1)
    assert await limiter.check("a") == 0.0


async def test_an_unreachable_redis_lets_requests_through_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter("1/minute", redis_url="redis://127.0.0.1:9/0")  # discard port: nothing listens
    with caplog.at_level(logging.WARNING, logger="ui.api.limits"):
        assert [await limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert "rate-limit storage unavailable" in caplog.text


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    error = too_many_requests(0.2)
    assert error.status == 429 and error.headers == {"Retry-After": "1"}
    assert too_many_requests(20.0).headers["Retry-After"] == "20"


def _login_app(throttle: LoginThrottle) -> LoginThrottleMiddleware:
    """Chainlit's login as far as the throttle sees it: a form in, 401 for a wrong password."""

    async def login(request: Request) -> JSONResponse:
        form = await request.form()  # the form reaches the login untouched after the throttle read it
        if form.get("password") == "right":
            return JSONResponse({"user": form.get("username")})
        return JSONResponse({"detail": "credentialssignin"}, status_code=401)

    return LoginThrottleMiddleware(Starlette(routes=[Route("/login", login, methods=["POST"])]), throttle)


def _client(app: LoginThrottleMiddleware, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 5000)), base_url="http://t")


async def test_wrong_passwords_from_one_address_are_throttled_with_retry_after() -> None:
    """The issue's probe: 25 wrong passwords in a moment were all answered 401."""
    app = _login_app(LoginThrottle())
    async with _client(app, "10.0.0.1") as client:
        answers = [await client.post("/login", data={"username": f"user{n}", "password": "wrong"}) for n in range(25)]
    assert [a.status_code for a in answers] == [401] * 10 + [429] * 15
    limited = answers[-1]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "로그인 시도가 너무 많아요" in limited.json()["detail"]
    async with _client(app, "10.0.0.2") as other:  # another address has its own budget
        assert (await other.post("/login", data={"username": "kim", "password": "right"})).json() == {"user": "kim"}


async def test_one_user_name_is_throttled_across_addresses_and_spellings() -> None:
    app = _login_app(LoginThrottle())
    statuses = []
    for n, name in enumerate(["minji", "MINJI", " minji ", "ｍｉｎｊｉ", "minji", "minji"]):
        async with _client(app, f"10.0.1.{n}") as client:  # multipart, as a browser form may send it
            statuses.append((await client.post("/login", files={"username": (None, name),
                                                                 "password": (None, "wrong")})).status_code)
    assert statuses == [401] * 5 + [429]


async def test_other_requests_and_oversized_forms_pass_or_fail_without_counting() -> None:
    app = _login_app(LoginThrottle(per_address="1/minute"))
    async with _client(app, "10.0.2.1") as client:
        assert (await client.post("/login", content=b"x" * 20_000)).status_code == 413
        assert (await client.get("/login")).status_code == 405  # only POST is a login attempt
        assert (await client.post("/login", data={"username": "a", "password": "right"})).status_code == 200
        assert (await client.post("/login", data={"username": "b", "password": "right"})).status_code == 429
