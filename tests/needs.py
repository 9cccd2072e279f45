"""What a test needs from outside Python, and the one way to skip for it.

A fresh clone with Python 3.11 and the package registries runs every test except those that need one of
NEEDS: a PostgreSQL or Redis server, PHP, WordPress or Chromium. A test missing one skips with a reason
that starts `needs <what>:` and says how to enable it; with the need's PIXPRESS_REQUIRE_* variable set
(CI sets them all) it fails instead. tests/skip_report.py counts skips by need at the end of a run and
fails the run on a skip for any other reason: a wave of silent skips is a defect, not a pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NoReturn

import pytest


@dataclass(frozen=True)
class Need:
    name: str
    require_variable: str  # set to 1: a missing need fails instead of skipping
    how_to_enable: str


POSTGRESQL = Need(
    "PostgreSQL",
    "PIXPRESS_REQUIRE_SERVICES",
    "set PIXPRESS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test (trust auth)",
)
REDIS = Need(
    "Redis",
    "PIXPRESS_REQUIRE_SERVICES",
    "set PIXPRESS_TEST_REDIS_URL=redis://127.0.0.1:6379/15 (redis-server and redis-cli installed)",
)
PHP = Need("PHP", "PIXPRESS_REQUIRE_PHP", "`make php-test` installs php and phpunit (Debian packages)")
WORDPRESS = Need(
    "WordPress",
    "PIXPRESS_REQUIRE_WORDPRESS",
    "`make wordpress-deps` installs Debian's wordpress, php and mariadb-server (as root)",
)
CHROMIUM = Need(
    "Chromium", "PIXPRESS_REQUIRE_BROWSER", "`apt-get install chromium` (Debian's /usr/bin/chromium)"
)

NEEDS = (POSTGRESQL, REDIS, PHP, WORDPRESS, CHROMIUM)
REASON_PREFIX = "needs "


def reason_for(need: Need, detail: str) -> str:
    return f"{REASON_PREFIX}{need.name}: {detail}; {need.how_to_enable}"


def required(need: Need) -> bool:
    return os.environ.get(need.require_variable) == "1"


def missing(need: Need, detail: str) -> NoReturn:
    """Skip the test for a missing need, or fail it when the need is required here."""
    reason = reason_for(need, detail)
    if required(need):
        pytest.fail(f"{reason} ({need.require_variable}=1)")
    pytest.skip(reason)


def need_of(reason: str) -> Need | None:
    """The documented need a skip reason names, or None for any other skip."""
    for need in NEEDS:
        if reason.startswith(f"{REASON_PREFIX}{need.name}:"):
            return need
    return None
