"""Zendesk-, Freshdesk- and Zammad-style "ticket created" webhooks, mapped onto the intake hook's request.

Zendesk and Freshdesk send what their admin writes in a webhook template (README: "Connecting a help desk"
has ready-to-paste ones), with placeholders that come out as text: ids, priorities and tags are strings.
Zammad sends its own fixed payload (the ticket with its customer, and the article that triggered it).
Plan, environment and component travel as tags: `plan_professional`, `env_staging`, `component_api`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from ..errors import Invalid

PRIORITY_WORDS = {"urgent": 1, "high": 2, "normal": 3, "medium": 3, "low": 3, "4": 1, "3": 2, "2": 3, "1": 3}
ZENDESK_TOLERANCE_S = 300


def from_zendesk(data: object) -> dict[str, Any]:
    """A Zendesk trigger payload ({"ticket": {...}}) or event payload ({"detail": {...}}) as a contract body."""
    ticket = _object(data, "ticket") or _object(data, "detail")
    if ticket is None:
        raise Invalid("invalid_payload", 'Expected a Zendesk payload: {"ticket": {"id", "subject", "description", '
                                         '"requester": {"email", "name"}, "priority", "tags", "created_at"}}.')
    requester = _object(ticket, "requester") or {}
    return _contract("zendesk", ticket.get("id"), ticket.get("subject"), ticket.get("description"),
                     requester.get("email") or ticket.get("requester_email"),
                     requester.get("name") or ticket.get("requester_name"), ticket.get("priority"),
                     ticket.get("tags"), ticket.get("created_at"))


def from_freshdesk(data: object) -> dict[str, Any]:
    """A Freshdesk automation webhook ({"freshdesk_webhook": {"ticket_id", ...}}, or the same keys unwrapped)."""
    ticket = _object(data, "freshdesk_webhook") or (data if isinstance(data, dict) and "ticket_id" in data else None)
    if ticket is None:
        raise Invalid("invalid_payload", 'Expected a Freshdesk payload: {"freshdesk_webhook": {"ticket_id", '
                                         '"ticket_subject", "ticket_description", "ticket_requester_email", ...}}.')
    return _contract("freshdesk", ticket.get("ticket_id"), ticket.get("ticket_subject"),
                     ticket.get("ticket_description"),
                     ticket.get("ticket_requester_email") or ticket.get("ticket_contact_email"),
                     ticket.get("ticket_requester_name") or ticket.get("ticket_contact_name"),
                     ticket.get("ticket_priority"), ticket.get("ticket_tags"), ticket.get("ticket_created_at"))


def from_zammad(data: object) -> dict[str, Any]:
    """Zammad's webhook payload ({"ticket": {"id", "title", "customer": {...}, "priority": {"name"}, "tags",
    "created_at"}, "article": {"subject", "body"}}) as a contract body."""
    ticket = _object(data, "ticket")
    if ticket is None:
        raise Invalid("invalid_payload", 'Expected a Zammad payload: {"ticket": {"id", "title", "customer": '
                                         '{"email", "firstname", "lastname"}, "priority", "tags"}, "article": {...}}.')
    article = _object(data, "article") or {}
    customer = _object(ticket, "customer") or {}
    name = " ".join(part for part in (customer.get("firstname"), customer.get("lastname"))
                    if isinstance(part, str) and part.strip())
    priority = ticket.get("priority")
    priority = priority.get("name") if isinstance(priority, dict) else priority
    if isinstance(priority, str):  # "1 low", "2 normal", "3 high": the word is what counts
        priority = priority.split()[-1] if priority.split() else ""
    return _contract("zammad", ticket.get("id"), ticket.get("title") or article.get("subject"),
                     article.get("body"), customer.get("email"), name, priority, ticket.get("tags"),
                     ticket.get("created_at"))


def zammad_signature_ok(secret: str, header: str, body: bytes) -> bool:
    """Zammad's webhook signing: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` (it signs no time; a
    replay is a repeat of the same ticket id and gets the first answer)."""
    scheme, _, given = header.strip().partition("=")
    if scheme != "sha1" or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("ascii", "replace"))


def zendesk_signature_ok(secret: str, signature: str, timestamp: str, body: bytes, *, now: datetime) -> bool:
    """Zendesk's own webhook signing: base64 HMAC-SHA256 over timestamp + body; stale timestamps refused."""
    try:
        signed_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        if signed_at.tzinfo is None or abs((now - signed_at).total_seconds()) > ZENDESK_TOLERANCE_S:
            return False
    except ValueError:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode("ascii", "replace"))


def _object(data: object, key: str) -> dict[str, Any] | None:
    """data[key] when data is a JSON object and that is one too (a payload is whatever the desk sent)."""
    return data[key] if isinstance(data, dict) and isinstance(data.get(key), dict) else None


def _contract(desk: str, ticket_id: object, subject: object, body: object, email: object, name: object,
              priority: object, tags: object, created_at: object) -> dict[str, Any]:
    """The contract's body from a payload's values, each of whatever JSON type the desk sent."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, (str, int)) or not str(ticket_id).strip():
        raise Invalid("required", "The ticket's id is required.", field="id")
    words = tags.split() if isinstance(tags, str) else [t for t in tags if isinstance(t, str)] \
        if isinstance(tags, list) else []
    tagged = {word.partition("_")[0]: word.partition("_")[2] for word in words if "_" in word}
    contract: dict[str, Any] = {"external_id": f"{desk}-{str(ticket_id).strip()}", "subject": subject if isinstance(subject, str) else "",
            "body": body if isinstance(body, str) else "",
            "requester": {"email": email, "name": name if isinstance(name, str) else ""},
            "priority": PRIORITY_WORDS.get(str(priority).strip().lower()) if priority not in (None, "") else None,
            "plan": tagged.get("plan"), "environment": tagged.get("env"), "component": tagged.get("component")}
    if isinstance(created_at, str) and created_at.strip():
        contract["created_at"] = created_at.strip()
    return contract
