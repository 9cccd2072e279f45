"""scripts/deploy_local/units.py: deploy/systemd's own unit files read into the command lines and
environments the local topology starts (so the units stay the single source of both)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from scripts.deploy_local.units import load_unit, parse_directives, parse_timespan_s, read_environment_file

from tests.conftest import REPO_ROOT

UNITS = REPO_ROOT / "deploy" / "systemd"


def path_map(tmp_path: Path) -> dict[str, str]:
    return {
        "/opt/pixpress/.venv": "/venv",
        "/etc/pixpress": str(tmp_path / "etc"),
        "/var/lib/pixpress": str(tmp_path / "var"),
    }


def env_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "pixpress.env").write_text(text)


def test_the_api_unit_is_a_template_on_its_port(tmp_path: Path) -> None:
    env_file(tmp_path, "# settings\nPIXPRESS_DATABASE_URL=postgresql+psycopg://db/pixpress\n")
    unit = load_unit("pixpress-api@8001.service", search=[UNITS], path_map=path_map(tmp_path))
    assert unit.argv == ["/venv/bin/pixpress", "serve", "--no-worker", "--port", "8001"]
    assert unit.environment["PIXPRESS_HOST"] == "127.0.0.1"
    assert unit.environment["PIXPRESS_TRUSTED_PROXIES"] == "127.0.0.1,::1"
    assert unit.environment["PIXPRESS_DATABASE_URL"] == "postgresql+psycopg://db/pixpress"
    assert unit.environment["OPENBLAS_NUM_THREADS"] == "1"
    assert unit.working_directory == tmp_path / "var"
    assert (unit.kill_signal, unit.timeout_stop_s, unit.restart) == (signal.SIGTERM, 20.0, "on-failure")
    assert unit.user == "pixpress"


def test_the_settings_file_overrides_the_units_environment_lines(tmp_path: Path) -> None:
    env_file(tmp_path, 'PIXPRESS_HOST=10.0.1.21\nPIXPRESS_TRUSTED_PROXIES="10.0.1.10"\n')
    unit = load_unit("pixpress-api@8000.service", search=[UNITS], path_map=path_map(tmp_path))
    assert unit.environment["PIXPRESS_HOST"] == "10.0.1.21"
    assert unit.environment["PIXPRESS_TRUSTED_PROXIES"] == "10.0.1.10"


def test_the_worker_unit_stops_gracefully(tmp_path: Path) -> None:
    env_file(tmp_path, "PIXPRESS_WORKERS=1\n")
    unit = load_unit("pixpress-worker@2.service", search=[UNITS], path_map=path_map(tmp_path))
    assert unit.argv == ["/venv/bin/pixpress", "worker"]
    assert unit.kill_signal == signal.SIGINT and unit.kill_mode == "mixed"
    assert unit.timeout_stop_s == 150.0 and unit.restart_s == 2.0
    assert unit.restarts_after(0) and unit.restarts_after(-9)


def test_a_missing_settings_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="EnvironmentFile"):
        load_unit("pixpress-worker@1.service", search=[UNITS], path_map=path_map(tmp_path))


def test_directives_repeat_and_continue() -> None:
    text = "[Service]\nEnvironment=A=1\n# comment\nEnvironment=B=2 \\\n  C=3\nExecStart=/bin/true\n"
    assert parse_directives(text) == {
        "Service.Environment": ["A=1", "B=2  C=3"],
        "Service.ExecStart": ["/bin/true"],
    }


@pytest.mark.parametrize(
    ("text", "seconds"), [("20", 20.0), ("150s", 150.0), ("2min", 120.0), ("500ms", 0.5), ("1min 30s", 90.0)]
)
def test_timespans(text: str, seconds: float) -> None:
    assert parse_timespan_s(text) == seconds


def test_environment_files(tmp_path: Path) -> None:
    path = tmp_path / "env"
    path.write_text("A=1\n\n; old\nB='two words'\nC=\"x=y\"\n")
    assert read_environment_file(path) == {"A": "1", "B": "two words", "C": "x=y"}
