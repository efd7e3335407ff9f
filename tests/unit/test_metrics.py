"""/metrics: a turn's latency by route and node, model speed, errors and job states, in Prometheus format."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hyanggi import metrics


def _samples(body: bytes) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


def test_a_turn_is_counted_by_route_node_and_error() -> None:
    before = _samples(metrics.exposition()[0])
    metrics.observe_turn("s-metrics", "edit", {"route": 2.0, "edit": 30.0, "total": 40.0}, "timeout",
                         [{"task": "narrate", "tokens_per_s": 41.0}])
    body, content_type = metrics.exposition(lambda: {"queued": 2, "running": 1})
    after = _samples(body)

    def grew(name: str, labels: dict) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert content_type.startswith("text/plain")
    assert grew("hyanggi_turn_seconds_count", {"route": "edit"}) == 1
    assert grew("hyanggi_turn_seconds_sum", {"route": "edit"}) == pytest.approx(0.04)
    assert grew("hyanggi_node_seconds_count", {"node": "edit"}) == 1
    assert grew("hyanggi_generation_tokens_per_second_count", {"task": "narrate"}) == 1
    assert grew("hyanggi_errors_total", {"kind": "timeout"}) == 1
    assert after[("hyanggi_jobs", (("state", "queued"),))] == 2
    assert after[("hyanggi_active_sessions", ())] >= 1


async def test_the_api_serves_the_scrape(tmp_path) -> None:
    import httpx

    from hyanggi.settings import Settings
    from ui.api import create_api

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    api = create_api(settings, lambda: None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "hyanggi_turns_waiting" in response.text and "hyanggi_search_seconds" in response.text


async def test_logs_name_the_request_and_session(tmp_path, capsys) -> None:
    import json
    import logging

    import httpx

    from hyanggi.logs import SESSION_ID, configure_logging
    from hyanggi.settings import Settings
    from ui.api import create_api

    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        configure_logging("json")
        api = create_api(Settings(data_dir=tmp_path), lambda: None)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
            given = await client.get("/health", headers={"X-Request-ID": "req-42"})
            forged = await client.get("/health", headers={"X-Request-ID": "bad\nline"})
        assert given.headers["x-request-id"] == "req-42" and forged.headers["x-request-id"] != "bad\nline"
        SESSION_ID.set("sess-7")
        logging.getLogger("hyanggi.test").warning("턴 처리")
        record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert record["message"] == "턴 처리" and record["session_id"] == "sess-7" and record["levelname"] == "WARNING"
    finally:
        root.handlers, _ = kept
        root.setLevel(kept[1])
