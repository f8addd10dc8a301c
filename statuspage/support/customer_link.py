"""The customer's one-click link in a suppressed ticket's auto-reply: "this is not what I wrote about".

Signed the way subscription confirmation links are (itsdangerous, the app's secret key), with a salt of its
own so no other signed link stands in for it, and valid for LINK_DAYS. It names the ticket and the incident
the reply was about, so the link of an earlier auto-reply cannot undo a later link an agent made.
Timestamps come from the caller's `now` (the clock), not from itsdangerous's own reading of the wall clock.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ..errors import AppError

if TYPE_CHECKING:
    from ..config import Settings
    from ..models import Incident, Ticket

LINK_DAYS = 30
SALT = "ticket-not-mine"
PATH = "/tickets/not-mine/"


class LinkInvalid(AppError):
    """Tampered with, cut short, or signed with another key."""

    status = 400
    code = "link_invalid"


class LinkExpired(AppError):
    """Genuine, but older than LINK_DAYS."""

    status = 410
    code = "link_expired"


class _ClockSigner(TimestampSigner):
    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int(self.now.timestamp())


def _serializer(secret_key: str, now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_ClockSigner, signer_kwargs={"now": now})


def token_for(ticket_id: int, incident_id: int, *, secret_key: str, now: datetime) -> str:
    """The signed part of the link, made at `now` (it expires LINK_DAYS later)."""
    return _serializer(secret_key, now).dumps([ticket_id, incident_id])


def link_for(ticket: Ticket, incident: Incident, *, settings: Settings, now: datetime) -> str:
    """The absolute link for the auto-reply; ?lang= makes the page speak the ticket's language."""
    token = token_for(ticket.id, incident.id, secret_key=settings.secret_key, now=now)
    return f"{settings.base_url}{PATH}{token}?lang={ticket.language}"


def read(token: str, *, secret_key: str, now: datetime) -> tuple[int, int]:
    """(ticket id, incident id) from a link, or LinkInvalid / LinkExpired."""
    serializer = _serializer(secret_key, now)
    try:
        ticket_id, incident_id = serializer.loads(token, max_age=LINK_DAYS * 24 * 3600)
    except SignatureExpired:
        raise LinkExpired(message=f"This link has expired: it works for {LINK_DAYS} days.") from None
    except (BadSignature, TypeError, ValueError):
        raise LinkInvalid(message="This link is not valid: it was changed or cut short.") from None
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (ticket_id, incident_id)):
        raise LinkInvalid(message="This link is not valid: it was changed or cut short.")
    return ticket_id, incident_id
