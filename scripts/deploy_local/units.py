"""Read the systemd units of deploy/systemd (and the topology's own) into what starting them needs.

Only the directives a process's life depends on are read: ExecStart, Environment, EnvironmentFile,
WorkingDirectory, User, KillSignal, KillMode, TimeoutStopSec, Restart, RestartSec. The sandboxing lines
(ProtectSystem=, PrivateTmp=...) are systemd's alone and are ignored here. Paths of the installed layout
(/opt/pixpress/.venv, /etc/pixpress, /var/lib/pixpress) are mapped onto the topology's folders, so the
units stay the single source of the command lines.
"""

from __future__ import annotations

import re
import shlex
import signal
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TIMEOUT_STOP_S = 90.0  # systemd's DefaultTimeoutStopSec
TIMESPAN_UNITS_S = {"": 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001, "min": 60.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Unit:
    name: str  # e.g. pixpress-api@8001.service
    argv: list[str]
    environment: dict[str, str]
    working_directory: Path | None = None
    user: str | None = None
    kill_signal: signal.Signals = signal.SIGTERM
    kill_mode: str = "control-group"
    timeout_stop_s: float = DEFAULT_TIMEOUT_STOP_S
    restart: str = "no"
    restart_s: float = 0.1
    directives: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def restarts_after(self, exit_code: int) -> bool:
        """Whether systemd would start the unit again after its main process ended with `exit_code`
        (negative: killed by that signal) without being asked to stop."""
        if self.restart == "always":
            return True
        if self.restart == "on-failure":
            return exit_code != 0
        if self.restart == "on-abnormal":
            return exit_code < 0
        return False


def parse_directives(text: str) -> dict[str, list[str]]:
    """`[Section]` `Key=value` lines as {'Section.Key': [values in order]}; continuation lines joined."""
    directives: dict[str, list[str]] = {}
    section = ""
    lines = iter(text.splitlines())
    for raw in lines:
        line = raw.strip()
        while line.endswith("\\"):
            line = line[:-1] + " " + next(lines, "").strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        directives.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return directives


def parse_timespan_s(value: str) -> float:
    """'20', '150s', '2min', '500ms', '1min 30s' as seconds."""
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)\s*([a-z]*)", value.strip()):
        if unit not in TIMESPAN_UNITS_S:
            raise ValueError(f"unknown time unit {unit!r} in {value!r}")
        total += float(number) * TIMESPAN_UNITS_S[unit]
    return total


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blank lines skipped, one level of quotes removed), as systemd reads."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def map_path(value: str, path_map: dict[str, str]) -> str:
    """The installed layout's path prefix replaced by the topology's (longest prefix first)."""
    for installed in sorted(path_map, key=len, reverse=True):
        if value == installed or value.startswith(installed + "/"):
            return path_map[installed] + value[len(installed) :]
    return value


def unit_file_for(name: str, search: list[Path]) -> tuple[Path, str]:
    """The file of a unit name and its instance: pixpress-api@8001.service -> pixpress-api@.service, 8001."""
    stem, _, suffix = name.rpartition(".")
    prefix, at, instance = stem.partition("@")
    file_name = f"{prefix}@.{suffix}" if at else name
    for folder in search:
        if (folder / file_name).is_file():
            return folder / file_name, instance
    raise FileNotFoundError(f"no unit file {file_name} in {', '.join(map(str, search))}")


def expand_specifiers(value: str, *, instance: str, name: str) -> str:
    replacements = {"%i": instance, "%I": instance, "%n": name, "%%": "%"}
    return re.sub(r"%[iIn%]", lambda m: replacements[m.group(0)], value)


def load_unit(name: str, *, search: list[Path], path_map: dict[str, str]) -> Unit:
    path, instance = unit_file_for(name, search)
    directives = parse_directives(path.read_text())

    def one(key: str, default: str | None = None) -> str | None:
        values = directives.get(key)
        return expand_specifiers(values[-1], instance=instance, name=name) if values else default

    exec_start = one("Service.ExecStart")
    if not exec_start:
        raise ValueError(f"{path}: no ExecStart")
    argv = [map_path(arg, path_map) for arg in shlex.split(exec_start.lstrip("-@+!"))]
    # Environment= first, then EnvironmentFile= on top of it (systemd: the file's values win).
    environment = {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"}
    for line in directives.get("Service.Environment", []):
        for assignment in shlex.split(expand_specifiers(line, instance=instance, name=name)):
            key, _, value = assignment.partition("=")
            environment[key] = value
    for line in directives.get("Service.EnvironmentFile", []):
        optional = line.startswith("-")
        env_path = Path(map_path(expand_specifiers(line.lstrip("-"), instance=instance, name=name), path_map))
        if env_path.is_file():
            environment.update(read_environment_file(env_path))
        elif not optional:
            raise FileNotFoundError(f"{name}: EnvironmentFile {env_path} does not exist")
    working_directory = one("Service.WorkingDirectory")
    return Unit(
        name=name,
        argv=argv,
        environment=environment,
        working_directory=Path(map_path(working_directory, path_map)) if working_directory else None,
        user=one("Service.User"),
        kill_signal=signal.Signals[one("Service.KillSignal", "SIGTERM") or "SIGTERM"],
        kill_mode=one("Service.KillMode", "control-group") or "control-group",
        timeout_stop_s=parse_timespan_s(one("Service.TimeoutStopSec", "") or str(DEFAULT_TIMEOUT_STOP_S)),
        restart=one("Service.Restart", "no") or "no",
        restart_s=parse_timespan_s(one("Service.RestartSec", "100ms") or "100ms"),
        directives=directives,
    )
