"""The ticket queue and what staff do with tickets: re-classify, unlink from a wrong incident.

First come, first served within the rules: earliest due time first, then arrival; tickets without a due
time (basic plans) after every promised one, by arrival.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import Subscriber, SubscriberIncident, Ticket, TicketChange, TicketStatus
from ..services import audit, validate
from ..services.audit import Actor
from . import sla
from .intake import answer, due_time

SOON = timedelta(hours=1)  # "soon breached": less than this left


def get_ticket(ticket_id: int) -> Ticket:
    ticket = get_by_id(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found", f"No ticket with id {ticket_id}.")
    return ticket


def list_tickets(*, status: str | None = None, plan: str | None = None, priority: int | None = None,
                 incident_id: int | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Ticket], int]:
    """One page of the queue, in the order tickets are to be answered."""
    query = select(Ticket)
    if status:
        query = query.where(Ticket.status == validate.choice(TicketStatus, status, "status"))
    if plan:
        if plan not in sla.PLANS:
            raise Invalid("invalid_choice", f"plan must be one of: {', '.join(sla.PLANS)}.", field="plan")
        query = query.where(Ticket.plan == plan)
    if priority is not None:
        query = query.where(Ticket.priority == priority)
    if incident_id is not None:
        query = query.where(Ticket.incident_id == incident_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    order = (case((Ticket.first_response_due.is_(None), 1), else_=0), Ticket.first_response_due,
             Ticket.created_at, Ticket.id)
    items = db.session.scalars(query.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    return list(items), total


def standing(ticket: Ticket, now: datetime) -> str:
    """breached, soon (under an hour left), waiting (on time), none (no promise) or closed (suppressed)."""
    if ticket.status != TicketStatus.ACCEPTED:
        return "closed"
    if ticket.first_response_due is None:
        return "none"
    if ticket.first_response_due <= now:
        return "breached"
    return "soon" if ticket.first_response_due - now <= SOON else "waiting"


def reclassify(ticket_id: int, *, priority, reason, by: Actor, now: datetime) -> Ticket:
    """Change a ticket's priority, keeping who, when, why and the old value; the due time follows from arrival."""
    if type(priority) is not int or priority not in sla.PRIORITIES:
        raise Invalid("invalid_choice", "priority must be 1, 2 or 3.", field="priority")
    reason = validate.text(reason, "reason", max_length=2000)
    with transaction():
        ticket = get_ticket(ticket_id)
        old = ticket.priority
        ticket.priority = priority
        ticket.changes.append(TicketChange(at=now, actor=by.label, action="reclassify", reason=reason,
                                           old_priority=old, new_priority=priority))
        if ticket.status == TicketStatus.ACCEPTED:
            ticket.first_response_due = due_time(ticket)
        audit.record(by, "ticket.reclassify", ticket, summary=f"priority {old} -> {priority}: {reason}", now=now)
    return ticket


def unlink(ticket_id: int, *, reason: str = "", by: Actor, now: datetime) -> Ticket:
    """A wrongly suppressed ticket becomes accepted, with its due time from its arrival; the requester no
    longer follows that incident (unless another of their tickets is linked to it)."""
    reason = validate.text(reason, "reason", max_length=2000, required=False)
    with transaction():
        ticket = get_ticket(ticket_id)
        if ticket.status != TicketStatus.SUPPRESSED:
            raise Conflict("not_suppressed", "Only a suppressed ticket can be unlinked.")
        incident_id = ticket.incident_id
        ticket.status, ticket.incident_id, ticket.incident = TicketStatus.ACCEPTED, None, None
        ticket.first_response_due = due_time(ticket)
        ticket.changes.append(TicketChange(at=now, actor=by.label, action="unlink",
                                           reason=reason,
                                           old_priority=ticket.priority, new_priority=ticket.priority))
        db.session.flush()
        others = db.session.scalar(select(func.count()).where(Ticket.incident_id == incident_id,
                                                             Ticket.requester_email == ticket.requester_email))
        if incident_id is not None and not others:
            subscriber_id = db.session.scalar(select(Subscriber.id).where(Subscriber.address == ticket.requester_email))
            db.session.execute(delete(SubscriberIncident).where(SubscriberIncident.incident_id == incident_id,
                                                                SubscriberIncident.subscriber_id == subscriber_id))
        audit.record(by, "ticket.unlink", ticket, summary=f"from incident {incident_id}", now=now)
    return ticket


def details(ticket: Ticket) -> dict:
    """The API's view of a ticket: the intake answer as it stands now, plus what staff see."""
    return {**answer(ticket), "subject": ticket.subject, "body": ticket.body, "source": ticket.source,
            "requester": {"email": ticket.requester_email, "name": ticket.requester_name},
            "requested_priority": ticket.requested_priority, "environment": ticket.environment,
            "component": ticket.component_slug, "language": ticket.language,
            "created_at": ticket.created_at.isoformat(), "received_at": ticket.received_at.isoformat(),
            "changes": [{"at": c.at.isoformat(), "by": c.actor, "action": c.action, "reason": c.reason,
                         "old_priority": c.old_priority, "new_priority": c.new_priority} for c in ticket.changes]}
