"""The REST API through HTTP (in-process ASGI) with a fake service and a real temporary SQLite store."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from hyanggi.settings import Settings
from store import Store
from tests.unit.api_fakes import FakeService
from ui.api import create_api

KEY = "test-key-123"


@pytest.fixture
async def service(tmp_path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    yield FakeService(store)
    await store.close()


def client_for(service, **overrides) -> httpx.AsyncClient:
    settings = Settings(data_dir=overrides.pop("data_dir", "/nonexistent"), **overrides)
    api = create_api(settings, lambda: service)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api, raise_app_exceptions=False),
                             base_url="http://test")


def assert_korean_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert any("\uac00" <= ch <= "\ud7a3" for ch in error["message_ko"]), error  # Hangul, not a traceback
    assert "Traceback" not in response.text
    return error


async def test_health_is_open_and_reports_readiness(service) -> None:
    async with client_for(service, api_keys=[hashlib.sha256(KEY.encode()).hexdigest()]) as client:
        response = await client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


async def test_health_and_routes_while_loading_or_failed() -> None:
    settings = Settings()
    for problem, status in ((None, "starting"), ("먼저 setup 을 실행하세요", "unavailable")):
        api = create_api(settings, lambda: None, lambda p=problem: p)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
            assert (await client.get("/health")).json()["status"] == status
            error = assert_korean_error(await client.get("/recipes"), 503,
                                        "unavailable" if problem else "not_ready")
            assert problem is None or error["message_ko"] == problem


async def test_api_key_required_when_configured(service) -> None:
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    async with client_for(service, api_keys=[digest]) as client:
        assert_korean_error(await client.get("/recipes"), 401, "unauthorized")
        assert_korean_error(await client.get("/recipes", headers={"X-API-Key": "wrong"}), 401, "unauthorized")
        assert (await client.get("/recipes", headers={"X-API-Key": KEY})).status_code == 200
        assert (await client.get("/recipes", headers={"Authorization": f"Bearer {KEY}"})).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200  # docs stay open


async def test_rate_limit_returns_429_with_retry_after_per_key(service) -> None:
    keys = ["key-a", "key-b"]
    async with client_for(service, rate_limit_per_minute=2,
                          api_keys=[hashlib.sha256(k.encode()).hexdigest() for k in keys]) as client:
        for _ in range(2):
            assert (await client.get("/recipes", headers={"X-API-Key": "key-a"})).status_code == 200
        limited = await client.get("/recipes", headers={"X-API-Key": "key-a"})
        assert_korean_error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        assert (await client.get("/recipes", headers={"X-API-Key": "key-b"})).status_code == 200
        assert (await client.get("/health")).status_code == 200  # health is never limited


async def test_oversized_bodies_get_413_declared_or_streamed(service) -> None:
    async with client_for(service, max_request_bytes=1024) as client:
        big = {"message": "가" * 2000}
        assert_korean_error(await client.post("/chat", json=big), 413, "too_large")

        async def chunks():
            yield b'{"message": "'
            yield ("나" * 1000).encode()
            yield b'"}'

        assert_korean_error(await client.post("/chat", content=chunks(),
                                              headers={"content-type": "application/json"}), 413, "too_large")
    assert service.calls == []


async def test_validation_errors_are_korean(service) -> None:
    async with client_for(service) as client:
        error = assert_korean_error(await client.post("/chat", json={}), 422, "invalid_request")
        assert "message: 값이 필요해요" in error["message_ko"]
        error = assert_korean_error(await client.post("/feedback", json={"turn_id": 1, "rating": 5}), 422,
                                    "invalid_request")
        assert "rating" in error["message_ko"]
        assert_korean_error(await client.post("/chat", content=b"{not json",
                                              headers={"content-type": "application/json"}), 422, "invalid_request")
        assert_korean_error(await client.get("/search", params={"q": "x", "k": 0}), 422, "invalid_request")


async def test_chat_turn_then_feedback_is_stored(service) -> None:
    async with client_for(service) as client:
        turn = (await client.post("/chat", json={"message": "포근한 향", "level": "기본",
                                                 "concentration": "EDT"})).json()
        assert turn["recipe"]["ingredients"] and turn["turn_id"]
        assert service.calls[-1] == {"message": "포근한 향", "session_id": None, "level": "기본",
                                     "concentration": "EDT", "source": "api"}
        again = await client.post("/chat", json={"message": "헤디온이 뭐야?", "session_id": turn["session"]})
        assert again.json()["session"] == turn["session"] and again.json()["recipe"] is None
        saved = await client.post("/feedback", json={"turn_id": turn["turn_id"], "rating": 1, "comment": "좋아요"})
        assert saved.status_code == 200
        assert_korean_error(await client.post("/feedback", json={"turn_id": 99999, "rating": -1}), 404, "not_found")
        transcript = (await client.get(f"/sessions/{turn['session']}")).json()
        assert [t["feedback"] for t in transcript["turns"]] == [[1], []]
        assert (await client.get("/sessions")).json()[0]["id"] == turn["session"]
        assert_korean_error(await client.get("/sessions/nope"), 404, "not_found")


async def test_turn_errors_map_to_http_status(service) -> None:
    async with client_for(service) as client:
        busy = await client.post("/chat", json={"message": "busy"})
        assert_korean_error(busy, 503, "busy")
        assert busy.headers["Retry-After"]
        error = assert_korean_error(await client.post("/chat", json={"message": "boom"}), 500, "internal_error")
        assert "secret" not in error["message_ko"]


async def test_generate_single_and_batch(service) -> None:
    async with client_for(service) as client:
        one = (await client.post("/generate", json={"brief": "시원한 여름 향", "level": "프리미엄"})).json()
        assert one["recipe"]["id"] and service.calls[-1]["session_id"] is None
        assert_korean_error(await client.post("/generate", json={"brief": "헤디온이 뭐야?"}), 422, "not_a_brief")
        batch = (await client.post("/generate/batch", json={"briefs": ["따뜻한 향", "헤디온?", "busy"]})).json()
    results = batch["results"]
    assert results[0]["result"]["recipe"] and results[1]["error"]["code"] == "not_a_brief"
    assert results[2]["error"]["code"] == "busy"
    assert len({c["session_id"] for c in service.calls}) == 1  # every generate is a fresh session (None)


async def test_recipes_get_list_edit_versions_and_diff(service) -> None:
    async with client_for(service) as client:
        recipe = (await client.post("/generate", json={"brief": "포근한 향"})).json()["recipe"]
        rid = recipe["id"]
        assert [r["id"] for r in (await client.get("/recipes")).json()] == [rid]
        edited = await client.post(f"/recipes/{rid}/edit", json={"ops": [
            {"op": "set_percent", "material_id": "vanillin", "percent": 5},
            {"op": "add", "material_id": "ambroxan", "percent": 3}]})
        assert edited.status_code == 200, edited.text
        v2 = edited.json()
        assert v2["version"] == 2 and abs(sum(i["percent"] for i in v2["ingredients"]) - 100) < 0.01
        assert v2["score"]["total"] > 0
        assert (await client.get(f"/recipes/{rid}")).json()["version"] == 2
        assert (await client.get(f"/recipes/{rid}", params={"version": 1})).json()["version"] == 1
        assert [r["version"] for r in (await client.get(f"/recipes/{rid}/versions")).json()] == [1, 2]
        diff = (await client.get(f"/recipes/{rid}/diff")).json()
        assert diff["diff"]["from_version"] == 1 and diff["diff"]["to_version"] == 2 and "추가" in diff["summary_ko"]
        assert_korean_error(await client.get(f"/recipes/{rid}/diff", params={"from": 7}), 404, "not_found")
        assert_korean_error(await client.post(f"/recipes/{rid}/edit", json={"ops": [
            {"op": "remove", "material_id": "calone"}]}), 422, "invalid_edit")
        assert_korean_error(await client.post(f"/recipes/{rid}/edit", json={"ops": [{"op": "explode"}]}), 422,
                            "invalid_request")
        assert_korean_error(await client.get("/recipes/missing"), 404, "not_found")


async def test_search_returns_results_and_logs_the_query(service) -> None:
    async with client_for(service) as client:
        body = (await client.get("/search", params={"q": "재스민", "collection": "materials", "k": 3})).json()
    assert body["results"][0]["id"] == "hedione"
    assert service.deps.searcher.queries == [("재스민", ["materials"], 3)]
