"""Imaging tests need the corpus; skip the whole folder with a reason when it is absent."""

from __future__ import annotations

import pytest

from tests.conftest import CORPUS


@pytest.fixture(autouse=True)
def _needs_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"image corpus not found at {CORPUS} (set PIXPRESS_CORPUS)")
