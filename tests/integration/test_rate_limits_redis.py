"""Rate limits shared through a real redis-server: two web workers (two API apps, two limiters) draw on one
budget per client, and the budget survives a worker restart."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from hyanggi.settings import Settings
from store import Store
from tests.unit.api_fakes import FakeService
from ui.api import create_api
from ui.api.limits import RateLimiter

pytestmark = pytest.mark.integration


def worker(service: FakeService, redis_url: str, keys: list[str]) -> httpx.AsyncClient:
    settings = Settings(data_dir="/nonexistent", redis_url=redis_url, rate_limit_per_minute=3,
                        api_keys=[hashlib.sha256(k.encode()).hexdigest() for k in keys])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(settings, lambda: service)),
                             base_url="http://worker")


async def test_two_workers_share_one_budget_per_client(redis_url: str, tmp_path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    service = FakeService(store)
    key, other = f"a-{uuid.uuid4().hex}", f"b-{uuid.uuid4().hex}"
    try:
        async with worker(service, redis_url, [key, other]) as one, worker(service, redis_url, [key, other]) as two:
            statuses = [(await client.get("/recipes", headers={"X-API-Key": key})).status_code
                        for client in (one, two, one)]
            assert statuses == [200, 200, 200]
            limited = await two.get("/recipes", headers={"X-API-Key": key})
            assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
            assert limited.json()["error"]["code"] == "rate_limited"
            assert (await two.get("/recipes", headers={"X-API-Key": other})).status_code == 200
    finally:
        await store.close()


async def test_a_restarted_worker_keeps_the_count(redis_url: str) -> None:
    client = f"ip:{uuid.uuid4().hex}"
    first = RateLimiter("2/minute", redis_url)
    assert [await first.check(client), await first.check(client)] == [0.0, 0.0]
    restarted = RateLimiter("2/minute", redis_url)
    assert 0 < await restarted.check(client) <= 60
    assert await RateLimiter("2/minute").check(client) == 0.0  # in-process storage would have forgotten
