"""The 90-day uptime bars: what each day of a component's bar shows, read from the daily rollups and the
incidents, and the past days of every bar kept between requests.

A bar's days before today change only when an incident does, and the site's change counter sees that
(services/site_version.py); check results add to today's rollup alone. So the pages keep each
component's past days (and the HTML made of them, per language: web/bar_views.py) for one counter value,
time zone and day, and read only today's rollups on each request. The few results that land on
yesterday after midnight (a run that started before it) are picked up when an entry grows older than
PAST_TTL, which also bounds what anything else the counter does not see could leave stale.
"""
from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    ColumnElement, Integer, Select, String, TextualSelect, bindparam, column, select, text, type_coerce, union_all,
)
from sqlalchemy.types import TypeEngine

from ..database import UTCDateTime
from ..extensions import db
from ..models import AffectedComponent, Incident, IncidentKind
from ..system_text import Translated
from . import status_history
from .bar_days import DayIncident, Part, RunsFailures, UptimeBar, day_stat
from .status_history import Segment, Troubled
from .uptime import BAR_DAYS, Counts, day_start, epoch_seconds

BAR_INCIDENT_LIMIT = 5000  # (component, incident) pairs on the bars, newest kept
PAST_TTL = timedelta(minutes=10)  # how long a component's past days are kept at most
MAX_KEPT = 5000  # components whose past days are kept (per app), at most


class Window(NamedTuple):
    """The local days of a bar, oldest first (the last is today): when each starts, as datetimes and as
    epoch seconds."""

    dates: list[date]
    starts: list[datetime]
    stamps: list[float]


def window(now: datetime, tz: ZoneInfo, days: int = BAR_DAYS) -> Window:
    """The `days` local days up to today (made once per day and time zone)."""
    return _window(now.astimezone(tz).date(), tz, days)


@lru_cache(maxsize=128)
def _window(today: date, tz: ZoneInfo, days: int) -> Window:
    dates = [today - timedelta(days=days - 1 - n) for n in range(days)]
    starts = [day_start(day, tz) for day in dates]
    return Window(dates, starts, [start.timestamp() for start in starts])


class Measured(NamedTuple):
    """What a component's daily rollups tell of the past days of a window: the days read one by one (day
    number -> (runs, failures)), the spans of days with a rollup, and the runs and failures over them."""

    read: dict[int, RunsFailures]
    spans: list[tuple[int, int]]
    runs: int
    failures: int


@dataclass(frozen=True)
class PastDays:
    """What a component's bar shows of the days before today, and what it knows of today that only an
    incident can change."""

    parts: list[Part]  # UptimeBar.parts, covering every day but today
    runs: int
    failures: int
    today_incidents: tuple[DayIncident, ...]  # the incidents that touch today too
    first: float | None = None  # when the component's history begins (epoch seconds); None: not yet
    down: float = 0.0  # weighted downtime of the past days, seconds
    troubles: tuple[Segment, ...] = ()  # status_history.segments: today's part is worked out from them on each request


def read_rollups(component_ids: Sequence[int], *, window: Window,
                 daily: dict[int, dict[datetime, Counts]] | None = None
                 ) -> tuple[dict[int, Measured], dict[int, RunsFailures | None]]:
    """What each component's rollups tell of its past days (Measured), and its runs and failures today
    ((runs, failures), None when nothing ran).

    Days with nothing to tell (no incident, no failure) are merged into runs, so a bar has as many parts
    as its component had eventful days, not one per day. With `daily` ({component id: {day start:
    Counts}}, every day read) the bars are made from it. Otherwise two queries read what the bars need,
    however many components there are: per component, on how many past days of the window it has a
    rollup and the runs on them; then only the days with failures, today's, and every day of the
    components that lack a rollup on some past day (new ones, or checks paused: usually none). Both read
    the partial index over component days (ix_rollups_component_days), never the rollups themselves,
    and return a row per component or per day with something to tell, not one per day.
    """
    days = len(window.dates)
    today = days - 1
    measured: dict[int, dict[int, RunsFailures]] = defaultdict(dict)  # component -> day number -> (runs, failures)
    past_runs: dict[int, int] = {}
    whole = set()  # components with a rollup on every past day of the window
    if daily is not None:
        positions = {start: n for n, start in enumerate(window.starts)}
        for component_id in component_ids:
            for starts_at, counts in daily.get(component_id, {}).items():
                n = positions.get(starts_at)
                if n is None:
                    n = max(0, bisect.bisect_right(window.stamps, starts_at.timestamp()) - 1)
                _put(measured[component_id], n, counts.runs, counts.failures)
            past_runs[component_id] = sum([runs for n, (runs, _f) in measured[component_id].items() if n < today])
    elif component_ids:
        connection = db.session.connection()
        bounds = {"ids": list(component_ids), "since": window.starts[0], "today": window.starts[-1]}
        for component_id, count, runs in connection.execute(_PAST_DAYS[connection.dialect.name], bounds).all():
            past_runs[component_id] = runs
            if count == today:
                whole.add(component_id)
        gappy = [component_id for component_id in past_runs if component_id not in whole]
        for component_id, n, runs, failures in connection.execute(
                _DAYS_TO_TELL[connection.dialect.name], {**bounds, "gappy": gappy}).all():
            _put(measured[component_id], min(max(n, 0), today), runs, failures)

    found: dict[int, Measured] = {}
    today_counts: dict[int, RunsFailures | None] = {}
    for component_id in component_ids:
        read = measured.get(component_id, {})
        today_counts[component_id] = read.pop(today, None)
        spans = [(0, today - 1)] if component_id in whole else _spans(read)
        found[component_id] = Measured(read, spans, past_runs.get(component_id, 0),
                                       sum([failures for _runs, failures in read.values()]))
    return found, today_counts


def past_days(measured: Measured, on_days: dict[int, list[DayIncident]], window: Window, *, first: float | None,
              troubles: tuple[Segment, ...] = ()) -> PastDays:
    """A component's PastDays from its rollups, the incidents on each day of the window (_incident_days),
    when its history begins (history_start) and its stretches of trouble (status_history.segments)."""
    today = len(window.dates) - 1
    past = {n: incidents for n, incidents in on_days.items() if n < today}
    in_trouble = status_history.by_day(troubles, window.stamps, window.stamps[-1]) if troubles else {}
    parts = _bar(window, measured.read, past, in_trouble, first)
    return PastDays(parts, measured.runs, measured.failures, tuple(on_days.get(today, ())), first,
                    sum([part[5][1] for part in parts if part[5] is not None]),
                    tuple(s for s in troubles if s[1] is None or s[1] > window.stamps[-1]))


def history_start(created: float | None, incidents: Sequence[ComponentIncident], measured: Measured,
                  window: Window) -> float | None:
    """When a component's history begins: its creation, or earlier when an incident or a check result
    says it was there before (incidents entered afterwards, results kept from before a re-creation).
    Days before it have no data; from it on, a day without trouble counts as up."""
    candidates = [] if created is None else [created]
    candidates += [incident[3] for incident in incidents]
    if measured.read or measured.spans:
        first_day = min([*measured.read, *(low for low, _high in measured.spans)])
        candidates.append(window.stamps[first_day])
    return min(candidates) if candidates else None


def today_counts(component_ids: Sequence[int], *, window: Window) -> dict[int, RunsFailures]:
    """{component id: (runs, failures)} today, for those with a rollup today: one read of the partial index."""
    found: dict[int, RunsFailures] = {}
    if component_ids:
        connection = db.session.connection()
        for component_id, runs, failures in connection.execute(
                _TODAY[connection.dialect.name], {"ids": list(component_ids), "today": window.starts[-1]}):
            _put(found, component_id, runs, failures)
    return found


def with_today(window: Window, past: PastDays, today: RunsFailures | None, now: datetime) -> UptimeBar:
    """The whole bar: the past days, and today (its runs and failures, or None; its stretches of trouble
    up to now) as a part of its own, or the end of the run of quiet days before it when it is as quiet."""
    n = len(window.dates) - 1
    now_s = now.timestamp()
    today_start = window.stamps[-1]
    first = past.first
    if first is None and today is not None:
        first = today_start
    observed = 0.0 if first is None else max(0.0, now_s - max(today_start, first))
    troubled = status_history.time_in(past.troubles, today_start, now_s) if past.troubles else None
    parts = list(past.parts)
    incidents = past.today_incidents
    stat = day_stat(observed, today, troubled) if observed > 0 else None
    if incidents or (today is not None and today[1]) or (troubled and any(troubled)):
        parts.append((n, n, today, incidents, False, stat))
    else:
        all_up = stat is not None
        last = parts[-1] if parts else None
        if last is not None and last[2] is None and not last[3] and last[5] is None and last[1] == n - 1 \
                and last[4] == all_up:
            parts[-1] = (last[0], n, None, (), all_up, None)
        else:
            parts.append((n, n, None, (), all_up, None))
    runs, failures = past.runs, past.failures
    if today is not None:
        runs, failures = runs + today[0], failures + today[1]
    observed_total = 0.0 if first is None else max(0.0, now_s - max(window.stamps[0], first))
    down = past.down + (stat[1] if stat is not None else 0.0)
    return UptimeBar(window.dates, parts, Counts(runs, failures), observed_total, down, window.stamps, first,
                     now_s)


# ---- the past days, kept --------------------------------------------------------------------------------------

@dataclass
class PastEntry:
    """A component's past days as kept, what they were made of, and the HTML made of them (web/bar_views.py
    fills it, by language and component name). made_at is when the rollups were read."""

    days: PastDays
    measured: Measured
    incidents: tuple[ComponentIncident, ...]  # the component's incidents as incidents_by_component read them
    version: int  # the site's change counter they were checked against
    made_at: datetime
    html: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (language, name): (HTML, parts)
    created: float | None = None  # the component's creation (epoch seconds), as given to kept_bars
    troubles: tuple[Segment, ...] = ()  # its stretches of trouble (status_history.segments) over the window


class PastBars:
    """The past days of the components' bars, for one stamp (time zone, today) at a time.

    Each app has its own (they may use different databases). The dict of entries is replaced, never
    changed in place, so threads read it without a lock (an entry's html only ever gains keys)."""

    def __init__(self) -> None:
        self.stamp: tuple[str, date] | None = None
        self.entries: dict[int, PastEntry] = {}
        self.lock = threading.Lock()

    def get(self, stamp: tuple[str, date], component_ids: Sequence[int], now: datetime) -> dict[int, PastEntry]:
        """The kept entries of these components whose rollups are still good at `now`."""
        entries = self.entries
        if stamp != self.stamp:
            return {}
        found = {}
        for component_id in component_ids:
            entry = entries.get(component_id)
            if entry is not None and entry.made_at <= now < entry.made_at + PAST_TTL:
                found[component_id] = entry
        return found

    def put(self, stamp: tuple[str, date], made: dict[int, PastEntry]) -> None:
        with self.lock:
            kept = self.entries if stamp == self.stamp and len(self.entries) + len(made) <= MAX_KEPT else {}
            self.entries = {**kept, **made}
            self.stamp = stamp


def past_bars() -> PastBars:
    """This app's PastBars."""
    found: PastBars | None = current_app.extensions.get("statuspage.past_bars")
    if found is None:
        found = current_app.extensions.setdefault("statuspage.past_bars", PastBars())
    return found


def kept_bars(component_ids: Sequence[int], *, now: datetime, tz: ZoneInfo, version: int,
              created: dict[int, float | None], daily: dict[int, dict[datetime, Counts]] | None = None
              ) -> dict[int, tuple[UptimeBar, PastEntry]]:
    """Each component's bar and its kept past days. `version` is the site's change counter, read before
    anything else the page reads (so what is kept is never older than the version it is kept under);
    `created` gives each component's creation (epoch seconds), where its history begins at the latest.

    With every entry kept at this version, one query: today's rollups (none with `daily`, which has them).
    After a change, the incidents of the window are read again (with the status each gives each of its
    components) and only the components whose incidents differ get their past days made again, from the
    rollups kept with them and the status history of their incidents (one more query: their updates;
    their HTML too; the others keep theirs). When rollups are missing or older than PAST_TTL, they are read
    for all (read_rollups). Without `daily`, the incidents of every component are read (the home page's
    case: one range of an index rather than a list of hundreds of ids).
    """
    days_window = window(now, tz)
    stamp = (str(tz), days_window.dates[-1])
    # To the second: the home page reads creation as the database works it out, the component page as
    # Python does, and both must see the same entry as the same.
    created = {component_id: None if at is None else float(int(at)) for component_id, at in created.items()}
    kept = past_bars()
    found = kept.get(stamp, component_ids, now)
    measured: dict[int, Measured] = {}
    today: dict[int, RunsFailures | None] = {}
    if len(found) < len(component_ids):
        measured, today = read_rollups(component_ids, window=days_window, daily=daily)
        found = {}
    elif daily is None:
        today.update(today_counts(component_ids, window=days_window))
    stale = [component_id for component_id in component_ids
             if component_id not in found or found[component_id].version != version]
    if stale:
        touching = incidents_by_component(None if daily is None else list(component_ids), now=now, tz=tz)
        made, remade = {}, []
        for component_id in stale:
            entry, incidents = found.get(component_id), tuple(touching.get(component_id, ()))
            if entry is not None and entry.incidents == incidents and entry.created == created.get(component_id):
                made[component_id] = replace(entry, version=version)  # the same days, the same HTML
            else:
                remade.append((component_id, entry, incidents))
        changes = status_history.read_changes(
            {incident[0]: (incident[3], incident[6]) for _id, _entry, incidents in remade for incident in incidents},
            status_history.known_changes())
        for component_id, entry, incidents in remade:
            rollups = measured[component_id] if entry is None else entry.measured
            on_days = _incident_days({component_id: incidents}, days_window.stamps, now).get(component_id, {})
            troubles = status_history.segments(incidents, changes.get(component_id, ()))
            first = history_start(created.get(component_id), incidents, rollups, days_window)
            made[component_id] = PastEntry(past_days(rollups, on_days, days_window, first=first, troubles=troubles),
                                           rollups, incidents, version, now if entry is None else entry.made_at,
                                           created=created.get(component_id), troubles=troubles)
        kept.put(stamp, made)
        found = {**found, **made}
    if daily is not None:
        today_start = days_window.starts[-1]
        for component_id in component_ids:
            counts = [c for starts_at, c in daily.get(component_id, {}).items() if starts_at >= today_start]
            today[component_id] = ((sum([c.runs for c in counts]), sum([c.failures for c in counts]))
                                   if counts else None)
    return {component_id: (with_today(days_window, found[component_id].days, today.get(component_id), now),
                           found[component_id]) for component_id in component_ids}


# ---- reading ---------------------------------------------------------------------------------------------------

class ComponentIncident(NamedTuple):
    """An incident that touched a component within a bar's window, as incidents_by_component reads it: a
    status_history.BarIncident by name. The times are uptime.epoch_seconds."""

    id: int
    name: Translated  # the bars are kept across languages
    impact: str
    started: float
    ended: float | None  # None while open
    status: str  # the status the incident gives the component
    version: int  # the incident row's (a new one with every update)


def incidents_by_component(component_ids: list[int] | None, *, now: datetime, tz: ZoneInfo,
                           days: int = BAR_DAYS) -> dict[int, list[ComponentIncident]]:
    """(id, name, impact, started, ended, status, version) of the incidents that touched each component in
    the last days, oldest first, status being the one the incident gives the component and version the
    incident row's (a new one with every update); of every component when component_ids is None. The
    times are uptime.epoch_seconds (thousands of them on a busy site).

    The open incidents and those resolved in the window, each found by ix_incidents_kind_resolved_at (a
    UNION ALL of the two, so each is a range of the index: with "resolved_at IS NULL OR resolved_at >= ?"
    SQLite would read every incident), so older history is never read; at most BAR_INCIDENT_LIMIT
    (component, incident) pairs, the newest.
    """
    since = datetime.combine(now.astimezone(tz).date() - timedelta(days=days - 1), time(0), tzinfo=tz)
    found: dict[int, list[ComponentIncident]] = {}
    if component_ids is not None and not component_ids:
        return found

    def touching(ended: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
        query = (select(AffectedComponent.component_id, Incident.id, Incident.name, Incident.name_translations,
                        type_coerce(Incident.impact, String).label("impact"),
                        epoch_seconds(Incident.started_at).label("started_at"),
                        epoch_seconds(Incident.resolved_at).label("resolved_at"),
                        type_coerce(Incident.resolved_at, String).label("resolved"),  # for ORDER BY only
                        type_coerce(AffectedComponent.status, String).label("status"), Incident.version)
                 .join(Incident, Incident.id == AffectedComponent.incident_id)
                 .where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published, ended))
        if component_ids is not None:
            query = query.where(AffectedComponent.component_id.in_(component_ids))
        return query

    # Ordered by the column of the index (open ones first, then the latest resolved), the database merges
    # the two ranges as they come; by started_at it would read the incidents of the whole history.
    both = union_all(touching(Incident.resolved_at.is_(None)), touching(Incident.resolved_at >= since))
    rows = db.session.connection().execute(both.order_by(both.selected_columns.resolved.desc().nulls_first())
                                           .limit(BAR_INCIDENT_LIMIT)).all()
    now_seconds = now.timestamp()
    # all() gives a list, which SQLAlchemy types as a Sequence
    rows.sort(key=lambda row: (row[5], row[1]))  # type: ignore[attr-defined]
    for component_id, incident_id, name, translations, impact, started_at, resolved_at, _resolved, status, version \
            in rows:
        if started_at <= now_seconds:  # the bars are kept across languages: the name knows each (web/bar_views.py)
            found.setdefault(component_id, []).append(
                ComponentIncident(incident_id, Translated(name, translations), impact, started_at, resolved_at, status,
                                  version))
    return found


def _component_days(sql: str, **columns: TypeEngine[Any]) -> dict[str, TextualSelect]:
    """A read of the component days of the rollups, for each database.

    The conditions on scope and period are written literally, so the partial index ix_rollups_component_days
    applies. SQLite is told to use it (INDEXED BY): without statistics its planner prefers the primary key,
    which does not cover the read. PostgreSQL takes each list of ids as one array, not hundreds of
    parameters (which psycopg would parse anew on every execution of so long a statement).
    """
    lists = [name for name in ("ids", "gappy") if f"{{{name}}}" in sql]
    statements: dict[str, TextualSelect] = {}
    for dialect, table, listed, day in (
            ("sqlite", "rollups INDEXED BY ix_rollups_component_days", "IN :{}",
             "CAST(round(julianday(starts_at) - julianday(:since)) AS INTEGER)"),
            ("postgresql", "rollups", "= ANY(CAST(:{} AS INTEGER[]))",
             "CAST(round(extract(epoch FROM starts_at - :since) / 86400) AS INTEGER)")):
        written = sql.format(table=table, day=day, **{name: listed.format(name) for name in lists})
        statement = text(written).bindparams(
            *(bindparam(name, type_=UTCDateTime()) for name in ("since", "today") if f":{name}" in written),
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
# Today's runs and failures of each component (when the past days are kept).
_TODAY = _component_days(
    "SELECT scope_id, runs, failures FROM {table}"
    " WHERE scope = 'component' AND period = 'day' AND scope_id {ids} AND starts_at >= :today",
    scope_id=Integer(), runs=Integer(), failures=Integer())


def _put(days: dict[int, RunsFailures], n: int, runs: int, failures: int) -> None:
    if n in days:  # two rollups on one local day: only after the site's time zone changed
        runs, failures = runs + days[n][0], failures + days[n][1]
    days[n] = (runs, failures)


def _spans(days: dict[int, RunsFailures]) -> list[tuple[int, int]]:
    """The runs of consecutive day numbers, as (first, last) pairs."""
    spans: list[tuple[int, int]] = []
    for n in sorted(days):
        if spans and spans[-1][1] == n - 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    return spans


def _incident_days(incidents_by_component: Mapping[int, Sequence[ComponentIncident]], stamps: list[float],
                   now: datetime) -> dict[int, dict[int, list[DayIncident]]]:
    """{component id: {day number: [DayIncident]}}: each incident on every local day it was open
    (stamps: when each day starts; the incidents' times are datetimes or epoch_seconds)."""
    now_stamp = now.timestamp()
    touched: dict[int, dict[int, list[DayIncident]]] = {}
    for component_id, incidents in incidents_by_component.items():
        days: dict[int, list[DayIncident]] = touched.setdefault(component_id, {})
        for incident_id, name, impact, started_at, ended_at, *_status in incidents:
            if isinstance(started_at, datetime):
                started_at = started_at.timestamp()
            if ended_at is None:
                ended_at = now_stamp
            elif isinstance(ended_at, datetime):
                ended_at = ended_at.timestamp()
            low = max(0, bisect.bisect_right(stamps, started_at) - 1)
            high = bisect.bisect_right(stamps, ended_at) - 1
            for n in range(low, high + 1):
                days.setdefault(n, []).append(DayIncident(incident_id, name, impact))
    return touched


def _bar(window: Window, measured: dict[int, RunsFailures], touched: dict[int, list[DayIncident]],
         in_trouble: dict[int, Troubled], first: float | None) -> list[Part]:
    """UptimeBar.parts over the past days of the window: one per eventful day (a failed run, an incident,
    time in trouble), one per run of quiet days between them (split where the component's history
    begins: before it no data, from it on all up)."""
    stamps = window.stamps
    days = len(stamps) - 1
    today_start = stamps[-1]
    # The first day with data: the day the history begins on (before the window: the first day).
    begins = days if first is None or first >= today_start else max(0, bisect.bisect_right(stamps, first) - 1)
    parts: list[Part] = []
    n = 0
    eventful_days = [n for n, (_runs, failures) in measured.items() if failures and n < days]
    eventful_days.extend(touched)
    eventful_days.extend(in_trouble)
    for eventful in sorted(set(eventful_days)) + [days]:
        while n < eventful:  # quiet days, split where the history begins
            if n < begins:
                end = min(begins, eventful)
                parts.append((n, end - 1, None, (), False, None))
            else:
                end = eventful
                parts.append((n, end - 1, None, (), True, None))
            n = end
        if eventful < days:
            counts = measured.get(eventful)
            observed = stamps[eventful + 1] - max(stamps[eventful], first if first is not None else today_start)
            stat = day_stat(observed, counts, in_trouble.get(eventful)) if observed > 0 else None
            parts.append((eventful, eventful, counts, tuple(touched.get(eventful, ())), stat is not None, stat))
            n = eventful + 1
    return parts
