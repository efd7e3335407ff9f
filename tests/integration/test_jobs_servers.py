"""Jobs through the real queue: `hyanggi worker` (Celery) on a real redis-server broker, the job table and
adapter registry on a real PostgreSQL. A tiny fine-tune (two steps on six hand-picked examples) is trained,
exported to GGUF, registered, evaluated and activated; a long one is cancelled while it runs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyanggi.settings import Settings, get_settings
from jobs.ledger import GateError, Ledger
from jobs.records import EvaluateParams, JobState, JobView, TrainParams
from jobs.runner import submit
from ops.servers import Postgres, hyanggi_process
from store import Store

pytestmark = pytest.mark.integration

JOB_TIMEOUT_S = 600.0
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = {"task": "narrate", "source": "lexicon", "brief_key": "k",
           "prompt": "[향수 이야기]\n요청: 상큼한 시트러스\n향조: 시트러스\n장면: 상큼한, EDP\n이야기:",
           "target": "요청하신 시트러스 분위기를 담았습니다. EDP 처방으로 하루의 장면에 어울리게 담았습니다."}


@pytest.fixture(scope="module")
def stack(postgres: Postgres, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """PostgreSQL + Redis + one `hyanggi worker`, all configured only through HYANGGI_ variables."""
    data = tmp_path_factory.mktemp("jobs")
    database = postgres.new_database()
    asyncio.run(migrated(database))
    env = {"HYANGGI_DATA_DIR": str(data), "HYANGGI_DATABASE_URL": database,
           "HYANGGI_BROKER_URL": redis_url, "HYANGGI_GGUF_PATH": str(get_settings().base_gguf_path),
           "HYANGGI_EMBEDDER_MODEL": get_settings().embedder_name_or_path, "HYANGGI_ACTIVATION_MIN_SCORE": "0"}
    with hyanggi_process(["worker"], env, data / "worker.log"):
        yield Settings(**{key.removeprefix("HYANGGI_").lower(): value for key, value in env.items()})


async def migrated(url: str) -> None:
    await (await Store.open(url)).close()


def wait(ledger: Ledger, job_id: str, until: frozenset[JobState] | set[JobState], timeout: float = JOB_TIMEOUT_S,
         progress: float = -1.0) -> JobView:
    deadline = time.monotonic() + timeout
    while True:
        job = ledger.get(job_id)
        if job.state in until or (progress >= 0 and job.progress > progress):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.5)


def tiny_dataset(settings: Settings, ledger: Ledger) -> int:
    folder = settings.data_dir / "tiny-dataset"
    folder.mkdir(exist_ok=True)
    for split, n in (("train", 4), ("dev", 2)):
        (folder / f"{split}.jsonl").write_text(
            "".join(json.dumps({**EXAMPLE, "brief_key": f"{split}{i}"}, ensure_ascii=False) + "\n" for i in range(n)),
            encoding="utf-8")
    return ledger.add_dataset("tiny", str(folder), "ab" * 32, 4, 2, {"train/narrate/lexicon": 4})


def test_a_fine_tune_is_trained_registered_evaluated_and_activated(stack: Settings) -> None:
    """Retraining: two steps on from the serving (shipped) adapter, then the gate against that adapter."""
    ledger = Ledger(stack.db_url)
    dataset_id = tiny_dataset(stack, ledger)
    job = submit(stack, TrainParams(dataset_id=dataset_id, steps=2, eval_every=1, batch_size=1, dev_batches=1))
    done = wait(ledger, job.id, {JobState.succeeded, JobState.failed, JobState.cancelled})
    assert done.state == JobState.succeeded, done
    assert done.metrics["step"] == 2 and "dev_loss" in done.metrics and done.log_tail
    model = ledger.model(done.result["model_id"])
    assert Path(model.adapter_path).is_file() and model.dataset_id == dataset_id and model.job_id == job.id
    assert model.steps == 2 and "dev_loss_best" in model.metrics
    run = json.loads((stack.data_dir / "finetune" / "runs" / job.id / "config.json").read_text(encoding="utf-8"))
    assert run["init_adapter"] == str(REPO / "finetune" / "adapters" / "hyanggi-lora-peft")
    assert (run["rank"], run["first_layer"]) == (8, 9)  # the shipped adapter's shape, not the defaults'

    evaluation = submit(stack, EvaluateParams(model_id=model.id, limit=1))
    evaluated = wait(ledger, evaluation.id, {JobState.succeeded, JobState.failed, JobState.cancelled})
    assert evaluated.state == JobState.succeeded, evaluated
    figures = ledger.model(model.id).evaluation
    assert 0.0 <= figures["score"] <= 1.0 and evaluated.result["n_briefs"] == 1
    assert figures["baseline"]["adapter"] == str(stack.adapter_gguf_path)  # scored in the same job
    if figures["score"] >= figures["baseline"]["score"]:
        assert ledger.activate(model.id, stack.activation_min_score).active
    else:
        with pytest.raises(GateError):
            ledger.activate(model.id, stack.activation_min_score)


def test_a_running_fine_tune_is_cancelled(stack: Settings) -> None:
    ledger = Ledger(stack.db_url)
    job = submit(stack, TrainParams(dataset_id=tiny_dataset(stack, ledger), steps=10_000, eval_every=1,
                                    batch_size=1, dev_batches=1))
    running = wait(ledger, job.id, {JobState.failed}, progress=0.0)  # it reported a step
    assert running.state == JobState.running
    ledger.cancel(job.id)
    cancelled = wait(ledger, job.id, {JobState.cancelled, JobState.succeeded, JobState.failed}, timeout=120)
    assert cancelled.state == JobState.cancelled and cancelled.metrics["step"] < 10_000
