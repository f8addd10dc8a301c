"""Incidents, their updates, and maintenance (reads: viewer; writes: responder)."""
from __future__ import annotations

from flask import current_app

from ... import clock
from ...errors import Invalid
from ...models import Incident, IncidentKind, MaintenanceStatus, Role
from ...services import incidents as service
from ...serialize import Serializer
from . import blp
from .auth import actor, requires
from .http import check_if_match, etag_of, page_headers
from .schemas import (
    IncidentIn, IncidentListArgs, IncidentOut, IncidentPatch, MaintenanceIn, MaintenanceListArgs, MaintenancePatch,
    MaintenanceUpdateIn, UpdateIn,
)

INCIDENT, MAINTENANCE = IncidentKind.INCIDENT, IncidentKind.MAINTENANCE


def _etag(incident: Incident) -> str:
    return etag_of(incident.kind, incident.id, incident.version)


def _one(incident: Incident):
    incident = service.get_incident(incident.id, incident.kind)
    return Serializer(current_app.config["SETTINGS"]).incident(incident), {"ETag": _etag(incident)}


def _list(kind: IncidentKind, args: dict):
    items, total = service.list_incidents(kind, status=args.get("status"), component=args.get("component"),
                                          page=args["page"], per_page=args["per_page"])
    serializer = Serializer(current_app.config["SETTINGS"])
    return [serializer.incident(i) for i in items], page_headers(total, args["page"], args["per_page"])


@blp.get("/incidents")
@requires(Role.VIEWER)
@blp.arguments(IncidentListArgs, location="query")
@blp.response(200, IncidentOut(many=True))
def list_incidents(args):
    """Incidents, newest first; filter by `status` and by `component` slug."""
    return _list(INCIDENT, args)


@blp.post("/incidents")
@requires(Role.RESPONDER)
@blp.arguments(IncidentIn)
@blp.response(201, IncidentOut)
def create_incident(fields):
    """Open an incident; `components` maps slugs to the status the incident gives them."""
    return _one(service.open_incident(**fields, by=actor(), now=clock.now()))


@blp.get("/incidents/<id:incident_id>")
@requires(Role.VIEWER)
@blp.response(200, IncidentOut)
def get_incident(incident_id):
    """One incident with every update, newest first."""
    return _one(service.get_incident(incident_id))


@blp.patch("/incidents/<id:incident_id>")
@requires(Role.RESPONDER)
@blp.arguments(IncidentPatch)
@blp.response(200, IncidentOut)
def update_incident(fields, incident_id):
    """Change name, impact or status; {"status": "resolved"} resolves it and frees its components.

    Send If-Match with the ETag you read to refuse the write when someone changed it meanwhile (412).
    """
    check_if_match(_etag(service.get_incident(incident_id)))
    return _one(service.edit_incident(incident_id, **fields, by=actor(), now=clock.now()))


@blp.post("/incidents/<id:incident_id>/updates")
@requires(Role.RESPONDER)
@blp.arguments(UpdateIn)
@blp.response(201, IncidentOut)
def create_incident_update(fields, incident_id):
    """Post an update; `components` (optional) changes component statuses."""
    service.post_update(incident_id, **fields, by=actor(), now=clock.now())
    return _one(service.get_incident(incident_id))


@blp.get("/maintenances")
@requires(Role.VIEWER)
@blp.arguments(MaintenanceListArgs, location="query")
@blp.response(200, IncidentOut(many=True))
def list_maintenances(args):
    """Maintenance windows, newest first; filter by `status` and `component`."""
    return _list(MAINTENANCE, args)


@blp.post("/maintenances")
@requires(Role.RESPONDER)
@blp.arguments(MaintenanceIn)
@blp.response(201, IncidentOut)
def create_maintenance(fields):
    """Schedule maintenance; its components show under_maintenance while it is in progress."""
    status = fields.pop("status")
    if status not in service.NEXT_STATUSES[MaintenanceStatus.SCHEDULED]:
        raise Invalid("invalid_transition", f"A new maintenance window is scheduled, in_progress or completed, "
                      f"not {status}.", field="status")
    if "remind_minutes_before" not in fields:
        fields["remind_minutes_before"] = current_app.config["SETTINGS"].maintenance_reminder_minutes or None
    maintenance = service.schedule_maintenance(**fields, by=actor(), now=clock.now())
    if status != "scheduled":
        service.post_update(maintenance.id, status=status, body="", kind=MAINTENANCE,
                            deliver_notifications=fields["deliver_notifications"], by=actor(), now=clock.now())
    return _one(maintenance)


@blp.get("/maintenances/<id:maintenance_id>")
@requires(Role.VIEWER)
@blp.response(200, IncidentOut)
def get_maintenance(maintenance_id):
    """One maintenance window with its updates."""
    return _one(service.get_incident(maintenance_id, MAINTENANCE))


@blp.patch("/maintenances/<id:maintenance_id>")
@requires(Role.RESPONDER)
@blp.arguments(MaintenancePatch)
@blp.response(200, IncidentOut)
def update_maintenance(fields, maintenance_id):
    """Change name, window or status (a new status posts an update with `body`)."""
    check_if_match(_etag(service.get_incident(maintenance_id, MAINTENANCE)))
    return _one(service.edit_incident(maintenance_id, kind=MAINTENANCE, **fields, by=actor(), now=clock.now()))


@blp.post("/maintenances/<id:maintenance_id>/updates")
@requires(Role.RESPONDER)
@blp.arguments(MaintenanceUpdateIn)
@blp.response(201, IncidentOut)
def create_maintenance_update(fields, maintenance_id):
    """Post an update on a maintenance window."""
    service.post_update(maintenance_id, **fields, kind=MAINTENANCE, by=actor(), now=clock.now())
    return _one(service.get_incident(maintenance_id, MAINTENANCE))
