"""What the public page shows: the derived overall status, components by group, incidents, maintenance."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    AffectedComponent, Component, ComponentGroup, ComponentStatus, Impact, Incident, IncidentKind, MaintenanceStatus,
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
UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class PageStatus:
    indicator: str
    description: str


@dataclass
class GroupView:
    group: ComponentGroup | None
    components: list[Component]

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
    recent_days: list[tuple[date, list[Incident]]]
    bars: dict[int, list[uptime.DayBar]] = field(default_factory=dict)  # component id -> 90 days


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
    """Everything `/` shows, in a fixed number of queries (six) however long the history.

    One query takes every unclosed incident and maintenance window (the present is small) and the
    closed ones of the last days, unclosed first so the bound never cuts them; each brings its
    updates and components along. The uptime bars take two more: 90 daily rollups per component,
    and the incidents of those 90 days by component.
    """
    components = list_components()
    groups = sorted({c.group for c in components if c.group is not None}, key=lambda g: (g.position, g.id))
    today = now.astimezone(tz).date()
    first_day = _local_midnight(today - timedelta(days=RECENT_DAYS - 1), tz)
    is_closed = Incident.status.in_([s.value for s in CLOSED_STATUSES])
    shown = list(db.session.scalars(_with_details(
        select(Incident).where(Incident.is_published)
        .where(or_(~is_closed, and_(Incident.started_at >= first_day, Incident.started_at <= now)))
        .order_by(case((is_closed, 1), else_=0), Incident.started_at.desc(), Incident.id.desc())
        .limit(HOME_LIMIT))))
    incidents = [i for i in shown if not i.is_maintenance and not i.is_closed]
    maintenance = sorted((i for i in shown if i.is_maintenance and not i.is_closed),
                         key=lambda m: (m.scheduled_for, m.id))
    active = [m for m in maintenance if m.is_active_maintenance]
    upcoming = [m for m in maintenance if m.status == MaintenanceStatus.SCHEDULED][:UPCOMING_LIMIT]
    recent = [i for i in shown if first_day <= i.started_at <= now]
    recent_days = [(day, [i for i in recent if i.started_at.astimezone(tz).date() == day])
                   for day in (today - timedelta(days=n) for n in range(RECENT_DAYS))]
    visible = [c.id for c in components if c.is_visible]
    bars = uptime.day_bars(visible, incidents_by_component(visible, now=now, tz=tz), now=now, tz=tz)
    return HomePage(overall_status(components, incidents + active), group_components(components, groups),
                    incidents, active, upcoming, recent_days, bars)


def incidents_by_component(component_ids: list[int], *, now: datetime, tz: ZoneInfo,
                           days: int = uptime.BAR_DAYS) -> dict[int, list[tuple]]:
    """(id, name, impact, started, ended) of the incidents that touched each component in the last days."""
    since = _local_midnight(now.astimezone(tz).date() - timedelta(days=days - 1), tz)
    found: dict[int, list[tuple]] = {}
    if not component_ids:
        return found
    rows = db.session.execute(
        select(AffectedComponent.component_id, Incident.id, Incident.name, Incident.impact, Incident.started_at,
               Incident.resolved_at).join(Incident)
        .where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published,
               AffectedComponent.component_id.in_(component_ids))
        .where(Incident.started_at <= now)
        .where(or_(Incident.resolved_at.is_(None), Incident.resolved_at >= since))
        .order_by(Incident.started_at).limit(HOME_LIMIT * 4))
    for component_id, *incident in rows:
        found.setdefault(component_id, []).append((incident[0], incident[1], incident[2].value, *incident[3:]))
    return found


@dataclass
class ComponentPage:
    component: Component
    incidents: list[Incident]
    bars: list[uptime.DayBar]
    figures: dict[str, float | None]
    day_chart: list[uptime.LatencyPoint]
    week_chart: list[uptime.LatencyPoint]

    @property
    def has_data(self) -> bool:
        return any(bar.counts for bar in self.bars)


def component_page(component: Component, *, now: datetime, tz: ZoneInfo) -> ComponentPage:
    """One component: its incidents, 90-day bar, uptime figures and response-time charts, from rollups."""
    bars = uptime.day_bars([component.id], incidents_by_component([component.id], now=now, tz=tz), now=now, tz=tz)
    week = uptime.response_times(component.id, now=now, hours=24 * 7)
    return ComponentPage(component, component_incidents(component), bars[component.id],
                         uptime.uptime_figures(component.id, now=now, tz=tz), week[-24:], week)


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
