"""Alerts received from Alertmanager and Grafana, newest first: what each said and what it did to incidents."""
from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select

from ...extensions import db
from ...models import Incident
from ...monitoring import alerts
from . import bp

PER_PAGE = 50


@bp.get("/alerts")
def alerts_received():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    incident_id = request.args.get("incident", type=int)
    if incident_id is not None and not 0 < incident_id < 2**31:
        abort(404)  # no incident has such an id (and the database would not take the number)
    rows, has_more = alerts.received(page=page, per_page=PER_PAGE, incident_id=incident_id)
    ids = {row.incident_id for row in rows if row.incident_id is not None} | ({incident_id} - {None})
    by_id = {item.id: item for item in db.session.scalars(select(Incident).where(Incident.id.in_(ids)))}
    return render_template("admin/alerts.html", rows=rows, incidents=by_id, page=page, has_more=has_more,
                           incident=by_id.get(incident_id) if incident_id is not None else None,
                           incident_id=incident_id)
