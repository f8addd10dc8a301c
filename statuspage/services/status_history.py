"""Uptime from what the page said: the statuses incidents gave a component, and for how long.

As Atlassian Statuspage counts it (its "uptime showcase", help article "Display historical uptime of
components"): a minute in major outage is a minute down, a minute in partial outage counts as 0.3 of
one, and degraded performance and maintenance are not downtime (the bars still show degraded days). So a
team that runs no health checks still gets an honest bar: quiet days green, an outage's day coloured by
how long it lasted and how bad it was.

Where the statuses come from: every incident update stores the component statuses it changed
(`affected_components`, old and new, as Statuspage's v2 API shows them), so the component's own status
history is in the updates of its incidents. Within each incident's window (started to resolved, or to
now) the component had the status that history says; where the history has nothing inside a window (an
incident imported without updates, or one that never changed the status because another held it worse),
the status the incident gives the component stands for the whole window. Outside every incident window
the component counts as up: a status set by hand in the console is not history.
"""
from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence

from flask import current_app
from sqlalchemy import Boolean, Float, Integer, String, TextualSelect, bindparam, column, text

from ..extensions import db
from ..system_text import Translated

# Downtime per second in each status (Statuspage's weights); every other status counts as up.
WEIGHTS = {"major_outage": 1.0, "partial_outage": 0.3}
# The statuses a bar tells of, worst first; maintenance and operational are not told.
SHOWN = ("major_outage", "partial_outage", "degraded_performance")
SEVERITY = {"operational": 0, "under_maintenance": 1, "degraded_performance": 2, "partial_outage": 3,
            "major_outage": 4}
INFINITY = float("inf")
CLOSING = ("resolved", "postmortem", "completed")  # updates that close an incident: they give statuses back
KNOWN_MAX = 20_000  # incidents whose changes are kept between reads (read_changes), at most

# The plain tuples of the bars' hot path (thousands per page), by name:
Change = tuple[float, int, str, str]  # (at, incident id, old status, new status): read_changes
Segment = tuple[float, float | None, str]  # (start, end or None while it lasts, status): segments
Troubled = tuple[float, float, float]  # seconds in major outage, partial outage and degraded performance
# (id, name, impact, started, resolved or None, status it gives the component, version): bars.incidents_by_component
BarIncident = tuple[int, Translated, str, float, float | None, str, int]
# {incident id: (version, [(component id, at, old status, new status)])}: what read_changes keeps
KnownChanges = dict[int, tuple[int, list[tuple[int, float, str, str]]]]


def read_changes(incidents: dict[int, tuple[float, int]], known: KnownChanges | None = None
                 ) -> dict[int, list[Change]]:
    """{component id: [(at, incident id, old status, new status)]} from the updates of these incidents
    ({incident id: (started, version)}, epoch seconds), oldest first: one read of their updates that
    changed a status (of the incidents that changed one between opening and closing: _CHANGES), for the
    incidents `known` ({incident id: (version, changes)}, kept between calls and filled here) does not
    hold at their current version. An incident's row gets a new version with every update, so what is
    known is never stale.

    An incident's opening update takes effect when the incident started: an incident entered afterwards
    with an earlier start (over the API) changed the component's status from then on, as far as the
    page is concerned.
    """
    known = {} if known is None else known
    wanted = [incident_id for incident_id, (_started, version) in incidents.items()
              if incident_id not in known or known[incident_id][0] != version]
    if wanted:
        read: dict[int, list[tuple[int, float, str, str]]] = {incident_id: [] for incident_id in wanted}
        connection = db.session.connection()
        for incident_id, at, opening, affected in connection.execute(
                _CHANGES[connection.dialect.name], {"ids": sorted(wanted)}).all():
            if opening:
                at = min(at, incidents[incident_id][0])
            for change in json.loads(affected) if isinstance(affected, str) else affected or ():
                try:
                    component_id = int(change["code"])
                except (KeyError, TypeError, ValueError):
                    continue
                read[incident_id].append((component_id, at, change.get("old_status", "operational"),
                                          change.get("new_status", "operational")))
        if len(known) + len(read) > KNOWN_MAX:
            known.clear()
        for incident_id, changes in read.items():
            known[incident_id] = (incidents[incident_id][1], changes)
    found: dict[int, list[Change]] = {}
    for incident_id in incidents:
        for component_id, at, old, new in known[incident_id][1]:
            found.setdefault(component_id, []).append((at, incident_id, old, new))
    for by_component in found.values():
        by_component.sort(key=lambda change: (change[0], change[1]))
    return found


def known_changes() -> KnownChanges:
    """This app's status changes by incident, as read_changes keeps them: an incident's are read once per
    version (a worker reads the window's once, then only what changes), so rebuilding the bars' past days
    (bars.kept_bars: every PAST_TTL, and after a change) reads no update it has read before."""
    found: KnownChanges | None = current_app.extensions.get("statuspage.status_changes")
    if found is None:
        found = current_app.extensions.setdefault("statuspage.status_changes", {})
    return found


def segments(incidents: Iterable[BarIncident], changes: Sequence[Change]) -> tuple[Segment, ...]:
    """A component's stretches of trouble: ((start, end, status), ...) oldest first, end None while it
    lasts, for the statuses in SHOWN only (epoch seconds).

    incidents are (id, name, impact, started, resolved or None, status the incident gives it, ...); changes as
    read_changes gives them for this component.
    """
    windows: list[tuple[float, float, str, bool]] = []
    times = [change[0] for change in changes]
    bounds: set[float] = set()
    for _id, _name, _impact, started, resolved, given, *_version in incidents:
        end = INFINITY if resolved is None else resolved
        if end <= started:
            continue
        low, high = bisect.bisect_left(times, started), bisect.bisect_right(times, end)
        windows.append((started, end, given, high > low))  # told by the history, or by the incident alone
        bounds.update((started, end))
        bounds.update(times[low:high])
    if not windows:
        return ()
    windows.sort()
    points = sorted(bounds)
    found: list[tuple[float, float, str]] = []
    active: list[tuple[float, float, str, bool]] = []
    following = 0
    for start, end in zip(points, points[1:]):  # a sweep: only the windows open at the time are looked at
        while following < len(windows) and windows[following][0] <= start:
            active.append(windows[following])
            following += 1
        if active and active[0][1] <= start or len(active) > 1:
            active = [w for w in active if w[1] > start]
        worst = "operational"
        for _start, _end, given, told in active:
            status = _status_at(changes, times, start) if told else given
            if SEVERITY.get(status, 0) > SEVERITY[worst]:
                worst = status
        if worst not in SHOWN:
            continue
        if found and found[-1][2] == worst and found[-1][1] == start:
            found[-1] = (found[-1][0], end, worst)
        else:
            found.append((start, end, worst))
    return tuple((start, None if end == INFINITY else end, status) for start, end, status in found)


def _status_at(changes: Sequence[Change], times: list[float], at: float) -> str:
    """The component's status just after `at` by its history: the last change at or before it, else what
    the first change changed from."""
    i = bisect.bisect_right(times, at) - 1
    return changes[i][3] if i >= 0 else changes[0][2]


def time_in(found: Sequence[Segment], start: float, end: float) -> tuple[float, float, float]:
    """Seconds in major outage, partial outage and degraded performance between start and end."""
    major = partial = degraded = 0.0
    for s_start, s_end, status in found:
        if s_end is None:
            s_end = end
        overlap = min(s_end, end) - max(s_start, start)
        if overlap > 0:
            if status == "major_outage":
                major += overlap
            elif status == "partial_outage":
                partial += overlap
            else:
                degraded += overlap
    return major, partial, degraded


def by_day(found: Sequence[Segment], stamps: Sequence[float], until: float) -> dict[int, Troubled]:
    """{day number: (major, partial, degraded seconds)} for the days of a window (stamps: when each starts),
    up to `until` (the start of today: today is worked out on each request)."""
    # day number -> seconds, per status: floats in dicts, few objects for the collector
    seconds: tuple[dict[int, float], ...] = ({}, {}, {})
    last = len(stamps) - 1
    for s_start, s_end, status in found:
        s_end = until if s_end is None else min(s_end, until)
        if s_end <= s_start:
            continue
        slot = seconds[0 if status == "major_outage" else 1 if status == "partial_outage" else 2]
        n = bisect.bisect_right(stamps, s_start) - 1
        if n < 0:
            n = 0
        while n <= last and stamps[n] < s_end:
            day_end = stamps[n + 1] if n < last else until
            overlap = (s_end if s_end < day_end else day_end) - (s_start if s_start > stamps[n] else stamps[n])
            if overlap > 0:
                slot[n] = slot.get(n, 0.0) + overlap
            n += 1
    major, partial, degraded = seconds
    return {n: (major.get(n, 0.0), partial.get(n, 0.0), degraded.get(n, 0.0))
            for n in {*major, *partial, *degraded}}


def downtime(major: float, partial: float) -> float:
    """Weighted downtime, in seconds."""
    return major * WEIGHTS["major_outage"] + partial * WEIGHTS["partial_outage"]


def _changes_statement() -> dict[str, TextualSelect]:
    """The updates that changed a component's status, of those incidents in a list that changed one on
    some update other than their opening and closing ones: when (epoch seconds, as the database works it
    out), whether it opened the incident, and the changes as JSON text. The other incidents (nearly all:
    opened with a status, resolved, nothing between) say no more than the status they give, which
    segments() falls back on, so neither their rows nor their JSON are read. PostgreSQL takes the list as
    one array."""
    statements: dict[str, TextualSelect] = {}
    closing = ", ".join(f"'{status}'" for status in CLOSING)
    for dialect, at, affected, listed in (
            ("sqlite", "round((julianday(u.created_at) - 2440587.5) * 86400.0, 3)", "{u}.affected_components",
             "IN :ids"),
            ("postgresql", "CAST(extract(epoch FROM u.created_at) AS FLOAT)", "CAST({u}.affected_components AS TEXT)",
             "= ANY(CAST(:ids AS INTEGER[]))")):
        changed = "{u}.affected_components IS NOT NULL AND " + affected + " != 'null'"
        statement = text(
            f"SELECT u.incident_id, {at} AS at, u.created_at = i.created_at AS opening,"
            f" {affected.format(u='u')} AS affected FROM incident_updates u JOIN incidents i ON i.id = u.incident_id"
            f" WHERE {changed.format(u='u')} AND u.incident_id IN ("
            f"SELECT m.incident_id FROM incident_updates m JOIN incidents o ON o.id = m.incident_id"
            f" WHERE m.incident_id {listed} AND {changed.format(u='m')} AND m.created_at != o.created_at"
            f" AND m.status NOT IN ({closing}))")
        statement = statement.bindparams(bindparam("ids", expanding=dialect == "sqlite"))
        statements[dialect] = statement.columns(column("incident_id", Integer()), column("at", Float()),
                                                column("opening", Boolean()), column("affected", String()))
    return statements


_CHANGES = _changes_statement()
