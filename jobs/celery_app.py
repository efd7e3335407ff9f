"""The Celery application `hyanggi worker` serves: one task that runs a recorded job by id.

Results go to the job table, not to a Celery result backend. Tasks are acknowledged on receipt (Celery's
default), so a worker that dies mid-job loses the message rather than re-running hours of training: its job
stops beating and is recorded ``failed`` ("worker lost", ``jobs.ledger``); start it again.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from hyanggi.settings import get_settings
from jobs.broker import RUN_JOB, broker_app
from jobs.runner import execute


@lru_cache(maxsize=4)
def celery_app(broker_url: str) -> Celery:
    """The broker's app with the job task registered: what a worker serves."""
    app = broker_app(broker_url)

    @app.task(name=RUN_JOB)
    def run_job(job_id: str) -> str:
        return execute(job_id, get_settings()).value

    return app
