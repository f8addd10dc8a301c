"""Status badges: /badge.svg for the page, /components/<slug>/badge.svg for one component."""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from ..services import page
from .page_choice import current_page, page_component

bp = Blueprint("badges", __name__)

# Colours of shields.io's palette; the words say the same, so colour is never the only signal.
COLOURS = {
    "none": "#2e7d32", "operational": "#2e7d32", "minor": "#9a6700", "degraded_performance": "#9a6700",
    "major": "#bc4c00", "partial_outage": "#bc4c00", "critical": "#c62828", "major_outage": "#c62828",
    "maintenance": "#0550ae", "under_maintenance": "#0550ae",
}
MAX_AGE_S = 60
# A badge's words, in lower case as shields.io writes them where the language allows: its own messages, not
# the page's labels lowercased, which would lowercase German nouns ("Teilausfall").
BADGE_WORDS = {
    "none": _l("all systems operational"), "minor": _l("minor service outage"),
    "major": _l("partial system outage"), "critical": _l("major service outage"),
    "maintenance": _l("service under maintenance"),
    "operational": _l("operational"), "degraded_performance": _l("degraded performance"),
    "partial_outage": _l("partial outage"), "major_outage": _l("major outage"),
    "under_maintenance": _l("under maintenance"),
}


def text_width(text: str) -> int:
    """Rough width in pixels of text in 11px Verdana, as shields.io lays out its badges."""
    narrow, wide = set("fijlrtI.,:;!'| "), set("mwMW@%")
    return int(sum(4 if ch in narrow else 10 if ch in wide else 7 for ch in text)) + 10


def badge(label: str, message: str, colour: str) -> Response:
    """An SVG badge, cacheable for a minute, with an ETag of its bytes."""
    svg = render_template("badges/badge.svg", label=label, message=message, colour=colour,
                          label_width=text_width(label), message_width=text_width(message))
    response = Response(svg, mimetype="image/svg+xml")
    response.set_etag(hashlib.sha256(svg.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.make_conditional(request)  # 304 when the client has it; returns the same response
    return response


@bp.get("/badge.svg")
def page_badge():
    status = page.current_status(current_page())
    return badge(_("status"), str(BADGE_WORDS[status.indicator]), COLOURS[status.indicator])


@bp.get("/components/<slug>/badge.svg")
def component_badge(slug: str):
    component = page_component(slug)
    return badge(component.name, str(BADGE_WORDS[component.status.value]), COLOURS[component.status.value])
