"""The answers of the API as models, for response_model and so for /openapi.json: what only the HTTP layer
says (health, readiness, a deletion, a submit), and the error answers each group of routes may give.
The tasks' and quotas' views are their domains' (tasks/views.py, quota/views.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pixpress.api.envelope import ErrorEnvelope
from pixpress.quota.views import QuotaSummary
from pixpress.tasks.views import TaskStatus


class Health(BaseModel):
    status: str
    version: str
    features: list[str]  # what this server offers beyond the original contract, e.g. "sizes"


class Readiness(BaseModel):
    status: str
    checks: dict[str, str] | None = None  # each backend's probe: only for an admin token


class Deleted(BaseModel):
    task_id: str
    deleted: bool


class Submitted(TaskStatus):
    """A submit's answer: the task's id and state, the caller's quota after the charge, whether this was a
    repeat of an Idempotency-Key or a reuse of an identical upload's task; with ?wait= (or once finished)
    the rest of the task's status too."""

    # Before the task is finished these, required in a status, are left out:
    original_filename: str | None = None  # type: ignore[assignment]
    original_size: int | None = None  # type: ignore[assignment]
    input_format: str | None = None  # type: ignore[assignment]
    created_at: str | None = None
    expires_at: str | None = None
    quota_info: QuotaSummary
    idempotent_replay: bool
    # The same bytes and options from the same token while an earlier task of them can still answer: that
    # task (its id, its result), not charged again.
    reused: bool


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorEnvelope} for status in statuses}


# Any call may meet a bug.
SERVER_ERRORS = _errors(500)
# Every call with parameters: a malformed request (422), a backend down or a bug (503, 500).
COMMON_ERRORS = _errors(422, 500, 503)
# Calls with a customer token: missing or wrong (401), expired (403), over a limit (429).
CUSTOMER_ERRORS = {**COMMON_ERRORS, **_errors(401, 403, 429)}
# Admin calls: no token or not an admin's (401, 403), too many failed checks (429).
ADMIN_ERRORS = {**COMMON_ERRORS, **_errors(401, 403, 429)}
# /ready: not ready (503); a token that is not an admin's (403), a malformed header (422), too many
# failed checks (429).
READY_ERRORS = {**_errors(403, 422, 429, 500), 503: {"model": ErrorEnvelope, "description": "Not ready."}}
TASK_ERRORS = {**CUSTOMER_ERRORS, **_errors(404)}
SUBMIT_ERRORS = {**CUSTOMER_ERRORS, **_errors(413, 415)}
DOWNLOAD_ERRORS = {**TASK_ERRORS, **_errors(409)}
