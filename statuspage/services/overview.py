"""The console's first screen: what an on-call engineer needs to see first, in a fixed number of bounded queries.

The page's overall status (as the public page derives it), the components that are not operational, the
open and suspected incidents, maintenance in progress and next, the checks that fail, the support tickets
whose first answer is due within the hour or overdue, and the deliveries that failed lately. Every list
is cut at LIMIT rows (and says how many more there are); every query reads a bounded index range or a
table the size of the site's setup (components, checks), never the history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import (
    Check, Component, DeliveryStatus, Incident, IncidentKind, MaintenanceStatus, Notification, Ticket, TicketStatus,
)
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES
from ..support.queue import SOON
from . import page
from .components import list_components

T = TypeVar("T")
LIMIT = 10
FAILED_DELIVERY_DAYS = 7


@dataclass
class Cut(Generic[T]):
    """Up to LIMIT items of a list, and how many there are in all."""

    items: list[T]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class Overview:
    status: page.PageStatus
    components: Cut[Component]   # not operational, worst first
    incidents: Cut[Incident]     # open and published, newest first
    suspected: Cut[Incident]     # suspected from support tickets, not published
    maintenance: Cut[Incident]   # in progress, then the next scheduled
    checks: Cut[Check]           # enabled and failing (down, or failing but not yet confirmed), down first
    tickets_breached: int        # accepted tickets past their first-response time
    tickets_soon: int            # ... due within SOON
    tickets: Cut[Ticket]         # those, earliest due first
    failed_deliveries: Cut[Notification]  # failed for good in the last FAILED_DELIVERY_DAYS, newest first
    pending_deliveries: int      # waiting in the outbox now
    component_count: int = 0
    now: datetime | None = None


def overview(*, now: datetime) -> Overview:
    """Everything the console's overview shows (about a dozen queries, whatever the history holds)."""
    components = list_components()
    open_incidents = page.open_incidents()
    maintenance = page.maintenance_in([*ACTIVE_MAINTENANCE_STATUSES, MaintenanceStatus.SCHEDULED], limit=LIMIT)
    active = [m for m in maintenance if m.is_active_maintenance]
    status = page.overall_status(components, open_incidents + active)
    troubled = sorted((c for c in components if not c.status.is_operational),
                      key=lambda c: -c.status.severity)
    suspected = list(db.session.scalars(
        select(Incident).where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published.is_(False))
        .where(Incident.unclosed())
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(LIMIT)))
    suspected_total = len(suspected) if len(suspected) < LIMIT else db.session.execute(
        select(func.count(Incident.id)).where(Incident.kind == IncidentKind.INCIDENT,
                                              Incident.is_published.is_(False),
                                              Incident.unclosed())).scalar_one()

    failing = or_(Check.is_down.is_(True), Check.last_ok.is_(False))
    checks = list(db.session.scalars(
        select(Check).where(Check.enabled.is_(True), failing)
        .order_by(Check.is_down.desc(), Check.last_run_at.desc(), Check.id).limit(LIMIT)))
    checks_total = db.session.execute(select(func.count(Check.id)).where(Check.enabled.is_(True), failing)).scalar_one()

    # The queue's index (status, first_response_due, created_at) holds both: overdue, and due within SOON.
    due = (Ticket.status == TicketStatus.ACCEPTED, Ticket.first_response_due.is_not(None),
           Ticket.first_response_due <= now + SOON)
    tickets = list(db.session.scalars(select(Ticket).where(*due)
                                      .order_by(Ticket.first_response_due, Ticket.created_at, Ticket.id).limit(LIMIT)))
    breached, soon = db.session.execute(select(
        func.count(Ticket.id).filter(Ticket.first_response_due <= now),
        func.count(Ticket.id).filter(Ticket.first_response_due > now)).where(*due)).one()

    since = now - timedelta(days=FAILED_DELIVERY_DAYS)
    # A row that failed for good keeps in next_attempt_at the time its last attempt was due: the outbox
    # index (status, next_attempt_at) reads exactly the last days' failures.
    recent_failures = (Notification.status == DeliveryStatus.FAILED, Notification.next_attempt_at >= since)
    failed = list(db.session.scalars(select(Notification).where(*recent_failures)
                                     .order_by(Notification.next_attempt_at.desc(), Notification.id.desc())
                                     .limit(LIMIT)))
    failed_total = db.session.execute(select(func.count(Notification.id)).where(*recent_failures)).scalar_one()
    pending = db.session.execute(select(func.count(Notification.id))
                                 .where(Notification.status == DeliveryStatus.PENDING)).scalar_one()

    return Overview(
        status=status, components=Cut(troubled[:LIMIT], len(troubled)),
        incidents=Cut(open_incidents[:LIMIT], len(open_incidents)), suspected=Cut(suspected, suspected_total),
        maintenance=Cut(maintenance, len(maintenance)), checks=Cut(checks, checks_total),
        tickets_breached=breached, tickets_soon=soon, tickets=Cut(tickets, breached + soon),
        failed_deliveries=Cut(failed, failed_total), pending_deliveries=pending,
        component_count=len(components), now=now)
