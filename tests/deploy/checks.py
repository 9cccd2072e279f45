"""What must hold after a drill, read from the topology's own PostgreSQL and bucket."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from scripts.deploy_local.topology import Topology, pixpress_command, s3_client
from sqlalchemy import create_engine, text

from pixpress.errors import PixpressError
from pixpress.quota.service import hash_token


def stable_codes() -> set[str]:
    """Every error code pixpress documents (one class each), bar the last-resort internal_error."""
    found, frontier = set(), [PixpressError]
    while frontier:
        cls = frontier.pop()
        found.add(cls.code)
        frontier.extend(cls.__subclasses__())
    return found - {"internal_error"}


@dataclass(frozen=True)
class TaskRow:
    id: str
    status: str
    error_code: str | None
    original_size: int
    attempts: int
    idempotency_key: str | None
    charges: int
    refunds: int
    charged_bytes: int
    refunded_bytes: int


def task_rows(top: Topology, key_prefix: str) -> list[TaskRow]:
    engine = create_engine(top.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    """
                    SELECT t.id, t.status, t.error_code, t.original_size, t.attempts, t.idempotency_key,
                      (SELECT count(*) FROM usage_ledger l WHERE l.task_id = t.id AND l.kind = 'charge'),
                      (SELECT count(*) FROM usage_ledger l WHERE l.task_id = t.id AND l.kind = 'refund'),
                      (SELECT coalesce(sum(size_bytes), 0) FROM usage_ledger l
                        WHERE l.task_id = t.id AND l.kind = 'charge'),
                      (SELECT coalesce(-sum(size_bytes), 0) FROM usage_ledger l
                        WHERE l.task_id = t.id AND l.kind = 'refund')
                    FROM tasks t WHERE t.idempotency_key LIKE :prefix
                    """
                ),
                {"prefix": key_prefix + "%"},
            ).all()
    finally:
        engine.dispose()
    return [TaskRow(*row) for row in rows]


def processing(top: Topology) -> int:
    """Tasks a worker holds right now."""
    engine = create_engine(top.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM tasks WHERE status = 'processing'")) or 0)
    finally:
        engine.dispose()


def used_bytes(top: Topology, tokens: list[str]) -> int:
    engine = create_engine(top.database_url)
    try:
        with engine.connect() as connection:
            value = connection.execute(
                text("SELECT coalesce(sum(used_bytes), 0) FROM licences WHERE token_hash = ANY(:hashes)"),
                {"hashes": [hash_token(t) for t in tokens]},
            ).scalar_one()
    finally:
        engine.dispose()
    return int(value)


def ledger_clean(top: Topology) -> str:
    result = pixpress_command(top, "admin", "check-ledger", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


KEY = re.compile(r"^(?P<prefix>[0-9a-f]{2})/(?P<task>[0-9a-f-]{36})/(?P<name>.+)$")
ATTEMPT = re.compile(r"^(?:result|variant|size)-(?P<attempt>\d+)")


@dataclass(frozen=True)
class BucketReport:
    objects: int
    without_task: list[str]  # orphans: no task row owns them (the cleanup's definition)
    other_attempts: list[str]  # files of an attempt that is not the task's recorded one


def bucket_report(top: Topology) -> BucketReport:
    s3 = s3_client(top)
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=top.bucket, Prefix="results/"):
        keys.extend(item["Key"][len("results/") :] for item in page.get("Contents", []))
    engine = create_engine(top.database_url)
    try:
        with engine.connect() as connection:
            attempts = dict(connection.execute(text("SELECT id, attempts FROM tasks")).all())
    finally:
        engine.dispose()
    without_task, other_attempts = [], []
    for key in keys:
        match = KEY.match(key)
        if match is None or match["task"] not in attempts:
            without_task.append(key)
            continue
        attempt = ATTEMPT.match(match["name"])
        if attempt and int(attempt["attempt"]) != attempts[match["task"]]:
            other_attempts.append(key)
    return BucketReport(len(keys), without_task, other_attempts)


def count(values: list[str | None]) -> str:
    return ", ".join(f"{value} {n}" for value, n in Counter(values).most_common()) or "none"
