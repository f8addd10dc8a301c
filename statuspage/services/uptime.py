"""Uptime from check results: the hourly and daily rollups, and what the pages read from them.

Each result is added to four rollups (its check's hour and day, its component's hour and day) in the
same transaction as the result itself. Pages read only rollups, so their cost does not grow with history:
the last 90 days of each component for the bars (through a partial index, and only the days with
something to tell come back as rows), at most 7 x 24 hourly rows for a chart.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy import Float, Integer, bindparam, cast, column, extract, func, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite

from ..database import UTCDateTime
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
    """Add results to their rollups: for the whole batch, one read per kind of rollup touched (check or
    component, hour or day: usually four) and one upsert (insert or update each row) of the sums."""
    pending: dict[tuple, Counts] = defaultdict(Counts)
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
    table = Rollup.__table__
    ids_of: dict[tuple, list[int]] = defaultdict(list)
    for scope, scope_id, period, starts_at in pending:
        ids_of[(scope, period, starts_at)].append(scope_id)
    existing: dict[tuple, Counts] = {}
    for (scope, period, starts_at), ids in ids_of.items():
        ids.sort()
        for start in range(0, len(ids), 500):  # keep each IN list small enough for every database
            for scope_id, *counts, buckets in db.session.execute(
                    select(table.c.scope_id, table.c.runs, table.c.failures, table.c.latency_count,
                           table.c.latency_sum_ms, table.c.latency_buckets)
                    .where(table.c.scope == scope, table.c.scope_id.in_(ids[start:start + 500]),
                           table.c.period == period, table.c.starts_at == starts_at)):
                existing[(scope, scope_id, period, starts_at)] = Counts(*counts, list(buckets or []) or None)
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
_upserts: dict[str, object] = {}


def _upsert():
    """INSERT .. ON CONFLICT (the primary key) DO UPDATE SET the new sums, for this database (built once).

    Sent as one executemany: psycopg pipelines it, SQLite loops in C. (A multi-row VALUES, which RETURNING
    would make SQLAlchemy send, was slower on PostgreSQL: psycopg parses thousands of placeholders.)
    """
    dialect = db.session.get_bind().dialect.name
    statement = _upserts.get(dialect)
    if statement is None:
        table = Rollup.__table__
        insert_for = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
        statement = insert_for(table)
        statement = statement.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key.columns],
            set_={name: statement.excluded[name] for name in _UPSERT_COLUMNS})
        _upserts[dialect] = statement
    return statement


def _is(column, value: str):
    """column = 'value', written into the statement rather than bound: a partial index (see Rollup) serves
    only queries that name its condition's values literally (SQLite never matches a bound parameter to
    it, nor do PostgreSQL's generic plans of prepared statements)."""
    return column == literal_column(f"'{value}'")


def epoch_seconds(column):
    """A time column as seconds since 1970 (a float), worked out by the database: for reads of thousands
    of rows, where parsing each time and UTCDateTime's conversion (a microsecond apiece) would add up."""
    if db.session.get_bind().dialect.name == "sqlite":  # UTC text; julianday() keeps milliseconds
        return func.round((func.julianday(column) - 2440587.5) * 86400.0, 3)
    return cast(extract("epoch", column), Float)


def _read(scope: RollupScope, ids: Sequence[int], period: RollupPeriod, since: datetime, *,
          latency: bool = True) -> dict[int, dict]:
    """{scope id: {period start: Counts}} for the periods starting at or after `since`; with latency=False
    only runs and failures (no histogram to decode) when uptime is all that is wanted."""
    found: dict[int, dict] = defaultdict(dict)
    if not ids:
        return found
    columns = [Rollup.scope_id, Rollup.starts_at, Rollup.runs, Rollup.failures]
    if latency:
        columns += [Rollup.latency_count, Rollup.latency_sum_ms, Rollup.latency_buckets]
    rows = db.session.connection().execute(  # Core rows: no ORM loading per row
        select(*columns).where(_is(Rollup.scope, scope), _is(Rollup.period, period), Rollup.scope_id.in_(list(ids)),
                               Rollup.starts_at >= since))
    if latency:
        for scope_id, starts_at, *counts in rows:
            found[scope_id][starts_at] = Counts(*counts[:4], list(counts[4] or []) or None)
    else:
        for scope_id, starts_at, runs, failures in rows:
            found[scope_id][starts_at] = Counts(runs, failures)
    return found


def hourly_counts(component_id: int, *, now: datetime, hours: int) -> dict[datetime, Counts]:
    """A component's hourly rollups of the last `hours` hours, histograms included."""
    return _read(RollupScope.COMPONENT, [component_id], RollupPeriod.HOUR,
                 hour_start(now) - timedelta(hours=hours - 1))[component_id]


def daily_counts(component_id: int, *, now: datetime, tz: ZoneInfo, days: int = BAR_DAYS) -> dict[datetime, Counts]:
    """A component's daily rollups (runs and failures) of the last `days` local days."""
    return _read(RollupScope.COMPONENT, [component_id], RollupPeriod.DAY,
                 day_start(now.astimezone(tz).date() - timedelta(days=days - 1), tz), latency=False)[component_id]


class DayBar(NamedTuple):
    """One day of a component's uptime bar; or, with last_day set, a run of days with nothing to tell:
    no incident touched them, and either checks ran on each of them without a failure (all_up) or
    nothing ran on any of them."""

    day: date
    counts: Counts | None  # that day's runs and failures; None when nothing ran, or when not read one by one
    incidents: tuple = ()  # (id, name, impact) of incidents that touched the component that day
    last_day: date | None = None  # the run's last day (inclusive)
    all_up: bool = False  # checks ran and none failed, though their counts were not read day by day

    @property
    def days(self) -> int:
        return 1 if self.last_day is None else (self.last_day - self.day).days + 1

    @property
    def failures(self) -> int:
        return self.counts.failures if self.counts else 0

    @property
    def uptime(self) -> float | None:
        if self.counts:
            return self.counts.uptime
        return 100.0 if self.all_up else None

    @property
    def level(self) -> str:
        """The bar's colour class: worst of measured uptime and incident impact."""
        return day_level(self.uptime, self.incidents)


def day_level(uptime: float | None, incidents) -> str:
    """A day's colour class: the worst of its measured uptime and its incidents' impacts."""
    impacts = {impact for _id, _name, impact in incidents} if incidents else ()
    if "critical" in impacts or (uptime is not None and uptime < 95):
        return "major"
    if "major" in impacts or (uptime is not None and uptime < 99):
        return "partial"
    if "minor" in impacts or (uptime is not None and uptime < 99.9):
        return "minor"
    if uptime is None and not impacts:
        return "none"
    return "ok"


@dataclass(frozen=True)
class UptimeBar:
    """A component's bar over the days of a window, oldest first, and the counts over the whole window.

    parts are plain tuples, cheap to make by the thousand: (first, last, counts, incidents, all_up) with
    first and last numbers of dates (equal for a single day), counts (runs, failures) or None, and the
    rest as in DayBar; days gives them as DayBars."""

    dates: list[date]
    parts: list[tuple]
    total: Counts

    @property
    def days(self) -> list[DayBar]:
        dates = self.dates
        return [DayBar(dates[first], Counts(*counts) if counts else None, incidents,
                       dates[last] if last != first else None, all_up)
                for first, last, counts, incidents, all_up in self.parts]


def day_bars(component_ids: Sequence[int], incidents_by_component: dict[int, list], *, now: datetime,
             tz: ZoneInfo, days: int = BAR_DAYS, daily: dict[int, dict] | None = None) -> dict[int, UptimeBar]:
    """The last `days` local days for each component, from daily rollups and incidents.

    Days with nothing to tell (no incident, no failure) are merged into runs, so a bar has as many
    parts as its component had eventful days, not one per day. With `daily` ({component id: {day start:
    Counts}}, every day read) the bars are made from it. Otherwise two queries read what the bars need,
    however many components there are: per component, on how many past days of the window it has a
    rollup and the runs on them; then only the days with failures, today's, and every day of the
    components that lack a rollup on some past day (new ones, or checks paused: usually none). Both read
    the partial index over component days (ix_rollups_component_days), never the rollups themselves,
    and return a row per component or per day with something to tell, not one per day.
    """
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    dates = [first + timedelta(days=n) for n in range(days)]
    starts = [day_start(day, tz) for day in dates]
    stamps = [start.timestamp() for start in starts]
    positions = {start: n for n, start in enumerate(starts)}

    def day_of(starts_at: datetime) -> int:
        found = positions.get(starts_at)
        return found if found is not None else max(0, bisect.bisect_right(stamps, starts_at.timestamp()) - 1)

    measured: dict[int, dict[int, tuple]] = defaultdict(dict)  # component -> day number -> (runs, failures)
    spans: dict[int, list[tuple[int, int]]] = {}
    totals: dict[int, Counts] = {}
    if daily is not None:
        for component_id in component_ids:
            total = totals[component_id] = Counts()
            for starts_at, counts in daily.get(component_id, {}).items():
                _put(measured[component_id], day_of(starts_at), counts.runs, counts.failures)
                total.merge(counts)
            spans[component_id] = _spans(measured[component_id])
    elif component_ids:
        connection = db.session.connection()
        window = {"ids": list(component_ids), "since": starts[0], "today": starts[-1]}
        past_runs: dict[int, int] = {}
        whole = set()  # components with a rollup on every past day of the window
        for component_id, count, runs in connection.execute(_PAST_DAYS[connection.dialect.name], window).all():
            past_runs[component_id] = runs
            if count == days - 1:
                whole.add(component_id)
        gappy = [component_id for component_id in past_runs if component_id not in whole]
        for component_id, n, runs, failures in connection.execute(
                _DAYS_TO_TELL[connection.dialect.name], {**window, "gappy": gappy}).all():
            _put(measured[component_id], min(max(n, 0), days - 1), runs, failures)
        for component_id in component_ids:
            read = measured.get(component_id, {})
            today_counts = read.get(days - 1)
            totals[component_id] = Counts(past_runs.get(component_id, 0) + (today_counts[0] if today_counts else 0),
                                          sum([failures for _runs, failures in read.values()]))
            if component_id in whole:
                spans[component_id] = [(0, days - 1 if today_counts else days - 2)]
            else:
                spans[component_id] = _spans(read)

    touched = _incident_days(incidents_by_component, stamps, now)
    return {component_id: UptimeBar(dates, _bar(days, measured.get(component_id, {}), spans.get(component_id, []),
                                                touched.get(component_id, {})), totals.get(component_id) or Counts())
            for component_id in component_ids}


def _component_days(sql: str, **columns) -> dict:
    """A read of the component days of the rollups, for each database.

    The conditions on scope and period are written literally, so the partial index ix_rollups_component_days
    applies. SQLite is told to use it (INDEXED BY): without statistics its planner prefers the primary key,
    which does not cover the read. PostgreSQL takes each list of ids as one array, not hundreds of
    parameters (which psycopg would parse anew on every execution of so long a statement).
    """
    lists = [name for name in ("ids", "gappy") if f"{{{name}}}" in sql]
    statements = {}
    for dialect, table, listed, day in (
            ("sqlite", "rollups INDEXED BY ix_rollups_component_days", "IN :{}",
             "CAST(round(julianday(starts_at) - julianday(:since)) AS INTEGER)"),
            ("postgresql", "rollups", "= ANY(CAST(:{} AS INTEGER[]))",
             "CAST(round(extract(epoch FROM starts_at - :since) / 86400) AS INTEGER)")):
        statement = text(sql.format(table=table, day=day, **{name: listed.format(name) for name in lists})).bindparams(
            bindparam("since", type_=UTCDateTime()), bindparam("today", type_=UTCDateTime()),
            *(bindparam(name, expanding=dialect == "sqlite") for name in lists))
        statements[dialect] = statement.columns(*(column(name, type_) for name, type_ in columns.items()))
    return statements


# Per component: on how many past days of the window it has a rollup, and the runs on them.
_PAST_DAYS = _component_days(
    "SELECT scope_id, count(*) AS days, sum(runs) AS runs FROM {table}"
    " WHERE scope = 'component' AND period = 'day' AND scope_id {ids}"
    " AND starts_at >= :since AND starts_at < :today GROUP BY scope_id",
    scope_id=Integer(), days=Integer(), runs=Integer())
# The days a bar shows one by one: with failures, today's, and every day of a component with gaps; each by
# its number in the window (whole days since the first: a local day has 23 to 25 hours, so it rounds right),
# as parsing thousands of times would cost more than the rest of the read.
_DAYS_TO_TELL = _component_days(
    "SELECT scope_id, {day} AS day, runs, failures FROM {table}"
    " WHERE scope = 'component' AND period = 'day' AND scope_id {ids} AND starts_at >= :since"
    " AND (failures > 0 OR starts_at >= :today OR scope_id {gappy})",
    scope_id=Integer(), day=Integer(), runs=Integer(), failures=Integer())


def _put(days: dict[int, tuple], n: int, runs: int, failures: int) -> None:
    if n in days:  # two rollups on one local day: only after the site's time zone changed
        runs, failures = runs + days[n][0], failures + days[n][1]
    days[n] = (runs, failures)


def _spans(days: dict[int, tuple]) -> list[tuple[int, int]]:
    """The runs of consecutive day numbers, as (first, last) pairs."""
    spans: list[tuple[int, int]] = []
    for n in sorted(days):
        if spans and spans[-1][1] == n - 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    return spans


def _incident_days(incidents_by_component: dict[int, list], stamps: list[float], now: datetime) -> dict:
    """{component id: {day number: [(id, name, impact)]}}: each incident on every local day it was open
    (stamps: when each day starts; the incidents' times are datetimes or epoch_seconds)."""
    now_stamp = now.timestamp()
    touched: dict[int, dict[int, list]] = {}
    for component_id, incidents in incidents_by_component.items():
        days: dict[int, list] = touched.setdefault(component_id, {})
        for incident_id, name, impact, started_at, ended_at in incidents:
            if isinstance(started_at, datetime):
                started_at = started_at.timestamp()
            if ended_at is None:
                ended_at = now_stamp
            elif isinstance(ended_at, datetime):
                ended_at = ended_at.timestamp()
            low = max(0, bisect.bisect_right(stamps, started_at) - 1)
            high = bisect.bisect_right(stamps, ended_at) - 1
            for n in range(low, high + 1):
                days.setdefault(n, []).append((incident_id, name, impact))
    return touched


def _bar(days: int, measured: dict[int, tuple], spans: list[tuple[int, int]], touched: dict[int, list]) -> list:
    """A component's UptimeBar.parts: one per eventful day, one per run of quiet days between them."""
    span_starts = [low for low, _high in spans]
    parts: list[tuple] = []
    n = 0
    eventful_days = [n for n, (_runs, failures) in measured.items() if failures]
    eventful_days.extend(touched)
    for eventful in sorted(set(eventful_days)) + [days]:
        while n < eventful:  # quiet days, split where data starts or stops
            i = bisect.bisect_right(span_starts, n) - 1
            if i >= 0 and n <= spans[i][1]:
                end = min(spans[i][1] + 1, eventful)
                parts.append((n, end - 1, None, (), True))
            else:
                end = min(span_starts[i + 1] if i + 1 < len(spans) else days, eventful)
                parts.append((n, end - 1, None, (), False))
            n = end
        if eventful < days:
            counts = measured.get(eventful)
            up = False
            if counts is None:
                i = bisect.bisect_right(span_starts, eventful) - 1
                up = i >= 0 and eventful <= spans[i][1]
            parts.append((eventful, eventful, counts, tuple(touched.get(eventful, ())), up))
            n = eventful + 1
    return parts


def uptime_figures(component_id: int, *, now: datetime, tz: ZoneInfo, hourly: dict | None = None,
                   daily: dict | None = None) -> dict[str, float | None]:
    """Uptime in percent over 24 h (hourly rollups) and 7, 30 and 90 days (daily rollups); pass rollups
    already read (hourly_counts, daily_counts over at least these windows) to save the queries."""
    if hourly is None:
        hourly = hourly_counts(component_id, now=now, hours=24)
    if daily is None:
        daily = daily_counts(component_id, now=now, tz=tz, days=90)
    figures = {}
    for label, window in FIGURE_WINDOWS:
        source = hourly if label == "24h" else daily
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


def response_times(component_id: int, *, now: datetime, hours: int, hourly: dict | None = None) -> list[LatencyPoint]:
    """One point per hour for the last `hours` hours (oldest first), from the component's hourly rollups
    (hourly: as hourly_counts gives them, over at least these hours; read when not given)."""
    first = hour_start(now) - timedelta(hours=hours - 1)
    rollups = hourly_counts(component_id, now=now, hours=hours) if hourly is None else hourly
    points = []
    for n in range(hours):
        starts_at = first + timedelta(hours=n)
        counts = rollups.get(starts_at)
        points.append(LatencyPoint(starts_at, counts.mean_ms if counts else None,
                                   counts.percentile_ms(0.95) if counts else None,
                                   counts.failures if counts else 0))
    return points
