"""Thread memory on a real PostgreSQL: a conversation started on one web worker continues on another (two
services, each with its own connections, sharing only the database), and every turn is in the store."""

from __future__ import annotations

import asyncio

import pytest

from agent.deps import Deps
from agent.service import ChatService
from hyanggi.settings import GeneratorBackend, Settings, get_settings
from ops.servers import Postgres
from store import LOCAL
from store.checkpointer import open_thread_memory

pytestmark = pytest.mark.integration


async def test_a_thread_started_on_one_worker_continues_on_another(postgres: Postgres, tmp_path) -> None:
    settings = get_settings().model_copy(update={
        "database_url": postgres.new_database(), "checkpoint_db": tmp_path / "unused.db",
        "generator_backend": GeneratorBackend.composer})
    deps = Deps.load(settings)
    one, two = await ChatService.open(settings, deps), await ChatService.open(settings, deps)
    try:
        first = await one.ask("비 오는 날 카페 같은 포근한 향", source="test")
        assert first.error is None and first.recipe and first.recipe["version"] == 1
        second = await two.ask("더 우디하게", session_id=first.session, source="test")
        assert second.error is None and second.intent == "edit"
        assert second.recipe["id"] == first.recipe["id"] and second.recipe["version"] == 2
        turns = (await one.store.transcript(LOCAL, first.session)).turns
        assert [t.id for t in turns] == [first.turn_id, second.turn_id]
        assert not (tmp_path / "unused.db").exists()  # no SQLite thread memory beside PostgreSQL
    finally:
        await one.close()
        await two.close()


async def test_workers_starting_together_set_up_thread_memory(postgres: Postgres) -> None:
    """Three workers create the checkpointer's tables at once without deadlocking on each other."""
    settings = Settings(database_url=postgres.new_database())
    memories = await asyncio.wait_for(asyncio.gather(*(open_thread_memory(settings) for _ in range(3))), 60)
    for memory in memories:
        await memory.close()
