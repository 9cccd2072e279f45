"""The repository stands alone: a fresh clone has everything its tests and benchmarks read.

Nothing tracked names a folder beside the checkout, the corpus defaults to the repository's own
corpus/ folder, and every image there is listed with its origin in corpus/SOURCES.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

CORPUS_DIR = REPO_ROOT / "corpus"
# Built here so this file does not name what it looks for.
OUTSIDE = ("..", "/", "shared")


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=False, timeout=60
    )
    if listed.returncode == 0:
        return [REPO_ROOT / name for name in listed.stdout.decode().split("\0") if name]
    skipped = {".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    return [
        path
        for path in REPO_ROOT.rglob("*")
        if path.is_file() and not skipped.intersection(path.relative_to(REPO_ROOT).parts)
    ]


def test_no_tracked_file_names_a_folder_beside_the_checkout() -> None:
    needle = "".join(OUTSIDE).encode()
    offenders = []
    for path in tracked_files():
        if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".heic"}:
            continue
        if path.is_file() and needle in path.read_bytes():
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == [], f"these files point outside the repository: {offenders}"


def test_the_corpus_defaults_to_the_repository() -> None:
    env = {key: value for key, value in os.environ.items() if key != "PIXPRESS_CORPUS"}
    code = (
        "from tests.conftest import CORPUS; from bench.common import DEFAULT_CORPUS;"
        " print(CORPUS); print(DEFAULT_CORPUS)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )
    for line in done.stdout.split():
        assert Path(line).resolve() == CORPUS_DIR.resolve(), line
    server_php = (REPO_ROOT / "clients" / "php" / "tests" / "Support" / "Server.php").read_text()
    assert "self::repoRoot() . '/corpus'" in server_php


def test_every_corpus_image_has_its_source_listed() -> None:
    sources = (CORPUS_DIR / "SOURCES.md").read_text()
    images = sorted(p for p in CORPUS_DIR.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    assert len(images) >= 20
    unlisted = [
        str(p.relative_to(CORPUS_DIR))
        for p in images
        if p.name not in sources and not re.search(rf"{re.escape(p.stem[:6])}\S*\.{p.suffix[1:]}", sources)
    ]
    assert unlisted == [], f"images in corpus/ without a line in corpus/SOURCES.md: {unlisted}"
    total_bytes = sum(p.stat().st_size for p in images)
    assert total_bytes < 12 * 1024 * 1024, f"the corpus grew to {total_bytes} bytes; keep it around 10 MB"
