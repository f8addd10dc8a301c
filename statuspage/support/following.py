"""A suppressed ticket's requester follows its incident, within limits: anyone can write a ticket in anyone's
name, so a ticket must not be a way to make us mail arbitrary addresses.

- An address that ever unsubscribed (or that an admin removed) is never subscribed again by a ticket.
- The follow is that incident alone (services/subscriptions.py follow_incident), with one-click unsubscribe
  in every message (notify/messages.py).
- At most STATUSPAGE_INTAKE_FOLLOWS_PER_DOMAIN new follows per requester domain and
  STATUSPAGE_INTAKE_FOLLOWS_PER_TOKEN per intake token (or per intake secret) within any hour. A ticket
  beyond either is still suppressed and answered; its requester is not subscribed.
Each refusal is a warning for the intake answer, so the desk (and the console) see why.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text

from ..config import Settings
from ..extensions import db
from ..models import Incident, IntakeFollow
from ..notify.messages import policy
from ..services import subscriptions

WINDOW = timedelta(hours=1)


def follow_for_ticket(email: str, incident: Incident, *, language: str, source: str, settings: Settings,
                      now: datetime) -> dict[str, str] | None:
    """Subscribe a suppressed ticket's requester to its incident, or say why not: None when they follow it
    (now or already), else a {"code", "message"} warning. Runs in the ticket's transaction."""
    why = "The requester was not subscribed to this incident"
    state = subscriptions.ticket_follow_state(email, incident)
    if state == "unsubscribed":
        return {"code": "not_subscribed_unsubscribed",
                "message": f"{why}: the address unsubscribed from our messages before, and a ticket never "
                           "subscribes it again."}
    if state == "follows":
        return None  # nothing new to send to: no share of the limits used
    domain, source = email.rpartition("@")[2].lower(), source[:200]
    refused = _count_follow(domain, source, settings, now)
    if refused == "domain":
        return {"code": "not_subscribed_domain_limit",
                "message": f"{why}: tickets subscribed {settings.intake_follows_per_domain} addresses at "
                           f"{domain} within the last hour, the most we do."}
    if refused == "token":
        return {"code": "not_subscribed_token_limit",
                "message": f"{why}: tickets from this intake token ({source}) subscribed "
                           f"{settings.intake_follows_per_token} addresses within the last hour, the most we do."}
    subscriptions.follow_incident(email, incident, language=language, policy=policy(settings), now=now)
    return None


def _count_follow(domain: str, source: str, settings: Settings, now: datetime) -> str | None:
    """Record one follow for the domain and the source, unless either has used its hour's share: then
    record nothing and return which ("domain" or "token").

    Exact under concurrent tickets: the row is written before counting, so on SQLite (one writer at a
    time) nobody else counts until this transaction ends; PostgreSQL takes a transaction-scoped advisory
    lock per domain and per source first, so two tickets of one domain count one after the other.
    """
    if db.engine.dialect.name == "postgresql":
        for key in sorted({f"intake-follow:domain:{domain}", f"intake-follow:source:{source}"}):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(key)})
    mine = IntakeFollow(domain=domain, source=source, created_at=now)
    db.session.add(mine)
    db.session.flush()
    since = now - WINDOW
    db.session.execute(delete(IntakeFollow).where(IntakeFollow.created_at <= since))
    by_domain = db.session.scalar(select(func.count()).where(IntakeFollow.domain == domain,
                                                             IntakeFollow.created_at > since))
    by_source = db.session.scalar(select(func.count()).where(IntakeFollow.source == source,
                                                             IntakeFollow.created_at > since))
    assert by_domain is not None and by_source is not None     # a count is a row, also of nothing
    refused = "domain" if by_domain > settings.intake_follows_per_domain else \
        "token" if by_source > settings.intake_follows_per_token else None
    if refused is not None:
        db.session.delete(mine)
        db.session.flush()
    return refused


def _lock_key(name: str) -> int:
    """A signed 64-bit number for pg_advisory_xact_lock, from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
