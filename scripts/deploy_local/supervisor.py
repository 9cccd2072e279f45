"""A small service manager for machines where systemd is not PID 1: it starts the units of
deploy/systemd (and the topology's own) from their files and does what systemd would with them.

One daemon per topology, driven over a UNIX socket in the run folder with one JSON request per
connection (`start`, `stop`, `restart`, `kill`, `status`, `shutdown`): the `systemctl` of the topology.
Each unit runs in a session (process group) of its own; its output goes to logs/<unit>.log. Stopping sends
KillSignal= to the main process (KillMode=mixed) or to the whole group, waits TimeoutStopSec=, then
SIGKILLs the group; what the main process leaves behind is SIGKILLed when it ends, as systemd ends a
unit's cgroup. A main process that ends without being asked is started again after RestartSec= when
Restart= says so.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.deploy_local.units import Unit, load_unit

log = logging.getLogger("pixpress.supervisor")
SOCKET_NAME = "supervisor.sock"


@dataclass
class Running:
    unit: Unit
    process: subprocess.Popen[bytes] | None = None
    stopping: bool = False
    starts: int = 0
    last_exit: int | None = None
    started_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Supervisor:
    def __init__(self, run_dir: Path, search: list[Path], path_map: dict[str, str]) -> None:
        self.run_dir = run_dir
        self.search = search
        self.path_map = path_map
        self.units: dict[str, Running] = {}
        self.order: list[str] = []  # start order; shutdown goes the other way
        self.logs = run_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.done = threading.Event()

    # -- the unit's life -------------------------------------------------------------------------------
    def start(self, name: str) -> dict[str, Any]:
        running = self.units.get(name)
        if running is None or running.process is None or running.process.poll() is not None:
            # Re-read the file at each start, as `systemctl daemon-reload && start` would.
            unit = load_unit(name, search=self.search, path_map=self.path_map)
            running = running or Running(unit)
            running.unit = unit
            self.units[name] = running
            if name not in self.order:
                self.order.append(name)
            with running.lock:
                running.stopping = False
                self._spawn(running)
        return self._describe(name)

    def _spawn(self, running: Running) -> None:
        unit = running.unit
        if unit.working_directory is not None:
            unit.working_directory.mkdir(parents=True, exist_ok=True)
        user = _run_as(unit.user)
        with (self.logs / f"{unit.name}.log").open("ab") as out:
            out.write(f"--- {time.strftime('%H:%M:%S')} start {' '.join(unit.argv)}\n".encode())
            out.flush()
            running.process = subprocess.Popen(
                unit.argv,
                env=unit.environment,
                cwd=unit.working_directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=pwd.getpwnam(user).pw_gid if user else None,
                extra_groups=[] if user else None,
            )
        running.starts += 1
        running.started_at = time.time()
        (self.run_dir / "pids").mkdir(exist_ok=True)
        (self.run_dir / "pids" / unit.name).write_text(str(running.process.pid))
        threading.Thread(target=self._watch, args=(running, running.process), daemon=True).start()

    def _watch(self, running: Running, process: subprocess.Popen[bytes]) -> None:
        code = process.wait()
        _kill_group(process.pid, signal.SIGKILL)  # what the main process left behind
        with running.lock:
            running.last_exit = code
            if running.process is not process or running.stopping:
                return
            if not running.unit.restarts_after(code):
                log.warning("%s ended (%s) and stays down", running.unit.name, code)
                return
        log.warning(
            "%s ended (%s): starting it again in %.1f s", running.unit.name, code, running.unit.restart_s
        )
        time.sleep(running.unit.restart_s)
        with running.lock:
            if running.process is process and not running.stopping and not self.done.is_set():
                self._spawn(running)

    def stop(self, name: str) -> dict[str, Any]:
        running = self.units.get(name)
        if running is None:
            return {"unit": name, "state": "unknown"}
        with running.lock:
            running.stopping = True
            process = running.process
        if process is not None and process.poll() is None:
            unit = running.unit
            if unit.kill_mode in ("mixed", "process"):
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(unit.kill_signal)
            else:
                _kill_group(process.pid, unit.kill_signal)
            try:
                process.wait(unit.timeout_stop_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s: SIGKILL", name, unit.timeout_stop_s)
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
        return self._describe(name)

    def restart(self, name: str) -> dict[str, Any]:
        self.stop(name)
        return self.start(name)

    def kill(self, name: str, sig: str) -> dict[str, Any]:
        """Like `systemctl kill --signal=SIG`: to every process of the unit, no stop intended."""
        running = self.units[name]
        if running.process is not None:
            _kill_group(running.process.pid, signal.Signals[sig])
        return self._describe(name)

    def shutdown(self) -> dict[str, Any]:
        for name in reversed(self.order):
            self.stop(name)
        self.done.set()
        return {"stopped": list(reversed(self.order))}

    def _describe(self, name: str) -> dict[str, Any]:
        running = self.units.get(name)
        if running is None:
            return {"unit": name, "state": "unknown"}
        alive = running.process is not None and running.process.poll() is None
        return {
            "unit": name,
            "state": "active" if alive else "inactive",
            "pid": running.process.pid if running.process else None,
            "starts": running.starts,
            "last_exit": running.last_exit,
            "started_at": running.started_at,
        }

    def status(self) -> dict[str, Any]:
        return {"units": [self._describe(name) for name in self.order]}

    # -- the control socket ----------------------------------------------------------------------------
    def serve(self) -> None:
        path = self.run_dir / SOCKET_NAME
        path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        os.chmod(path, 0o600)
        server.listen(16)
        server.settimeout(0.5)
        if threading.current_thread() is threading.main_thread():  # the daemon; tests run it in a thread
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                signal.signal(
                    stop_signal, lambda *_: threading.Thread(target=self.shutdown, daemon=True).start()
                )
        while not self.done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()
        server.close()
        path.unlink(missing_ok=True)

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            request = json.loads(_read_all(connection))
            try:
                command = request["command"]
                if command == "status":
                    reply = self.status()
                elif command == "shutdown":
                    reply = self.shutdown()
                elif command == "kill":
                    reply = self.kill(request["unit"], request["signal"])
                elif command in ("start", "stop", "restart"):
                    reply = getattr(self, command)(request["unit"])
                else:
                    reply = {"error": f"unknown command {command!r}"}
            except Exception as exc:  # the daemon keeps serving; the caller sees what failed
                log.exception("request %s failed", request)
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            connection.sendall(json.dumps(reply).encode())


def _run_as(user: str | None) -> str | None:
    """User= is honoured when the manager runs as root and the user exists; otherwise the unit runs as
    the manager's own user (a developer's machine without the pixpress system user)."""
    if user is None or os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(user)
    except KeyError:
        return None
    return user


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def request(run_dir: Path, command: str, timeout_s: float = 300.0, **fields: str) -> dict[str, Any]:
    """Send one request to the topology's supervisor and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout_s)
        connection.connect(str(run_dir / SOCKET_NAME))
        connection.sendall(json.dumps({"command": command, **fields}).encode())
        connection.shutdown(socket.SHUT_WR)
        reply: dict[str, Any] = json.loads(_read_all(connection))
    if "error" in reply:
        raise RuntimeError(f"supervisor: {command} {fields}: {reply['error']}")
    return reply
