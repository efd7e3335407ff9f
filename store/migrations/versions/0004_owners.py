"""owner of sessions, recipes, feedback and jobs: each client's formulas are its own (issue 29)

Existing rows belong to the default principal ``local`` (store.principals.LOCAL_ID). The column is added
nullable, filled, then made NOT NULL without a server default: a row written without an owner fails.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OWNED = ('chat_sessions', 'recipes', 'feedback', 'jobs')
DEFAULT_OWNER = 'local'


def upgrade() -> None:
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('owner', sa.String(length=80), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET owner = :owner").bindparams(owner=DEFAULT_OWNER))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('owner', existing_type=sa.String(length=80), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_owner'), ['owner'], unique=False)


def downgrade() -> None:
    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_owner'))
            batch_op.drop_column('owner')
