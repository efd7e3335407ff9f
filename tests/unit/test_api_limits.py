"""Rate limits (``limits``, in-process storage) and key matching."""

from __future__ import annotations

import asyncio
import hashlib
import logging

import pytest

from ui.api.limits import RateLimiter, key_digest, matching_digest, too_many_requests


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


def test_keys_match_only_their_sha256_digest() -> None:
    digests = [hashlib.sha256(b"alpha").hexdigest(), hashlib.sha256(b"beta").hexdigest().upper()]
    assert matching_digest("alpha", digests) == digests[0]
    assert matching_digest("beta", digests) == digests[1]  # hex case does not matter
    assert matching_digest("gamma", digests) is None
    assert key_digest("alpha") == digests[0]
