"""What the public page shows: the derived overall status, components by group, incidents, maintenance."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol
from flask_babel import format_date, get_locale, gettext
from markupsafe import Markup, escape
from sqlalchemy import String, func, or_, select, type_coerce, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..i18n import local_time
from ..models import (
    AffectedComponent, Component, ComponentGroup, ComponentStatus, Impact, Incident, IncidentKind, IncidentStatus,
    IncidentUpdate, MaintenanceStatus,
)
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES, CLOSED_STATUSES
from . import uptime
from .components import list_components

INDICATOR_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
    "maintenance": "Service Under Maintenance",
}
# A component's status, read as the indicator it would give the whole page.
STATUS_INDICATOR = {
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}
HISTORY_MONTHS_PER_PAGE = 3
RECENT_DAYS = 7
HOME_LIMIT = 500  # unclosed items plus the last days' closed ones, at most
BAR_INCIDENT_LIMIT = 5000  # (component, incident) pairs on the bars, newest kept
UPCOMING_LIMIT = 10
# Every status an incident or maintenance window can have that is not closed: written out, so "unclosed"
# is an IN list the (kind, status) index can seek, where NOT IN would scan the whole history.
UNCLOSED_STATUSES = [s.value for s in (*IncidentStatus, *MaintenanceStatus) if s not in CLOSED_STATUSES]


@dataclass(frozen=True)
class PageStatus:
    indicator: str
    description: str


class PageComponent(NamedTuple):
    """A component as `/` shows it: a row rather than a model (200 of them on every view of the page)."""

    id: int
    slug: str
    name: str
    description: str
    group_id: int | None
    status: ComponentStatus
    only_show_if_degraded: bool

    @property
    def is_visible(self) -> bool:  # as Component.is_visible
        return not (self.only_show_if_degraded and self.status.is_operational)


class PageIncident(NamedTuple):
    """An incident or maintenance window as a line of the last days on `/` (a row: a hundred on a busy site)."""

    id: int
    kind: IncidentKind
    name: str
    status: str
    impact: Impact
    started_at: datetime

    @property
    def is_maintenance(self) -> bool:
        return self.kind is IncidentKind.MAINTENANCE


class PageGroup(NamedTuple):
    id: int
    name: str
    position: int


@dataclass
class GroupView:
    group: ComponentGroup | PageGroup | None
    components: list[Component] | list[PageComponent]

    @property
    def status(self) -> ComponentStatus:
        return max((c.status for c in self.components), key=lambda s: s.severity,
                   default=ComponentStatus.OPERATIONAL)


@dataclass
class HomePage:
    status: PageStatus
    groups: list[GroupView]
    incidents: list[Incident]
    active_maintenance: list[Incident]
    upcoming_maintenance: list[Incident]
    recent_days: list[tuple[date, list[PageIncident]]]
    bars: dict[int, BarView] = field(default_factory=dict)  # component id -> its bar over the last 90 days
    tz: ZoneInfo | None = None

    def when(self, instant: datetime) -> Markup:
        """<time> with the instant as i18n.local_time writes it, made once per language and minute: the
        page shows a hundred of them on a busy site, and Babel takes some 50 microseconds for each."""
        language = self.__dict__.get("_language") or self.__dict__.setdefault("_language", str(get_locale()))
        local = instant.astimezone(self.tz)
        key = (language, local.date(), local.hour, local.minute, local.tzname())
        words = _TIMES.get(key)
        if words is None:
            if len(_TIMES) > 5000:
                _TIMES.clear()
            words = _TIMES[key] = str(escape(local_time(instant)))
        return Markup(f'<time datetime="{instant.isoformat()}">{words}</time>')


_TIMES: dict[tuple, str] = {}


@dataclass
class HistoryPage:
    months: list[tuple[date, list[Incident]]]
    page: int
    has_older: bool
    has_newer: bool = field(init=False)

    def __post_init__(self):
        self.has_newer = self.page > 1


def overall_status(components: list[Component], open_incidents: list[Incident]) -> PageStatus:
    """The page's indicator: the worst open incident impact or component status; else maintenance or none."""
    worst = Impact.NONE
    for incident in open_incidents:
        if not incident.is_maintenance and incident.impact.severity > worst.severity:
            worst = incident.impact
    for component in components:
        implied = STATUS_INDICATOR.get(component.status, Impact.NONE)
        if implied.severity > worst.severity:
            worst = implied
    if worst is Impact.NONE and (
            any(c.status is ComponentStatus.UNDER_MAINTENANCE for c in components)
            or any(i.is_active_maintenance for i in open_incidents)):
        return PageStatus("maintenance", INDICATOR_DESCRIPTIONS["maintenance"])
    return PageStatus(worst.value, INDICATOR_DESCRIPTIONS[worst.value])


def current_status() -> PageStatus:
    """The page's overall status right now (what status.json and the badge say)."""
    return overall_status(list_components(), open_incidents() + maintenance_in(ACTIVE_MAINTENANCE_STATUSES))


def _with_details(query):
    return query.options(selectinload(Incident.updates), selectinload(Incident.affected))


def open_incidents() -> list[Incident]:
    """Unresolved incidents, newest first."""
    return list(db.session.scalars(_with_details(
        select(Incident).where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published)
        .where(Incident.status.not_in([s.value for s in CLOSED_STATUSES]))
        .order_by(Incident.started_at.desc(), Incident.id.desc()))))


def maintenance_in(statuses, limit: int = 20) -> list[Incident]:
    return list(db.session.scalars(_with_details(
        select(Incident).where(Incident.kind == IncidentKind.MAINTENANCE, Incident.is_published)
        .where(Incident.status.in_([str(s) for s in statuses]))
        .order_by(Incident.scheduled_for, Incident.id).limit(limit))))


def group_components(components: list[Component], groups: list[ComponentGroup]) -> list[GroupView]:
    """Ungrouped components first, then each group in order; hidden components left out, empty groups too."""
    by_group: dict[int | None, list[Component]] = {}
    for component in components:
        if component.is_visible:
            by_group.setdefault(component.group_id, []).append(component)
    views = [GroupView(None, by_group[None])] if by_group.get(None) else []
    views += [GroupView(group, by_group[group.id]) for group in groups if by_group.get(group.id)]
    return views


def home_page(*, now: datetime, tz: ZoneInfo) -> HomePage:
    """Everything `/` shows, in a fixed number of queries (eight) however long the history.

    The components come as rows (one query). The unclosed incidents and maintenance windows (the present
    is small) come as models with their updates and components (three queries); the lines of the last
    days as rows (one query). The uptime bars take three: the incidents of the last 90 days by component
    (incidents_by_component), and two reads of the component days of the rollups (uptime.day_bars). Every
    query reads a bounded range of an index: the present, the last days, the last 90 days.
    """
    rows = db.session.connection().execute(
        select(Component.id, Component.slug, Component.name, Component.description, Component.group_id,
               Component.status, Component.only_show_if_degraded, ComponentGroup.name, ComponentGroup.position)
        .outerjoin(ComponentGroup, ComponentGroup.id == Component.group_id)
        .order_by(func.coalesce(ComponentGroup.position, -1), ComponentGroup.id, Component.position, Component.id)
    ).all()  # page order, as components.list_components
    components = [PageComponent(*row[:7]) for row in rows]
    groups = sorted({PageGroup(row[4], row[7], row[8]) for row in rows if row[4] is not None},
                    key=lambda g: (g.position, g.id))
    today = now.astimezone(tz).date()
    first_day = _local_midnight(today - timedelta(days=RECENT_DAYS - 1), tz)
    any_kind = Incident.kind.in_([kind.value for kind in IncidentKind])  # lets the (kind, ...) indexes seek
    unclosed = list(db.session.scalars(
        select(Incident).where(any_kind, Incident.status.in_(UNCLOSED_STATUSES), Incident.is_published)
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(HOME_LIMIT)))
    _load_details(unclosed)
    incidents = [i for i in unclosed if not i.is_maintenance]
    maintenance = sorted((i for i in unclosed if i.is_maintenance), key=lambda m: (m.scheduled_for, m.id))
    active = [m for m in maintenance if m.is_active_maintenance]
    upcoming = [m for m in maintenance if m.status == MaintenanceStatus.SCHEDULED][:UPCOMING_LIMIT]
    recent = [PageIncident(*row) for row in db.session.connection().execute(
        select(Incident.id, Incident.kind, Incident.name, Incident.status, Incident.impact, Incident.started_at)
        .where(any_kind, Incident.started_at >= first_day, Incident.started_at <= now, Incident.is_published)
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(HOME_LIMIT))]
    recent_days = [(day, [i for i in recent if i.started_at.astimezone(tz).date() == day])
                   for day in (today - timedelta(days=n) for n in range(RECENT_DAYS))]
    visible = [c.id for c in components if c.is_visible]
    bars = uptime.day_bars(visible, incidents_by_component(None, now=now, tz=tz), now=now, tz=tz)
    words = _PageWords()  # one lookup of the language for all the bars
    return HomePage(overall_status(components, incidents + active), group_components(components, groups),
                    incidents, active, upcoming, recent_days,
                    {component_id: BarView(bar, words) for component_id, bar in bars.items()}, tz)


def _load_details(incidents: list[Incident]) -> None:
    """Load the updates and components of these incidents (two queries), as selectinload would."""
    ids = [incident.id for incident in incidents]
    updates: dict[int, list] = {incident_id: [] for incident_id in ids}
    affected: dict[int, list] = {incident_id: [] for incident_id in ids}
    if ids:
        for update in db.session.scalars(select(IncidentUpdate).where(IncidentUpdate.incident_id.in_(ids))
                                         .order_by(IncidentUpdate.created_at.desc(), IncidentUpdate.id.desc())):
            updates[update.incident_id].append(update)
        for link in db.session.scalars(select(AffectedComponent).where(AffectedComponent.incident_id.in_(ids))
                                       .order_by(AffectedComponent.component_id)):
            affected[link.incident_id].append(link)
    for incident in incidents:
        set_committed_value(incident, "updates", updates[incident.id])
        set_committed_value(incident, "affected", affected[incident.id])


def incidents_by_component(component_ids: list[int] | None, *, now: datetime, tz: ZoneInfo,
                           days: int = uptime.BAR_DAYS) -> dict[int, list[tuple]]:
    """(id, name, impact, started, ended) of the incidents that touched each component in the last days,
    oldest first; of every component when component_ids is None. The times are uptime.epoch_seconds (for
    uptime.day_bars: thousands of them on a busy site).

    The open incidents and those resolved in the window, each found by ix_incidents_kind_resolved_at (a
    UNION ALL of the two, so each is a range of the index: with "resolved_at IS NULL OR resolved_at >= ?"
    SQLite would read every incident), so older history is never read; at most BAR_INCIDENT_LIMIT
    (component, incident) pairs, the newest.
    """
    since = _local_midnight(now.astimezone(tz).date() - timedelta(days=days - 1), tz)
    found: dict[int, list[tuple]] = {}
    if component_ids is not None and not component_ids:
        return found

    def touching(ended):
        query = (select(AffectedComponent.component_id, Incident.id, Incident.name,
                        type_coerce(Incident.impact, String).label("impact"),
                        uptime.epoch_seconds(Incident.started_at).label("started_at"),
                        uptime.epoch_seconds(Incident.resolved_at).label("resolved_at"),
                        type_coerce(Incident.resolved_at, String).label("resolved"))  # for ORDER BY only
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
    rows.sort(key=lambda row: (row[4], row[1]))
    for component_id, incident_id, name, impact, started_at, resolved_at, _resolved in rows:
        if started_at <= now_seconds:
            found.setdefault(component_id, []).append((incident_id, name, impact, started_at, resolved_at))
    return found


@dataclass
class ComponentPage:
    component: Component
    incidents: list[Incident]
    bar: BarView
    figures: dict[str, float | None]
    day_chart: list[uptime.LatencyPoint]
    week_chart: list[uptime.LatencyPoint]

    @property
    def bars(self) -> list[uptime.DayBar]:
        return self.bar.days

    @property
    def has_data(self) -> bool:
        return self.bar.total.runs > 0


def component_page(component: Component, *, now: datetime, tz: ZoneInfo) -> ComponentPage:
    """One component: its incidents, 90-day bar, uptime figures and response-time charts, from rollups:
    90 daily rows (bar and 7/30/90-day figures) and 168 hourly ones (charts and the 24-hour figure)."""
    daily = uptime.daily_counts(component.id, now=now, tz=tz)
    hourly = uptime.hourly_counts(component.id, now=now, hours=24 * 7)
    bar = uptime.day_bars([component.id], incidents_by_component([component.id], now=now, tz=tz), now=now, tz=tz,
                          daily={component.id: daily})[component.id]
    week = uptime.response_times(component.id, now=now, hours=24 * 7, hourly=hourly)
    return ComponentPage(component, component_incidents(component), BarView(bar),
                         uptime.uptime_figures(component.id, now=now, tz=tz, hourly=hourly, daily=daily),
                         week[-24:], week)


def history_page(page: int, *, now: datetime, tz: ZoneInfo) -> HistoryPage:
    """Past incidents and maintenance by month, newest first, a few months to a page."""
    page = max(1, page)
    newest_month = now.astimezone(tz).date().replace(day=1)
    months = [_add_months(newest_month, -n) for n in range((page - 1) * HISTORY_MONTHS_PER_PAGE,
                                                           page * HISTORY_MONTHS_PER_PAGE)]
    start = _local_midnight(months[-1], tz)
    end = _local_midnight(_add_months(months[0], 1), tz)
    incidents = list(db.session.scalars(
        select(Incident).where(Incident.started_at >= start, Incident.started_at < end, Incident.is_published)
        .where(or_(Incident.kind == IncidentKind.INCIDENT, Incident.started_at <= now))
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
        .order_by(Incident.started_at.desc(), Incident.id.desc())))
    has_older = db.session.scalar(select(Incident.id).where(Incident.started_at < start, Incident.is_published)
                                  .limit(1)) is not None
    return HistoryPage(
        [(month, [i for i in incidents if i.started_at.astimezone(tz).date().replace(day=1) == month])
         for month in months], page, has_older)


def component_incidents(component: Component, limit: int = 20) -> list[Incident]:
    """The latest incidents and maintenance that touched a component."""
    return list(db.session.scalars(
        select(Incident).join(AffectedComponent).where(AffectedComponent.component_id == component.id)
        .where(Incident.is_published).options(selectinload(Incident.updates), selectinload(Incident.affected))
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(limit)))


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


# ---- the uptime bar's HTML ------------------------------------------------------------------------------------
# Built here as one string per component, not by a Jinja loop: the home page shows 200 bars of up to 90
# parts, and a template spends microseconds on each expression and translation. What can be said once per
# language (the phrases, each day's date, each percentage) is worked out once per process, and looked up
# once per page.

@dataclass(frozen=True)
class BarView:
    """A component's uptime bar as the pages show it (the bars of one page share their words)."""

    bar: uptime.UptimeBar
    words: _PageWords = field(default_factory=lambda: _PageWords())

    @property
    def days(self) -> list[uptime.DayBar]:
        return self.bar.days

    @property
    def total(self) -> uptime.Counts:
        return self.bar.total

    def html(self, name: str) -> Markup:
        """The bar: an ordered list named after the component, a part per eventful day and per run of quiet
        days (a wider part: as many of the 90 columns as it has days), each with the words its hover or
        focus shows (date or dates, uptime, the incidents); days with trouble take focus. Then the legend."""
        words = self.words.get()
        labels = self.words.labels(self.bar.dates)
        parts = [f'<div class="uptime">\n<ol class="bars" aria-label="{words.label_before}{escape(name)}'
                 f'{words.label_after}">']
        add = parts.append
        for first, last, counts, incidents, all_up in self.bar.parts:
            if incidents or counts is not None:  # one day: with trouble, or read one by one
                if counts is not None and counts[0]:
                    value = 100.0 * (counts[0] - counts[1]) / counts[0]
                else:
                    value = 100.0 if all_up else None
                what = words.no_data if value is None else words.uptime(value)
                names = "".join([_escaped_name(name_) for _id, name_, _impact in incidents]) if incidents else ""
                focus = ' tabindex="0"' if incidents or counts[1] else ""
                add(f'<li class="bar-{uptime.day_level(value, incidents)}"{focus}><span class="tip">'
                    f'{labels[first]}: {what}{names}</span></li>')
            else:
                what = words.all_up if all_up else words.no_data
                if first == last:
                    add(f'<li class="bar-{"ok" if all_up else "none"}"><span class="tip">{labels[first]}: {what}'
                        "</span></li>")
                else:
                    add(f'<li class="bar-{"ok" if all_up else "none"} w{last - first + 1}"><span class="tip">'
                        f'{labels[first]} – {labels[last]}: {what}</span></li>')
        total = self.bar.total
        add(f'</ol>\n<p class="bars-legend"><span>{words.days_ago}</span>\n'
            f'<span>{words.uptime(total.uptime) if total.runs else words.no_uptime_yet}</span>\n'
            f'<span>{words.today}</span></p>\n</div>')
        return Markup("".join(parts))


class _PageWords:
    """The words of one page's bars: found on first use (get_locale is too slow to ask 200 times), and the
    dates of the window as a list, by day number."""

    def __init__(self):
        self.words: _BarWords | None = None
        self.window: tuple[date, list[str]] | None = None

    def get(self) -> _BarWords:
        if self.words is None:
            self.words = _bar_words()
        return self.words

    def labels(self, dates: list[date]) -> list[str]:
        if self.window is None or self.window[0] != dates[0] or len(self.window[1]) != len(dates):
            words = self.get()
            self.window = (dates[0], [words.date(day) for day in dates])
        return self.window[1]


class _BarWords:
    """What bars say in one language, escaped for HTML; dates and percentages remembered once made."""

    def __init__(self):
        self.label_before, _, self.label_after = _escaped(gettext("%(name)s, last 90 days", name=_SLOT))
        self.uptime_before, _, self.uptime_after = _escaped(gettext("%(uptime)s%% uptime", uptime=_SLOT))
        self.no_data = str(escape(gettext("no data")))
        self.no_uptime_yet = str(escape(gettext("no uptime data yet")))
        self.days_ago = str(escape(gettext("90 days ago")))
        self.today = str(escape(gettext("Today")))
        self.decimal = get_decimal_symbol(get_locale())
        self.dates: dict[date, str] = {}
        self.percents: dict[int, str] = {}
        self.all_up = self.uptime(100.0)

    def date(self, day: date) -> str:
        found = self.dates.get(day)
        if found is None:
            if len(self.dates) > 1000:
                self.dates.clear()
            found = self.dates[day] = str(escape(format_date(day, "medium")))
        return found

    def uptime(self, value: float) -> str:
        """"99.5% uptime", the number as i18n.percent writes it (rounded down, at most two decimals)."""
        hundredths = math.floor(value * 100)
        found = self.percents.get(hundredths)
        if found is None:
            whole, fraction = divmod(hundredths, 100)
            number = f"{whole}{self.decimal}{fraction:02d}".rstrip("0") if fraction else str(whole)
            found = self.percents[hundredths] = f"{self.uptime_before}{number}{self.uptime_after}"
        return found


_SLOT = "\x00"
_WORDS: dict[str, _BarWords] = {}
_NAMES: dict[str, str] = {}


def _escaped(text: str) -> tuple[str, str, str]:
    return str(escape(text)).partition(_SLOT)


def _escaped_name(name: str) -> str:
    """"<br>" and an incident's name, escaped (names repeat across bars and days)."""
    found = _NAMES.get(name)
    if found is None:
        if len(_NAMES) > 10_000:
            _NAMES.clear()
        found = _NAMES[name] = f"<br>{escape(name)}"
    return found


def _bar_words() -> _BarWords:
    language = str(get_locale())
    words = _WORDS.get(language)
    if words is None:
        words = _WORDS[language] = _BarWords()
    return words
