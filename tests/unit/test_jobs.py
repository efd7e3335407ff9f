"""The job system on a real SQLite store with the in-process job thread: states, progress, cancel, failure,
and the dataset/adapter registry with its activation gate. The tasks are stand-ins; the real ones run in
tests/integration/test_jobs_servers.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from hyanggi.settings import Settings
from jobs.ledger import LOST_KO, GateError, Ledger
from jobs.records import JobKind, JobState, ReindexParams
from jobs.runner import execute, submit
from jobs.tasks import TASKS, Progress
from store import NotFoundError, Principal, Store
from store import models as m
from store.engine import make_sync_engine

WAIT_S = 10.0


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"
    await (await Store.open(url)).close()  # migrated
    return Settings(data_dir=tmp_path, database_url=url)


def wait_for(ledger: Ledger, job_id: str, *states: JobState):
    deadline = time.monotonic() + WAIT_S
    while (job := ledger.get(job_id)).state not in states:
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
    return job


def test_a_job_runs_on_the_job_thread_and_reports(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(params: ReindexParams, _: Settings, progress: Progress) -> dict:
        progress(0.5, "반쯤", documents=10)
        return {"force": params.force}

    monkeypatch.setitem(TASKS, JobKind.reindex, fake)
    job = submit(settings, ReindexParams(force=False))
    assert job.state == JobState.queued
    done = wait_for(Ledger(settings.db_url), job.id, JobState.succeeded)
    assert done.result == {"force": False} and done.progress == 1.0 and done.metrics == {"documents": 10}
    assert done.log_tail == ["반쯤"] and done.started_at and done.finished_at


def test_a_failure_is_the_job_state_in_korean(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> dict:
        raise RuntimeError("디스크가 가득 찼어요")

    monkeypatch.setitem(TASKS, JobKind.reindex, broken)
    ledger = Ledger(settings.db_url)
    job = ledger.create(JobKind.reindex, ReindexParams().model_dump(mode="json"))
    assert execute(job.id, settings) == JobState.failed
    failed = ledger.get(job.id)
    assert failed.error.startswith("작업을 하다가 문제가 생겼어요") and "디스크가 가득 찼어요" in failed.error


def test_cancel_stops_a_running_job_at_its_next_report(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()

    def endless(_: object, __: Settings, progress: Progress) -> dict:
        started.set()
        while True:
            progress(0.1)
            time.sleep(0.01)

    monkeypatch.setitem(TASKS, JobKind.reindex, endless)
    ledger = Ledger(settings.db_url)
    job = submit(settings, ReindexParams())
    assert started.wait(WAIT_S)
    assert ledger.cancel(job.id).cancel_requested
    assert wait_for(ledger, job.id, JobState.cancelled, JobState.succeeded).state == JobState.cancelled


def test_a_queued_job_cancelled_never_runs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setitem(TASKS, JobKind.reindex, lambda *_: ran.append("ran") or {})
    ledger = Ledger(settings.db_url)
    job = ledger.create(JobKind.reindex, {"kind": "reindex", "force": True})
    assert ledger.cancel(job.id).state == JobState.cancelled
    assert execute(job.id, settings) == JobState.cancelled and ran == []
    assert ledger.counts() == {"queued": 0, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 1}


def test_jobs_run_one_at_a_time(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    monkeypatch.setitem(TASKS, JobKind.reindex, lambda *_: release.wait(WAIT_S) and {})
    ledger = Ledger(settings.db_url)
    first, second = submit(settings, ReindexParams()), submit(settings, ReindexParams())
    wait_for(ledger, first.id, JobState.running)
    time.sleep(0.3)  # time enough for a second thread, were there one, to take the second job
    assert ledger.get(second.id).state == JobState.queued  # the queue depth an operator sees
    release.set()
    wait_for(ledger, second.id, JobState.succeeded)


def test_registry_dedupes_datasets_and_gates_activation(settings: Settings) -> None:
    ledger = Ledger(settings.db_url)
    dataset = ledger.add_dataset("d", "/data/d", "ab" * 32, 10, 2, {"train/propose/lexicon": 10})
    assert ledger.add_dataset("d2", "/data/d2", "ab" * 32, 10, 2, {}) == dataset
    assert ledger.dataset_path(None) == (dataset, "/data/d")
    with pytest.raises(NotFoundError):
        ledger.dataset_path(dataset + 1)
    common = dict(base="gemma.gguf", data_sha256="ab" * 32, steps=2, metrics={"dev_loss_best": 1.2},
                  dataset_id=dataset, job_id=None)
    weak = ledger.add_model(name="weak", adapter_path="/a/weak.gguf", **common)
    good = ledger.add_model(name="good", adapter_path="/a/good.gguf", **common)
    with pytest.raises(GateError, match="평가되지"):
        ledger.activate(weak, 0.8)
    ledger.set_evaluation(weak, {"score": 0.5})
    with pytest.raises(GateError, match="기준"):
        ledger.activate(weak, 0.8)
    ledger.set_evaluation(good, {"score": 0.9})
    assert ledger.activate(good, 0.8).active and ledger.active_model().id == good
    ledger.set_evaluation(weak, {"score": 0.85})
    ledger.activate(weak, 0.8)
    assert [m.active for m in ledger.models()] == [True, False]  # one serving adapter at a time


def test_the_gate_compares_with_the_adapter_that_served_on_the_same_briefs(settings: Settings) -> None:
    ledger = Ledger(settings.db_url)
    shipped = Path("/repo/finetune/adapters/hyanggi-lora.gguf")
    assert ledger.serving_adapter(shipped) == shipped  # nothing activated yet: the shipped adapter serves
    common = dict(base="gemma.gguf", data_sha256="cd" * 32, steps=2, metrics={}, dataset_id=None, job_id=None)
    worse = ledger.add_model(name="worse", adapter_path="/a/worse.gguf", **common)
    better = ledger.add_model(name="better", adapter_path="/a/better.gguf", **common)
    baseline = {"adapter": str(shipped), "score": 0.62, "valid_rate": 1.0}
    ledger.set_evaluation(worse, {"score": 0.6, "n_briefs": 10, "baseline": baseline})
    with pytest.raises(GateError, match="제공 중이던 어댑터의 0.620"):
        ledger.activate(worse, 0.5)  # above the floor, below what served
    assert ledger.active_model() is None
    ledger.set_evaluation(better, {"score": 0.62, "n_briefs": 10, "baseline": baseline})
    assert ledger.activate(better, 0.5).active  # a tie is not worse
    assert ledger.serving_adapter(shipped) == Path("/a/better.gguf")


def _age_heartbeat(url: str, job_id: str, seconds: float) -> None:
    engine = make_sync_engine(url)
    with engine.begin() as db:
        db.execute(update(m.Job).where(m.Job.id == job_id)
                   .values(heartbeat_at=m.utcnow() - timedelta(seconds=seconds)))
    engine.dispose()


def test_a_running_job_whose_worker_died_is_recorded_lost(settings: Settings) -> None:
    ledger = Ledger(settings.db_url, lost_after_s=60)
    dead, alive = (ledger.create(JobKind.reindex, {"kind": "reindex", "force": True}) for _ in range(2))
    assert ledger.start(dead.id) and ledger.start(alive.id)
    _age_heartbeat(settings.db_url, dead.id, 61)
    _age_heartbeat(settings.db_url, alive.id, 30)
    lost = ledger.get(dead.id)
    assert lost.state == JobState.failed and lost.error == LOST_KO and lost.finished_at
    assert ledger.get(alive.id).state == JobState.running
    assert ledger.counts()["failed"] == 1 and ledger.counts()["running"] == 1
    # The worker was only stalled: told to stop at its next report, its late verdict does not overwrite
    assert ledger.report(dead.id, 0.5) and not ledger.report(alive.id, 0.5)
    assert ledger.finish(dead.id, JobState.succeeded, result={"built": True}) == JobState.failed
    assert ledger.get(dead.id).result == {}


def test_a_silent_task_stays_alive_by_its_heartbeat(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """No progress report for three times the loss timeout: only the runner's beat keeps the job running."""
    monkeypatch.setitem(TASKS, JobKind.reindex, lambda *_: time.sleep(1.5) or {"built": True})
    reader = Ledger(settings.db_url, lost_after_s=0.5)
    job = reader.create(JobKind.reindex, ReindexParams().model_dump(mode="json"))
    states: list[JobState] = []
    runner = threading.Thread(target=lambda: states.append(execute(job.id, settings, beat_s=0.05)))
    runner.start()
    while runner.is_alive():
        # Never lost (failed) while the runner beats; it may have succeeded since is_alive() was read.
        assert reader.get(job.id).state is not JobState.failed
        time.sleep(0.05)
    runner.join()
    assert states == [JobState.succeeded] and reader.get(job.id).result == {"built": True}


def test_a_job_is_its_starters_and_every_admin_principals(settings: Settings) -> None:
    ledger = Ledger(settings.db_url)
    mine, theirs = Principal(id="key:studio-a"), Principal(id="key:studio-b")
    job = ledger.create(JobKind.reindex, ReindexParams().model_dump(mode="json"), mine)
    assert job.owner == "key:studio-a" and ledger.get(job.id, mine).id == job.id
    for asking in (theirs, Principal(id="user:studio-a")):
        with pytest.raises(NotFoundError):
            ledger.get(job.id, asking)
        with pytest.raises(NotFoundError):
            ledger.cancel(job.id, asking)
    assert ledger.get(job.id, theirs.model_copy(update={"admin": True})).state == JobState.queued
    assert ledger.get(job.id).owner == "key:studio-a"  # workers read as the system
    assert ledger.create(JobKind.reindex, {"kind": "reindex", "force": True}).owner == "system"


def test_the_evaluate_job_scores_the_serving_adapter_on_the_same_briefs(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidate and baseline go through the same briefs, one model after the other; the candidate alone when
    it is the adapter that serves."""
    import agent.generators
    import eval.generator_eval
    from jobs.records import EvaluateParams
    from jobs.tasks import evaluate

    shipped, candidate = tmp_path / "shipped.gguf", tmp_path / "candidate.gguf"
    shipped.write_bytes(b"gguf")
    candidate.write_bytes(b"gguf")
    seen: list[tuple[Path, list[str]]] = []

    class Report:
        def __init__(self, score: float) -> None:
            self.score, self.valid_rate, self.n_briefs = score, 1.0, 2

        def model_dump(self) -> dict:
            return {"score": self.score}

    def fake_evaluate(generator: Path, cases: list[str], *_: object, on_case: Callable[[str], None],
                      **__: object) -> Report:
        seen.append((generator, cases))
        for case in cases:
            on_case(case)
        return Report(0.7 if generator == candidate else 0.6)

    monkeypatch.setattr(agent.generators, "make_generator", lambda s, kb: s.lora_path)
    monkeypatch.setattr(eval.generator_eval, "evaluate_system", fake_evaluate)
    monkeypatch.setattr(eval.generator_eval, "load_dev_cases", lambda limit: ["a", "b"][:limit])
    ledger = Ledger(settings.db_url)
    model_id = ledger.add_model(name="c", adapter_path=str(candidate), base="gemma.gguf", data_sha256="ef" * 32,
                                steps=2, metrics={}, dataset_id=None, job_id=None)
    job = ledger.create(JobKind.evaluate, {})
    assert ledger.start(job.id)
    serving = settings.model_copy(update={"lora_path": shipped})
    result = evaluate(EvaluateParams(model_id=model_id, limit=2), serving, Progress(job.id, ledger))
    assert seen == [(candidate, ["a", "b"]), (shipped, ["a", "b"])]
    assert ledger.get(job.id).log_tail[-1] == "4/4 b"  # progress counts both adapters' briefs
    assert result["baseline"] == {"adapter": str(shipped), "score": 0.6, "valid_rate": 1.0}
    assert ledger.activate(model_id, 0.5).active

    seen.clear()  # now the candidate serves: nothing to compare it with but the floor
    assert "baseline" not in evaluate(EvaluateParams(model_id=model_id, limit=2), serving, Progress(job.id, ledger))
    assert seen == [(candidate, ["a", "b"])]
