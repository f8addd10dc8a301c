"""Auto-replies to tickets, in the ticket's language: the incident and its latest status, or the promise.

The desk sends them (they are in the intake hook's answer). They carry Auto-Submitted: auto-replied
(RFC 3834), so a well-behaved mail system never answers them and no mail loop can start.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from ..markup import one_line
from ..models import Incident, Ticket
from . import candidates, customer_link

HEADERS = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}


def reply_for(ticket: Ticket, incident: Incident | None, *, now: datetime | None = None) -> dict[str, Any]:
    """{"language", "subject", "body", "headers"} for a suppressed (incident given) or accepted ticket.

    A suppressed ticket's reply carries the customer's signed "not what I wrote about" link, made at `now`
    (by default the ticket's arrival, which is when intake answers).
    """
    settings = current_app.config["SETTINGS"]
    name = "ticket_suppressed" if incident is not None else "ticket_accepted"
    context = {"ticket": ticket, "incident": incident, "site_name": settings.site_name,
               "incident_url": candidates.reading_page_url(incident) + incident.public_path if incident is not None
               else None,
               "latest": incident.latest_update if incident is not None else None,
               "not_mine_url": customer_link.link_for(ticket, incident, settings=settings,
                                                      now=now or ticket.received_at) if incident is not None else None}
    with force_locale(ticket.language):
        subject = one_line(render_template(f"email/{name}.subject.txt", **context))  # names may hold CR/LF
        body = render_template(f"email/{name}.txt", **context).strip() + "\n"
    return {"language": ticket.language, "subject": subject, "body": body, "headers": dict(HEADERS)}
