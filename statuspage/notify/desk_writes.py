"""Help desks written back: outbox rows (kind desk) queued with the ticket's change, sent by the dispatcher.

Queued in the transaction of the change, like every notification: a ticket suppressed (intake or an agent's
link) queues "suppress", and the first suppressed ticket of a desk for an incident also queues "problem" (the
known-problem ticket, made once per desk and incident); an incident closing queues "resolve" for its suppressed
desk tickets and "close_problem"; a suppression undone (unlink, the customer's link) queues "reopen".
The dispatcher sends a desk row only when no earlier row of the same ticket, and no problem row of the same
desk and incident, is still pending (notify/dispatch.py:claim_due), so a ticket's writes land in order.

Idempotency: a row's texts are fixed when it is queued; each step's answer (the desk's comment, article or
ticket id) is stored on the row as soon as the desk gives it, so a retry skips what is done. Before a step that
adds something, the row records that it is trying; a retry of a step tried but never answered (a timeout, a
crash) first asks the desk whether the reply is there (by its text) and posts only when it is not. Zendesk's
problem ticket is created with an Idempotency-Key. What this cannot cover: Freshdesk and Zammad offer no such
key for a new ticket, so a lost answer to a known-problem ticket's creation can make a second one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ..config import Settings
from ..database import transaction
from ..extensions import db
from ..models import (
    DeliveryStatus, DeskProblem, Incident, IncidentUpdate, Notification, NotificationKind, Ticket, TicketStatus,
)
from .channels import DeliveryError
from .channels.desks import Answer, Freshdesk, Zammad, Zendesk

log = logging.getLogger(__name__)
DESKS = ("zendesk", "freshdesk", "zammad")


def configured(settings: Settings, desk: str) -> bool:
    """Whether the desk's address and credentials are all set."""
    return {"zendesk": bool(settings.zendesk_url and settings.zendesk_email and settings.zendesk_token),
            "freshdesk": bool(settings.freshdesk_url and settings.freshdesk_api_key),
            "zammad": bool(settings.zammad_url and settings.zammad_token)}.get(desk, False)


def desk_ticket(ticket: Ticket) -> tuple[str, str] | None:
    """(desk, the desk's ticket id) for a ticket that came from a desk's webhook, else None."""
    prefix = f"{ticket.source}-"
    if ticket.source in DESKS and ticket.external_id and ticket.external_id.startswith(prefix):
        return ticket.source, ticket.external_id[len(prefix):]
    return None


def tag_for(incident_id: int) -> str:
    return f"statuspage-incident-{incident_id}"


def queue_suppressed(ticket: Ticket, incident: Incident, *, now: datetime) -> None:
    """The auto-reply, tag, problem link and pending status for a ticket just suppressed (and the incident's
    known-problem ticket in that desk, the first time)."""
    settings = current_app.config["SETTINGS"]
    found = desk_ticket(ticket)
    if found is None or not configured(settings, found[0]):
        return
    desk, number = found
    base = {"desk_ticket": number, "tag": tag_for(incident.id), "requester": ticket.requester_email,
            "subject": (ticket.reply or {}).get("subject", "")}
    if _new_problem(desk, incident, now=now):
        _queue(desk, "problem", ticket.id, incident.id, now=now, state={
            **base, "subject": incident.name[:250],
            "text": f"Known problem: {incident.name}\n{settings.base_url}{incident.public_path}\n"
                    f"Tickets about it are linked here by the status page."})
    _queue(desk, "suppress", ticket.id, incident.id, now=now,
           state={**base, "text": (ticket.reply or {}).get("body", "")})


def queue_resolved(incident: Incident, update: IncidentUpdate, *, now: datetime) -> None:
    """The incident is over: its suppressed desk tickets get the resolution as a public reply and are solved,
    and each desk's known-problem ticket is solved."""
    settings = current_app.config["SETTINGS"]
    url = f"{settings.base_url}{incident.public_path}"
    tickets = db.session.scalars(select(Ticket).where(Ticket.incident_id == incident.id,
                                                      Ticket.status == TicketStatus.SUPPRESSED,
                                                      Ticket.source.in_(DESKS)).order_by(Ticket.id))
    for ticket in tickets:
        found = desk_ticket(ticket)
        if found is None or not configured(settings, found[0]) or not _written(ticket.id):
            continue
        said = (update.body_translations or {}).get(ticket.language) or update.body or incident.name
        _queue(found[0], "resolve", ticket.id, incident.id, now=now, state={
            "desk_ticket": found[1], "tag": tag_for(incident.id), "requester": ticket.requester_email,
            "subject": (ticket.reply or {}).get("subject", ""), "text": f"{said.strip()}\n\n{url}\n"})
    for problem in db.session.scalars(select(DeskProblem).where(DeskProblem.incident_id == incident.id)):
        if configured(settings, problem.desk):
            _queue(problem.desk, "close_problem", None, incident.id, now=now, state={
                "tag": tag_for(incident.id), "text": f"Resolved: {incident.name}\n{url}\n"})


def queue_reopened(ticket: Ticket, incident_id: int, *, why: str, now: datetime) -> None:
    """A suppression undone: the desk's ticket is opened again with an internal note saying why (only when
    statuspage wrote to the desk about it)."""
    settings = current_app.config["SETTINGS"]
    found = desk_ticket(ticket)
    if found is None or not configured(settings, found[0]) or not _written(ticket.id):
        return
    _queue(found[0], "reopen", ticket.id, incident_id, now=now, state={
        "desk_ticket": found[1], "tag": tag_for(incident_id), "requester": ticket.requester_email, "subject": "",
        "text": f"Status page: this ticket is no longer linked to incident {incident_id} ({why}). "
                f"It needs an answer from a person."})


def _written(ticket_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Notification.kind == NotificationKind.DESK,
                                                        Notification.ticket_id == ticket_id,
                                                        Notification.desk_action == "suppress"))))


def _new_problem(desk: str, incident: Incident, *, now: datetime) -> bool:
    """Reserve the desk's known-problem ticket for the incident; False when it is reserved already (also by
    a transaction in another process at the same moment: the unique index decides)."""
    if db.session.scalar(select(DeskProblem.id).where(DeskProblem.desk == desk,
                                                      DeskProblem.incident_id == incident.id)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(DeskProblem(desk=desk, incident_id=incident.id, created_at=now))
    except IntegrityError:
        return False
    return True


def _queue(desk: str, action: str, ticket_id: int | None, incident_id: int, *, now: datetime,
           state: dict[str, Any]) -> None:
    db.session.add(Notification(kind=NotificationKind.DESK, desk=desk, desk_action=action, ticket_id=ticket_id,
                                incident_id=incident_id, status=DeliveryStatus.PENDING, next_attempt_at=now,
                                created_at=now, desk_state={**state, "done": {}, "tried": []}))


@dataclass
class Job:
    """One desk row being sent: what its steps need, and `once`, which runs a step at most once."""

    row: Notification
    desk_ticket: str
    text: str
    tag: str
    subject: str
    requester: str
    key: str
    problem_id: str | None = None
    problem_number: str | None = None

    def once(self, step: str, send: Callable[[], Answer | None], *,
             find: Callable[[], Answer | None] | None = None) -> Answer:
        """The step's stored answer when done; else send it (after `find`, for a step tried before without an
        answer) and store what the desk answered, at once, in its own transaction."""
        state = self.row.desk_state
        assert state is not None, "a desk row is queued with its state"
        done: dict[str, Answer] = state["done"]
        if step in done:
            return done[step]
        answer = find() if find is not None and step in state["tried"] else None
        if answer is None:
            if find is not None and step not in state["tried"]:
                self._save({**state, "tried": [*state["tried"], step]})
            answer = send() or {}
        current = self.row.desk_state  # a new dict when the try was saved above
        assert current is not None
        self._save({**current, "done": {**current["done"], step: answer}})
        return answer

    def _save(self, state: dict[str, Any]) -> None:
        with transaction():
            self.row.desk_state = state  # a new dict: the JSON column sees the change


def client_for(desk: str, settings: Settings, *, now: datetime) -> Zendesk | Freshdesk | Zammad:
    """The desk's API client with its credentials from the settings."""
    timeout = settings.desk_timeout_s
    if desk == "zendesk":
        return Zendesk(settings.zendesk_url, settings.zendesk_email, settings.zendesk_token, timeout_s=timeout,
                       now=now)
    if desk == "freshdesk":
        return Freshdesk(settings.freshdesk_url, settings.freshdesk_api_key,
                         settings.freshdesk_email or settings.mail_from, timeout_s=timeout, now=now)
    return Zammad(settings.zammad_url, settings.zammad_token, settings.zammad_group, settings.mail_from,
                  timeout_s=timeout, now=now)


def perform(row: Notification, settings: Settings, *, now: datetime) -> None:
    """Send one desk row: its steps in order, each at most once; DeliveryError when the desk refuses or is away."""
    if row.desk not in DESKS or not configured(settings, row.desk):
        raise DeliveryError(f"{row.desk} is not configured (its address or credentials are not set)",
                            retryable=False)
    state = row.desk_state or {}
    problem = db.session.scalar(select(DeskProblem).where(DeskProblem.desk == row.desk,
                                                          DeskProblem.incident_id == row.incident_id))
    if row.desk_action == "close_problem":
        if problem is None or not problem.external_id:
            return  # never made: nothing to close
        state = {**state, "desk_ticket": problem.external_id}
    job = Job(row=row, desk_ticket=str(state.get("desk_ticket", "")), text=state.get("text", ""),
              tag=state.get("tag", ""), subject=state.get("subject", ""), requester=state.get("requester", ""),
              key=f"statuspage-{row.idempotency_key}",
              problem_id=problem.external_id if problem is not None else None,
              problem_number=problem.number if problem is not None else None)
    assert row.desk is not None and row.desk_action is not None, "a desk row names its desk and action"
    client = client_for(row.desk, settings, now=now)
    action = getattr(client, row.desk_action, None)
    if action is None:
        raise DeliveryError(f"unknown desk action {row.desk_action!r}", retryable=False)
    made = action(job)
    if row.desk_action == "problem" and problem is not None:
        with transaction():
            problem.external_id, problem.number = made.get("id"), made.get("number")
