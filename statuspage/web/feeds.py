"""/feed.rss, /feed.atom, the maintenance calendars (.ics) and the per-component feeds, with ETag,
Last-Modified and 304s."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, request
from werkzeug.wrappers import Response as ResponseBase
from flask_babel import gettext as _

from .. import clock
from ..calendars import CalendarInfo, build_calendar, calendar_windows
from ..feeds import FeedInfo, build_feed, latest_updates
from ..i18n import INCIDENT_STATUS_LABELS, current_language
from ..models import Incident, IncidentKind, IncidentUpdate
from ..services.incidents import get_incident
from ..system_text import localized
from .page_choice import absolute_url, current_page, page_component, shown_here, shown_incident

bp = Blueprint("feeds", __name__)

MIMETYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
MAX_AGE_S = 60
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _absolute(endpoint: str, **values) -> str:
    return absolute_url(endpoint, **values)


def _entry_url(update: IncidentUpdate) -> str:
    return f"{current_page().url}{update.incident.public_path}#update-{update.id}"


def _entry_title(update: IncidentUpdate) -> str:
    """Says what, how it stands, and which components: "Dashboard down: Identified (Dashboard, Sign-in)"."""
    incident = update.incident
    title = f"{localized(incident)}: {INCIDENT_STATUS_LABELS[update.status]}"
    names = ", ".join(link.component.name for link in shown_here(incident.affected))
    return f"{title} ({names})" if names else title


def _respond(info: FeedInfo, updates: list[IncidentUpdate], fmt: str) -> Response:
    body = build_feed(info, updates, entry_title=_entry_title, entry_url=_entry_url, fmt=fmt,
                      empty_updated_at=NEVER)
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = updates[0].created_at if updates else NEVER
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.make_conditional(request)  # 304 when the client has it; returns the same response
    return response


@bp.get("/feed.<any(rss, atom):fmt>")
def site_feed(fmt: str):
    on = current_page()
    info = FeedInfo(title=_("%(site)s: incidents and maintenance", site=on.name),
                    page_url=_absolute("public.index"), feed_url=_absolute("feeds.site_feed", fmt=fmt),
                    language=current_language())
    return _respond(info, latest_updates(page=on), fmt)


@bp.get("/components/<slug>/feed.<any(rss, atom):fmt>")
def component_feed(slug: str, fmt: str):
    component = page_component(slug)
    info = FeedInfo(title=_("%(site)s: %(component)s", site=current_page().name, component=component.name),
                    page_url=_absolute("public.component", slug=slug),
                    feed_url=_absolute("feeds.component_feed", slug=slug, fmt=fmt), language=current_language())
    return _respond(info, latest_updates(component), fmt)


def _calendar(info: CalendarInfo, windows: list[Incident], filename: str) -> ResponseBase:
    body = build_calendar(info, windows)
    response = Response(body, mimetype="text/calendar")  # Flask adds charset=utf-8, as RFC 5545 wants
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = max((window.updated_at for window in windows), default=NEVER)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response.make_conditional(request)


def _calendar_info(name: str) -> CalendarInfo:
    return CalendarInfo(name=name, host=current_app.config["SETTINGS"].host, base_url=current_page().url)


@bp.get("/maintenance.ics")
def maintenance_calendar():
    """Upcoming and in-progress maintenance as an iCalendar feed, to subscribe to in a calendar."""
    on = current_page()
    name = _("%(site)s: maintenance", site=on.name)
    return _calendar(_calendar_info(name), calendar_windows(now=clock.now(), page=on), "maintenance.ics")


@bp.get("/components/<slug>/maintenance.ics")
def component_maintenance_calendar(slug: str):
    component = page_component(slug)
    name = _("%(site)s: maintenance of %(component)s", site=current_page().name, component=component.name)
    return _calendar(_calendar_info(name), calendar_windows(component, now=clock.now()),
                     f"{slug}-maintenance.ics")


@bp.get("/maintenance/<id:maintenance_id>.ics")
def maintenance_event(maintenance_id: int):
    """One window ("Add to calendar"): the same event, by UID, as in the feeds."""
    window = shown_incident(get_incident(maintenance_id, IncidentKind.MAINTENANCE), published_only=False)
    return _calendar(_calendar_info(localized(window)), [window], f"maintenance-{maintenance_id}.ics")
