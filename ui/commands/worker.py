"""`hyanggi worker`: the Celery worker that runs jobs (reindex, dataset, training, evaluation)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ui.apps import app


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="동시에 실행할 작업 수 (training wants every core: 1).")] = 1,
) -> None:
    """작업 워커를 시작합니다 (HYANGGI_BROKER_URL 의 Celery 큐; needs the web workers' database settings)."""
    from hyanggi.logs import configure_logging
    from hyanggi.settings import get_settings
    from jobs.celery_app import celery_app
    from store import Store

    settings = get_settings()
    if not settings.broker_url:
        typer.echo("HYANGGI_BROKER_URL 이 설정되지 않았어요. 브로커 없이는 작업이 웹 프로세스 안에서 실행돼요.", err=True)
        raise typer.Exit(2)

    async def _migrate() -> None:  # the job table must exist before the first job arrives
        store = await Store.open(settings.db_url)
        await store.close()

    asyncio.run(_migrate())
    configure_logging(settings.log_format)
    celery_app(settings.broker_url).worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip",
         "--without-mingle", "--hostname=hyanggi@%h"])
