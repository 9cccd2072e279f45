"""Backup and restore of the topology's PostgreSQL database and bucket (docs/deploy.md, "Backups").

    python -m scripts.deploy_local backup RUN_DIR DEST     pg_dump -Fc, and every object of the bucket
    python -m scripts.deploy_local restore RUN_DIR SRC     into a topology whose pixpress has not started

The database is the one that matters; the bucket's files are what makes an earlier result downloadable
after a restore (without them, a restored task's download is 404 and the cleanup forgets it).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scripts.deploy_local.topology import Topology, postgres_bin, s3_client

DUMP = "pixpress.dump"
BUCKET_FOLDER = "bucket"


def _pg_env(top: Topology) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": top.postgres_password}


def backup(top: Topology, dest: Path) -> tuple[int, int]:
    """Returns (bytes of the dump, objects copied)."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(postgres_bin() / "pg_dump"), "--format=custom", "-h", "127.0.0.1",
         "-p", str(top.ports["postgres"]), "-U", "pixpress", "-d", "pixpress", "-f", str(dest / DUMP)],
        env=_pg_env(top), check=True, capture_output=True,
    )  # fmt: skip
    s3 = s3_client(top)
    copied = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=top.bucket):
        for item in page.get("Contents", []):
            target = dest / BUCKET_FOLDER / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(top.bucket, item["Key"], str(target))
            copied += 1
    return (dest / DUMP).stat().st_size, copied


def restore(top: Topology, src: Path) -> int:
    """The dump into the (empty) pixpress database, the files into the bucket; returns objects put.
    Run `pixpress migrate` afterwards (the dump may predate the release), then start pixpress."""
    subprocess.run(
        [str(postgres_bin() / "pg_restore"), "--no-owner", "--role=pixpress", "--exit-on-error",
         "-h", "127.0.0.1", "-p", str(top.ports["postgres"]), "-U", "pixpress", "-d", "pixpress",
         str(src / DUMP)],
        env=_pg_env(top), check=True, capture_output=True,
    )  # fmt: skip
    s3 = s3_client(top)
    put = 0
    folder = src / BUCKET_FOLDER
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []:
        s3.upload_file(str(path), top.bucket, str(path.relative_to(folder)))
        put += 1
    return put
