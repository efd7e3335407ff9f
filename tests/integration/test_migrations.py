"""Alembic's migrations build exactly the tables ``store.models`` declares, on SQLite and on PostgreSQL, and
step down and up again (a store opened at an older revision is brought forward)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.engine import make_sync_engine
from store.migrate import alembic_config
from store.models import Base

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("postgres").new_database()


def _differences(url: str) -> list:
    with make_sync_engine(url).connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_migrations_match_the_models_and_round_trip(url: str) -> None:
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert _differences(url) == []
    command.downgrade(config, "0001")
    with make_sync_engine(url).connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0001"
    command.upgrade(config, "head")
    assert _differences(url) == []


async def test_a_store_with_saved_turns_upgrades_without_losing_them(tmp_path: Path) -> None:
    """A 0001 SQLite store holding a session, a turn and a recipe: the batch rebuilds of 0002 must neither
    fail on the foreign keys that point at them nor drop a row."""
    import sqlite3

    from store import LOCAL, Store, TurnRecord
    from store.engine import make_engine
    from store.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("INSERT INTO chat_sessions (id, title, source, created_at, updated_at) "
                   "VALUES ('s1', 't', 'chat', '2026-01-01', '2026-01-01')")
        db.execute("INSERT INTO turns (session_id, \"index\", user_text, reply, route, level, candidates, timings_ms, "
                   "created_at) VALUES ('s1', 0, 'u', 'r', 'question', '상세', '[]', '{}', '2026-01-01')")
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    with sqlite3.connect(tmp_path / "old.db.before-migration") as kept:  # what the person had, kept aside
        assert kept.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert kept.execute("SELECT count(*) FROM turns").fetchone() == (1,)
    store = await Store.open(url)
    try:
        [session] = await store.transcripts(LOCAL, limit=10)
        assert session.id == "s1" and [t.reply for t in session.turns] == ["r"]
        await store.commit_turn(LOCAL, TurnRecord(session_id="s1", user_text="u2", reply="r2", route="question"))
    finally:
        await store.close()


async def test_records_made_before_tenancy_belong_to_the_local_principal(url: str) -> None:
    """0004 on a database with a session, turn, recipe, rating and job (as the store migrates on start): each
    is the default principal's, and a row written afterwards without an owner is refused."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from store.engine import make_engine
    from store.migrate import upgrade

    engine = make_engine(url)
    await upgrade(engine, "0003")
    rows = [
        "INSERT INTO chat_sessions (id, title, source, created_at, updated_at) "
        "VALUES ('s1', 't', 'chat', '2026-01-01', '2026-01-01')",
        "INSERT INTO turns (id, session_id, \"index\", user_text, reply, route, level, candidates, timings_ms, "
        "created_at) VALUES (1, 's1', 0, 'u', 'r', 'question', '상세', '[]', '{}', '2026-01-01')",
        "INSERT INTO recipes (id, session_id, name, saved, created_at) VALUES ('r1', 's1', 'n', false, '2026-01-01')",
        "INSERT INTO feedback (turn_id, rating, comment, created_at) VALUES (1, 1, '', '2026-01-01')",
        "INSERT INTO jobs (id, kind, state, params, progress, metrics, log, result, error, cancel_requested, "
        "created_at) VALUES ('j1', 'reindex', 'queued', '{}', 0, '{}', '', '{}', '', false, '2026-01-01')",
    ]
    sync = make_sync_engine(url)
    with sync.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    await upgrade(engine)
    await engine.dispose()
    with sync.connect() as connection:
        for table in ("chat_sessions", "recipes", "feedback", "jobs"):
            assert connection.execute(text(f"SELECT DISTINCT owner FROM {table}")).scalars().all() == ["local"], table
    with pytest.raises(IntegrityError), sync.begin() as connection:
        connection.execute(text("INSERT INTO chat_sessions (id, title, source, created_at, updated_at) "
                                "VALUES ('s2', 't', 'chat', '2026-01-01', '2026-01-01')"))
    sync.dispose()
