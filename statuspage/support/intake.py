"""The ticket-intake hook: take a ticket in, suppress it when it is about a known incident, else give it
its priority and first-response due time. One function for the API, the desk formats and the evaluation.

Precision over recall: a ticket is suppressed only when the matcher is confident, never for staging or
development systems (the page is about production), and every decision is logged with its reasons.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load
from marshmallow import validate as check
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..database import transaction
from ..errors import Invalid, first_problem
from ..extensions import db
from ..models import (
    Component, ComponentStatus, Impact, Incident, Role, SeenSignature, Ticket, TicketStatus, User,
)
from ..notify import desk_writes, outbox
from ..services import audit, incidents, validate
from ..services.accounts import normalize_email
from ..services.audit import Actor
from ..system_text import incidents as says
from . import candidates, following, matching, model, sla
from .replies import reply_for
from .text import ticket_text

log = logging.getLogger(__name__)
OLDEST_CREATED_AT = timedelta(days=7)  # a ticket's own time may lie this far before its arrival, no further


@dataclass(frozen=True)
class TicketIn:
    """A ticket as the contract's request gives it, validated."""

    subject: str
    body: str
    requester_email: str
    requester_name: str = ""
    external_id: str | None = None
    plan: str = "basic"
    priority: int | None = None
    environment: str = "production"
    component: str | None = None
    created_at: datetime | None = None
    source: str = "api"
    warnings: tuple[dict[str, str], ...] = ()  # what intake changed on the way in (a created_at clamped), for the answer


class RequesterInSchema(Schema):
    email = fields.String(required=True, validate=check.Length(max=320))
    name = fields.String(validate=check.Length(max=200))


class TicketInSchema(Schema):
    """The contract's ticket body, validated once: the API loads a request with it (and documents it in
    /api/v1/openapi.json as TicketIn), ticket_in loads a desk's mapped webhook and the evaluation's tickets with
    it. Loading gives a TicketIn. Fields say the shapes; what they cannot say (a subject or a body, an email
    address, a time with an offset, no NUL) is checked once they hold, by `_ticket`, raising Invalid as the
    services do."""

    external_id = fields.Raw(metadata={"description": "The desk's ticket id (text or number): sent twice, taken "
                                                      "once."})
    subject = fields.String(validate=check.Length(max=1000))
    body = fields.String(validate=check.Length(max=100_000))
    requester = fields.Nested(RequesterInSchema, required=True)
    plan = fields.String(validate=check.OneOf(sla.PLANS))
    priority = fields.Integer(strict=True, allow_none=True, validate=check.Range(min=1, max=3))
    environment = fields.String(validate=check.OneOf(sla.ENVIRONMENTS))
    component = fields.String(validate=check.Length(max=64))
    created_at = fields.String(metadata={"description": "ISO 8601 with offset; default now."})

    @post_load
    def _ticket(self, data: dict[str, Any], **_kwargs: object) -> TicketIn:
        return _ticket(data)


_REQUESTER_FIELDS = frozenset(RequesterInSchema().fields)


def ticket_in(data: object, *, source: str = "api") -> TicketIn:
    """A ticket body given as a dict (a desk's mapped webhook, the evaluation's files) through the API's
    TicketInSchema. Fields a desk's mapping leaves empty (None, or "" for plan and environment) count as
    left out, and fields the contract does not know (the requester's too) are ignored; the API itself
    refuses both. Invalid names the first bad field, in the words the API's 422 uses."""
    if not isinstance(data, dict):
        raise Invalid("invalid_type", "The body must be a JSON object.")
    given = {key: value for key, value in data.items()
             if value is not None and not (key in ("plan", "environment") and value == "")}
    if isinstance(given.get("requester"), dict):
        given["requester"] = {key: value for key, value in given["requester"].items()
                              if key in _REQUESTER_FIELDS and value is not None}
    try:
        ticket: TicketIn = TicketInSchema().load(given, unknown=EXCLUDE)     # post_load makes it one
    except ValidationError as error:
        field, text = first_problem(error.messages, "")
        raise Invalid("invalid", f"{field}: {text}", field=field) from None
    return replace(ticket, source=source)


def _ticket(data: dict[str, Any]) -> TicketIn:
    """What the fields cannot say, checked once they hold; Invalid names the first bad field."""
    subject = validate.text(data.get("subject"), "subject", max_length=1000, required=False)
    body = validate.text(data.get("body"), "body", max_length=100_000, required=False)
    if not subject and not body:
        raise Invalid("required", "Give a subject or a body.", field="subject")
    requester = data["requester"]
    try:
        email = normalize_email(requester.get("email"))
    except Exception:
        raise Invalid("invalid_email", "requester.email is not an email address.", field="requester.email") from None
    priority = data.get("priority")
    if priority is not None and (type(priority) is not int or priority not in sla.PRIORITIES):
        raise Invalid("invalid_choice", "priority must be 1, 2 or 3.", field="priority")
    plan = data.get("plan") or sla.DEFAULT_PLAN
    environment = data.get("environment") or "production"
    external_id = data.get("external_id")
    if external_id is not None:
        external_id = validate.text(str(external_id) if isinstance(external_id, int) and not isinstance(
            external_id, bool) else external_id, "external_id", max_length=200) or None
    component = data.get("component")
    if component is not None:
        component = validate.text(component, "component", max_length=64, required=False).lower() or None
    created_at = data.get("created_at")
    if created_at is not None:
        try:
            created_at = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("invalid_datetime", "created_at must be an ISO 8601 time with an offset.",
                          field="created_at") from None
        created_at = validate.instant(created_at, "created_at")
    return TicketIn(subject=subject, body=body, requester_email=email,
                    requester_name=validate.text(requester.get("name"), "requester.name", max_length=200,
                                                 required=False),
                    external_id=external_id, plan=plan, priority=priority, environment=environment,
                    component=component, created_at=created_at)


@dataclass(frozen=True)
class SignedRequest:
    """A request let in by its signature: what the signature signs, hashed, and until when it is valid."""

    digest: str
    valid_until: datetime


def take_ticket(ticket: TicketIn, *, by: Actor, now: datetime,
                signed: SignedRequest | None = None) -> tuple[Ticket, bool]:
    """Store and classify a ticket; returns (ticket, True) when new, (the first one, False) for a repeat.

    The same external_id twice stores nothing twice, also when both arrive at the same moment: the unique
    index decides, and the loser returns the winner's answer. A signed request is remembered while its
    signature is valid, in the ticket's transaction, so a replay of it is a repeat too (external_id or not).
    """
    with _INTAKE_SLOTS:
        return _take_ticket(ticket, by=by, now=now, signed=signed)


def _take_ticket(ticket: TicketIn, *, by: Actor, now: datetime, signed: SignedRequest | None) -> tuple[Ticket, bool]:
    ticket = bounded_created_at(ticket, now)
    if signed is not None:
        _forget_stale_signatures(now)
    for attempt in (1, 2):
        if signed is not None and (first := _by_signature(signed.digest)) is not None:
            return first, False
        if ticket.external_id and (first := _by_external_id(ticket.external_id)) is not None:
            return first, False
        found = _match(ticket, now=now)
        try:
            with transaction():
                stored = _store(ticket, found, by=by, now=now)
                if signed is not None:
                    db.session.add(SeenSignature(digest=signed.digest, ticket_id=stored.id,
                                                 expires_at=signed.valid_until))
                    db.session.flush()
                _suspect_incident(stored, by=by, now=now)
            break
        except IntegrityError:  # a twin of this ticket, or a first ticket of the same requester, won the race
            db.session.rollback()
            if attempt == 2:
                raise
    return stored, True


def _by_external_id(external_id: str) -> Ticket | None:
    return db.session.scalar(_BY_EXTERNAL_ID, {"external_id": external_id})


_BY_EXTERNAL_ID = select(Ticket).where(Ticket.external_id == bindparam("external_id"))   # made once: asked per ticket


def _by_signature(digest: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).join(SeenSignature, SeenSignature.ticket_id == Ticket.id)
                             .where(SeenSignature.digest == digest))


def _forget_stale_signatures(now: datetime) -> None:
    """Signatures past their validity are refused as stale before they get here: their records can go."""
    with transaction():
        db.session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))


# Tickets taken in at once in one process: reading one is CPU work, storing it a transaction, and the pages a
# worker serves beside them must not wait behind a burst of tickets (the rest queue here, one at a time:
# fewer threads wanting the interpreter lock and the database at once also take more tickets a second).
_INTAKE_SLOTS = threading.BoundedSemaphore(1)


def _match(given: TicketIn, *, now: datetime) -> matching.Match:
    """The matcher's decision (and the components the ticket is about), against the kept open incidents."""
    settings = current_app.config["SETTINGS"]
    created_at = given.created_at or now
    text = matching.TicketText(given.subject, given.body, given.component, None, created_at)
    if given.environment == "production":
        known, examples = candidates.for_ticket()
        return matching.match_ticket(text, known.open_at(created_at), known.components,
                                     threshold=settings.ticket_match_threshold, now=now,
                                     examples=examples, model=model.load(settings.ticket_model or None))
    known = candidates.snapshot()
    language = matching.detect_language(ticket_text(given.subject, given.body))
    return matching.Match(None, 0.0, (f"from {given.environment}: this page reports on production",), language,
                          mentioned=matching.mentioned_components(replace(text, language=language), known.components))


def _store(given: TicketIn, found: matching.Match, *, by: Actor, now: datetime) -> Ticket:
    settings = current_app.config["SETTINGS"]
    created_at = given.created_at or now
    ticket = Ticket(
        external_id=given.external_id, source=given.source, subject=given.subject, body=given.body,
        requester_email=given.requester_email, requester_name=given.requester_name, plan=given.plan,
        requested_priority=given.priority, priority=sla.effective_priority(given.priority, given.environment),
        environment=given.environment, component_slug=found.mentioned[0] if found.mentioned else given.component,
        language=found.language, created_at=created_at, received_at=now, match_score=found.score,
        match_reasons=list(found.reasons), warnings=list(given.warnings), reports_problem=found.reports_problem,
        gist=candidates.stored_gist(found.gist))
    ticket.match_alternatives = [[incident_id, round(score, 3)] for incident_id, score in found.alternatives]
    # with its updates in the same statement: the reply quotes the latest
    incident = db.session.get(Incident, found.incident_id, options=_WITH_UPDATES) if found.incident_id else None
    if incident is not None and (incident.is_closed or not incident.is_published):
        incident = None     # resolved (or withdrawn) while the ticket was being read: a person answers
    if incident is not None:
        ticket.status, ticket.incident = TicketStatus.SUPPRESSED, incident
        refused = following.follow_for_ticket(ticket.requester_email, incident, language=ticket.language,
                                              source=by.label, settings=settings, now=now)
        if refused is not None:
            ticket.warnings = [*ticket.warnings, refused]
    else:
        ticket.status = TicketStatus.ACCEPTED
        ticket.first_response_due = due_time(ticket)
    db.session.add(ticket)
    db.session.flush()
    ticket.reply = reply_for(ticket, incident)
    ticket.first_answer = answer(ticket)
    if incident is not None:
        desk_writes.queue_suppressed(ticket, incident, now=now)  # the desk hears of it too, when it is one
    audit.record(by, f"ticket.{ticket.status.value}", ticket,
                 summary=f"score {found.score:.2f}: {'; '.join(found.reasons)}"[:2000], now=now)
    log.info("ticket %s (%s) %s, score %.2f, incident %s: %s", ticket.id, ticket.external_id or "-",
             ticket.status.value, found.score, found.incident_id, "; ".join(found.reasons))
    return ticket


_WITH_UPDATES = (joinedload(Incident.updates),)


def bounded_created_at(ticket: TicketIn, now: datetime) -> TicketIn:
    """The ticket with its own time kept within a week before its arrival and never after it, and a
    warning for the answer when the caller's value had to move.

    created_at starts the support clock, orders the queue and picks the incidents a ticket can be about,
    so a caller's 1971 would head the queue for ever and a 2999 would never come due.
    """
    given = ticket.created_at
    if given is None:
        return replace(ticket, created_at=now)
    bounded = min(max(given, now - OLDEST_CREATED_AT), now)
    if bounded == given:
        return ticket
    why = "later than its arrival" if given > now else f"more than {OLDEST_CREATED_AT.days} days before its arrival"
    return replace(ticket, created_at=bounded, warnings=(*ticket.warnings, {
        "code": "created_at_clamped",
        "message": f"created_at {given.isoformat()} is {why}; the ticket counts from {bounded.isoformat()} instead."}))


def due_time(ticket: Ticket) -> datetime | None:
    """The first-response deadline from the ticket's arrival, as the support policy says."""
    calendar = sla.BusinessCalendar.from_settings(current_app.config["SETTINGS"])
    return sla.first_response_due(ticket.created_at, ticket.priority, ticket.plan, ticket.environment, calendar)


def answer(ticket: Ticket) -> dict[str, Any]:
    """The contract's response body for a ticket."""
    settings = current_app.config["SETTINGS"]
    tz = sla.BusinessCalendar.from_settings(settings).zone
    incident = ticket.incident
    return {
        "id": ticket.id, "external_id": ticket.external_id, "status": ticket.status.value,
        "priority": ticket.priority, "plan": ticket.plan,
        "first_response_due": ticket.first_response_due.astimezone(tz).isoformat()
        if ticket.first_response_due else None,
        "incident": None if incident is None else {
            "id": incident.id, "name": incident.name, "status": incident.status,
            "url": candidates.reading_page_url(incident) + incident.public_path},
        "match": {"score": round(ticket.match_score, 3), "reasons": list(ticket.match_reasons),
                  "alternatives": alternatives(ticket)},
        "reply": ticket.reply,
        "warnings": list(ticket.warnings or []),
    }


def alternatives(ticket: Ticket) -> list[dict[str, Any]]:
    """The other incidents the matcher found close to its choice, named, so the answer says so instead of
    guessing; an incident deleted since is left out."""
    close: list[dict[str, Any]] = []
    for incident_id, score in ticket.match_alternatives or ():
        incident = db.session.get(Incident, incident_id)
        if incident is not None:
            close.append({"id": incident.id, "name": incident.name, "score": round(score, 3)})
    return close


def _suspect_incident(ticket: Ticket, *, by: Actor, now: datetime) -> None:
    """K accepted production tickets reporting a problem with one component within T minutes, and no
    incident open nor maintenance in progress on it: open a suspected incident (console only, unless
    STATUSPAGE_SUSPECT_PUBLISH=1), link those tickets, and email the engineers (every active responder and
    admin) through the outbox, and tell the alert URLs (STATUSPAGE_ALERT_URLS). Questions, invoices and
    wishes about a component are no outage."""
    settings = current_app.config["SETTINGS"]
    slug = ticket.component_slug
    if (ticket.status != TicketStatus.ACCEPTED or ticket.environment != "production" or not slug
            or not ticket.reports_problem):
        return
    with transaction():
        component = db.session.scalar(select(Component).where(Component.slug == slug))
        if (component is None or incidents.open_incident_on(component.id) is not None
                or component.status == ComponentStatus.UNDER_MAINTENANCE):
            return
        since = now - timedelta(minutes=settings.suspect_window_minutes)
        recent = list(db.session.scalars(
            select(Ticket).where(Ticket.status == TicketStatus.ACCEPTED, Ticket.component_slug == slug,
                                 Ticket.environment == "production", Ticket.received_at >= since,
                                 Ticket.incident_id.is_(None), Ticket.reports_problem.is_(True))))
        if len(recent) < settings.suspect_tickets:
            return
        suspected = incidents.open_incident(  # in every language (system_text.incidents), each reader's own
            name=says.suspected_name(component.name), impact=Impact.MINOR,
            body=says.suspected_body(len(recent), component.name, settings.suspect_window_minutes),
            components={slug: ComponentStatus.PARTIAL_OUTAGE.value}, published=settings.suspect_publish,
            by=Actor(label="ticket-intake"), now=now)
        for linked in recent:
            linked.incident_id = suspected.id
        engineers = db.session.scalars(select(User.email).where(User.role.in_([Role.RESPONDER, Role.ADMIN]),
                                                                User.is_disabled.is_(False)))
        outbox.queue_alert(suspected, list(engineers), now=now)
        outbox.queue_alert_urls(suspected, now=now)  # and STATUSPAGE_ALERT_URLS (chat, push)
        audit.record(by, "incident.suspect", suspected, summary=f"{len(recent)} tickets about {slug}", now=now)
        log.warning("suspected incident %s opened: %d tickets about %s in %d minutes", suspected.id, len(recent),
                    slug, settings.suspect_window_minutes)


def affected_counts(incident_ids: list[int]) -> dict[int, int]:
    """How many tickets are linked to each incident: "N customers affected" in the console."""
    if not incident_ids:
        return {}
    rows = db.session.execute(select(Ticket.incident_id, func.count(func.distinct(Ticket.requester_email)))
                              .where(Ticket.incident_id.in_(incident_ids)).group_by(Ticket.incident_id))
    return {incident_id: count for incident_id, count in rows if incident_id is not None}     # in_ leaves out NULL
