"""The embedded default's processes never load the PostgreSQL driver huey would import for nothing."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_the_api_and_the_queue_import_no_psycopg() -> None:
    code = "import sys, pixpress.app, pixpress.tasks.queue; print('psycopg' in sys.modules)"
    assert run(code) == "False"


def test_psycopg_still_imports_when_postgresql_is_used() -> None:
    code = (
        "import pixpress.tasks.queue, psycopg, sqlalchemy.dialects.postgresql.psycopg;"
        " print(psycopg.pq.version())"
    )
    assert int(run(code)) > 0
