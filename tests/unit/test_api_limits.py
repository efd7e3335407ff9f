"""Token buckets and key matching, on a fake clock."""

from __future__ import annotations

import hashlib

from ui.api.limits import RateLimiter, key_digest, matching_digest, too_many_requests


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_the_minute_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.check("a")
    assert wait == 20.0  # one token every 60/3 seconds
    assert limiter.check("b") == 0.0  # clients are independent
    clock.now = 20.0
    assert limiter.check("a") == 0.0 and limiter.check("a") > 0


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    error = too_many_requests(0.2)
    assert error.status == 429 and error.headers == {"Retry-After": "1"}
    assert too_many_requests(20.0).headers["Retry-After"] == "20"


def test_many_clients_are_evicted_oldest_first() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=1, clock=clock, max_clients=10)
    for n in range(11):
        clock.now = n
        limiter.check(f"c{n}")
    assert limiter.check("c10") > 0  # the newest is still remembered and limited
    assert limiter.check("c0") == 0.0  # the oldest was forgotten


def test_keys_match_only_their_sha256_digest() -> None:
    digests = [hashlib.sha256(b"alpha").hexdigest(), hashlib.sha256(b"beta").hexdigest().upper()]
    assert matching_digest("alpha", digests) == digests[0]
    assert matching_digest("beta", digests) == digests[1]  # hex case does not matter
    assert matching_digest("gamma", digests) is None
    assert key_digest("alpha") == digests[0]
