from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ServerProcess, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `pixpress serve` on the embedded default (SQLite, SQLite queue, files), shared by a module."""
    tmp: Path = tmp_path_factory.mktemp("serve")
    process = serve(tmp, env={"PIXPRESS_TASK_LEASE_S": "4", "PIXPRESS_LEASE_CHECK_INTERVAL_S": "1"})
    try:
        yield process
    finally:
        process.stop()
