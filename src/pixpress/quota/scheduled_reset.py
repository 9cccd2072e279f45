"""The reset job: close every period whose scheduled reset is due (PIXPRESS_RESET_SCHEDULE).

A worker runs it every PIXPRESS_RESET_CHECK_INTERVAL_S inside a LeaderJob, so once per deployment; it is
also safe to run twice or in two processes at once, since each close is conditional on the period having
started before the reset it is for (PeriodRecords.close). A period ends when the job closes it, within
one check interval after 00:00 UTC: uploads in between count in the period they were charged in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from pixpress.metrics import record
from pixpress.quota.clock import Clock
from pixpress.quota.periods import PeriodRecords
from pixpress.quota.reset_schedule import ResetSchedule

log = logging.getLogger("pixpress.quota")

# Tokens closed per transaction: a few round trips per batch instead of per token (2,000 tokens one by
# one took 47 s on a busy PostgreSQL), while each batch holds its rows' locks only briefly.
BATCH_SIZE = 200


def close_due_periods(
    *, periods: PeriodRecords, schedule: ResetSchedule, clock: Clock, batch_size: int = BATCH_SIZE
) -> int:
    """Close the due periods; how many this run closed."""
    if not schedule.enabled:
        return 0
    now = clock()
    # Monthly: one reset for every token, so only rows still open before it are read. Anniversary: each
    # token has its own day, so every open period is looked at.
    started_before = schedule.due_at(now=now, first_used_at=None) if schedule.kind == "monthly" else None
    due_tokens: dict[datetime, list[str]] = defaultdict(list)
    for period in periods.open_periods(started_before=started_before):
        due_at = schedule.due_at(now=now, first_used_at=period.first_used_at)
        if due_at is not None and period.period_started_at < due_at:
            due_tokens[due_at].append(period.token_hash)
    closed = 0
    for due_at, token_hashes in sorted(due_tokens.items()):
        for first in range(0, len(token_hashes), batch_size):
            batch = token_hashes[first : first + batch_size]
            # Those another process closed first are left out of the answer.
            for outcome in periods.close(batch, now=clock(), closed_by="schedule", due_at=due_at):
                closed += 1
                record.reset(outcome.old_used_bytes)
                log.info(
                    "usage of %s reset by the %s schedule (was %d bytes, due %s)",
                    outcome.licence.token_hash[:10],
                    schedule.kind,
                    outcome.old_used_bytes,
                    due_at.isoformat(),
                )
    if closed:
        log.info("scheduled reset: %d periods closed", closed)
    return closed
