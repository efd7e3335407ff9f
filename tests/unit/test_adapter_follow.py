"""Every web worker follows the ledger's active adapter (jobs.adapters): a check swaps only when the active
adapter differs from the one served, never on workers without a local model, and an activation answered by
one worker reaches another at its next check. Real SQLite store shared by both "workers"; the model loader
is a stand-in."""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from hyanggi.settings import GeneratorBackend, Settings
from jobs.adapters import follow_active_adapter, keep_following
from jobs.ledger import Ledger
from store import Store
from tests.unit.api_fakes import FakeService
from ui.api import create_api

ADMIN = "admin-secret"


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    await (await Store.open(url)).close()  # migrated
    return Settings(data_dir=tmp_path, database_url=url, generator_backend=GeneratorBackend.llama_cpp,
                    admin_key=hashlib.sha256(ADMIN.encode()).hexdigest())


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Adapters the stand-in loader was asked for; the generator it returns names its adapter."""
    loaded: list[Path] = []

    def load(settings: Settings, _kb: object) -> str:
        loaded.append(settings.lora_path)
        return f"generator with {settings.lora_path.name}"

    monkeypatch.setattr("agent.generators.make_generator", load)
    return loaded


def worker(settings: Settings, generator: str | None = "shipped generator") -> SimpleNamespace:
    return SimpleNamespace(settings=settings, deps=SimpleNamespace(generator=generator, kb=None,
                                                                   model_lock=asyncio.Lock()))


def evaluated_adapter(ledger: Ledger, path: Path) -> int:
    model_id = ledger.add_model(name=path.stem, base="b.gguf", adapter_path=str(path), data_sha256="0" * 64,
                                steps=2, metrics={}, dataset_id=None, job_id=None)
    ledger.set_evaluation(model_id, {"score": 0.95})
    return model_id


async def test_a_check_swaps_only_to_a_new_active_adapter(settings: Settings, made: list[Path],
                                                          tmp_path: Path) -> None:
    ledger, svc = Ledger(settings.db_url), worker(settings)
    assert not await follow_active_adapter(svc, ledger)  # nothing active: keep the shipped adapter
    adapter = tmp_path / "a.gguf"
    adapter.write_bytes(b"gguf")
    ledger.activate(evaluated_adapter(ledger, adapter), 0.8)
    assert await follow_active_adapter(svc, ledger)
    assert svc.deps.generator == "generator with a.gguf" and svc.settings.adapter_gguf_path == adapter
    assert not await follow_active_adapter(svc, ledger) and made == [adapter]  # served already: no reload

    ledger.activate(evaluated_adapter(ledger, tmp_path / "elsewhere.gguf"), 0.8)  # file not on this worker
    with pytest.raises(FileNotFoundError, match="elsewhere.gguf"):
        await follow_active_adapter(svc, ledger)
    assert svc.deps.generator == "generator with a.gguf" and made == [adapter]


async def test_workers_without_a_local_model_never_swap(settings: Settings, made: list[Path],
                                                        tmp_path: Path) -> None:
    ledger = Ledger(settings.db_url)
    adapter = tmp_path / "a.gguf"
    adapter.write_bytes(b"gguf")
    ledger.activate(evaluated_adapter(ledger, adapter), 0.8)
    remote = worker(settings.model_copy(update={"generator_backend": GeneratorBackend.remote,
                                                "generator_url": "http://models:8001/v1"}))
    composer = worker(settings, generator=None)
    for svc in (remote, composer):
        assert not await follow_active_adapter(svc, ledger)
        await asyncio.wait_for(keep_following(svc, ledger, every_s=0.01), 1)  # returns: nothing to follow
    assert made == []


async def test_an_activation_on_one_worker_reaches_the_other(settings: Settings, made: list[Path],
                                                             tmp_path: Path) -> None:
    store = await Store.open(settings.db_url)
    answering = FakeService(store)
    answering.settings, answering.deps.generator, answering.deps.model_lock = settings, "shipped", asyncio.Lock()
    other = worker(settings)
    follower = asyncio.create_task(keep_following(other, Ledger(settings.db_url), every_s=0.05))
    adapter = tmp_path / "new.gguf"
    adapter.write_bytes(b"gguf")
    model_id = evaluated_adapter(Ledger(settings.db_url), adapter)
    try:
        transport = httpx.ASGITransport(app=create_api(settings, lambda: answering))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            response = await api.post(f"/admin/models/{model_id}/activate", headers={"X-Admin-Key": ADMIN})
        assert response.status_code == 200 and answering.deps.generator == "generator with new.gguf"
        deadline = time.monotonic() + 5
        while other.settings.adapter_gguf_path != adapter:
            assert time.monotonic() < deadline, "the other worker never followed the activation"
            await asyncio.sleep(0.02)
        assert other.deps.generator == "generator with new.gguf" and made == [adapter, adapter]
    finally:
        follower.cancel()
        await store.close()
