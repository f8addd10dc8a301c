"""The customer's link in a suppressed ticket's auto-reply: "this is not what I wrote about".

GET shows what the link would do, with a button; only the POST changes anything, so a mail scanner that
fetches every link in a message changes nothing. The signed link authorizes the POST instead of a CSRF token
(as for the one-click unsubscribe): it is the secret, and it can only undo its own ticket's link. The pages
speak the ticket's language unless the reader picks another, and are never cached.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import refresh

from .. import clock
from ..errors import NotFound
from ..extensions import csrf, db
from ..models import Incident
from ..support import customer_link, queue

bp = Blueprint("tickets", __name__)


@bp.route(f"{customer_link.PATH}<token>", methods=["GET", "POST"])
@csrf.exempt  # authorized by the signed link, which names the ticket and the incident
def not_mine(token: str):
    settings = current_app.config["SETTINGS"]
    try:
        ticket_id, incident_id = customer_link.read(token, secret_key=settings.secret_key, now=clock.now())
        ticket = queue.get_ticket(ticket_id)
    except (customer_link.LinkInvalid, customer_link.LinkExpired, NotFound) as error:
        return _page("broken", problem=error.code, status=error.status)
    if request.args.get("lang") not in settings.languages and ticket.language in settings.languages:
        g.lang = ticket.language
        refresh()
    if request.method == "POST":
        ticket, changed = queue.not_mine(ticket.id, incident_id, now=clock.now())
        state = "done" if changed else queue.not_mine_state(ticket, incident_id)
    else:
        state = queue.not_mine_state(ticket, incident_id)
    return _page(state, ticket=ticket, incident=db.session.get(Incident, incident_id))


def _page(state: str, *, status: int = 200, **context):
    response = current_app.make_response((render_template("public/ticket_not_mine.html", state=state,
                                                          link_days=customer_link.LINK_DAYS, **context), status))
    response.headers["Cache-Control"] = "no-store"  # one customer's page, and it changes when they press
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the key: it goes nowhere else
    return response
