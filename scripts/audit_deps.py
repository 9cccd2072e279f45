#!/usr/bin/env python3
"""Known vulnerabilities in the pinned dependencies: pip-audit over requirements.lock, made loud.

    python scripts/audit_deps.py [--strict] [--service pypi|osv] [--osv-url URL] [LOCK ...]

Three outcomes, each said in one clear line first:
- clean        exit 0: every package was checked and none has a known vulnerability;
- vulnerable   exit 1: each vulnerable package, its advisories and the versions that fix them;
- not audited  exit 0 (3 with --strict): the vulnerability source could not be reached or answered
               for no package. pip-audit itself passes quietly here: a package its PyPI service gets a
               404 for is "skipped", and a proxy that serves PyPI's index but not the per-version JSON
               API makes every package a 404, so "No known vulnerabilities found" would be a lie.
Any other failure of pip-audit (a bad lock file, pip-audit missing) exits 2.

The lock file is fully pinned, so pip-audit neither resolves nor installs anything (--no-deps
--disable-pip): each name==version is looked up as written.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

CLEAN, VULNERABLE, FAILED, NOT_AUDITED_STRICT = 0, 1, 2, 3
SOURCES = {"pypi": "PyPI's JSON API", "osv": "OSV"}
# How pip-audit (requests) says the network or the service let it down, as opposed to a bad input.
UNREACHABLE_SIGNS = (
    "ConnectionError", "ConnectTimeout", "ReadTimeout", "ProxyError", "SSLError", "NewConnectionError",
    "NameResolutionError", "Max retries exceeded", "Could not connect", "RemoteDisconnected",
    "ServiceError", "Temporary failure in name resolution", "Connection refused",
)  # fmt: skip


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    pip_audit = _find_pip_audit()
    if pip_audit is None:
        print("audit-deps: FAILED: pip-audit is not installed (it is in the dev extra: make install)")
        return FAILED
    source = f"OSV at {args.osv_url}" if args.osv_url else SOURCES[args.service]
    command = [pip_audit, *_pip_audit_args(args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout * 20 + 120)
    report = _parse(done.stdout)
    if report is None:
        return _failed(done, source=source, strict=args.strict)
    return _judge(report["dependencies"], source=source, strict=args.strict)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit-deps", description=__doc__.split("\n\n")[0])
    parser.add_argument("locks", nargs="*", default=["requirements.lock"], metavar="LOCK")
    parser.add_argument("--service", choices=sorted(SOURCES), default="pypi")
    parser.add_argument("--osv-url", default=None, help="another OSV endpoint (implies --service osv)")
    parser.add_argument("--timeout", type=int, default=15, help="seconds per request")
    parser.add_argument("--strict", action="store_true", help="an unreachable source fails (exit 3)")
    return parser


def _pip_audit_args(args: argparse.Namespace) -> list[str]:
    service = "osv" if args.osv_url else args.service
    extra = ["--osv-url", args.osv_url] if args.osv_url else []
    requirements = [item for lock in args.locks for item in ("-r", lock)]
    return [
        *requirements, "--no-deps", "--disable-pip", "--progress-spinner", "off", "--format", "json",
        "--desc", "on", "--aliases", "on", "--vulnerability-service", service, "--timeout",
        str(args.timeout), *extra,
    ]  # fmt: skip


def _find_pip_audit() -> str | None:
    beside = Path(sys.executable).parent / "pip-audit"  # the venv this script runs in
    return str(beside) if beside.exists() else shutil.which("pip-audit")


def _parse(stdout: str) -> dict[str, Any] | None:
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    return report if isinstance(report, dict) and "dependencies" in report else None


def _judge(dependencies: list[dict[str, Any]], *, source: str, strict: bool) -> int:
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    if vulnerable:
        count = sum(len(d["vulns"]) for d in vulnerable)
        print(
            f"audit-deps: VULNERABLE: {count} known vulnerabilities in {len(vulnerable)} packages ({source}):"
        )
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
                aliases = ", ".join(vuln.get("aliases") or [])
                print(
                    f"  {dep['name']}=={dep['version']}: {vuln['id']}" + (f" ({aliases})" if aliases else "")
                )
                print(f"      fixed in: {fixes}; {(vuln.get('description') or '').strip()[:200]}")
        _list_skipped(skipped)
        return VULNERABLE
    if skipped and not audited:
        reason = skipped[0]["skip_reason"]
        return _not_audited(f"it answered for none of the {len(skipped)} packages ({reason})", source, strict)
    print(f"audit-deps: CLEAN: {audited} packages checked against {source}, no known vulnerabilities")
    _list_skipped(skipped)
    return NOT_AUDITED_STRICT if skipped and strict else CLEAN


def _list_skipped(skipped: list[dict[str, Any]]) -> None:
    if skipped:
        print(f"audit-deps: WARNING: {len(skipped)} packages were NOT checked:")
        for dep in skipped:
            print(f"  {dep['name']}: {dep['skip_reason']}")


def _failed(done: subprocess.CompletedProcess[str], *, source: str, strict: bool) -> int:
    output = (done.stderr + done.stdout).strip()
    last = output.splitlines()[-1] if output else f"exit status {done.returncode}, no output"
    if any(sign in output for sign in UNREACHABLE_SIGNS):
        return _not_audited(last[:300], source, strict)
    print(f"audit-deps: FAILED: pip-audit exited with {done.returncode}:\n{output[-3000:]}")
    return FAILED


def _not_audited(why: str, source: str, strict: bool) -> int:
    print(f"audit-deps: NOT AUDITED: the vulnerability source ({source}) cannot be reached: {why}")
    if strict:
        print("audit-deps: failing (--strict)")
        return NOT_AUDITED_STRICT
    print("audit-deps: the dependencies were NOT checked for known vulnerabilities; passing (no --strict)")
    return CLEAN


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
