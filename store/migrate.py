"""Bring a database to the newest schema with Alembic (programmatically, inside the running loop)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x6879_6B61  # pg advisory lock id: web workers starting together migrate one at a time


def alembic_config(url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _pending(sync_connection) -> bool:  # noqa: ANN001 - SQLAlchemy Connection
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(sync_connection).get_current_revision()
    return current is not None and current != ScriptDirectory.from_config(alembic_config()).get_current_head()


def _backup(path: Path) -> Path:
    """``<db>.before-migration`` beside the database, replaced at each upgrade."""
    copy = path.with_name(path.name + ".before-migration")
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return copy


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def _run(sync_connection) -> None:  # noqa: ANN001 - SQLAlchemy Connection
        config = alembic_config()
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite and engine.url.database and await connection.run_sync(_pending):
            # SQLite DDL here is not atomic: a migration that fails halfway leaves a half-built schema.
            # Keep a consistent copy of what the person had (the backup API includes the WAL).
            _backup(Path(engine.url.database))
        if sqlite:
            # Batch migrations rebuild a table by copy-and-drop; with foreign keys enforced, dropping a table
            # that saved turns point at fails halfway. SQLite's own recipe: keys off (outside any transaction),
            # migrate, check every reference, keys on again.
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        await connection.run_sync(_run)
        if sqlite:
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken references: {broken[:3]}")
        await connection.commit()
        if sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
