"""The Statuspage-compatible read API under /api/v2: public, cross-origin, cacheable."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Component, ComponentGroup, Incident, IncidentKind, MaintenanceStatus
from ..models.incidents import ACTIVE_MAINTENANCE_STATUSES
from ..services import page, pages
from ..services.components import list_components
from ..serialize import Serializer
from ..web.page_choice import current_page

bp = Blueprint("api_v2", __name__)

RECENT_LIMIT = 50
# Clients expect a time even on a page with nothing on it yet; a fixed one keeps the ETag stable.
EMPTY_PAGE_UPDATED_AT = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_AGE_S = 10


def json_response(payload: dict) -> Response:
    """JSON with an ETag of its bytes; a matching If-None-Match gets 304 without the body."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.make_conditional(request)  # 304 when the client has it; returns the same response
    return response


@bp.after_request
def _cors(response: Response) -> Response:
    """Any site may read the public status (widgets and aggregators call it from browsers)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _serializer() -> Serializer:
    """For the request's page: its URL, zone and components (web/page_choice.py chose it)."""
    on = current_page()
    settings = current_app.config["SETTINGS"]
    if on.is_default and on.shows_all_components and on.limited_to is None and on.url == settings.base_url.rstrip("/"):
        return Serializer(settings, tz=on.tz)  # as before there were pages
    return Serializer(settings, url=on.url, tz=on.tz, shown=pages.page_component_ids(on))


def _page_block(s: Serializer) -> dict:
    """The page, updated when something the public sees last changed: an incident in the console only (one
    suspected from tickets, not published) is not that, nor does it change its components' public status."""
    on = current_page()
    groups = pages.page_group_ids(on)
    group_query = select(func.max(ComponentGroup.updated_at))
    if groups is not None:
        group_query = group_query.where(ComponentGroup.id.in_(groups))
    updated_at = max(filter(None, [
        db.session.scalar(pages.scope_components(select(func.max(Component.updated_at)), on)),
        db.session.scalar(pages.scope_incidents(select(func.max(Incident.updated_at)).where(Incident.is_published),
                                                on)),
        db.session.scalar(group_query),
    ]), default=EMPTY_PAGE_UPDATED_AT)
    return s.page(on.name, updated_at)


def _groups() -> list[ComponentGroup]:
    """The groups of the request's page: those with one of its components."""
    query = select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id)
    shown = pages.page_group_ids(current_page())
    if shown is not None:
        query = query.where(ComponentGroup.id.in_(shown))
    return list(db.session.scalars(query))


def _recent(kind: IncidentKind, statuses=None, limit: int = RECENT_LIMIT, oldest_first: bool = False) -> list[Incident]:
    query = pages.scope_incidents(select(Incident).where(Incident.kind == kind, Incident.is_published)
                                  .options(selectinload(Incident.updates), selectinload(Incident.affected)),
                                  current_page())
    if statuses is not None:
        query = query.where(Incident.status.in_([str(s) for s in statuses]))
    order = Incident.started_at if oldest_first else Incident.started_at.desc()
    return list(db.session.scalars(query.order_by(order, Incident.id.desc()).limit(limit)))


UPCOMING_AND_ACTIVE = [MaintenanceStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES]


@bp.get("/summary.json")
def summary():
    s = _serializer()
    components = list_components(current_page())
    incidents = page.open_incidents(current_page())
    maintenance = _recent(IncidentKind.MAINTENANCE, UPCOMING_AND_ACTIVE, oldest_first=True)
    active = [m for m in maintenance if m.is_active_maintenance]
    return json_response({
        "page": _page_block(s),
        "components": s.components(_groups(), components),
        "incidents": [s.incident(i) for i in incidents],
        "scheduled_maintenances": [s.incident(m) for m in maintenance],
        "status": s.status(page.overall_status(components, incidents + active)),
    })


@bp.get("/status.json")
def status():
    s = _serializer()
    return json_response({"page": _page_block(s), "status": s.status(page.current_status(current_page()))})


@bp.get("/components.json")
def components():
    s = _serializer()
    return json_response({"page": _page_block(s),
                          "components": s.components(_groups(), list_components(current_page()))})


@bp.get("/incidents.json")
def incidents():
    s = _serializer()
    return json_response({"page": _page_block(s),
                          "incidents": [s.incident(i) for i in _recent(IncidentKind.INCIDENT)]})


@bp.get("/incidents/unresolved.json")
def unresolved():
    s = _serializer()
    return json_response({"page": _page_block(s),
                          "incidents": [s.incident(i) for i in page.open_incidents(current_page())]})


@bp.get("/scheduled-maintenances.json")
def scheduled_maintenances():
    return _maintenance_list(None)


@bp.get("/scheduled-maintenances/upcoming.json")
def upcoming_maintenances():
    return _maintenance_list([MaintenanceStatus.SCHEDULED], oldest_first=True)


@bp.get("/scheduled-maintenances/active.json")
def active_maintenances():
    return _maintenance_list(ACTIVE_MAINTENANCE_STATUSES, oldest_first=True)


def _maintenance_list(statuses, oldest_first: bool = False):
    s = _serializer()
    items = _recent(IncidentKind.MAINTENANCE, statuses, oldest_first=oldest_first)
    return json_response({"page": _page_block(s), "scheduled_maintenances": [s.incident(m) for m in items]})
