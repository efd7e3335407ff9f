"""The REST API through HTTP (in-process ASGI) with a fake service and a real temporary SQLite store."""

from __future__ import annotations

import hashlib
import json
import re

import httpx
import pytest

from agent.reading.guard import visible_pattern
from hyanggi.settings import Settings
from store import LOCAL, Store
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
        for malformed in ("", "Basic a2V5", "Bearer", KEY):  # beside a valid X-API-Key, still refused
            assert_korean_error(await client.get("/recipes", headers={"X-API-Key": KEY, "Authorization": malformed}),
                                401, "unauthorized")
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
                                     "concentration": "EDT", "source": "api", "product": None, "principal": LOCAL}
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
        # A valid request the assistant does not read as a brief is answered, not refused (the schema allows it).
        question = await client.post("/generate", json={"brief": "헤디온이 뭐야?"})
        assert question.status_code == 200 and question.json()["recipe"] is None and question.json()["reply"]
        batch = (await client.post("/generate/batch", json={"briefs": ["따뜻한 향", "헤디온?", "busy"]})).json()
    results = batch["results"]
    assert results[0]["result"]["recipe"] and results[1]["result"]["recipe"] is None
    assert results[2]["error"]["code"] == "busy"


async def test_the_product_travels_to_the_service_and_a_wrong_one_is_refused_in_korean(service) -> None:
    async with client_for(service) as client:
        ok = await client.post("/generate", json={"brief": "포근한 향", "product": "body_lotion"})
        wrong = await client.post("/chat", json={"message": "포근한 향", "product": "toothpaste"})
    assert ok.status_code == 200 and service.calls[-1]["product"] == "body_lotion"
    assert_korean_error(wrong, 422, "invalid_request")
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
        # Well-formed but not applicable to this recipe: a conflict with its state, not a malformed request.
        assert_korean_error(await client.post(f"/recipes/{rid}/edit", json={"ops": [
            {"op": "remove", "material_id": "calone"}]}), 409, "invalid_edit")
        assert_korean_error(await client.post(f"/recipes/{rid}/edit", json={"ops": [{"op": "explode"}]}), 422,
                            "invalid_request")
        assert_korean_error(await client.get("/recipes/missing"), 404, "not_found")


async def test_search_returns_results_and_logs_the_query(service) -> None:
    async with client_for(service) as client:
        body = (await client.get("/search", params={"q": "재스민", "collection": "materials", "k": 3})).json()
    assert body["results"][0]["id"] == "hedione"
    assert service.deps.searcher.queries == [("재스민", ["materials"], 3)]


async def test_integers_beyond_sqlite_are_rejected_before_the_database(service) -> None:
    too_big = 2**63
    async with client_for(service) as client:
        rid = (await client.post("/generate", json={"brief": "포근한 향"})).json()["recipe"]["id"]
        for response in (
            await client.get(f"/recipes/{rid}", params={"version": too_big}),
            await client.get(f"/recipes/{rid}/diff", params={"from": too_big}),
            await client.post("/feedback", json={"turn_id": 99999999999999999999, "rating": 1}),
            await client.post(f"/recipes/{rid}/edit", json={"version": too_big, "ops": [
                {"op": "remove", "material_id": "vanillin"}]}),
        ):
            assert_korean_error(response, 422, "invalid_request")
        # The largest accepted value reaches the store and is simply not there.
        assert_korean_error(await client.get(f"/recipes/{rid}", params={"version": 2**53 - 1}), 404, "not_found")


async def test_a_body_that_is_not_json_gets_415(service) -> None:
    async with client_for(service) as client:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"content-type": content_type} if content_type else {}
            response = await client.post("/chat", content=b'{"message": "\xed\x96\xa5"}', headers=headers)
            assert_korean_error(response, 415, "unsupported_media_type")
        assert (await client.post("/chat", content='{"message": "포근한 향"}'.encode(),
                                  headers={"content-type": "application/json; charset=utf-8"})).status_code == 200
    assert [c["message"] for c in service.calls] == ["포근한 향"]


async def test_text_limits_are_the_guards_and_the_schema_states_them(service) -> None:
    async with client_for(service, max_message_chars=50) as client:
        schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
        for rule in (schema["ChatRequest"]["properties"]["message"], schema["GenerateRequest"]["properties"]["brief"],
                     schema["BatchGenerateRequest"]["properties"]["briefs"]["items"]):
            assert rule["maxLength"] == 50 and rule["pattern"] == visible_pattern()
        too_long = assert_korean_error(await client.post("/chat", json={"message": "향" * 51}), 422, "invalid_request")
        assert "50자" in too_long["message_ko"]
        for invisible in ("\u200b\u3164", " \u00ad ", "\u3000\n", "\U000e0041"):
            assert re.search(rule["pattern"], invisible) is None
            assert_korean_error(await client.post("/generate", json={"brief": invisible}), 422, "invalid_request")
        assert_korean_error(await client.post("/generate/batch", json={"briefs": ["따뜻한 향", "\u3164"]}), 422,
                            "invalid_request")
        assert (await client.post("/chat", json={"message": "향" * 50})).status_code == 200
    assert [c["message"] for c in service.calls] == ["향" * 50]


HOSTILE = [
    ("POST", "/chat", b"", "application/json"),
    ("POST", "/chat", b"null", "application/json"),
    ("POST", "/chat", b"[]", "application/json"),
    ("POST", "/chat", b'"message"', "application/json"),
    ("POST", "/chat", b'{"message": null}', "application/json"),
    ("POST", "/chat", b'{"message": 12}', "application/json"),
    ("POST", "/chat", b'{"message": ["a"]}', "application/json"),
    ("POST", "/chat", b'{"message": "\\u0000\\u0000"}', "application/json"),
    ("POST", "/chat", b'{"message": "\\ud800"}', "application/json"),
    ("POST", "/feedback", b'{"turn_id": 1, "rating": 1, "comment": "\\udfff"}', "application/json"),
    ("POST", "/chat", b'{"message": "a", "message": {"x": 1}}', "application/json"),
    ("POST", "/chat", b'{"message": "\xff\xfe"}', "application/json"),
    ("POST", "/chat", b"\xef\xbb\xbf{\"message\": \"a\"}", "application/json"),
    ("POST", "/chat", b'{"message": "x", "session_id": "../../etc/passwd"}', "application/json"),
    ("POST", "/chat", b'{"message": "x", "session_id": "a\' OR 1=1 --"}', "application/json"),
    ("POST", "/chat", b'{"message": "x", "level": "<script>"}', "application/json"),
    ("POST", "/chat", b"[" * 20000 + b"]" * 20000, "application/json"),
    ("POST", "/chat", b'{"message": "x"', "application/json"),
    ("POST", "/chat", b'{"message": "x"}', "application/xml"),
    ("POST", "/generate", b'{"brief": "' + "향".encode() * 30000 + b'"}', "application/json"),
    ("POST", "/generate/batch", b'{"briefs": []}', "application/json"),
    ("POST", "/generate/batch", b'{"briefs": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]}', "application/json"),
    ("POST", "/feedback", b'{"turn_id": -1, "rating": 1}', "application/json"),
    ("POST", "/feedback", b'{"turn_id": 1e400, "rating": 1}', "application/json"),
    ("POST", "/feedback", b'{"turn_id": NaN, "rating": 1}', "application/json"),
    ("POST", "/feedback", b'{"turn_id": 1, "rating": Infinity}', "application/json"),
    ("POST", "/feedback", b'{"turn_id": "1", "rating": "1"}', "application/json"),
    ("POST", "/recipes/x/edit", b'{"ops": [{"op": "set_percent", "material_id": "vanillin", "percent": NaN}]}',
     "application/json"),
    ("POST", "/recipes/x/edit", b'{"ops": [{"op": "shift", "strength": -Infinity}]}', "application/json"),
    ("POST", "/recipes/x/edit", b'{"ops": [{"op": "__proto__"}]}', "application/json"),
    ("GET", "/recipes/%00", b"", None),
    ("GET", "/recipes/" + "a" * 5000, b"", None),
    ("GET", "/recipes/x?version=-1", b"", None),
    ("GET", "/recipes/x?version=1.5", b"", None),
    ("GET", "/recipes/x?version=99999999999999999999999999", b"", None),
    ("GET", "/recipes/x/diff?from=abc&to=%ff", b"", None),
    ("GET", "/search?q=", b"", None),
    ("GET", "/search?q=%ED%A0%80", b"", None),
    ("GET", "/search?q=" + "x" * 600, b"", None),
    ("GET", "/search?q=a&k=100000000000000000000000", b"", None),
    ("GET", "/sessions/%2e%2e%2f%2e%2e", b"", None),
    ("GET", "/sessions?limit=0", b"", None),
    ("DELETE", "/recipes", b"", None),
    ("PUT", "/chat", b'{"message": "x"}', "application/json"),
    *(("POST", "/recipes/import", json.dumps({"content": content, **extra}).encode(), "application/json")
      for content, extra in [("name,percent\n헤디온,NaN\n", {"format": "csv"}), ("헤디온 1e309g", {}),
                             ("헤디온 -30g", {}), ("헤디온 1000%", {}), ("헤디온 " + "1" * 15000 + "g", {}),
                             ("[" * 5000 + "]" * 5000, {"format": "json"}), ("{" + '"a":{' * 3000, {})]),
    ("POST", "/chat", b'{"message": "x", "session_id": "probe\\n"}', "application/json"),
    ("GET", "/sessions/probe%0A", b"", None),
    ("GET", "/recipes/x%0D%0A/export/csv", b"", None),
]


# Issue 29's probes: each answer is the status below, in Korean, never a 500 or a pydantic message.
ISSUE_29 = [
    ("POST", "/recipes/import", {"content": "name,percent\n헤디온,NaN\n", "format": "csv"}, 409, "숫자로 읽을 수 없음"),
    ("POST", "/recipes/import", {"content": "헤디온 1e309g"}, 409, "지수 표기"),
    ("POST", "/recipes/import", {"content": "헤디온 -30g"}, 409, "음수"),
    ("POST", "/recipes/import", {"content": "헤디온 1000%"}, 409, "100% 이하"),
    ("POST", "/recipes/import", {"content": "헤디온 " + "1" * 15000 + "g"}, 409, "너무 길어요"),
    ("POST", "/recipes/import", {"content": "[" * 5000 + "]" * 5000, "format": "json"}, 409, "중첩"),
    ("POST", "/chat", {"message": "포근한 향", "session_id": "probe\n"}, 422, "session_id"),
    ("GET", "/sessions/probe%0A", None, 422, "session_id"),
    ("GET", "/recipes?session_id=probe%0A", None, 422, "session_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), ISSUE_29)
async def test_the_issues_probes_are_refused_in_korean(service, method: str, path: str, body: dict | None,
                                                       status: int, says: str) -> None:
    async with client_for(service) as client:
        response = await client.request(method, path, json=body)
    error = assert_korean_error(response, status, "invalid_formula" if status == 409 else "invalid_request")
    assert says in error["message_ko"] and "pydantic" not in response.text and "recursion" not in response.text
    assert not (await service.store.list_recipes(LOCAL))  # nothing was saved, least of all an empty "준수" recipe


async def test_hostile_requests_never_get_a_5xx_or_a_traceback(service) -> None:
    async with client_for(service) as client:
        for method, path, body, content_type in HOSTILE:
            headers = {"content-type": content_type} if content_type else {}
            response = await client.request(method, path, content=body, headers=headers)
            assert response.status_code < 500, (method, path, body[:80], response.text)
            assert "Traceback" not in response.text and "File \"" not in response.text
            if response.status_code >= 400:
                assert_korean_error(response, response.status_code, response.json()["error"]["code"])


async def test_true_is_not_a_number_and_zero_is_not_false(service) -> None:
    """JSON Schema keeps booleans and numbers apart; pydantic alone would read true as 1 (turn 1, rating +1)."""
    async with client_for(service) as client:
        turn = (await client.post("/chat", json={"message": "포근한 향"})).json()["turn_id"]
        for body in ({"turn_id": True, "rating": 1}, {"turn_id": turn, "rating": True}):
            error = assert_korean_error(await client.post("/feedback", json=body), 422, "invalid_request")
            assert "정수여야 해요" in error["message_ko"]
