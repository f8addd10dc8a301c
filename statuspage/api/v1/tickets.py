"""The ticket-intake hook and the ticket queue.

Intake (POST): a token with the intake role (or admin), or a signature made with STATUSPAGE_INTAKE_SECRET
(`X-Statuspage-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`, or Zendesk's own
`X-Zendesk-Webhook-Signature` at /tickets/zendesk, or Zammad's `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`
at /tickets/zammad). With neither a token nor a secret it accepts nothing.
Reading the queue needs viewer, re-classifying responder. Match reasons are the matcher's English lines,
or the client's language when its Accept-Language asks for another of the site's.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from flask import current_app, g, request

from ... import clock
from ...errors import Unauthorized
from ...models import Role
from ...notify.channels.webhook import parse_signature_header, signature, verify
from ...services.audit import Actor
from ...support import desks, intake, queue
from ...system_text import match_reasons
from . import blp
from .auth import actor, requires
from .http import page_headers
from .schemas import DeskPayload, TicketDetailOut, TicketListArgs, TicketOut, TicketPatch

def _for_reader(ticket: dict) -> dict:
    """The answer with its match reasons in the language the client's Accept-Language asks for."""
    language = request.accept_languages.best_match(current_app.config["SETTINGS"].languages)
    if language in (None, "en") or not ticket.get("match"):
        return ticket
    return {**ticket, "match": {**ticket["match"],
                                "reasons": match_reasons.describe_all(ticket["match"]["reasons"], language)}}


SIGNATURE_HEADER = "X-Statuspage-Signature"
SIGNATURE_TOLERANCE_S = desks.ZENDESK_TOLERANCE_S  # 5 minutes either way, for both schemes
SIGNED_BY = (SIGNATURE_HEADER, "X-Zendesk-Webhook-Signature", "X-Hub-Signature")


def intake_auth(view):
    """A valid signature lets a desk in without a token; anything else goes through the token check."""
    token_checked = requires(Role.INTAKE)(view)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        secret = current_app.config["SETTINGS"].intake_secret
        if secret and any(header in request.headers for header in SIGNED_BY):
            signed = _signed(secret)
            if signed is None:
                raise Unauthorized(message="The request signature does not match (or its timestamp is stale).")
            g.actor, g.signed_request = Actor(label="intake:signed", role=Role.INTAKE), signed
            return view(*args, **kwargs)
        return token_checked(*args, **kwargs)
    return wrapper


def _signed(secret: str) -> intake.SignedRequest | None:
    """The verified request's replay record, or None when the signature does not match or is stale.

    A replay is recognised by what the signature signs (timestamp and body), never by the header's text,
    which a replayer could dress up (another `v1=` value, spaces) without breaking the signature.
    """
    body, now = request.get_data(cache=True), clock.now()
    if SIGNATURE_HEADER in request.headers:
        header = request.headers[SIGNATURE_HEADER]
        if not verify(secret, header, body, now_ts=int(now.timestamp()), tolerance_s=SIGNATURE_TOLERANCE_S):
            return None
        stamp, _candidates = parse_signature_header(header)  # the timestamp verify() checked
        if stamp is None:  # verify() passed, so it parsed: never the case
            return None
        signed_at = datetime.fromtimestamp(stamp, timezone.utc)
        signed = f"statuspage:{signature(secret, stamp, body)}"
    elif "X-Zendesk-Webhook-Signature" in request.headers:
        sent_at = request.headers.get("X-Zendesk-Webhook-Signature-Timestamp", "")
        if not desks.zendesk_signature_ok(secret, request.headers["X-Zendesk-Webhook-Signature"], sent_at, body,
                                          now=now):
            return None
        signed_at = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
        signed = f"zendesk:{sent_at}:{hashlib.sha256(body).hexdigest()}"
    else:  # Zammad signs no time: the record is kept as long as the others, a later replay is a repeat by id
        if not desks.zammad_signature_ok(secret, request.headers["X-Hub-Signature"], body):
            return None
        signed_at = now
        signed = f"zammad:{hashlib.sha256(body).hexdigest()}"
    return intake.SignedRequest(digest=hashlib.sha256(signed.encode()).hexdigest(),
                                valid_until=signed_at + timedelta(seconds=SIGNATURE_TOLERANCE_S + 1))


def _take(given: intake.TicketIn, source: str):
    ticket, new = intake.take_ticket(replace(given, source=source), by=actor(), now=clock.now(),
                                     signed=g.get("signed_request"))
    if not new:
        return _for_reader(ticket.first_answer), 200
    return _for_reader(ticket.first_answer), 201 if ticket.status.value == "accepted" else 200


@blp.post("/tickets")
@intake_auth
@blp.arguments(intake.TicketInSchema)  # loads a TicketIn: the body validated once
@blp.response(201, TicketOut)
@blp.alt_response(200, schema=TicketOut, description="Suppressed (about a known incident), or a repeat of an "
                                                     "external_id already taken in: the first answer again.")
def take_ticket(given):
    """The intake hook: accept a ticket (201) or suppress it when it is about a known incident (200)."""
    return _take(given, "api")


@blp.post("/tickets/zendesk")
@intake_auth
@blp.arguments(DeskPayload)
@blp.response(201, TicketOut)
@blp.alt_response(200, schema=TicketOut, description="Suppressed, or a repeat.")
def take_zendesk_ticket(_fields):
    """A Zendesk "ticket created" webhook (trigger payload {"ticket": {...}} or event payload {"detail": {...}})."""
    return _take(intake.ticket_in(desks.from_zendesk(request.get_json())), "zendesk")


@blp.post("/tickets/freshdesk")
@intake_auth
@blp.arguments(DeskPayload)
@blp.response(201, TicketOut)
@blp.alt_response(200, schema=TicketOut, description="Suppressed, or a repeat.")
def take_freshdesk_ticket(_fields):
    """A Freshdesk automation webhook ({"freshdesk_webhook": {"ticket_id", ...}})."""
    return _take(intake.ticket_in(desks.from_freshdesk(request.get_json())), "freshdesk")


@blp.post("/tickets/zammad")
@intake_auth
@blp.arguments(DeskPayload)
@blp.response(201, TicketOut)
@blp.alt_response(200, schema=TicketOut, description="Suppressed, or a repeat.")
def take_zammad_ticket(_fields):
    """A Zammad webhook (its payload {"ticket": {...}, "article": {...}}, signed with X-Hub-Signature)."""
    return _take(intake.ticket_in(desks.from_zammad(request.get_json())), "zammad")


@blp.get("/tickets")
@requires(Role.VIEWER)
@blp.arguments(TicketListArgs, location="query")
@blp.response(200, TicketDetailOut(many=True))
def list_tickets(args):
    """The queue in answering order: earliest due first, then arrival; filters by status, plan, priority."""
    items, total = queue.list_tickets(status=args.get("status"), plan=args.get("plan"),
                                      priority=args.get("priority"), incident_id=args.get("incident"),
                                      page=args["page"], per_page=args["per_page"])
    return [_for_reader(queue.details(t)) for t in items], page_headers(total, args["page"], args["per_page"])


@blp.get("/tickets/<id:ticket_id>")
@requires(Role.VIEWER)
@blp.response(200, TicketDetailOut)
def get_ticket(ticket_id):
    """One ticket with its classification history."""
    return _for_reader(queue.details(queue.get_ticket(ticket_id)))


@blp.patch("/tickets/<id:ticket_id>")
@requires(Role.RESPONDER)
@blp.arguments(TicketPatch)
@blp.response(200, TicketDetailOut)
def reclassify_ticket(fields, ticket_id):
    """Re-classify: a new priority and the reason (kept and shown); the due time is recomputed from arrival.
    Or link: `{"incident_id": N, "reason"}` suppresses an accepted ticket and links it to an open incident or
    maintenance in progress (its requester follows it); `{"incident_id": null, "reason"}` unlinks a
    suppressed one (accepted, its due time from arrival). 409 when the ticket is not in the state for it."""
    if "incident_id" not in fields:
        ticket = queue.reclassify(ticket_id, priority=fields["priority"], reason=fields["reason"], by=actor(),
                                  now=clock.now())
    elif fields["incident_id"] is None:
        ticket = queue.unlink(ticket_id, reason=fields.get("reason", ""), by=actor(), now=clock.now())
    else:
        ticket = queue.link(ticket_id, fields["incident_id"], reason=fields.get("reason", ""), by=actor(),
                            now=clock.now())
    return _for_reader(queue.details(ticket))
