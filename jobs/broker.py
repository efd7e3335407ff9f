"""The Celery client both sides share: the app configured for a broker, and the name of the one task.

``jobs.runner`` sends a job's id by the task's name; ``jobs.celery_app`` (what `hyanggi worker` serves)
registers the task on this same app. Neither imports the other's side, so the runner needs no worker code.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

RUN_JOB = "hyanggi.run_job"


@lru_cache(maxsize=4)
def broker_app(broker_url: str) -> Celery:
    app = Celery("hyanggi", broker=broker_url, set_as_current=False)
    app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=1,
                    broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)
    return app
