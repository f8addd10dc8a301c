"""What the public page shows: the derived overall status, components by group, incidents, maintenance."""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import (
    AffectedComponent, Check, CheckKind, Component, ComponentGroup, ComponentStatus, Impact, Incident, IncidentKind,
    IncidentUpdate, MaintenanceStatus,
)
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES
from ..system_text import Translated
from . import figures, site_version, uptime
from .bar_days import DayBar, UptimeBar
from .bars import PastEntry, kept_bars
from .figures import Figure
from .components import list_components
from .pages import PageScope, scope_components, scope_incidents

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
UPCOMING_LIMIT = 10


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
    resolved_at: datetime | None

    @property
    def is_maintenance(self) -> bool:
        return self.kind is IncidentKind.MAINTENANCE


class PageGroup(NamedTuple):
    id: int
    name: str
    position: int


C = TypeVar("C", Component, PageComponent)
G = TypeVar("G", ComponentGroup, PageGroup)


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
    # component id -> its bar over the last 90 days, with the kept entry of its past days (web/bar_views.py draws it)
    bars: dict[int, tuple[UptimeBar, PastEntry]] = field(default_factory=dict)
    tz: ZoneInfo | None = None


@dataclass
class HistoryPage:
    months: list[tuple[date, list[Incident]]]
    page: int
    has_older: bool
    has_newer: bool = field(init=False)

    def __post_init__(self) -> None:
        self.has_newer = self.page > 1


def overall_status(components: Sequence[Component | PageComponent], open_incidents: list[Incident]) -> PageStatus:
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


def current_status(page: PageScope | None = None) -> PageStatus:
    """The page's overall status right now (what status.json and the badge say)."""
    return overall_status(list_components(page), open_incidents(page) + maintenance_in(ACTIVE_MAINTENANCE_STATUSES,
                                                                                      page=page))


def _with_details(query: Select[Incident]) -> Select[Incident]:
    return query.options(selectinload(Incident.updates), selectinload(Incident.affected))


def open_incidents(page: PageScope | None = None) -> list[Incident]:
    """Unresolved incidents (of the page, when given), newest first."""
    return list(db.session.scalars(_with_details(scope_incidents(
        select(Incident).where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published)
        .where(Incident.unclosed()), page)
        .order_by(Incident.started_at.desc(), Incident.id.desc()))))


def maintenance_in(statuses: Iterable[str], limit: int = 20, *, page: PageScope | None = None) -> list[Incident]:
    return list(db.session.scalars(_with_details(scope_incidents(
        select(Incident).where(Incident.kind == IncidentKind.MAINTENANCE, Incident.is_published)
        .where(Incident.status.in_([str(s) for s in statuses])), page)
        .order_by(Incident.scheduled_for, Incident.id).limit(limit))))


def group_components(components: list[C], groups: list[G]) -> list[GroupView]:
    """Ungrouped components first, then each group in order; hidden components left out, empty groups too."""
    by_group: dict[int | None, list[C]] = {}
    for component in components:
        if component.is_visible:
            by_group.setdefault(component.group_id, []).append(component)
    views = [GroupView(None, by_group[None])] if by_group.get(None) else []
    views += [GroupView(group, by_group[group.id]) for group in groups if by_group.get(group.id)]
    return views


def home_page(*, now: datetime, tz: ZoneInfo, page: PageScope | None = None, version: int | None = None
              ) -> HomePage:
    """Everything `/` shows, in a fixed number of queries (nine at most) however long the history.

    The site's change counter comes first (one query, unless the request read it already: version): the
    bars' past days are kept under it. The
    components come as rows (one query). The unclosed incidents and maintenance windows (the present is
    small) come as models with their updates and components (three queries); the lines of the last days
    as rows (one query). The uptime bars (bars.kept_bars) take one, today's rollups, when their past days
    are kept; otherwise three: the incidents of the last 90 days by component and two reads of the
    component days of the rollups. Every query reads a bounded range of an index: the present, the last
    days, the last 90 days.
    """
    version = site_version.current() if version is None else version
    rows = db.session.connection().execute(scope_components(
        select(Component.id, Component.slug, Component.name, Component.description, Component.group_id,
               Component.status, Component.only_show_if_degraded, ComponentGroup.name, ComponentGroup.position,
               uptime.epoch_seconds(Component.created_at))
        .outerjoin(ComponentGroup, ComponentGroup.id == Component.group_id), page)
        .order_by(func.coalesce(ComponentGroup.position, -1), ComponentGroup.id, Component.position, Component.id)
    ).all()  # page order, as components.list_components
    components = [PageComponent(*row[:7]) for row in rows]
    groups = sorted({PageGroup(row[4], row[7], row[8]) for row in rows if row[4] is not None},
                    key=lambda g: (g.position, g.id))
    today = now.astimezone(tz).date()
    first_day = _local_midnight(today - timedelta(days=RECENT_DAYS - 1), tz)
    any_kind = Incident.kind.in_([kind.value for kind in IncidentKind])  # lets the (kind, ...) indexes seek
    unclosed = list(db.session.scalars(scope_incidents(
        select(Incident).where(any_kind, Incident.unclosed(), Incident.is_published), page)
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(HOME_LIMIT)))
    _load_details(unclosed)
    incidents = [i for i in unclosed if not i.is_maintenance]
    maintenance = sorted((i for i in unclosed if i.is_maintenance), key=lambda m: (m.scheduled_for, m.id))
    active = [m for m in maintenance if m.is_active_maintenance]
    upcoming = [m for m in maintenance if m.status == MaintenanceStatus.SCHEDULED][:UPCOMING_LIMIT]
    recent = [PageIncident(id_, kind, Translated(name, translations), *rest)
              for id_, kind, name, translations, *rest in db.session.connection().execute(scope_incidents(
        select(Incident.id, Incident.kind, Incident.name, Incident.name_translations, Incident.status,
               Incident.impact, Incident.started_at, Incident.resolved_at)
        .where(any_kind, Incident.started_at >= first_day, Incident.started_at <= now, Incident.is_published), page)
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(HOME_LIMIT))]
    recent_days = [(day, [i for i in recent if i.started_at.astimezone(tz).date() == day])
                   for day in (today - timedelta(days=n) for n in range(RECENT_DAYS))]
    visible = [c.id for c in components if c.is_visible]
    bars = kept_bars(visible, now=now, tz=tz, version=version, created={row[0]: row[9] for row in rows})
    return HomePage(overall_status(components, incidents + active), group_components(components, groups),
                    incidents, active, upcoming, recent_days, bars, tz)


def _load_details(incidents: list[Incident]) -> None:
    """Load the updates and components of these incidents (two queries), as selectinload would."""
    ids = [incident.id for incident in incidents]
    updates: dict[int, list[IncidentUpdate]] = {incident_id: [] for incident_id in ids}
    affected: dict[int, list[AffectedComponent]] = {incident_id: [] for incident_id in ids}
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


@dataclass
class ComponentPage:
    component: Component
    incidents: list[Incident]
    bar: UptimeBar
    figures: dict[str, Figure]
    day_chart: list[uptime.LatencyPoint]
    week_chart: list[uptime.LatencyPoint]
    # (kind, enabled, last_run_at) of its checks
    checks: list[tuple[CheckKind, bool, datetime | None]] = field(default_factory=list)
    now: datetime | None = None  # the instant it shows
    past: PastEntry | None = None  # the kept entry of the bar's past days (web/bar_views.py draws the bar)

    @property
    def bars(self) -> list[DayBar]:
        return self.bar.days

    @property
    def has_data(self) -> bool:
        return self.bar.total.runs > 0

    @property
    def shown_figures(self) -> list[tuple[str, Figure]]:
        """The figures worth showing: every window the component has lived through, then one over its
        life so far when that is shorter than the next window (the longer ones would only repeat it)."""
        shown = []
        for key, figure in self.figures.items():
            shown.append((key, figure))
            if not figure.is_whole:
                break
        return shown


def component_page(component: Component, *, now: datetime, tz: ZoneInfo, version: int | None = None
                   ) -> ComponentPage:
    """One component: its incidents, 90-day bar, uptime figures and response-time charts, from rollups:
    90 daily rows (bar and 7/30/90-day figures) and 168 hourly ones (charts and the 24-hour figure), and
    its checks (what an empty chart should say). The bar's past days are kept as on `/` (read under the
    change counter, which comes first: the request's when given)."""
    version = site_version.current() if version is None else version
    daily = uptime.daily_counts(component.id, now=now, tz=tz)
    hourly = uptime.hourly_counts(component.id, now=now, hours=24 * 7)
    bar, past = kept_bars([component.id], now=now, tz=tz, version=version, daily={component.id: daily},
                          created={component.id: component.created_at.timestamp()})[component.id]
    week = uptime.response_times(component.id, now=now, hours=24 * 7, hourly=hourly)
    checks = [(kind, enabled, last_run_at) for kind, enabled, last_run_at in db.session.execute(
        select(Check.kind, Check.enabled, Check.last_run_at).where(Check.component_id == component.id))]
    return ComponentPage(component, component_incidents(component), bar,
                         figures.component_figures(bar, past.troubles, hourly, now=now), week[-24:], week, checks,
                         now, past)


def history_page_count(*, now: datetime, tz: ZoneInfo, page: PageScope | None = None) -> int:
    """How many /history pages there are: up to the one holding the oldest published incident or maintenance
    (at least one). Further pages would only repeat "No incidents reported"."""
    oldest = db.session.scalar(scope_incidents(select(func.min(Incident.started_at)).where(Incident.is_published),
                                               page))
    if oldest is None:
        return 1
    newest_month = now.astimezone(tz).date()
    oldest_month = oldest.astimezone(tz).date()
    months_back = (newest_month.year - oldest_month.year) * 12 + newest_month.month - oldest_month.month
    return max(1, months_back // HISTORY_MONTHS_PER_PAGE + 1)


def history_page_number(value: object, last: int | None = None) -> int:
    """The /history page a `?page=` value asks for: a whole number from 1 (anything else is page 1), and
    at most `last` when that is known; a number too long to be a page is the last page."""
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()):
        return 1
    number = int(text) if len(text) <= 9 else 10**9
    number = max(number, 1)
    return min(number, last) if last is not None else number


def history_page(page: int, *, now: datetime, tz: ZoneInfo, on: PageScope | None = None) -> HistoryPage:
    """Past incidents and maintenance by month, newest first, a few months to a page."""
    page = max(1, page)
    newest_month = now.astimezone(tz).date().replace(day=1)
    months = [_add_months(newest_month, -n) for n in range((page - 1) * HISTORY_MONTHS_PER_PAGE,
                                                           page * HISTORY_MONTHS_PER_PAGE)]
    start = _local_midnight(months[-1], tz)
    end = _local_midnight(_add_months(months[0], 1), tz)
    incidents = list(db.session.scalars(scope_incidents(
        select(Incident).where(Incident.started_at >= start, Incident.started_at < end, Incident.is_published)
        .where(or_(Incident.kind == IncidentKind.INCIDENT, Incident.started_at <= now)), on)
        .options(selectinload(Incident.updates), selectinload(Incident.affected))
        .order_by(Incident.started_at.desc(), Incident.id.desc())))
    has_older = db.session.scalar(scope_incidents(
        select(Incident.id).where(Incident.started_at < start, Incident.is_published), on).limit(1)) is not None
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
