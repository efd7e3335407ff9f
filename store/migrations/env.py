"""Alembic environment: uses the connection handed over by ``store.migrate.upgrade`` or, from the
alembic CLI, a synchronous engine built from ``sqlalchemy.url`` (the aiosqlite driver swapped for pysqlite)."""

from alembic import context
from sqlalchemy import create_engine

from store.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url").replace("+aiosqlite", "")
    with create_engine(url).connect() as sync_connection:
        _run(sync_connection)
