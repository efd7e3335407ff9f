"""Alembic environment: uses the connection handed over by ``store.migrate.upgrade`` or, from the
alembic CLI, a synchronous engine built from ``sqlalchemy.url`` (its async driver swapped for a synchronous one)."""

from alembic import context

from store.engine import make_sync_engine
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
    with make_sync_engine(context.config.get_main_option("sqlalchemy.url")).connect() as sync_connection:
        _run(sync_connection)
