"""Uptime from check results: the hourly and daily rollups, and what the pages read from them.

Each result is added to four rollups (its check's hour and day, its component's hour and day) in the
same transaction as the result itself. Pages read only rollups, so their cost does not grow with history:
the last 90 days of each component for the bars (bars.py: through a partial index, and only the days with
something to tell come back as rows), at most 7 x 24 hourly rows for a chart.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, SQLColumnExpression, Table, cast, extract, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models import Rollup, RollupPeriod, RollupScope

# Upper bounds (ms) of the latency histogram's buckets; the last one catches everything slower.
LATENCY_BUCKETS_MS = (10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000)
BAR_DAYS = 90


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
    latency_buckets: list[int] | None = None

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
    """Add results to their rollups: for the whole batch, one read per kind of rollup touched (check or
    component, hour or day: usually four) and one upsert (insert or update each row) of the sums."""
    pending: dict[tuple[RollupScope, int, RollupPeriod, datetime], Counts] = defaultdict(Counts)
    days: dict[date, datetime] = {}
    for sample in samples:
        hour = hour_start(sample.at)
        local_day = sample.at.astimezone(tz).date()
        day = days.get(local_day) or days.setdefault(local_day, day_start(local_day, tz))
        for scope, scope_id in ((RollupScope.CHECK, sample.check_id), (RollupScope.COMPONENT, sample.component_id)):
            pending[(scope, scope_id, RollupPeriod.HOUR, hour)].add(sample.ok, sample.latency_ms)
            pending[(scope, scope_id, RollupPeriod.DAY, day)].add(sample.ok, sample.latency_ms)
    if not pending:
        return
    # Read the rows there are by (scope, period, start) and a list of ids: the primary key's index serves
    # that directly, where a list of (scope, id, period, start) tuples costs PostgreSQL one index probe per
    # tuple and a plan that grows with the list.
    table = Rollup.metadata.tables[Rollup.__tablename__]
    ids_of: dict[tuple[RollupScope, RollupPeriod, datetime], list[int]] = defaultdict(list)
    for scope, scope_id, period, starts_at in pending:
        ids_of[(scope, period, starts_at)].append(scope_id)
    existing: dict[tuple[RollupScope, int, RollupPeriod, datetime], Counts] = {}
    for (scope, period, starts_at), ids in ids_of.items():
        ids.sort()
        for start in range(0, len(ids), 500):  # keep each IN list small enough for every database
            for scope_id, runs, failures, latency_count, latency_sum_ms, buckets in db.session.execute(
                    select(table.c.scope_id, table.c.runs, table.c.failures, table.c.latency_count,
                           table.c.latency_sum_ms, table.c.latency_buckets)
                    .where(table.c.scope == scope, table.c.scope_id.in_(ids[start:start + 500]),
                           table.c.period == period, table.c.starts_at == starts_at)):
                existing[(scope, scope_id, period, starts_at)] = Counts(runs, failures, latency_count, latency_sum_ms,
                                                                        list(buckets or []) or None)
    rows = []
    for key, counts in pending.items():
        scope, scope_id, period, starts_at = key
        if key in existing:
            existing[key].merge(counts)
            counts = existing[key]
        rows.append({"scope": scope, "scope_id": scope_id, "period": period, "starts_at": starts_at,
                     "runs": counts.runs, "failures": counts.failures, "latency_count": counts.latency_count,
                     "latency_sum_ms": counts.latency_sum_ms, "latency_buckets": counts.latency_buckets or []})
    db.session.execute(_upsert(), rows)


_UPSERT_COLUMNS = ("runs", "failures", "latency_count", "latency_sum_ms", "latency_buckets")
def _upsert() -> postgresql.Insert | sqlite.Insert:
    """INSERT .. ON CONFLICT (the primary key) DO UPDATE SET the new sums, for this database (built once).

    Sent as one executemany: psycopg pipelines it, SQLite loops in C. (A multi-row VALUES, which RETURNING
    would make SQLAlchemy send, was slower on PostgreSQL: psycopg parses thousands of placeholders.)
    """
    return _upsert_for(db.session.get_bind().dialect.name)


@cache
def _upsert_for(dialect: str) -> postgresql.Insert | sqlite.Insert:
    table = Rollup.metadata.tables[Rollup.__tablename__]
    inserts: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
        "postgresql": postgresql.insert, "sqlite": sqlite.insert}
    statement = inserts[dialect](table)
    return statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={name: statement.excluded[name] for name in _UPSERT_COLUMNS})


def _is(column: SQLColumnExpression[Any], value: str) -> ColumnElement[bool]:
    """column = 'value', written into the statement rather than bound: a partial index (see Rollup) serves
    only queries that name its condition's values literally (SQLite never matches a bound parameter to
    it, nor do PostgreSQL's generic plans of prepared statements)."""
    return column == literal_column(f"'{value}'")


def epoch_seconds(column: SQLColumnExpression[datetime | None]) -> ColumnElement[float]:
    """A time column as seconds since 1970 (a float), worked out by the database: for reads of thousands
    of rows, where parsing each time and UTCDateTime's conversion (a microsecond apiece) would add up."""
    if db.session.get_bind().dialect.name == "sqlite":  # UTC text; julianday() keeps milliseconds
        return func.round((func.julianday(column) - 2440587.5) * 86400.0, 3)
    return cast(extract("epoch", column), Float)


def _read(scope: RollupScope, ids: Sequence[int], period: RollupPeriod, since: datetime, *,
          latency: bool = True) -> dict[int, dict[datetime, Counts]]:
    """{scope id: {period start: Counts}} for the periods starting at or after `since`; with latency=False
    only runs and failures (no histogram to decode) when uptime is all that is wanted."""
    found: dict[int, dict[datetime, Counts]] = defaultdict(dict)
    if not ids:
        return found
    columns: list[InstrumentedAttribute[Any]] = [Rollup.scope_id, Rollup.starts_at, Rollup.runs, Rollup.failures]
    if latency:
        columns += [Rollup.latency_count, Rollup.latency_sum_ms, Rollup.latency_buckets]
    rows = db.session.connection().execute(  # Core rows: no ORM loading per row
        select(*columns).where(_is(Rollup.scope, scope), _is(Rollup.period, period), Rollup.scope_id.in_(list(ids)),
                               Rollup.starts_at >= since))
    if latency:
        for scope_id, starts_at, runs, failures, latency_count, latency_sum_ms, buckets in rows:
            found[scope_id][starts_at] = Counts(runs, failures, latency_count, latency_sum_ms,
                                                list(buckets or []) or None)
    else:
        for scope_id, starts_at, runs, failures in rows:
            found[scope_id][starts_at] = Counts(runs, failures)
    return found


def hourly_counts(scope_id: int, *, now: datetime, hours: int,
                  scope: RollupScope = RollupScope.COMPONENT) -> dict[datetime, Counts]:
    """A component's (or a check's) hourly rollups of the last `hours` hours, histograms included."""
    return _read(scope, [scope_id], RollupPeriod.HOUR, hour_start(now) - timedelta(hours=hours - 1))[scope_id]


def daily_counts(component_id: int, *, now: datetime, tz: ZoneInfo, days: int = BAR_DAYS) -> dict[datetime, Counts]:
    """A component's daily rollups (runs and failures) of the last `days` local days."""
    return _read(RollupScope.COMPONENT, [component_id], RollupPeriod.DAY,
                 day_start(now.astimezone(tz).date() - timedelta(days=days - 1), tz), latency=False)[component_id]


@dataclass(frozen=True)
class LatencyPoint:
    starts_at: datetime
    mean_ms: float | None
    p95_ms: int | None
    failures: int


def response_times(scope_id: int, *, now: datetime, hours: int, hourly: dict[datetime, Counts] | None = None,
                   scope: RollupScope = RollupScope.COMPONENT) -> list[LatencyPoint]:
    """One point per hour for the last `hours` hours (oldest first), from the component's (or check's)
    hourly rollups (hourly: as hourly_counts gives them, over at least these hours; read when not given)."""
    first = hour_start(now) - timedelta(hours=hours - 1)
    rollups = hourly_counts(scope_id, now=now, hours=hours, scope=scope) if hourly is None else hourly
    points = []
    for n in range(hours):
        starts_at = first + timedelta(hours=n)
        counts = rollups.get(starts_at)
        points.append(LatencyPoint(starts_at, counts.mean_ms if counts else None,
                                   counts.percentile_ms(0.95) if counts else None,
                                   counts.failures if counts else 0))
    return points
