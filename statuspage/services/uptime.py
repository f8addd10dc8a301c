"""Uptime from check results: the hourly and daily rollups, and what the pages read from them.

Each result is added to four rollups (its check's hour and day, its component's hour and day) in the
same transaction as the result itself. Pages read only rollups, so their cost does not grow with history:
90 daily rows per component for the bars, at most 7 x 24 hourly rows for a chart.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, tuple_, update

from ..extensions import db
from ..models import Rollup, RollupPeriod, RollupScope

# Upper bounds (ms) of the latency histogram's buckets; the last one catches everything slower.
LATENCY_BUCKETS_MS = (10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000)
BAR_DAYS = 90
FIGURE_WINDOWS = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)),
                  ("90d", timedelta(days=90)))


@dataclass(frozen=True)
class Sample:
    """One result as the rollups see it."""

    check_id: int
    component_id: int
    at: datetime
    ok: bool
    latency_ms: int | None


@dataclass
class Counts:
    runs: int = 0
    failures: int = 0
    latency_count: int = 0
    latency_sum_ms: int = 0
    latency_buckets: list | None = None

    def add(self, ok: bool, latency_ms: int | None) -> None:
        self.runs += 1
        self.failures += 0 if ok else 1
        if latency_ms is not None:
            self.latency_count += 1
            self.latency_sum_ms += latency_ms
            buckets = self.latency_buckets or [0] * (len(LATENCY_BUCKETS_MS) + 1)
            buckets[bisect.bisect_left(LATENCY_BUCKETS_MS, latency_ms)] += 1
            self.latency_buckets = buckets

    def merge(self, other: Counts) -> None:
        self.runs += other.runs
        self.failures += other.failures
        self.latency_count += other.latency_count
        self.latency_sum_ms += other.latency_sum_ms
        if other.latency_buckets:
            mine = self.latency_buckets or [0] * len(other.latency_buckets)
            self.latency_buckets = [a + b for a, b in zip(mine, other.latency_buckets)]

    @property
    def uptime(self) -> float | None:
        """Share of successful runs, in percent; None when nothing ran."""
        return None if not self.runs else 100.0 * (self.runs - self.failures) / self.runs

    @property
    def mean_ms(self) -> float | None:
        return self.latency_sum_ms / self.latency_count if self.latency_count else None

    def percentile_ms(self, share: float) -> int | None:
        """The bucket bound below which `share` of latencies fall (an upper estimate, as histograms give)."""
        if not self.latency_count or not self.latency_buckets:
            return None
        wanted, seen = share * self.latency_count, 0
        for index, count in enumerate(self.latency_buckets):
            seen += count
            if seen >= wanted:
                return LATENCY_BUCKETS_MS[index] if index < len(LATENCY_BUCKETS_MS) else LATENCY_BUCKETS_MS[-1] * 2
        return None


def hour_start(at: datetime) -> datetime:
    return at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The instant a local day begins (its local midnight), in UTC."""
    return datetime.combine(day, time(), tz).astimezone(timezone.utc)


def add_samples(samples: Iterable[Sample], *, tz: ZoneInfo) -> None:
    """Add results to their rollups: one read and at most one insert and one update for the whole batch."""
    pending: dict[tuple, Counts] = defaultdict(Counts)
    for sample in samples:
        hour = hour_start(sample.at)
        day = day_start(sample.at.astimezone(tz).date(), tz)
        for scope, scope_id in ((RollupScope.CHECK, sample.check_id), (RollupScope.COMPONENT, sample.component_id)):
            pending[(scope, scope_id, RollupPeriod.HOUR, hour)].add(sample.ok, sample.latency_ms)
            pending[(scope, scope_id, RollupPeriod.DAY, day)].add(sample.ok, sample.latency_ms)
    if not pending:
        return
    key_columns = (Rollup.scope, Rollup.scope_id, Rollup.period, Rollup.starts_at)
    existing = {}
    keys = list(pending)
    for start in range(0, len(keys), 500):  # keep each IN list small enough for every database
        chunk = [(scope.value, scope_id, period.value, starts_at) for scope, scope_id, period, starts_at
                 in keys[start:start + 500]]
        for row in db.session.execute(select(Rollup.__table__).where(tuple_(*key_columns).in_(chunk))):
            key = (RollupScope(row.scope), row.scope_id, RollupPeriod(row.period), row.starts_at)
            existing[key] = Counts(row.runs, row.failures, row.latency_count, row.latency_sum_ms,
                                   list(row.latency_buckets or []) or None)
    inserts, updates = [], []
    for key, counts in pending.items():
        scope, scope_id, period, starts_at = key
        if key in existing:
            existing[key].merge(counts)
            counts = existing[key]
        row = {"scope": scope, "scope_id": scope_id, "period": period, "starts_at": starts_at, "runs": counts.runs,
               "failures": counts.failures, "latency_count": counts.latency_count,
               "latency_sum_ms": counts.latency_sum_ms, "latency_buckets": counts.latency_buckets or []}
        (updates if key in existing else inserts).append(row)
    if inserts:
        db.session.execute(insert(Rollup), inserts)
    if updates:
        db.session.execute(update(Rollup), updates)


def _read(scope: RollupScope, ids: Sequence[int], period: RollupPeriod, since: datetime) -> dict[int, dict]:
    """{scope id: {period start: Counts}} for the periods starting at or after `since`."""
    found: dict[int, dict] = defaultdict(dict)
    if not ids:
        return found
    rows = db.session.execute(
        select(Rollup.scope_id, Rollup.starts_at, Rollup.runs, Rollup.failures, Rollup.latency_count,
               Rollup.latency_sum_ms, Rollup.latency_buckets)
        .where(Rollup.scope == scope, Rollup.period == period, Rollup.scope_id.in_(list(ids)),
               Rollup.starts_at >= since))
    for scope_id, starts_at, *counts in rows:
        found[scope_id][starts_at] = Counts(*counts[:4], list(counts[4] or []) or None)
    return found


@dataclass(frozen=True)
class DayBar:
    """One day of a component's uptime bar."""

    day: date
    counts: Counts | None  # None: no check ran that day
    incidents: tuple  # (id, name, impact) of incidents that touched the component that day

    @property
    def uptime(self) -> float | None:
        return self.counts.uptime if self.counts else None

    @property
    def level(self) -> str:
        """The bar's colour class: worst of measured uptime and incident impact."""
        impacts = {impact for _id, _name, impact in self.incidents}
        uptime = self.uptime
        if "critical" in impacts or (uptime is not None and uptime < 95):
            return "major"
        if "major" in impacts or (uptime is not None and uptime < 99):
            return "partial"
        if "minor" in impacts or (uptime is not None and uptime < 99.9):
            return "minor"
        if uptime is None and not impacts:
            return "none"
        return "ok"


def day_bars(component_ids: Sequence[int], incidents_by_component: dict[int, list], *, now: datetime,
             tz: ZoneInfo, days: int = BAR_DAYS) -> dict[int, list[DayBar]]:
    """The last `days` local days for each component, oldest first, from daily rollups and incidents."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    rollups = _read(RollupScope.COMPONENT, component_ids, RollupPeriod.DAY, day_start(first, tz))
    bars = {}
    for component_id in component_ids:
        by_day = {starts_at.astimezone(tz).date(): counts for starts_at, counts in rollups[component_id].items()}
        touched: dict[date, list] = defaultdict(list)
        for incident_id, name, impact, started_at, ended_at in incidents_by_component.get(component_id, ()):
            day = max(started_at.astimezone(tz).date(), first)
            last = min((ended_at or now).astimezone(tz).date(), today)
            while day <= last:
                touched[day].append((incident_id, name, impact))
                day += timedelta(days=1)
        bars[component_id] = [DayBar(first + timedelta(days=n), by_day.get(first + timedelta(days=n)),
                                     tuple(touched.get(first + timedelta(days=n), ())))
                              for n in range(days)]
    return bars


def uptime_figures(component_id: int, *, now: datetime, tz: ZoneInfo) -> dict[str, float | None]:
    """Uptime in percent over 24 h (hourly rollups) and 7, 30 and 90 days (daily rollups)."""
    hours = _read(RollupScope.COMPONENT, [component_id], RollupPeriod.HOUR,
                  hour_start(now) - timedelta(hours=23))[component_id]
    days = _read(RollupScope.COMPONENT, [component_id], RollupPeriod.DAY,
                 day_start(now.astimezone(tz).date() - timedelta(days=89), tz))[component_id]
    figures = {}
    for label, window in FIGURE_WINDOWS:
        source = hours if label == "24h" else days
        since = (hour_start(now) - timedelta(hours=23)) if label == "24h" else \
            day_start(now.astimezone(tz).date() - timedelta(days=window.days - 1), tz)
        total = Counts()
        for starts_at, counts in source.items():
            if starts_at >= since:
                total.merge(counts)
        figures[label] = total.uptime
    return figures


@dataclass(frozen=True)
class LatencyPoint:
    starts_at: datetime
    mean_ms: float | None
    p95_ms: int | None
    failures: int


def response_times(component_id: int, *, now: datetime, hours: int) -> list[LatencyPoint]:
    """One point per hour for the last `hours` hours (oldest first), from the component's hourly rollups."""
    first = hour_start(now) - timedelta(hours=hours - 1)
    rollups = _read(RollupScope.COMPONENT, [component_id], RollupPeriod.HOUR, first)[component_id]
    points = []
    for n in range(hours):
        starts_at = first + timedelta(hours=n)
        counts = rollups.get(starts_at)
        points.append(LatencyPoint(starts_at, counts.mean_ms if counts else None,
                                   counts.percentile_ms(0.95) if counts else None,
                                   counts.failures if counts else 0))
    return points
