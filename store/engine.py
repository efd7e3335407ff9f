"""Engines with the durability settings a chat record needs, on SQLite (default) or PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL``: a turn acknowledged after commit survives a crash or a
power cut, and readers (evaluation, the API) never block the writer. A busy timeout makes concurrent
writers wait instead of failing. PostgreSQL is durable on commit by default; its connections are checked
before use so a restarted server costs one retry, not a failed turn.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

BUSY_TIMEOUT_MS = 10_000
# The async drivers the store runs on → the synchronous drivers of the same databases (Alembic's CLI, jobs).
_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg"}


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sync_url(url: str) -> str:
    """The same database through a synchronous driver."""
    parsed = make_url(url)
    return parsed.set(drivername=_SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)).render_as_string(
        hide_password=False)


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq (psycopg, LangGraph's Postgres saver) reads it: no SQLAlchemy driver part."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _make_parent(url: str) -> None:
    parsed = make_url(url)
    if is_sqlite(url) and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> AsyncEngine:
    """Create the engine; for SQLite, make the parent folder and apply the durability pragmas."""
    _make_parent(url)
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def make_sync_engine(url: str) -> Engine:
    """A synchronous engine on the store's database (``url`` as the store takes it), same settings."""
    _make_parent(url)
    if is_sqlite(url):
        engine = create_engine(sync_url(url), connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(sync_url(url), pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
