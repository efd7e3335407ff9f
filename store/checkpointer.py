"""LangGraph thread memory on the store's database engine: a SQLite file by default, PostgreSQL when the
store is there, so any web worker can continue any thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from langgraph.checkpoint.base import BaseCheckpointSaver

from hyanggi.settings import Settings
from store.engine import libpq_url

BUSY_TIMEOUT_S = 15.0  # a whole turn may take this many single-generation time limits
POOL_SIZE = 8
SETUP_LOCK = 0x6879_6B67  # pg advisory lock id: workers starting together create the tables one at a time
SETUP_POLL_S = 0.2


@dataclass
class ThreadMemory:
    """A checkpointer and how to release what it holds."""

    saver: BaseCheckpointSaver
    close: Callable[[], Awaitable[None]]


async def open_thread_memory(settings: Settings) -> ThreadMemory:
    """Open (and on PostgreSQL create the tables of) the checkpointer; call inside the serving event loop."""
    if settings.uses_postgres:
        return await _postgres(settings.db_url)
    return await _sqlite(settings)


async def _sqlite(settings: Settings) -> ThreadMemory:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    settings.checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
    # A chat server and a CLI command may share the checkpoint file: wait for the other writer.
    connection = await aiosqlite.connect(settings.checkpoint_path, timeout=BUSY_TIMEOUT_S)
    await connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    await connection.execute("PRAGMA journal_mode=WAL")
    return ThreadMemory(AsyncSqliteSaver(connection), connection.close)


async def _postgres(url: str) -> ThreadMemory:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    # The saver reads rows by column name and relies on autocommit; pgbouncer-safe without prepared statements.
    pool = AsyncConnectionPool(libpq_url(url), min_size=1, max_size=POOL_SIZE, open=False,
                               kwargs={"autocommit": True, "prepare_threshold": None, "row_factory": dict_row})
    await pool.open(wait=True)
    saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
    async with pool.connection() as lock:
        # Polled, not waited for: the saver's CREATE INDEX CONCURRENTLY waits for every open statement,
        # including another worker's blocking pg_advisory_lock — a deadlock PostgreSQL does not detect.
        while not (await (await lock.execute("SELECT pg_try_advisory_lock(%s) AS taken",
                                             (SETUP_LOCK,))).fetchone())["taken"]:
            await asyncio.sleep(SETUP_POLL_S)
        try:
            await saver.setup()
        finally:
            await lock.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
    return ThreadMemory(saver, pool.close)
