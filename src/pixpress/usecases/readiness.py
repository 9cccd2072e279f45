"""GET /ready: is every backend this process depends on reachable?"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Probe = Callable[[], None]  # raises when its backend cannot be reached


def check_readiness(*, probes: Mapping[str, Probe]) -> dict[str, str]:
    """Each probe's outcome by name: "ok", or "error: <exception class>" (never the message: it may name
    hosts or credentials, and an admin sees this)."""
    checks: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {exc.__class__.__name__}"
    return checks


def is_ready(checks: Mapping[str, str]) -> bool:
    return all(value == "ok" for value in checks.values())
