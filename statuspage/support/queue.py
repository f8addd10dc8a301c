"""The ticket queue and what staff do with tickets: re-classify, link to an incident, unlink from a wrong one;
the customer's own "not what I wrote about"; and what all of that teaches the matcher.

First come, first served within the rules: earliest due time first, then arrival; tickets without a due
time (basic plans) after every promised one, by arrival.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, case, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import (
    AuditEntry, DeliveryStatus, Incident, IncidentKind, IncidentUpdate, Notification, Ticket,
    TicketChange, TicketStatus,
)
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES
from ..notify import desk_writes
from ..notify.messages import policy
from ..services import audit, subscriptions, validate
from ..services.audit import Actor
from . import sla
from .intake import answer, due_time
from .replies import reply_for

SOON = timedelta(hours=1)  # "soon breached": less than this left
CUSTOMER = Actor(label="customer")  # the requester, through the signed link in their auto-reply
UNDOING = {"unlink": "agent", "not_mine": "customer"}  # the changes that undo a link, and who makes them
LINKING = ("link", *UNDOING)
EXAMPLES_PER_INCIDENT = 200  # the newest positive and negative examples the matcher gets per incident


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
    assert total is not None     # a count is a row, also of nothing
    order = (case((Ticket.first_response_due.is_(None), 1), else_=0), Ticket.first_response_due,
             Ticket.created_at, Ticket.id)
    items = db.session.scalars(query.options(selectinload(Ticket.changes)).order_by(*order).limit(per_page)
                               .offset((page - 1) * per_page))
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


def reclassify(ticket_id: int, *, priority: object, reason: object, by: Actor, now: datetime) -> Ticket:
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


def linkable_incidents() -> list[Incident]:
    """What a ticket can be linked to: the open incidents and the maintenance in progress the public sees,
    newest first (a suspected incident is not published yet: its page would not open for the customer)."""
    return list(db.session.scalars(select(Incident).where(Incident.is_published, or_(
        (Incident.kind == IncidentKind.INCIDENT) & Incident.unclosed(),
        (Incident.kind == IncidentKind.MAINTENANCE)
        & Incident.status.in_([s.value for s in ACTIVE_MAINTENANCE_STATUSES]))).order_by(
        Incident.started_at.desc(), Incident.id.desc())))


def link(ticket_id: int, incident_id: object, *, reason: str = "", by: Actor, now: datetime) -> Ticket:
    """An accepted ticket that is about a known problem after all: suppressed and linked to that incident,
    its due time cleared, its requester following the incident (as intake does), and a new auto-reply."""
    reason = validate.text(reason, "reason", max_length=2000, required=False)
    with transaction():
        ticket = get_ticket(ticket_id)
        incident = next((i for i in linkable_incidents() if i.id == incident_id), None)
        if incident is None:
            raise Invalid("not_linkable", "incident_id must name an open incident or maintenance in progress.",
                          field="incident_id")
        if not _claim(ticket, {"status": TicketStatus.ACCEPTED},
                      {"status": TicketStatus.SUPPRESSED, "incident_id": incident.id, "first_response_due": None}):
            raise Conflict("not_accepted", "Only an accepted ticket can be linked; unlink it first.")
        ticket.changes.append(TicketChange(at=now, actor=by.label, action="link", reason=reason, incident_id=incident.id,
                                           old_priority=ticket.priority, new_priority=ticket.priority))
        subscriptions.follow_incident(ticket.requester_email, incident, language=ticket.language,
                                      policy=policy(current_app.config["SETTINGS"]), now=now)
        ticket.reply = reply_for(ticket, incident, now=now)
        desk_writes.queue_suppressed(ticket, incident, now=now)
        audit.record(by, "ticket.link", ticket, summary=f"to incident {incident.id}: {reason}", now=now)
    return ticket


def unlink(ticket_id: int, *, reason: str = "", by: Actor, now: datetime) -> Ticket:
    """A wrongly suppressed ticket becomes accepted, with its due time from its arrival; the requester no
    longer follows that incident (unless another of their tickets is linked to it)."""
    reason = validate.text(reason, "reason", max_length=2000, required=False)
    with transaction():
        ticket = get_ticket(ticket_id)
        incident_id = ticket.incident_id
        if ticket.status != TicketStatus.SUPPRESSED or not _claim(
                ticket, {"status": TicketStatus.SUPPRESSED, "incident_id": incident_id},
                {"status": TicketStatus.ACCEPTED, "incident_id": None}):
            raise Conflict("not_suppressed", "Only a suppressed ticket can be unlinked.")
        ticket.first_response_due = due_time(ticket)
        ticket.changes.append(TicketChange(at=now, actor=by.label, action="unlink", reason=reason,
                                           incident_id=incident_id,
                                           old_priority=ticket.priority, new_priority=ticket.priority))
        _stop_following(ticket, incident_id)
        if incident_id is not None:     # None only when its incident's row was deleted outside the app
            desk_writes.queue_reopened(ticket, incident_id, why=f"an agent unlinked it: {reason}" if reason else
                                       "an agent unlinked it", now=now)
        audit.record(by, "ticket.unlink", ticket, summary=f"from incident {incident_id}", now=now)
    return ticket


def not_mine_state(ticket: Ticket, incident_id: int) -> str:
    """What the customer's link can do now: "linked" (undo it), "undone" (they did already), or "changed"
    (the ticket is no longer linked to that incident: an agent unlinked or re-linked it)."""
    if ticket.status == TicketStatus.SUPPRESSED and ticket.incident_id == incident_id:
        return "linked"
    if any(c.action == "not_mine" and c.incident_id == incident_id for c in ticket.changes):
        return "undone"
    return "changed"


def not_mine(ticket_id: int, incident_id: int, *, now: datetime) -> tuple[Ticket, bool]:
    """The customer says the ticket is not about the incident it was linked to: it becomes accepted with its
    due time from its arrival, and they stop following that incident (only that). Returns (ticket, changed);
    a second click, or one after an agent changed the ticket, changes nothing."""
    with transaction():
        ticket = get_ticket(ticket_id)
        if not _claim(ticket, {"status": TicketStatus.SUPPRESSED, "incident_id": incident_id},
                      {"status": TicketStatus.ACCEPTED, "incident_id": None}):
            return ticket, False
        ticket.first_response_due = due_time(ticket)
        ticket.changes.append(TicketChange(at=now, actor=CUSTOMER.label, action="not_mine", incident_id=incident_id,
                                           reason="", old_priority=ticket.priority, new_priority=ticket.priority))
        _stop_following(ticket, incident_id)
        desk_writes.queue_reopened(ticket, incident_id, why="the customer said it is about something else",
                                   now=now)
        audit.record(CUSTOMER, "ticket.not_mine", ticket,
                     summary=f"{ticket.requester_email}: not about incident {incident_id}", now=now)
    return ticket, True


def _claim(ticket: Ticket, expected: dict[str, object], values: dict[str, object]) -> bool:
    """Change the ticket's row only while it is as expected (a conditional update), so of two clicks, or a
    customer and an agent at the same moment, exactly one goes ahead, on SQLite as on PostgreSQL."""
    conditions = [getattr(Ticket, name).is_(None) if value is None else getattr(Ticket, name) == value
                  for name, value in expected.items()]
    result = db.session.execute(update(Ticket).where(Ticket.id == ticket.id, *conditions).values(**values)
                                .execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)     # what an UPDATE gives (Session.execute is typed as any Result)
    claimed = result.rowcount == 1
    db.session.refresh(ticket)
    return claimed


def _stop_following(ticket: Ticket, incident_id: int | None) -> None:
    """The requester stops following the incident, unless another of their tickets is still linked to it;
    whatever else the address follows stays. Deliveries about it not yet sent are dropped. An address that
    followed nothing but such incidents goes when it follows none: with nothing chosen it would hear of
    everything."""
    if incident_id is None:
        return
    db.session.flush()
    if db.session.scalar(select(func.count()).where(Ticket.incident_id == incident_id,
                                                    Ticket.requester_email == ticket.requester_email)):
        return
    subscriber = db.session.scalar(subscriptions.email_subscriber_on_default_page(ticket.requester_email))
    if subscriber is None:
        return  # it follows nothing as an address
    followed = next((i for i in subscriber.incidents if i.id == incident_id), None)
    if followed is None:
        return  # it hears of everything, or stopped following this incident already
    subscriber.incidents.remove(followed)
    db.session.execute(delete(Notification).where(
        Notification.subscriber_id == subscriber.id, Notification.status == DeliveryStatus.PENDING,
        Notification.update_id.in_(select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident_id))))
    if subscriber.is_confirmed and not subscriber.components and not subscriber.incidents:
        db.session.delete(subscriber)


def undone(ticket: Ticket) -> dict[str, object] | None:
    """How the ticket's link to an incident was undone, while that stands: by the customer (their link) or
    an agent (unlink), when and why. None when it never was, or was linked again since."""
    last = next((c for c in reversed(ticket.changes) if c.action in LINKING), None)
    if last is None or last.action == "link":
        return None
    return {"by": UNDOING[last.action], "at": last.at.isoformat(), "reason": last.reason,
            "incident_id": last.incident_id}


def matcher_counts(*, now: datetime, days: int = 30) -> dict[str, int]:
    """The matcher's record over the last `days`: tickets it suppressed, and how many tickets customers undid
    ("not_mine"), agents unlinked ("unlink") and agents linked ("link": tickets it missed)."""
    since = now - timedelta(days=days)
    counts = dict.fromkeys(LINKING, 0)
    counts |= dict(db.session.execute(
        select(TicketChange.action, func.count(func.distinct(TicketChange.ticket_id)))
        .where(TicketChange.action.in_(LINKING), TicketChange.at >= since).group_by(TicketChange.action)).all())
    suppressed = db.session.scalar(
        select(func.count(func.distinct(AuditEntry.target_id))).where(
            AuditEntry.action == "ticket.suppressed", AuditEntry.target_type == Ticket.__tablename__,
            AuditEntry.at >= since))
    assert suppressed is not None     # a count is a row, also of nothing
    counts["suppressed"] = suppressed
    return counts


def feedback_examples(incident_ids: Iterable[int]) -> dict[int, dict[str, list[tuple[str, str]]]]:
    """What agents and customers taught the matcher, per incident, as (subject, body), newest first and at
    most EXAMPLES_PER_INCIDENT of each kind.

    Positive: the tickets suppressed and linked to it now, whether the matcher or an agent linked them.
    Negative: tickets unlinked from it by an agent or undone by their customer, and not linked to it again.
    """
    ids = sorted(set(incident_ids))
    examples: dict[int, dict[str, list[tuple[str, str]]]] = {
        incident_id: {"positive": [], "negative": []} for incident_id in ids}
    if not ids:
        return examples
    newest = func.row_number().over(partition_by=Ticket.incident_id, order_by=Ticket.id.desc()).label("n")
    linked = (select(Ticket.incident_id, Ticket.subject, Ticket.body, newest)
              .where(Ticket.incident_id.in_(ids), Ticket.status == TicketStatus.SUPPRESSED).subquery())
    undoings = (select(TicketChange.incident_id, TicketChange.ticket_id, func.max(TicketChange.id).label("change_id"))
                .where(TicketChange.incident_id.in_(ids), TicketChange.action.in_(UNDOING))
                .group_by(TicketChange.incident_id, TicketChange.ticket_id).subquery())
    undone_ = (select(undoings.c.incident_id, Ticket.subject, Ticket.body, func.row_number().over(
        partition_by=undoings.c.incident_id, order_by=undoings.c.change_id.desc()).label("n"))
        .join(Ticket, Ticket.id == undoings.c.ticket_id)
        .where(or_(Ticket.incident_id.is_(None), Ticket.incident_id != undoings.c.incident_id)).subquery())
    for kind, rows in (("positive", linked), ("negative", undone_)):
        for incident_id, subject, body, _n in db.session.execute(
                select(rows).where(rows.c.n <= EXAMPLES_PER_INCIDENT).order_by(rows.c.incident_id, rows.c.n)):
            examples[incident_id][kind].append((subject, body))
    return examples


def feedback_version() -> tuple[int, int]:
    """A value that changes whenever feedback_examples may answer differently (the newest ticket change, the
    newest suppressed ticket), so the matcher knows when to rebuild: two index reads; compare for equality."""
    return (db.session.scalar(select(func.max(TicketChange.id))) or 0,
            db.session.scalar(select(func.max(Ticket.id)).where(Ticket.status == TicketStatus.SUPPRESSED)) or 0)


def details(ticket: Ticket) -> dict[str, Any]:
    """The API's view of a ticket: the intake answer as it stands now, plus what staff see."""
    return {**answer(ticket), "subject": ticket.subject, "body": ticket.body, "source": ticket.source,
            "requester": {"email": ticket.requester_email, "name": ticket.requester_name},
            "requested_priority": ticket.requested_priority, "environment": ticket.environment,
            "component": ticket.component_slug, "language": ticket.language,
            "created_at": ticket.created_at.isoformat(), "received_at": ticket.received_at.isoformat(),
            "undone": undone(ticket),
            "changes": [{"at": c.at.isoformat(), "by": c.actor, "action": c.action, "reason": c.reason,
                         "old_priority": c.old_priority, "new_priority": c.new_priority,
                         "incident_id": c.incident_id} for c in ticket.changes]}
