"""scripts/deploy_local/supervisor.py: what systemd would do with a unit's process (restart after a
crash, the unit's stop signal, its stop timeout, leftovers killed), on real processes."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.deploy_local import supervisor

STOP_TRAP = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGINT, lambda *_: (print('graceful stop', flush=True), sys.exit(0)))\n"
    "print('trap is up', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[supervisor.Supervisor]:
    units = tmp_path / "units"
    units.mkdir()
    (tmp_path / "trap.py").write_text(STOP_TRAP)
    (units / "trap@.service").write_text(
        f"[Service]\nExecStart={sys.executable} {tmp_path / 'trap.py'} %i\n"
        "KillSignal=SIGINT\nKillMode=mixed\nTimeoutStopSec=5\nRestart=always\nRestartSec=0.2\n"
    )
    (units / "stubborn.service").write_text(
        f"[Service]\nExecStart={sys.executable} -c 'import signal, time; "
        f"signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'\nTimeoutStopSec=0.5\n"
    )
    manager = supervisor.Supervisor(tmp_path, [units], {})
    server = threading.Thread(target=manager.serve, daemon=True)
    server.start()
    deadline = time.monotonic() + 5
    while not (tmp_path / supervisor.SOCKET_NAME).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield manager
    supervisor.request(tmp_path, "shutdown")
    server.join(5)


def wait_until(check: object, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition never met")


def test_a_killed_unit_is_started_again_and_stops_with_its_signal(
    manager: supervisor.Supervisor, tmp_path: Path
) -> None:
    first = supervisor.request(tmp_path, "start", unit="trap@a.service")
    assert first["state"] == "active"
    log = tmp_path / "logs" / "trap@a.service.log"
    wait_until(lambda: "trap is up" in log.read_text())
    supervisor.request(tmp_path, "kill", unit="trap@a.service", signal="SIGKILL")
    wait_until(lambda: supervisor.request(tmp_path, "status")["units"][0]["starts"] == 2)
    again = supervisor.request(tmp_path, "status")["units"][0]
    assert again["pid"] != first["pid"] and again["last_exit"] == -9
    wait_until(lambda: log.read_text().count("trap is up") == 2)
    stopped = supervisor.request(tmp_path, "stop", unit="trap@a.service")
    assert stopped["state"] == "inactive" and stopped["last_exit"] == 0
    assert "graceful stop" in log.read_text()
    time.sleep(0.5)  # a stop is not a crash: it stays down
    assert supervisor.request(tmp_path, "status")["units"][0]["state"] == "inactive"


def test_a_unit_that_ignores_its_stop_signal_is_killed_after_its_timeout(
    manager: supervisor.Supervisor, tmp_path: Path
) -> None:
    supervisor.request(tmp_path, "start", unit="stubborn.service")
    time.sleep(0.3)
    stopped = supervisor.request(tmp_path, "stop", unit="stubborn.service")
    assert stopped["state"] == "inactive" and stopped["last_exit"] == -9


def test_an_unknown_unit_is_an_error(manager: supervisor.Supervisor, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no unit file"):
        supervisor.request(tmp_path, "start", unit="missing.service")
