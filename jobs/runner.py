"""Start a job and run it: through Celery when a broker is configured, else on this process's job thread."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from pydantic import TypeAdapter

from hyanggi.settings import Settings
from jobs.ledger import HEARTBEAT_S, Ledger, ledger_for
from jobs.records import JobKind, JobParams, JobState, JobView
from jobs.tasks import TASKS, JobCancelled, Progress
from store.principals import SYSTEM, Principal

logger = logging.getLogger(__name__)

_PARAMS: TypeAdapter[JobParams] = TypeAdapter(JobParams)
FAILURE_KO = "작업을 하다가 문제가 생겼어요: {error}"


@lru_cache(maxsize=1)
def _job_thread() -> ThreadPoolExecutor:
    """One job at a time per process: training and reindexing each want every core."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="hyanggi-job")


def submit(settings: Settings, params: JobParams, owner: Principal = SYSTEM) -> JobView:
    """Record the job as ``owner``'s, queued, then hand it to the broker or the job thread."""
    job = ledger_for(settings.db_url).create(JobKind(params.kind), params.model_dump(mode="json"), owner)
    if settings.broker_url:
        from jobs.broker import RUN_JOB, broker_app  # Celery is loaded only where a broker is configured

        broker_app(settings.broker_url).send_task(RUN_JOB, args=[job.id])
    else:
        _job_thread().submit(execute, job.id, settings)
    return job


def execute(job_id: str, settings: Settings, beat_s: float = HEARTBEAT_S) -> JobState:
    """Run one queued job to its end state, beating its heartbeat every ``beat_s`` while it runs; never
    raises (the failure is recorded on the job). Returns the state recorded."""
    ledger = ledger_for(settings.db_url)
    if not ledger.start(job_id):
        return ledger.get(job_id).state  # cancelled before it started, or another worker has it
    job = ledger.get(job_id)
    progress = Progress(job_id, ledger)
    try:
        with _heartbeat(ledger, job_id, beat_s):
            result = TASKS[job.kind](_PARAMS.validate_python(job.params), settings, progress)
    except JobCancelled:
        return ledger.finish(job_id, JobState.cancelled, error="취소되었어요.")
    except Exception as error:  # noqa: BLE001 - a job's failure is its state, not the worker's crash
        logger.exception("job %s (%s) failed", job_id, job.kind)
        return ledger.finish(job_id, JobState.failed, error=FAILURE_KO.format(error=str(error)[:1000]))
    return ledger.finish(job_id, JobState.succeeded, result=result)


@contextlib.contextmanager
def _heartbeat(ledger: Ledger, job_id: str, every_s: float) -> Iterator[None]:
    """Beat on a side thread while the task runs: a training step or an index build may be silent for
    minutes, and only a dead worker should fall silent."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            try:
                ledger.beat(job_id)
            except Exception:  # noqa: BLE001 - a missed beat is retried; the job must not die of it
                logger.warning("heartbeat of job %s failed", job_id, exc_info=True)

    beater = threading.Thread(target=beat, name=f"hyanggi-beat-{job_id[:8]}", daemon=True)
    beater.start()
    try:
        yield
    finally:
        done.set()
        beater.join()
