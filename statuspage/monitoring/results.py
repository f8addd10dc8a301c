"""Store a batch of check outcomes: the results, each check's counters and confirmed state, the rollups.

One transaction per batch, written with a few bulk statements: at 10,000 checks a minute the runner
hands over ~170 outcomes a second. Which components then need the policy's attention is returned;
the policy runs after the commit, so a failing incident update can never cost us the results.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from ..database import transaction
from ..extensions import db
from ..models import Check, CheckResult
from ..services import uptime
from .probes import ProbeResult

log = logging.getLogger(__name__)
KEEP_CHANGES = 12  # state changes remembered per check, enough to recognise flapping


@dataclass(frozen=True)
class Outcome:
    """What one run produced. A heartbeat has no probe: it is judged here from its last beat."""

    check_id: int
    scheduled_at: datetime
    result: ProbeResult | None


class CheckColumns(Protocol):
    """What judging and counting read of a check: a Check, or a row of the checks table with these columns."""

    @property
    def failures_to_open(self) -> int: ...
    @property
    def successes_to_close(self) -> int: ...
    @property
    def last_beat_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def period_seconds(self) -> int | None: ...
    @property
    def grace_seconds(self) -> int | None: ...


def record(outcomes: list[Outcome], *, now: datetime, tz: ZoneInfo) -> set[int]:
    """Store outcomes; returns the ids of components whose checks' state asks for the policy's attention."""
    if not outcomes:
        return set()
    attention: set[int] = set()
    with transaction():
        ids = sorted({o.check_id for o in outcomes})
        table = Check.__table__
        checks = {row.id: row for row in db.session.execute(
            select(table.c.id, table.c.key, table.c.component_id, table.c.kind, table.c.failures_to_open,
                   table.c.successes_to_close, table.c.consecutive_failures, table.c.consecutive_successes,
                   table.c.is_down, table.c.changed_at, table.c.incident_id, table.c.last_beat_at,
                   table.c.period_seconds, table.c.grace_seconds, table.c.created_at).where(table.c.id.in_(ids)))}
        state: dict[int, dict[str, Any]] = {}
        results, samples = [], []
        for outcome in sorted(outcomes, key=lambda o: o.scheduled_at):
            row = checks.get(outcome.check_id)
            if row is None:
                continue  # deleted while it ran
            current = state.setdefault(row.id, {
                "id": row.id, "consecutive_failures": row.consecutive_failures,
                "consecutive_successes": row.consecutive_successes, "is_down": row.is_down,
                "changed_at": list(row.changed_at or [])})
            result = outcome.result or judge_heartbeat(row, now)
            at = result.started_at or now
            _count(current, row, result.ok, at)
            current.update(last_run_at=at, last_ok=result.ok, last_error=result.error,
                           last_latency_ms=result.latency_ms)
            lateness = max(0, int((at - outcome.scheduled_at).total_seconds() * 1000))
            results.append({"check_id": row.id, "at": at, "ok": result.ok, "latency_ms": result.latency_ms,
                            "status_code": result.status_code, "error": (result.error or None) and result.error[:300],
                            "lateness_ms": lateness})
            samples.append(uptime.Sample(row.id, row.component_id, at, result.ok, result.latency_ms))
        changed = []
        for check_id, current in state.items():
            row = checks[check_id]
            if current["is_down"] != row.is_down or (current["is_down"] and row.incident_id is None) \
                    or (not current["is_down"] and row.incident_id is not None):
                attention.add(row.component_id)
            if current["is_down"] != row.is_down:
                changed.append((row, current))
        if results:
            results_table = CheckResult.metadata.tables[CheckResult.__tablename__]
            db.session.execute(insert(results_table), results)  # Core: no ORM bookkeeping per row
            db.session.execute(update(Check), list(state.values()))  # ORM: refreshes Checks the session holds
            uptime.add_samples(samples, tz=tz)
    for row, current in changed:  # stored: now say so
        if current["is_down"]:
            log.warning("check %s is down: %d failures in a row, the last: %s", row.key,
                        current["consecutive_failures"], current["last_error"] or "no answer")
        else:
            log.info("check %s is up again: %d successes in a row", row.key, current["consecutive_successes"])
    return attention


def _count(current: dict[str, Any], row: CheckColumns, ok: bool, at: datetime) -> None:
    """Advance the counters; confirm a failure after failures_to_open, a recovery after successes_to_close."""
    if ok:
        current["consecutive_successes"] += 1
        current["consecutive_failures"] = 0
        if current["is_down"] and current["consecutive_successes"] >= row.successes_to_close:
            current["is_down"] = False
            current["changed_at"] = (current["changed_at"] + [at.isoformat()])[-KEEP_CHANGES:]
    else:
        current["consecutive_failures"] += 1
        current["consecutive_successes"] = 0
        if not current["is_down"] and current["consecutive_failures"] >= row.failures_to_open:
            current["is_down"] = True
            current["changed_at"] = (current["changed_at"] + [at.isoformat()])[-KEEP_CHANGES:]


def judge_heartbeat(row: CheckColumns, now: datetime) -> ProbeResult:
    """A heartbeat is fine while its last beat (or its creation, before the first) is within period + grace."""
    since = row.last_beat_at or row.created_at
    allowed = timedelta(seconds=(row.period_seconds or 0) + (row.grace_seconds or 0))
    if now - since <= allowed:
        return ProbeResult(ok=True, latency_ms=None, started_at=now)
    what = "no ping since the check was created" if row.last_beat_at is None else "no ping"
    return ProbeResult(ok=False, latency_ms=None, started_at=now,
                       error=f"{what} for {_say(now - since)} "
                             f"(period {_say(timedelta(seconds=row.period_seconds or 0))}, "
                             f"grace {_say(timedelta(seconds=row.grace_seconds or 0))})")


def _say(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"] * bool(minutes)
    return " ".join(parts) or f"{seconds}s"

