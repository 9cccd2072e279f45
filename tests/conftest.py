"""Shared fixtures: settings on a temporary data dir, databases (SQLite always, PostgreSQL when
PIXPRESS_TEST_DATABASE_URL points at one), Redis when PIXPRESS_TEST_REDIS_URL does, and the corpus (the
repository's corpus/ folder; PIXPRESS_CORPUS overrides it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pixpress.config import Settings
from pixpress.db.migrate import upgrade
from pixpress.db.session import Database
from tests import needs

pytest_plugins = ["tests.skip_report"]

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PIXPRESS_CORPUS") or REPO_ROOT / "corpus")
POSTGRES_URL = os.environ.get("PIXPRESS_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("PIXPRESS_TEST_REDIS_URL", "")
# tests/deploy drives a running `make deploy-local` topology: `make deploy-test` names its run folder.
# Without one they are not collected (they are not skipped: CI runs them against the topology it starts).
DEPLOY_RUN_DIR = os.environ.get("PIXPRESS_DEPLOY_RUN_DIR", "")
collect_ignore = [] if DEPLOY_RUN_DIR else ["deploy"]


def corpus_files(kind: str) -> list[Path]:
    folder = CORPUS / kind
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert (CORPUS / "photo").is_dir(), f"image corpus missing at {CORPUS}"
    return CORPUS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        workers=1,
        _env_file=None,  # type: ignore[call-arg]
    )


def _postgres_schema_url(base_url: str) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards, so tests never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # server down or wrong URL
        admin.dispose()
        needs.missing(needs.POSTGRESQL, f"PIXPRESS_TEST_DATABASE_URL not reachable: {exc.__class__.__name__}")
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on SQLite and on PostgreSQL (skipped with a reason when absent)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not POSTGRES_URL:
        needs.missing(needs.POSTGRESQL, "PIXPRESS_TEST_DATABASE_URL is not set")
    yield from _postgres_schema_url(POSTGRES_URL)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    db = Database(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        needs.missing(needs.REDIS, "PIXPRESS_TEST_REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:
        needs.missing(needs.REDIS, f"PIXPRESS_TEST_REDIS_URL not reachable: {exc.__class__.__name__}")
    return REDIS_URL


@pytest.fixture
def frozen_rate_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """The failed-check counters count in one-minute windows: a test's failures must not straddle a
    minute boundary (they would be split between two windows). Freezes the counters' clock at now."""
    import time

    from pixpress.quota import rate_limit

    now = time.time()
    monkeypatch.setattr(rate_limit, "_now", lambda: now)
    return now


def wait_for_a_fresh_minute(margin_s: float = 20.0) -> None:
    """For tests against a real server (another process, whose clock cannot be frozen): start far
    enough from a minute boundary that `margin_s` of failures fall in one window."""
    import time

    left = 60 - time.time() % 60
    if left < margin_s:
        time.sleep(left + 0.5)
