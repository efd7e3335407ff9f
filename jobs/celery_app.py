"""The Celery application `hyanggi worker` serves: one task that runs a recorded job by id.

Results go to the job table, not to a Celery result backend. Tasks are acknowledged on receipt (Celery's
default), so a worker that dies mid-job loses the message rather than re-running hours of training: its job
stops beating and is recorded ``failed`` ("worker lost", ``jobs.ledger``); start it again.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

RUN_JOB = "hyanggi.run_job"


@lru_cache(maxsize=4)
def celery_app(broker_url: str) -> Celery:
    app = Celery("hyanggi", broker=broker_url, set_as_current=False)
    app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=1,
                    broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)

    @app.task(name=RUN_JOB)
    def run_job(job_id: str) -> str:
        from hyanggi.settings import get_settings
        from jobs.runner import execute

        return execute(job_id, get_settings()).value

    return app
