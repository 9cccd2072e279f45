"""Move a one-machine install (SQLite and files in its data dir) to the scaled-out topology
(PostgreSQL and a bucket): both databases brought to this release's migration, every row copied, every
file copied. Run with every pixpress process stopped (docs/deploy.md, "From one machine to this")."""

from __future__ import annotations

from dataclasses import dataclass

from pixpress.config import Settings
from pixpress.db.copy import copy_rows
from pixpress.db.migrate import upgrade
from pixpress.storage.copy import copy_blobs
from pixpress.storage.registry import open_storage


@dataclass(frozen=True)
class MigrationReport:
    rows: dict[str, int]
    files: int


def migrate_data(*, source: Settings, target: Settings) -> MigrationReport:
    if source.resolved_database_url == target.resolved_database_url:
        raise ValueError("the source and the target are the same database")
    upgrade(source.resolved_database_url)
    upgrade(target.resolved_database_url)
    rows = copy_rows(source_url=source.resolved_database_url, target_url=target.resolved_database_url)
    files = copy_blobs(source=open_storage(source), target=open_storage(target))
    return MigrationReport(rows=rows, files=files)
