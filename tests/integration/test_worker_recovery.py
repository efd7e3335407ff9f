"""The two cross-worker signals on a real PostgreSQL store: a running job whose worker stopped beating is
recorded lost by whichever worker reads the job table next, and an adapter activated through one worker's
ledger is followed by another worker's check (jobs.adapters). Each "worker" has its own ledger (its own
connection pool), as separate processes would."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from hyanggi.settings import GeneratorBackend, Settings
from jobs.adapters import follow_active_adapter
from jobs.ledger import LOST_KO, Ledger
from jobs.records import JobKind, JobState
from ops.servers import Postgres
from store import Store

pytestmark = pytest.mark.integration


@pytest.fixture
def database(postgres: Postgres) -> str:
    url = postgres.new_database()
    asyncio.run(_migrate(url))
    return url


async def _migrate(url: str) -> None:
    await (await Store.open(url)).close()


def test_a_job_that_stopped_beating_is_recorded_lost(database: str) -> None:
    runner, reader = Ledger(database), Ledger(database, lost_after_s=0.5)
    silent = runner.create(JobKind.reindex, {"kind": "reindex", "force": True})
    beating = runner.create(JobKind.reindex, {"kind": "reindex", "force": True})
    assert runner.start(silent.id) and runner.start(beating.id)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # PostgreSQL's timestamptz against the ledger's aware UTC clock
        runner.beat(beating.id)
        time.sleep(0.1)
    assert reader.get(beating.id).state == JobState.running
    lost = reader.get(silent.id)
    assert lost.state == JobState.failed and lost.error == LOST_KO
    assert runner.report(silent.id, 0.9)  # the stalled worker is told to stop


async def test_an_activation_reaches_another_workers_check(database: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.generators.make_generator", lambda settings, _kb: f"with {settings.lora_path.name}")
    adapter = tmp_path / "new.gguf"
    adapter.write_bytes(b"gguf")
    admin = Ledger(database)
    model_id = admin.add_model(name="new", base="b.gguf", adapter_path=str(adapter), data_sha256="0" * 64,
                               steps=2, metrics={}, dataset_id=None, job_id=None)
    admin.set_evaluation(model_id, {"score": 0.9})
    admin.activate(model_id, 0.8)
    other = SimpleNamespace(settings=Settings(database_url=database, generator_backend=GeneratorBackend.llama_cpp),
                            deps=SimpleNamespace(generator="shipped", kb=None, model_lock=asyncio.Lock()))
    assert await follow_active_adapter(other, Ledger(database))
    assert other.deps.generator == "with new.gguf" and other.settings.adapter_gguf_path == adapter
