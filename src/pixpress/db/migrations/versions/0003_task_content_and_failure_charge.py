"""tasks: the content hash of reusable uploads, and whether a failed task's charge was kept

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 10:00:00

Additive: two nullable columns and a unique index over (token_hash, content_hash); NULLs never clash,
so existing rows (all NULL) are untouched.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("content_hash", sa.String(length=64), nullable=True))
    op.add_column("tasks", sa.Column("failure_charged", sa.Boolean(), nullable=True))
    op.create_index("uq_tasks_token_content", "tasks", ["token_hash", "content_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_tasks_token_content", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("failure_charged")
        batch.drop_column("content_hash")
