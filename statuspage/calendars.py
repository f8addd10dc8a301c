"""Maintenance in the calendar: an iCalendar (RFC 5545) feed of upcoming and in-progress windows (icalendar).

One VEVENT per window, identified as calendar clients need to follow it through its changes:
- UID `maintenance-<id>@<site host>`: the same in the site's feed, a component's feed and the single window's
  file (so "Add to calendar" and a subscription merge into one event);
- SEQUENCE: the window's row version less one (it moves with every change to the window: a new time, an
  update, a new status), so clients take the newer copy;
- DTSTAMP and LAST-MODIFIED: when the window last changed (in a published calendar without METHOD, DTSTAMP
  is that time, RFC 5545 3.8.7.2), so a feed that did not change is the same bytes (its ETag holds);
- STATUS: CANCELLED for a window completed without ever starting (a cancellation), CONFIRMED otherwise; a
  window completed early ends when it ended.
Times are UTC. Texts (SUMMARY, DESCRIPTION, the calendar's name) are in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event, vText
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import AffectedComponent, Component, Incident, IncidentKind, MaintenanceStatus
from .system_text import localized
from .services.pages import PageScope, scope_incidents

REFRESH = timedelta(hours=1)  # how often clients should fetch the feed again (REFRESH-INTERVAL)
_STARTED = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)


@dataclass(frozen=True)
class CalendarInfo:
    """What a calendar is about and where it lives: its name is in the reader's language."""

    name: str
    host: str
    base_url: str


def calendar_windows(component: Component | None = None, *, now: datetime,
                     page: PageScope | None = None) -> list[Incident]:
    """Maintenance windows a calendar shows: those not over yet (scheduled, in progress, or cancelled or
    completed before their planned end) and those still running past it; earliest first."""
    query = (select(Incident).where(Incident.kind == IncidentKind.MAINTENANCE, Incident.is_published)
             .where(or_(Incident.scheduled_until > now,
                        Incident.status.in_([s.value for s in (MaintenanceStatus.SCHEDULED, *_STARTED)])))
             .options(selectinload(Incident.updates), selectinload(Incident.affected)))
    if component is not None:
        query = query.where(Incident.affected.any(AffectedComponent.component_id == component.id))
    return list(db.session.scalars(scope_incidents(query, page).order_by(Incident.scheduled_for, Incident.id)))


def is_cancelled(window: Incident) -> bool:
    """Completed without ever being in progress: called off."""
    return window.status == MaintenanceStatus.COMPLETED and not any(
        update.status in _STARTED for update in window.updates)


def uid(window: Incident, host: str) -> str:
    return f"maintenance-{window.id}@{host}"


def build_calendar(info: CalendarInfo, windows: list[Incident]) -> bytes:
    """The VCALENDAR document (CRLF lines, folded at 75 octets, UTF-8) with one VEVENT per window."""
    calendar = Calendar()
    calendar.add("prodid", "-//statuspage//maintenance//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", info.name)  # RFC 7986
    calendar.add("x-wr-calname", info.name)  # the name Apple's, Google's and Microsoft's clients read
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vText("PT1H"))
    for window in windows:
        calendar.add_component(_event(info, window))
    return calendar.to_ical()


def _event(info: CalendarInfo, window: Incident) -> Event:
    event = Event()
    event.add("uid", uid(window, info.host))
    event.add("dtstamp", window.updated_at)
    event.add("last-modified", window.updated_at)
    event.add("created", window.created_at)
    event.add("sequence", max(window.version - 1, 0))
    event.add("dtstart", window.scheduled_for)
    ended_early = window.status == MaintenanceStatus.COMPLETED and window.resolved_at is not None and \
        window.scheduled_for is not None and window.scheduled_until is not None and \
        window.scheduled_for < window.resolved_at < window.scheduled_until
    event.add("dtend", window.resolved_at if ended_early and not is_cancelled(window) else window.scheduled_until)
    event.add("status", "CANCELLED" if is_cancelled(window) else "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # the subscriber is not busy: a service is
    event.add("summary", _("Maintenance: %(name)s", name=localized(window)))
    url = info.base_url + window.public_path
    event.add("description", _description(window, url))
    event.add("url", url, parameters={"VALUE": "URI"})
    return event


def _description(window: Incident, url: str) -> str:
    parts = []
    written = next((update for update in window.updates if update.body), None)  # the scheduler's updates are empty
    if written is not None:
        parts.append(localized(written, "body"))
    names = ", ".join(link.component.name for link in window.affected)
    if names:
        parts.append(_("Components: %(names)s", names=names))
    if is_cancelled(window):
        parts.append(_("This maintenance has been cancelled."))
    parts.append(url)
    return "\n\n".join(parts)
