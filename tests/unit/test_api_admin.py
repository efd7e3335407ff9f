"""`/training/*` and `/admin/*` through HTTP: the admin key, jobs started and cancelled, the activation gate,
the status document. Real SQLite store and job thread; the reindex task is a stand-in."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from hyanggi.settings import GeneratorBackend, Settings
from jobs.adapters import serve_adapter
from jobs.ledger import Ledger
from jobs.records import JobKind
from jobs.tasks import TASKS
from store import Store
from tests.unit.api_fakes import FakeService
from tests.unit.test_api_routes import assert_korean_error
from ui.api import create_api

ADMIN = "admin-secret"
HEADERS = {"X-Admin-Key": ADMIN}


@pytest.fixture
async def env(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    store = await Store.open(url)
    settings = Settings(data_dir=tmp_path, database_url=url, generator_backend=GeneratorBackend.composer,
                        admin_key=hashlib.sha256(ADMIN.encode()).hexdigest())
    yield settings, FakeService(store)
    await store.close()


def client(settings: Settings, service: FakeService) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(settings, lambda: service)),
                             base_url="http://test")


async def test_admin_routes_want_the_admin_key(env) -> None:
    settings, service = env
    async with client(settings.model_copy(update={"admin_key": ""}), service) as off:
        error = assert_korean_error(await off.get("/admin/status", headers=HEADERS), 403, "forbidden")
        assert "HYANGGI_ADMIN_KEY" in error["message_ko"]
    async with client(settings, service) as api:
        assert_korean_error(await api.get("/admin/status"), 403, "forbidden")
        assert_korean_error(await api.get("/training/models", headers={"X-Admin-Key": "wrong"}), 403, "forbidden")
        assert (await api.get("/training/models", headers=HEADERS)).json() == []


async def test_reindex_job_runs_and_is_followed(env, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, service = env
    release = threading.Event()

    def fake(_: object, __: Settings, progress) -> dict:
        progress(0.5, "색인 중")
        release.wait(10)
        return {"built": True}

    monkeypatch.setitem(TASKS, JobKind.reindex, fake)
    async with client(settings, service) as api:
        started = await api.post("/admin/reindex", headers=HEADERS)
        assert started.status_code == 202 and started.json()["state"] == "queued"
        job_id = started.json()["id"]
        deadline = time.monotonic() + 10
        while (job := (await api.get(f"/training/jobs/{job_id}", headers=HEADERS)).json())["progress"] < 0.5:
            assert time.monotonic() < deadline, job
        assert job["state"] == "running" and job["log_tail"] == ["색인 중"]
        status = (await api.get("/admin/status", headers=HEADERS)).json()
        assert status["jobs"]["running"] == 1 and status["job_runner"] == "thread"
        assert status["database"] == {"backend": "sqlite", "turns": 0} and status["rate_limits"] == "process"
        release.set()
        while (job := (await api.get(f"/training/jobs/{job_id}", headers=HEADERS)).json())["state"] == "running":
            assert time.monotonic() < deadline, job
        assert job["state"] == "succeeded" and job["result"] == {"built": True}
        finished = await api.post(f"/training/jobs/{job_id}/cancel", headers=HEADERS)
        assert_korean_error(finished, 409, "job_finished")
        assert_korean_error(await api.get(f"/training/jobs/{'0' * 32}", headers=HEADERS), 404, "not_found")


async def test_training_job_bodies_are_validated(env) -> None:
    settings, service = env
    async with client(settings, service) as api:
        bad = await api.post("/training/jobs", headers=HEADERS, json={"kind": "train", "steps": 0})
        assert_korean_error(bad, 422, "invalid_request")
        unknown = await api.post("/training/jobs", headers=HEADERS, json={"kind": "reindex"})
        assert_korean_error(unknown, 422, "invalid_request")  # reindex is an admin route, not a training job


async def test_activation_passes_only_an_evaluated_adapter(env) -> None:
    settings, service = env
    ledger = Ledger(settings.db_url)
    model_id = ledger.add_model(name="lora", base="b.gguf", adapter_path="/a/lora.gguf", data_sha256="0" * 64,
                                steps=2, metrics={}, dataset_id=None, job_id=None)
    async with client(settings, service) as api:
        assert_korean_error(await api.post(f"/admin/models/{model_id}/activate", headers=HEADERS), 409, "below_gate")
        ledger.set_evaluation(model_id, {"score": 0.95})
        activated = await api.post(f"/admin/models/{model_id}/activate", headers=HEADERS)
        assert activated.status_code == 200 and activated.json()["active"]
        assert (await api.get("/admin/status", headers=HEADERS)).json()["model"]["adapter_id"] == model_id
        assert_korean_error(await api.post("/admin/models/999/activate", headers=HEADERS), 404, "not_found")


async def test_serve_adapter_swaps_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Path] = []
    monkeypatch.setattr("agent.generators.make_generator",
                        lambda settings, _kb: made.append(settings.lora_path) or "new generator")
    svc = SimpleNamespace(settings=Settings(), deps=SimpleNamespace(generator="old generator", kb=None,
                                                                    model_lock=asyncio.Lock()))
    assert await serve_adapter(svc, Path("/adapters/x.gguf"))
    assert svc.deps.generator == "new generator" and made == [Path("/adapters/x.gguf")]
    assert svc.settings.adapter_gguf_path == Path("/adapters/x.gguf")
    svc.deps.generator = None  # composer backend: nothing to swap
    assert not await serve_adapter(svc, Path("/adapters/y.gguf")) and made == [Path("/adapters/x.gguf")]


async def test_job_parameters_keep_booleans_and_numbers_apart(env) -> None:
    settings, service = env
    async with client(settings, service) as api:
        for body in ({"kind": "dataset", "sessions": 0}, {"kind": "dataset", "seed": False},
                     {"kind": "train", "lr": True}):
            assert_korean_error(await api.post("/training/jobs", json=body, headers=HEADERS), 422, "invalid_request")
