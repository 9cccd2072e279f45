"""A release's migration applied while the previous release still serves: the head migration must be
additive, and the code from before it keeps working on the migrated schema.

Generic: whatever the newest migration is, the previous release is the commit before the one that added
it (git archive of its src/), run with this checkout's dependencies against a database of the topology's
PostgreSQL, its Redis and its bucket (under a prefix of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from scripts.deploy_local.topology import Topology, pixpress_env, psql
from sqlalchemy import create_engine, inspect

from pixpress.db.migrate import alembic_config
from tests.conftest import REPO_ROOT
from tests.deploy.conftest import record_figures, small_photos
from tests.e2e.server import ServerProcess, free_port

TOKEN = "site-load-token-0001"


def head_migration() -> tuple[str, Path]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_revision(script.get_current_head())
    assert head is not None and head.path is not None
    return head.revision, Path(head.path)


def release_before(path: Path) -> str:
    """The commit before the one that added `path`: the release the migration upgrades from."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "-n", "1", "--", str(path.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert added, f"{path} is not committed: commit the migration first"
    return subprocess.run(
        ["git", "rev-parse", f"{added}^"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


Schema = dict[str, dict[str, tuple[str, bool]]]


def schema(url: str) -> Schema:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            table: {c["name"]: (str(c["type"]), bool(c["nullable"])) for c in found.get_columns(table)}
            for table in found.get_table_names()
        }
    finally:
        engine.dispose()


def additive_violations(before: Schema, after: Schema, defaults: dict[tuple[str, str], bool]) -> list[str]:
    """What old code could trip on: a table or column gone, a type or nullability changed, a new
    column that old inserts (which do not name it) cannot fill."""
    problems = []
    for table, columns in before.items():
        if table not in after:
            problems.append(f"table {table} dropped")
            continue
        for name, shape in columns.items():
            if name not in after[table]:
                problems.append(f"column {table}.{name} dropped or renamed")
            elif after[table][name] != shape:
                problems.append(f"column {table}.{name} changed from {shape} to {after[table][name]}")
        for name, (_, nullable) in after[table].items():
            if name not in columns and not nullable and not defaults.get((table, name)):
                problems.append(f"new column {table}.{name} is NOT NULL without a server default")
    return problems


def server_defaults(url: str) -> dict[tuple[str, str], bool]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {
            (table, c["name"]): c.get("default") is not None
            for table in found.get_table_names()
            for c in found.get_columns(table)
        }
    finally:
        engine.dispose()


@dataclass
class OldRelease:
    env: dict[str, str]
    api: ServerProcess
    worker: subprocess.Popen[bytes]


@pytest.fixture
def compat(top: Topology, tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    name = f"compat_{uuid.uuid4().hex[:8]}"
    psql(top, f"CREATE DATABASE {name} OWNER pixpress", database="postgres")
    env = {
        **pixpress_env(top),
        "PIXPRESS_DATABASE_URL": top.database_url.rsplit("/", 1)[0] + f"/{name}",
        "PIXPRESS_QUEUE_NAME": name,
        "PIXPRESS_STORAGE_URL": f"s3://{top.bucket}/{name}",
        "PIXPRESS_DATA_DIR": str(tmp_path / "data"),
        "PIXPRESS_METRICS_ENABLED": "false",
    }
    try:
        yield env, name
    finally:
        psql(top, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres")


def run_pixpress(env: dict[str, str], *args: str, old_src: Path | None = None) -> str:
    full = {**env, **({"PYTHONPATH": str(old_src)} if old_src else {})}
    result = subprocess.run(
        [sys.executable, "-m", "pixpress", *args], env=full, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def submit_and_wait(url: str, photo: bytes) -> dict[str, object]:
    answer = httpx.post(
        f"{url}/api/optimize/submit?wait=30",
        headers={"X-Token": TOKEN},
        files={"file": ("p.jpg", photo)},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, object] = answer.json()["data"]
    assert data["status"] == "done", data
    return data


def test_the_head_migration_applied_while_the_previous_release_serves(
    top: Topology, compat: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, _ = compat
    revision, path = head_migration()
    old_commit = release_before(path)
    old = tmp_path / "old"
    old.mkdir()
    archive = subprocess.run(
        ["git", "archive", old_commit, "src"], cwd=REPO_ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    old_src = old / "src"
    where = subprocess.run(
        [sys.executable, "-c", "import pixpress; print(pixpress.__file__)"],
        env={**os.environ, "PYTHONPATH": str(old_src)}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(old_src)), where  # the old code, not this checkout's

    run_pixpress(env, "migrate", old_src=old_src)  # the previous release's schema
    url = env["PIXPRESS_DATABASE_URL"]
    before = schema(url)
    port = free_port()
    old_env = {**env, "PYTHONPATH": str(old_src)}
    api = ServerProcess(
        ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env=old_env, log_path=tmp_path / "old-api.log", port=port,
    )  # fmt: skip
    with (tmp_path / "old-worker.log").open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "pixpress", "worker", "--concurrency", "1"],
            env={**os.environ, **old_env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    new_api: ServerProcess | None = None
    try:
        api.start()
        photos = small_photos(3, seed=11)
        first = submit_and_wait(api.url, photos[0])

        run_pixpress(env, "migrate")  # this release's migration, the old release still serving
        after = schema(url)
        problems = additive_violations(before, after, server_defaults(url))
        assert not problems, problems

        second = submit_and_wait(api.url, photos[1])  # old API and old worker on the new schema
        for task in (first, second):
            for route in ("status", "download"):
                answer = httpx.get(
                    f"{api.url}/api/optimize/{route}/{task['task_id']}", headers={"X-Token": TOKEN}
                )
                assert answer.status_code == 200, answer.text
        quota = httpx.get(f"{api.url}/api/optimize/quota", headers={"X-Token": TOKEN})
        assert quota.status_code == 200
        reset = httpx.post(
            f"{api.url}/api/optimize/reset-usage", headers={"X-Token": top.admin_token}, json={"token": TOKEN}
        )
        assert reset.status_code == 200, reset.text

        # This release's code on the same database reads what the old one wrote, and works beside it.
        new_port = free_port()
        new_api = ServerProcess(
            ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(new_port)],
            env=env, log_path=tmp_path / "new-api.log", port=new_port,
        ).start()  # fmt: skip
        third = submit_and_wait(new_api.url, photos[2])  # processed by the old worker
        for task in (first, second, third):
            answer = httpx.get(
                f"{new_api.url}/api/optimize/download/{task['task_id']}", headers={"X-Token": TOKEN}
            )
            assert answer.status_code == 200
        assert "ledger ok" in run_pixpress(env, "admin", "check-ledger")
    finally:
        if new_api is not None:
            new_api.stop()
        api.stop()
        worker.send_signal(2)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    added = {t: sorted(set(c) - set(before.get(t, {}))) for t, c in after.items()}
    record_figures(
        "migration",
        f"head migration {revision} ({path.name}) applied while the release before it ({old_commit[:12]}) "
        f"served: additive (new tables: {sorted(set(after) - set(before)) or 'none'}; new columns: "
        f"{ {t: c for t, c in added.items() if c and t in before} or 'none' }); the old API and worker "
        "submitted, processed, served and reset usage on the new schema; this release's API read the old "
        "release's tasks; check-ledger ok",
    )
