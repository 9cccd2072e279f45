"""The ledger check reports a token whose usage differs from its ledger, and rewrites nothing."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from sqlalchemy import update

from pixpress.config import Settings
from pixpress.db.models import Licence
from pixpress.db.session import Database
from pixpress.quota import QuotaService, hash_token
from pixpress.quota.ledger_check import check_ledger
from pixpress.quota.records import LicenceRecords

ADDR = "10.0.0.1"


def test_balanced_then_off_after_a_hand_edit(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    service = QuotaService(settings=settings, database=database)
    try:
        for token in ("site-a", "site-b"):
            token_hash = service.authenticate(token, client_address=ADDR).token_hash
            service.charge(token_hash=token_hash, size_bytes=1000, task_id=f"{token}-1")
            service.charge(token_hash=token_hash, size_bytes=500, task_id=f"{token}-2")
            service.refund(token_hash=token_hash, task_id=f"{token}-1", size_bytes=1000, reason="x")
        service.reset_usage("site-b")
        service.charge(token_hash=hash_token("site-b"), size_bytes=700, task_id="site-b-3")
    finally:
        service.close()
    report = check_ledger(database)
    assert report.ok and report.tokens == 2

    with database.session() as session:  # someone "fixes" a customer's usage by hand
        session.execute(
            update(Licence).where(Licence.token_hash == hash_token("site-a")).values(used_bytes=0)
        )
    with caplog.at_level(logging.INFO, logger="pixpress.ledger"):
        report = check_ledger(database)
    [imbalance] = report.imbalances
    assert imbalance.token_hash == hash_token("site-a")
    assert (imbalance.used_bytes, imbalance.ledger_bytes) == (0, 500)
    assert "difference -500" in caplog.text and hash_token("site-a")[:10] in caplog.text
    licence = LicenceRecords(database).get(hash_token("site-a"))
    assert licence is not None and licence.used_bytes == 0  # reported, not rewritten


def test_the_cli_exits_1_on_a_mismatch(settings: Settings, database: Database) -> None:
    env = {"PIXPRESS_DATABASE_URL": database.url, "PIXPRESS_ENVIRONMENT": "test"}
    service = QuotaService(settings=settings, database=database)
    try:
        token_hash = service.authenticate("site-a", client_address=ADDR).token_hash
        service.charge(token_hash=token_hash, size_bytes=1000, task_id="t-1")
    finally:
        service.close()
    balanced = check_ledger_cli(env)
    assert balanced.returncode == 0 and "ledger ok: 1 tokens" in balanced.stdout
    with database.session() as session:
        session.execute(update(Licence).values(used_bytes=Licence.used_bytes + 1))
    off = check_ledger_cli(env)
    assert off.returncode == 1, off.stdout + off.stderr
    assert "ledger MISMATCH: 1 of 1 tokens" in off.stdout and "difference +1" in off.stdout
    assert "do not match the ledger" in off.stderr  # the log line


def check_ledger_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixpress", "admin", "check-ledger"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
