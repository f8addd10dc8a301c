"""Incidents and maintenance windows: open, update, resolve. One set of rules for both kinds."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import selectinload

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import (
    AffectedComponent, Component, ComponentStatus, Impact, Incident, IncidentKind, IncidentStatus,
    IncidentUpdate, MaintenanceStatus, SubscriberIncident, Ticket,
)
from ..models.incidents import CLOSED_STATUSES
from ..config import LANGUAGES
from ..notify import outbox
from ..system_text import incidents as system_text
from . import audit, validate
from .audit import Actor
from .components import recompute_statuses

STATUSES = {IncidentKind.INCIDENT: IncidentStatus, IncidentKind.MAINTENANCE: MaintenanceStatus}
MAX_BODY = 20_000
# A name or body is text, or, when the system writes it (health checks, the ticket intake), the same text in
# every language ({"en": ..., "de": ..., "fr": ...}): the default language's is stored as the text and the
# whole as its translations, so each reader gets their own (system_text.localized).
Text = str | Mapping[str, str]


def _text_and_translations(text: Text) -> tuple[str, dict | None]:
    if isinstance(text, Mapping):
        from ..system_text import default_text

        return default_text(text), dict(text)
    return text, None


def get_incident(incident_id: int, kind: IncidentKind = IncidentKind.INCIDENT) -> Incident:
    """The incident (or maintenance) with its updates and components, or NotFound."""
    incident = get_by_id(Incident, incident_id)
    if incident is None or incident.kind != kind:
        noun = "maintenance" if kind is IncidentKind.MAINTENANCE else "incident"
        raise NotFound(f"{noun}_not_found", f"No {noun} with id {incident_id}.")
    return incident


def open_incident(*, name: Text, status: str = IncidentStatus.INVESTIGATING, impact: str = Impact.MINOR,
                  body: Text, components: dict[str, str] | None = None, started_at: datetime | None = None,
                  published: bool = True, by: Actor, now: datetime) -> Incident:
    """Open an incident with its first message; its components take the statuses given.

    An unpublished incident (suspected from support tickets) shows only in the console: it changes no
    component's public status and tells no subscriber until publish_incident.
    """
    name, name_translations = _text_and_translations(name)
    with transaction():
        incident = Incident(
            kind=IncidentKind.INCIDENT, name=validate.text(name, "name", max_length=200),
            name_translations=name_translations,
            status=IncidentStatus.INVESTIGATING, impact=validate.choice(Impact, impact, "impact"),
            started_at=validate.instant(started_at or now, "started_at"), is_published=published,
            created_at=now, updated_at=now)
        db.session.add(incident)
        db.session.flush()
        _post(incident, status, body, components or {}, by=by, now=now, first=True)
        audit.record(by, "incident.open", incident, summary=incident.name, now=now)
    return incident


def schedule_maintenance(*, name: str, body: str, scheduled_for: datetime, scheduled_until: datetime,
                         components: list[str] | dict | None = None,
                         status: str = MaintenanceStatus.SCHEDULED, by: Actor, now: datetime) -> Incident:
    """Schedule a maintenance window; its components show under_maintenance while it is in progress."""
    with transaction():
        scheduled_for = validate.instant(scheduled_for, "scheduled_for")
        scheduled_until = validate.instant(scheduled_until, "scheduled_until")
        if scheduled_until <= scheduled_for:
            raise Invalid("invalid_window", "scheduled_until must be after scheduled_for.", field="scheduled_until")
        maintenance = Incident(
            kind=IncidentKind.MAINTENANCE, name=validate.text(name, "name", max_length=200),
            status=MaintenanceStatus.SCHEDULED, impact=Impact.NONE,
            started_at=scheduled_for, scheduled_for=scheduled_for, scheduled_until=scheduled_until,
            created_at=now, updated_at=now)
        db.session.add(maintenance)
        db.session.flush()
        slugs = components.keys() if isinstance(components, dict) else (components or [])
        _post(maintenance, status, body, {slug: ComponentStatus.UNDER_MAINTENANCE for slug in slugs},
              by=by, now=now, first=True)
        audit.record(by, "maintenance.schedule", maintenance, summary=maintenance.name, now=now)
    return maintenance


def post_update(incident_id: int, *, status: str, body: Text, components: dict[str, str] | None = None,
                kind: IncidentKind = IncidentKind.INCIDENT, by: Actor, now: datetime) -> IncidentUpdate:
    """Post an update, possibly changing the status and the components' statuses."""
    with transaction():
        incident = get_incident(incident_id, kind)
        update = _post(incident, status, body, components or {}, by=by, now=now)
        audit.record(by, f"{kind.value}.update", incident, summary=f"{update.status}: {update.body[:200]}", now=now)
    return update


def resolve_incident(incident_id: int, message: str, *, by: Actor, now: datetime) -> Incident:
    """Resolve an incident and give its components their status back (unless another incident holds them)."""
    post_update(incident_id, status=IncidentStatus.RESOLVED, body=message, by=by, now=now)
    return get_incident(incident_id)


def edit_incident(incident_id: int, *, kind: IncidentKind = IncidentKind.INCIDENT, by: Actor, now: datetime,
                  **changes) -> Incident:
    """Change the name, impact or schedule; a new status posts an update without a message."""
    with transaction():
        incident = get_incident(incident_id, kind)
        if "name" in changes:
            name = validate.text(changes["name"], "name", max_length=200)
            if name != incident.name:  # a person's words now: the same in every language
                incident.name, incident.name_translations = name, None
        if "impact" in changes and kind is IncidentKind.INCIDENT:
            incident.impact = validate.choice(Impact, changes["impact"], "impact")
        if kind is IncidentKind.MAINTENANCE and ({"scheduled_for", "scheduled_until"} & changes.keys()):
            starts = validate.instant(changes.get("scheduled_for", incident.scheduled_for), "scheduled_for")
            ends = validate.instant(changes.get("scheduled_until", incident.scheduled_until), "scheduled_until")
            if ends <= starts:
                raise Invalid("invalid_window", "scheduled_until must be after scheduled_for.",
                              field="scheduled_until")
            incident.scheduled_for, incident.scheduled_until, incident.started_at = starts, ends, starts
        incident.updated_at = now
        if changes.get("status") and changes["status"] != incident.status:
            _post(incident, changes["status"], changes.get("body", ""), {}, by=by, now=now)
        audit.record(by, f"{kind.value}.edit", incident, summary=incident.name,
                     details={key: str(value) for key, value in changes.items()}, now=now)
    return incident


def publish_incident(incident_id: int, *, by: Actor, now: datetime) -> Incident:
    """Publish a suspected incident: its components take their statuses and subscribers hear of it."""
    with transaction():
        incident = get_incident(incident_id)
        if incident.is_published:
            raise Conflict("already_published", "This incident is public already.")
        incident.is_published = True
        latest = incident.latest_update
        _post(incident, incident.status, (latest.body_translations or latest.body) if latest else "",
              {link.component.slug: link.status.value for link in incident.affected}, by=by, now=now)
        audit.record(by, "incident.publish", incident, summary=incident.name, now=now)
    return incident


def suspected_incidents() -> list[Incident]:
    """Open incidents suspected from support tickets and not yet published: the console's to decide."""
    return list(db.session.scalars(
        select(Incident).where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published.is_(False))
        .where(Incident.status.not_in([s.value for s in CLOSED_STATUSES])).order_by(Incident.started_at.desc())))


def open_incident_on(component_id: int, *, published: bool | None = None) -> Incident | None:
    """The oldest open incident touching a component: a new failure joins it.

    `published=True` counts only public incidents (what a health check may join: a suspected incident
    must never swallow a confirmed outage), `False` only suspected ones, None either.
    """
    query = (select(Incident).join(AffectedComponent).where(AffectedComponent.component_id == component_id)
             .where(Incident.kind == IncidentKind.INCIDENT)
             .where(Incident.status.not_in([s.value for s in CLOSED_STATUSES])))
    if published is not None:
        query = query.where(Incident.is_published.is_(published))
    return db.session.scalar(query.order_by(Incident.started_at, Incident.id).limit(1))


def merge_suspected(suspected: Incident, into: Incident, *, by: Actor, now: datetime) -> None:
    """Close a suspected (unpublished) incident into the public one that now covers the same outage.

    A health check that confirms an outage opens its own public incident, and a suspected incident on the
    same component goes into it, rather than being published itself: the public words, impact and
    component status then come from the evidence (the check's failure), and nothing written for the
    console alone is published by accident. Nothing is lost: the suspected incident stays in the console,
    resolved with an update naming the incident it went into; its linked tickets ("N customers affected")
    and anyone following it move to that incident. Being unpublished, its resolution tells nobody.
    """
    with transaction():
        if suspected.is_published or suspected.is_closed or suspected.id == into.id:
            return
        moved = db.session.execute(update(Ticket).where(Ticket.incident_id == suspected.id)
                                   .values(incident_id=into.id)).rowcount
        already = select(SubscriberIncident.subscriber_id).where(SubscriberIncident.incident_id == into.id)
        db.session.execute(insert(SubscriberIncident).from_select(
            ["subscriber_id", "incident_id"],
            select(SubscriberIncident.subscriber_id, literal(into.id))
            .where(SubscriberIncident.incident_id == suspected.id, SubscriberIncident.subscriber_id.not_in(already))))
        _post(suspected, IncidentStatus.RESOLVED, system_text.merged_body(
            into.id, into.name_translations or dict.fromkeys(LANGUAGES, into.name), by.label, moved), {},
              by=by, now=now)
        audit.record(by, "incident.merge", suspected, summary=f"into incident {into.id}: {into.name}"[:2000],
                     details={"into": into.id, "tickets": moved}, now=now)


def advance_maintenance(*, now: datetime, by: Actor) -> list[Incident]:
    """Start maintenance whose window has begun and complete what has ended; returns what moved."""
    moved = []
    with transaction():
        due = db.session.scalars(
            select(Incident).where(Incident.kind == IncidentKind.MAINTENANCE)
            .where(Incident.status.in_([MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS]))
            .where(Incident.scheduled_for <= now))
        for maintenance in due:
            if maintenance.scheduled_until <= now:
                _post(maintenance, MaintenanceStatus.COMPLETED, "", {}, by=by, now=now)
            elif maintenance.status == MaintenanceStatus.SCHEDULED:
                _post(maintenance, MaintenanceStatus.IN_PROGRESS, "", {}, by=by, now=now)
            else:
                continue
            audit.record(by, "maintenance.advance", maintenance, summary=maintenance.status, now=now)
            moved.append(maintenance)
    return moved


def _post(incident: Incident, status: str, body: Text, components: dict[str, str], *, by: Actor,
          now: datetime, first: bool = False) -> IncidentUpdate:
    """The one path every update takes: check the move, set component links, recompute, record."""
    new_status = validate.choice(STATUSES[incident.kind], status, "status")
    body, body_translations = _text_and_translations(body)
    body = validate.text(body, "body", max_length=MAX_BODY, required=False)
    if incident.is_closed and not first and new_status not in (IncidentStatus.POSTMORTEM, IncidentStatus.RESOLVED):
        raise Conflict("already_closed", "This is closed already; it cannot be reopened.", field="status")
    links = {link.component_id: link for link in incident.affected}
    wanted = _components_by_slug(components)
    for component, component_status in wanted:
        if component.id in links:
            links[component.id].status = component_status
        else:
            link = AffectedComponent(component=component, status=component_status)
            incident.affected.append(link)
            links[component.id] = link
    incident.status = new_status
    if new_status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if new_status in (IncidentStatus.RESOLVED, MaintenanceStatus.COMPLETED) and incident.resolved_at is None:
        incident.resolved_at = now
    incident.updated_at = now
    changed = recompute_statuses([link.component for link in incident.affected], now=now)
    update = IncidentUpdate(
        status=new_status, body=body, body_translations=body_translations, created_at=now, author_id=by.user_id,
        author_name=by.label,
        affected_components=[
            {"code": str(link.component.id), "name": link.component.name,
             "old_status": changed[link.component_id][0].value, "new_status": changed[link.component_id][1].value}
            for link in incident.affected if link.component_id in changed] or None)
    incident.updates.insert(0, update)
    db.session.flush()
    # Subscribers hear of exactly what is stored: their deliveries commit or roll back with the update.
    outbox.queue_update(update, [link.component_id for link in incident.affected], now=now)
    return update


def _components_by_slug(components: dict[str, str]) -> list[tuple[Component, ComponentStatus]]:
    if not isinstance(components, dict):
        raise Invalid("invalid_type", "components must map component slugs to statuses.", field="components")
    if not components:
        return []
    found = {c.slug: c for c in db.session.scalars(select(Component).where(Component.slug.in_(list(components))))}
    unknown = sorted(set(components) - set(found))
    if unknown:
        raise Invalid("unknown_component", f"Unknown component: {', '.join(map(str, unknown))}.", field="components")
    return [(found[slug], validate.choice(ComponentStatus, status, f"components.{slug}"))
            for slug, status in components.items()]


def list_incidents(kind: IncidentKind, *, status: str | None = None, component: str | None = None,
                   page: int = 1, per_page: int = 50) -> tuple[list[Incident], int]:
    """One page of incidents (or maintenance), newest first, optionally of one status or component."""
    query = select(Incident).where(Incident.kind == kind)
    if status:
        query = query.where(Incident.status == validate.choice(STATUSES[kind], status, "status"))
    if component:
        if not validate.SLUG.match(component):
            return [], 0  # no component has such a slug (and a NUL byte must not reach PostgreSQL)
        component_id = db.session.scalar(select(Component.id).where(Component.slug == component))
        if component_id is None:
            return [], 0
        query = query.where(Incident.affected.any(AffectedComponent.component_id == component_id))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(
        query.options(selectinload(Incident.updates), selectinload(Incident.affected))
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return list(items), total
