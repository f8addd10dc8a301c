"""The demo's health checks with a past: 90 days of runs, so bars, figures and charts are full at once.

The runs are simulated with numpy, not replayed: one vectorised pass per check, its component's statuses
over time (status_history.segments of the demo's incidents) deciding how often it fails and how slow it
is, plus rare one-off failures. What they imply is written in bulk: the hourly and daily rollups of each
check and component (what the pages read) for the whole 90 days, and the raw results of the last day
(what the console lists: its last six hours; older ones are kept as rollups only, as after pruning). Then each check's state
(last run, counters) is what its last runs say, so the scheduler carries on from there.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import Check, CheckKind
from . import status_history
from .bars import incidents_by_component
from .uptime import LATENCY_BUCKETS_MS

DAYS = 90
RAW_HOURS = 6
# What a status does to a check: share of failed runs, latency factor.
EFFECT = {"major_outage": (0.9, 1.0), "partial_outage": (0.3, 3.0), "degraded_performance": (0.03, 2.5)}
BLIPS_PER_DAY = 1 / 30  # one-off failures (1 to 2 runs in a row) per check, outside incidents


def seed_history(*, now: datetime, seed: int = 7) -> dict[str, int]:
    """Give every check 90 days of runs up to `now` (see the module); returns how many rows were written."""
    tz = current_app.config["SETTINGS"].tz
    checks = list(db.session.scalars(select(Check).order_by(Check.id)))
    if not checks:
        return {"rollups": 0, "results": 0}
    rng = np.random.default_rng(seed)
    now_s = int(now.timestamp())
    first_day = now.astimezone(tz).date() - timedelta(days=DAYS - 1)
    midnights = _midnights(first_day, now.astimezone(tz).date() + timedelta(days=1), tz)
    h0 = int(midnights[0]) - int(midnights[0]) % 3600
    hours = (now_s - h0) // 3600 + 1
    hour_starts = h0 + 3600 * np.arange(hours, dtype=np.int64)
    day_of_hour = np.searchsorted(midnights, hour_starts, side="right") - 1
    touching = incidents_by_component(None, now=now, tz=tz, days=DAYS + 1)
    changes = status_history.read_changes({i[0]: (i[3], i[6]) for found in touching.values() for i in found})
    nb = len(LATENCY_BUCKETS_MS) + 1
    bounds = np.array(LATENCY_BUCKETS_MS, dtype=np.int64)
    by_component: dict[int, np.ndarray] = {}
    rollups, results, states = [], [], []
    for check in checks:
        troubles = status_history.segments(touching.get(check.component_id, ()),
                                           changes.get(check.component_id, ()))
        interval = max(int(check.interval_seconds), 1)
        at = now_s - interval * np.arange(int((now_s - midnights[0]) // interval), -1, -1, dtype=np.int64) \
            - int(rng.integers(interval))
        at = at[at >= midnights[0]]
        fail = np.zeros(len(at))
        slower = np.ones(len(at))
        for start, end, status in troubles:
            a, b = np.searchsorted(at, [start, end if end is not None else now_s + 1])
            share, factor = EFFECT[status]
            fail[a:b] = np.maximum(fail[a:b], share)
            slower[a:b] = np.maximum(slower[a:b], factor)
        heartbeat = check.kind is CheckKind.HEARTBEAT
        if not heartbeat:
            for blip in rng.integers(0, len(at), size=rng.poisson(BLIPS_PER_DAY * DAYS)):
                fail[blip:blip + int(rng.integers(1, 3))] = 1.0
        ok = rng.random(len(at)) >= fail
        base = 15 + 25 * (check.id % 7)
        latency = np.maximum(1, (base * slower * rng.lognormal(0.0, 0.3, len(at))).astype(np.int64))
        hour = (at - h0) // 3600
        counts = np.zeros((hours, 4 + nb), dtype=np.int64)
        counts[:, 0] = np.bincount(hour, minlength=hours)
        counts[:, 1] = np.bincount(hour, weights=~ok, minlength=hours).astype(np.int64)
        if not heartbeat:
            counts[:, 2] = np.bincount(hour, weights=ok, minlength=hours).astype(np.int64)
            counts[:, 3] = np.bincount(hour, weights=np.where(ok, latency, 0), minlength=hours).astype(np.int64)
            bucket = np.searchsorted(bounds, latency, side="left")  # bisect_left, as Counts.add
            counts[:, 4:] = np.bincount(hour[ok] * nb + bucket[ok], minlength=hours * nb).reshape(hours, nb)
        by_component[check.component_id] = by_component.get(check.component_id, 0) + counts
        rollups += _rollups("check", check.id, counts, hour_starts, day_of_hour, midnights)
        recent = at >= now_s - RAW_HOURS * 3600
        status_code = None if heartbeat else 200
        error = "no ping" if heartbeat else "503 Service Unavailable"
        for t, good, ms, late in zip(at[recent].tolist(), ok[recent].tolist(), latency[recent].tolist(),
                                     rng.integers(0, 300, int(recent.sum())).tolist()):
            results.append((check.id, t, good, None if heartbeat or not good else ms,
                            status_code if good else None if heartbeat else 503, None if good else error, late))
        states.append(_state(check, at, ok, latency, now))
    for component_id, counts in by_component.items():
        rollups += _rollups("component", component_id, counts, hour_starts, day_of_hour, midnights)
    _load("rollups", ("scope", "scope_id", "period", "starts_at", "runs", "failures", "latency_count",
                      "latency_sum_ms", "latency_buckets"), rollups, times=(3,), as_json=(8,))
    _load("check_results", ("check_id", "at", "ok", "latency_ms", "status_code", "error", "lateness_ms"), results,
          times=(1,), bools=(2,))
    db.session.execute(update(Check), states)
    db.session.commit()
    return {"rollups": len(rollups), "results": len(results)}


def _state(check: Check, at: np.ndarray, ok: np.ndarray, latency: np.ndarray, now: datetime) -> dict[str, object]:
    """The runner's state after these runs: last run, counters (never confirmed down: the live checks
    decide that), and a heartbeat's last ping (its job runs at night)."""
    tail = ok[-50:].tolist()
    successes = len(tail) - 1 - max([i for i, good in enumerate(tail) if not good], default=-1)
    failures = 0 if successes else len(tail) - 1 - max([i for i, good in enumerate(tail) if good], default=-1)
    state: dict[str, object] = {"id": check.id, "last_run_at": datetime.fromtimestamp(int(at[-1]), timezone.utc),
             "last_ok": bool(ok[-1]), "last_latency_ms": None, "last_error": None,
             "consecutive_successes": successes, "consecutive_failures": min(failures, check.failures_to_open - 1),
             "is_down": False}
    if check.kind is CheckKind.HEARTBEAT:
        local = now.astimezone(current_app.config["SETTINGS"].tz)
        beat = local.replace(hour=2, minute=0, second=0, microsecond=0)  # a nightly job's ping
        state["last_beat_at"] = (beat if beat <= local else beat - timedelta(days=1)).astimezone(timezone.utc)
        state["last_ok"], state["consecutive_successes"], state["consecutive_failures"] = True, len(tail), 0
    elif ok[-1]:
        state["last_latency_ms"] = int(latency[-1])
    else:
        state["last_error"] = "503 Service Unavailable"
    return state


def _rollups(scope: str, scope_id: int, counts: np.ndarray, hour_starts: np.ndarray, day_of_hour: np.ndarray,
             midnights: np.ndarray) -> list[tuple[str, int, str, int, int, int, int, int, str]]:
    days = np.zeros((len(midnights), counts.shape[1]), dtype=np.int64)
    np.add.at(days, day_of_hour, counts)
    rows = []
    for period, grid, starts in (("hour", counts, hour_starts), ("day", days, midnights)):
        told = grid[:, 0] > 0
        for start, row in zip(starts[told].tolist(), grid[told].tolist()):
            rows.append((scope, scope_id, period, start, row[0], row[1], row[2], row[3],
                         str(row[4:]) if row[2] else "[]"))  # a list of ints as str() writes it is JSON
    return rows


def _load(table: str, columns: tuple[str, ...], rows: Sequence[Sequence[Any]], *, times: tuple[int, ...] = (),
          bools: tuple[int, ...] = (), as_json: tuple[int, ...] = ()) -> None:
    """Rows into a table in the session's transaction, through the driver's executemany: tens of thousands
    of rows, where SQLAlchemy's per-row type processing would take seconds. Times come as epoch seconds and
    are written as each database keeps them (SQLite: UTC text, as UTCDateTime stores it)."""
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if times or bools:
        texts: dict[int, object] = {}  # the same hours come back for every check

        def when(epoch: int) -> object:
            found = texts.get(epoch)
            if found is None:
                found = texts[epoch] = (time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(epoch)) if sqlite
                                        else datetime.fromtimestamp(epoch, timezone.utc))
            return found

        def convert(row: Sequence[Any]) -> list[Any]:
            converted = list(row)
            for i in times:
                converted[i] = when(converted[i])
            for i in bools:
                converted[i] = int(converted[i]) if sqlite else bool(converted[i])
            return converted
        rows = [convert(row) for row in rows]
    marks = ["?" if sqlite else "CAST(%s AS JSON)" if i in as_json else "%s" for i in range(len(columns))]
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
    driver = connection.connection.driver_connection
    assert driver is not None, "a connection checked out of the pool has its driver's"
    cursor = driver.cursor()
    try:
        for start in range(0, len(rows), 20_000):
            cursor.executemany(statement, rows[start:start + 20_000])
    finally:
        cursor.close()


def _midnights(first: date, last: date, tz: tzinfo) -> np.ndarray:
    """UTC epoch seconds of each local midnight from first to last (inclusive)."""
    return np.array([int(datetime.combine(first + timedelta(days=n), datetime.min.time(), tz).timestamp())
                     for n in range((last - first).days + 1)], dtype=np.int64)
