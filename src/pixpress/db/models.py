"""Tables. Tokens appear only as SHA-256 hashes plus a short display prefix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Task(Base):
    """One upload and its optimization. States: queued -> processing -> done | failed."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    options_json: Mapped[str] = mapped_column(Text, default="{}")
    original_filename: Mapped[str] = mapped_column(String(255), default="image")
    input_key: Mapped[str] = mapped_column(String(255))
    result_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    input_format: Mapped[str] = mapped_column(String(16))
    original_size: Mapped[int] = mapped_column(BigInteger)
    charged_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    optimized_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    output_format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mime_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # quality, score, variants
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # SHA-256 of the token hash, the normalized options and the upload (tasks/content.py): a re-upload of
    # the same bytes with the same options by the same token gets this task back, uncharged. Cleared
    # (NULL) once the task can no longer be reused (failed, expired), so a new upload can take it.
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A failed task's charge: None until settled, False refunded (a free failure), True kept (past the
    # token's free allowance of failures its files caused; usecases/failures.py).
    failure_charged: Mapped[bool | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (
        UniqueConstraint("token_hash", "idempotency_key", name="uq_tasks_token_idempotency"),
        # One reusable task per token and content: two identical uploads at once cannot both be charged.
        Index("uq_tasks_token_content", "token_hash", "content_hash", unique=True),
        Index("ix_tasks_status_lease", "status", "lease_expires_at"),
        Index("ix_tasks_token_status", "token_hash", "status"),
    )


class Licence(Base):
    """What pixpress knows of a token: its quota (from the licence server) and its usage this period."""

    __tablename__ = "licences"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash_prefix: Mapped[str] = mapped_column("token_prefix", String(16))  # of the hash, never the token
    valid: Mapped[bool] = mapped_column(default=True)
    quota_bytes: Mapped[int] = mapped_column(BigInteger)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    subscription_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="license_api")
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    period_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The first charge ever: PIXPRESS_RESET_SCHEDULE=anniversary resets on this day of every month.
    first_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsageEntry(Base):
    """The ledger: every charge (+bytes), refund (-bytes) and reset (closes a period) is a row."""

    __tablename__ = "usage_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # charge | refund | reset, and two 0-byte notes: reuse (an identical upload answered with an earlier
    # task) and failure_charged (a failed task whose charge was kept: past the free allowance)
    kind: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    period_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(255), nullable=True)


class UsageStatement(Base):
    """A closed period of one token, written in the transaction that closes it (reset or schedule)."""

    __tablename__ = "usage_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    period_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    charged_bytes: Mapped[int] = mapped_column(BigInteger)
    refunded_bytes: Mapped[int] = mapped_column(BigInteger)  # positive: what refunds gave back
    uploads: Mapped[int] = mapped_column(Integer)  # charges, one per accepted upload
    closed_by: Mapped[str] = mapped_column(String(16))  # schedule | admin | dashboard
    # The scheduled reset this close was for (00:00 UTC); None for a reset by hand.
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        # A period closes once; also the index for a token's statements.
        UniqueConstraint("token_hash", "period_started_at", name="uq_usage_statements_period"),
    )

    @property
    def used_bytes(self) -> int:
        return self.charged_bytes - self.refunded_bytes


class Lock(Base):
    """Named leases for once-per-deployment jobs when no Redis is configured."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RateCounter(Base):
    """Fixed-window counters (failed token checks per client address) when no Redis is configured."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer, default=0)
