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
