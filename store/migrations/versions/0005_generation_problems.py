"""generation_logs.problems: what was fixed in a model's output, or why a sentence or the whole output was not
used (store.records.Withheld) — kept, so an evaluator reads the chat's own verdicts instead of re-checking

Existing rows get an empty list. The column is added nullable, filled, then made NOT NULL, as 0004 adds owners.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('generation_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problems', sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE generation_logs SET problems = '[]'"))
    with op.batch_alter_table('generation_logs', schema=None) as batch_op:
        batch_op.alter_column('problems', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('generation_logs', schema=None) as batch_op:
        batch_op.drop_column('problems')
