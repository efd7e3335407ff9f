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

    from store import Store, TurnRecord
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
        [session] = await store.transcripts(limit=10)
        assert session.id == "s1" and [t.reply for t in session.turns] == ["r"]
        await store.commit_turn(TurnRecord(session_id="s1", user_text="u2", reply="r2", route="question"))
    finally:
        await store.close()
