"""The PHP client (clients/php): its PHPUnit suite, which starts a real `pixpress serve` itself.

Skipped when php or phpunit is missing (`make php-test` installs them from Debian), unless
PIXPRESS_REQUIRE_PHP=1, which turns the skip into a failure (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import needs
from tests.conftest import REPO_ROOT

PHPUNIT_CONFIG = REPO_ROOT / "clients" / "php" / "phpunit.xml"
RUN_TIMEOUT_S = 540


def _tools() -> tuple[str, str]:
    php, phpunit = shutil.which("php"), shutil.which("phpunit")
    if php is None or phpunit is None:
        needs.missing(needs.PHP, "php and phpunit run the PHP client's tests")
    return php, phpunit


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_phpunit_suite_passes(corpus: Path) -> None:
    _php, phpunit = _tools()
    # The server the PHP tests start is this interpreter's own `pixpress`, so they test this checkout.
    env = {
        **os.environ,
        "PIXPRESS_BIN": str(Path(sys.executable).parent / "pixpress"),
        "PIXPRESS_CORPUS": str(corpus),
        "PIXPRESS_REPO_ROOT": str(REPO_ROOT),
    }
    run = subprocess.run(
        [phpunit, "-c", str(PHPUNIT_CONFIG)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"phpunit failed ({run.returncode}):\n{output}"
    assert "OK (" in run.stdout, f"phpunit did not report success:\n{output}"
