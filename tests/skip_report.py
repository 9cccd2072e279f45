"""A pytest plugin: skips counted by reason at the end of every run, and a run with a skip that is not a
documented need (tests/needs.py) fails. Half of a suite silently skipping is the same defect as a
failing test, so it must show in the summary and in the exit status."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.needs import need_of

_SKIPPED: Counter[str] = Counter()


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED[_reason(report)] += 1


def unexpected_skips() -> dict[str, int]:
    return {reason: count for reason, count in _SKIPPED.items() if need_of(reason) is None}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if unexpected_skips() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _SKIPPED:
        terminalreporter.write_line("skips by reason: none")
        return
    by_need: Counter[str] = Counter()
    for reason, count in _SKIPPED.items():
        need = need_of(reason)
        if need is not None:
            by_need[f"needs {need.name}"] += count
    terminalreporter.section("skips by reason")
    for name, count in sorted(by_need.items()):
        terminalreporter.write_line(f"{count:5d}  {name}")
    unexpected = unexpected_skips()
    for reason, count in sorted(unexpected.items()):
        terminalreporter.write_line(f"{count:5d}  NOT A DOCUMENTED NEED: {reason}", red=True)
    if unexpected:
        terminalreporter.write_line(
            "the run fails: only the needs of tests/needs.py (PostgreSQL, Redis, PHP, WordPress, Chromium)"
            " may skip",
            red=True,
        )
