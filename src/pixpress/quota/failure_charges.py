"""The charge of a failed task: given back, or kept once the token's free failures of the period are used.

Every upload is charged at submit. A task that then fails is refunded, except when its file could not be
decoded (CHARGEABLE_FAILURES: the worker's time went on bytes no browser can show either) and the token
has already had its free allowance of such failures in the period the task was charged in:

    free failures = PIXPRESS_FREE_FAILURES_PER_PERIOD + PIXPRESS_FREE_FAILURES_PERCENT of its uploads

Past it the charge is kept (a 0-byte `failure_charged` ledger entry says so, and the task's status).
This bounds the worker time a token gets for nothing, without ever refusing it anything: an honest site
with a few dozen broken files in a library pays nothing, one sending only garbage pays for each file as
if it had been optimized, and its quota bounds the rest. Failures that are not the file's doing
(worker_lost, task_timeout, internal_error, service_unavailable, a valid image over the worker's memory
cap) are always refunded and never counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pixpress.config import Settings
from pixpress.quota.records import LicenceRecords

# A file the decoder cannot read, found only by the worker's full decode.
CHARGEABLE_FAILURES = frozenset({"invalid_image", "unsupported_format"})
FAILURE_CHARGED = "failure_charged"  # the ledger entry's kind


@dataclass(frozen=True)
class Settled:
    charged: bool  # True: the charge was kept; False: given back (or nothing to give back)
    now: bool  # decided by this call (False: an earlier call had, or the task has no charge)
    allowance: int = 0  # the free failures of the period, when a chargeable failure was counted


def free_allowance(*, uploads: int, settings: Settings) -> int:
    """Free failures of a period with `uploads` accepted uploads."""
    return settings.free_failures_per_period + math.floor(uploads * settings.free_failures_percent / 100)


def settle(
    *,
    records: LicenceRecords,
    settings: Settings,
    token_hash: str,
    task_id: str,
    size_bytes: int,
    reason: str,
    session: Session,
) -> Settled:
    """Decide, once, what a failed task's charge becomes (in the caller's write unit of work)."""
    entries = records.task_entries(token_hash, task_id, session=session)
    kinds = {kind for kind, _ in entries}
    if FAILURE_CHARGED in kinds:
        return Settled(charged=True, now=False)
    if "charge" not in kinds or "refund" in kinds:
        return Settled(charged=False, now=False)
    if reason in CHARGEABLE_FAILURES:
        charged_in = next(period for kind, period in entries if kind == "charge")
        records.lock(token_hash, session=session)  # concurrent failures of one token count one at a time
        free_used, uploads = records.failure_counts(
            token_hash, period=charged_in, reasons=CHARGEABLE_FAILURES, session=session
        )
        allowance = free_allowance(uploads=uploads, settings=settings)
        if free_used >= allowance:
            note = f"{reason}: charged, past the {allowance} free failures of the period"
            records.note(
                token_hash=token_hash,
                task_id=task_id,
                kind=FAILURE_CHARGED,
                period=charged_in,
                note=note,
                session=session,
            )
            return Settled(charged=True, now=True, allowance=allowance)
    refunded = records.refund(
        token_hash=token_hash, task_id=task_id, size_bytes=size_bytes, reason=reason, session=session
    )
    return Settled(charged=False, now=refunded)
