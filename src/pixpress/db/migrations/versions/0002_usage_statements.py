"""usage statements and the first charge of each licence

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 02:00:00

A statement for every period closed before this migration is rebuilt from the ledger (its reset entry
and the charges and refunds of its period), and each licence's first charge from its oldest charge.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BACKFILL_STATEMENTS = """
INSERT INTO usage_statements
  (token_hash, period_started_at, period_ended_at, charged_bytes, refunded_bytes, uploads, closed_by)
SELECT r.token_hash, r.period_started_at, r.created_at,
  COALESCE((SELECT SUM(c.size_bytes) FROM usage_ledger c WHERE c.token_hash = r.token_hash
            AND c.period_started_at = r.period_started_at AND c.kind = 'charge'), 0),
  COALESCE((SELECT -SUM(f.size_bytes) FROM usage_ledger f WHERE f.token_hash = r.token_hash
            AND f.period_started_at = r.period_started_at AND f.kind = 'refund'), 0),
  (SELECT COUNT(*) FROM usage_ledger u WHERE u.token_hash = r.token_hash
            AND u.period_started_at = r.period_started_at AND u.kind = 'charge'),
  'admin'
FROM usage_ledger r
WHERE r.id IN (SELECT MIN(id) FROM usage_ledger WHERE kind = 'reset' GROUP BY token_hash, period_started_at)
"""

BACKFILL_FIRST_USE = """
UPDATE licences SET first_used_at = (
  SELECT MIN(u.created_at) FROM usage_ledger u WHERE u.token_hash = licences.token_hash AND u.kind = 'charge'
)
"""


def upgrade() -> None:
    op.create_table(
        "usage_statements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("period_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("charged_bytes", sa.BigInteger(), nullable=False),
        sa.Column("refunded_bytes", sa.BigInteger(), nullable=False),
        sa.Column("uploads", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", "period_started_at", name="uq_usage_statements_period"),
    )
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL_STATEMENTS)
    op.execute(BACKFILL_FIRST_USE)


def downgrade() -> None:
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_column("first_used_at")
    op.drop_table("usage_statements")
