"""Incidents and maintenance windows: open, update, resolve. One set of rules for both kinds."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, literal, or_, select, update
from sqlalchemy.orm import selectinload

from ..database import get_by_id, transaction
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import (
    AffectedComponent, Component, ComponentStatus, Impact, Incident, IncidentKind, IncidentStatus,
    IncidentUpdate, MaintenanceStatus, SubscriberIncident, Ticket,
)
from ..config import LANGUAGES
from ..notify import desk_writes, outbox
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


def _text_and_translations(text: Text) -> tuple[str, dict[str, str] | None]:
    if isinstance(text, Mapping):
        from ..system_text import default_text

        return default_text(text), dict(text)
    return text, None
LONGEST_REMINDER = timedelta(days=7)  # a reminder at most this long before a window starts

_OPEN_INCIDENT = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING,
                  IncidentStatus.RESOLVED)
_STARTED_MAINTENANCE = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING, MaintenanceStatus.COMPLETED)
# The statuses an update may give, by the status it has now. An open incident moves freely between the open
# statuses (a fix that did not hold goes back to "identified") or resolves; a resolved one takes further
# notes and its postmortem, and is never reopened. A maintenance window never goes back to "scheduled" once
# it has started.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(_OPEN_INCIDENT[:3], _OPEN_INCIDENT),
    IncidentStatus.RESOLVED: (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM),
    IncidentStatus.POSTMORTEM: (IncidentStatus.POSTMORTEM,),
    MaintenanceStatus.SCHEDULED: (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS,
                                  MaintenanceStatus.COMPLETED),
    MaintenanceStatus.IN_PROGRESS: _STARTED_MAINTENANCE,
    MaintenanceStatus.VERIFYING: _STARTED_MAINTENANCE,
    MaintenanceStatus.COMPLETED: (MaintenanceStatus.COMPLETED,),
}


def next_statuses(incident: Incident) -> tuple[str, ...]:
    """The statuses an update on this incident (or maintenance) may give it, in their usual order."""
    return NEXT_STATUSES[incident.status]


def get_incident(incident_id: int, kind: IncidentKind = IncidentKind.INCIDENT) -> Incident:
    """The incident (or maintenance) with its updates and components, or NotFound."""
    incident = get_by_id(Incident, incident_id)
    if incident is None or incident.kind != kind:
        noun = "maintenance" if kind is IncidentKind.MAINTENANCE else "incident"
        raise NotFound(f"{noun}_not_found", f"No {noun} with id {incident_id}.")
    return incident


def open_incident(*, name: Text, status: str = IncidentStatus.INVESTIGATING, impact: str = Impact.MINOR,
                  body: Text, components: dict[str, str] | None = None, started_at: datetime | None = None,
                  published: bool = True, deliver_notifications: bool = True, by: Actor,
                  now: datetime) -> Incident:
    """Open an incident with its first message; its components take the statuses given. Subscribers hear
    of it unless deliver_notifications is false.

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
        update = _post(incident, status, body, components or {}, by=by, now=now, first=True,
                       notify=deliver_notifications)
        audit.record(by, "incident.open", incident, summary=incident.name,
                     details=_update_details(update), now=now)
    return incident


def schedule_maintenance(*, name: str, body: str, scheduled_for: datetime, scheduled_until: datetime,
                         components: list[str] | dict[str, str] | None = None,
                         status: str = MaintenanceStatus.SCHEDULED, deliver_notifications: bool = True,
                         remind_minutes_before: int | None = None, notify_at_start: bool = True,
                         notify_at_end: bool = True, by: Actor, now: datetime) -> Incident:
    """Schedule a maintenance window; its components show under_maintenance while it is in progress.

    A window that has ended already is refused. Subscribers hear of it now (unless deliver_notifications is
    false), get a reminder `remind_minutes_before` its start (none when None), and hear of its start and its
    end when the scheduler moves it on (notify_at_start, notify_at_end). A reminder that would fall before
    now is covered by the announcement itself and is not sent again.
    """
    with transaction():
        scheduled_for = validate.instant(scheduled_for, "scheduled_for")
        scheduled_until = validate.instant(scheduled_until, "scheduled_until")
        if scheduled_until <= scheduled_for:
            raise Invalid("invalid_window", "scheduled_until must be after scheduled_for.", field="scheduled_until")
        if scheduled_until <= now:
            raise Invalid("window_in_past", "This window has ended already: scheduled_until must be in the "
                          "future.", field="scheduled_until")
        maintenance = Incident(
            kind=IncidentKind.MAINTENANCE, name=validate.text(name, "name", max_length=200),
            status=MaintenanceStatus.SCHEDULED, impact=Impact.NONE,
            started_at=scheduled_for, scheduled_for=scheduled_for, scheduled_until=scheduled_until,
            remind_minutes_before=_reminder(remind_minutes_before),
            notify_at_start=validate.boolean(notify_at_start, "notify_at_start"),
            notify_at_end=validate.boolean(notify_at_end, "notify_at_end"),
            created_at=now, updated_at=now)
        notify = validate.boolean(deliver_notifications, "deliver_notifications")
        if notify and maintenance.remind_minutes_before is not None and \
                scheduled_for - timedelta(minutes=maintenance.remind_minutes_before) <= now:
            maintenance.reminded_at = now
        db.session.add(maintenance)
        db.session.flush()
        slugs = components.keys() if isinstance(components, dict) else (components or [])
        update = _post(maintenance, status, body, {slug: ComponentStatus.UNDER_MAINTENANCE for slug in slugs},
                       by=by, now=now, first=True, notify=notify)
        audit.record(by, "maintenance.schedule", maintenance, summary=maintenance.name,
                     details=_update_details(update), now=now)
    return maintenance


def _reminder(minutes: object) -> int | None:
    if minutes is None:
        return None
    checked = validate.integer(minutes, "remind_minutes_before")
    if not 1 <= checked <= LONGEST_REMINDER.total_seconds() // 60:
        raise Invalid("invalid_reminder", "remind_minutes_before must be from 1 to 10080 minutes (a week), "
                      "or null for no reminder.", field="remind_minutes_before")
    return checked


def _update_details(update: IncidentUpdate) -> dict[str, object]:
    """What the audit log keeps of an update: its status, and whether subscribers were told."""
    return {"status": update.status, "deliver_notifications": update.deliver_notifications}


def post_update(incident_id: int, *, status: str, body: Text, components: dict[str, str] | None = None,
                kind: IncidentKind = IncidentKind.INCIDENT, deliver_notifications: bool = True, by: Actor,
                now: datetime) -> IncidentUpdate:
    """Post an update, possibly changing the status and the components' statuses; subscribers hear of it
    unless deliver_notifications is false (then nothing is queued for it)."""
    with transaction():
        incident = get_incident(incident_id, kind)
        update = _post(incident, status, body, components or {}, by=by, now=now,
                       notify=validate.boolean(deliver_notifications, "deliver_notifications"))
        audit.record(by, f"{kind.value}.update", incident, summary=f"{update.status}: {update.body[:200]}",
                     details=_update_details(update), now=now)
    return update


def resolve_incident(incident_id: int, message: str, *, deliver_notifications: bool = True, by: Actor,
                     now: datetime) -> Incident:
    """Resolve an incident and give its components their status back (unless another incident holds them)."""
    post_update(incident_id, status=IncidentStatus.RESOLVED, body=message,
                deliver_notifications=deliver_notifications, by=by, now=now)
    return get_incident(incident_id)


def edit_incident(incident_id: int, *, kind: IncidentKind = IncidentKind.INCIDENT, by: Actor, now: datetime,
                  **changes: Any) -> Incident:  # as the API or a form sent them: each is checked where used
    """Change the name, impact or schedule (and a maintenance window's reminder and start and end
    notifications); a new status posts an update with `body`, told to subscribers unless
    deliver_notifications is false."""
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
            if starts != incident.scheduled_for:
                incident.reminded_at = None  # moved: the reminder is due again before the new start
            incident.scheduled_for, incident.scheduled_until, incident.started_at = starts, ends, starts
        if kind is IncidentKind.MAINTENANCE:
            if "remind_minutes_before" in changes:
                incident.remind_minutes_before = _reminder(changes["remind_minutes_before"])
            for flag in ("notify_at_start", "notify_at_end"):
                if flag in changes:
                    setattr(incident, flag, validate.boolean(changes[flag], flag))
        incident.updated_at = now
        if changes.get("status") and changes["status"] != incident.status:
            _post(incident, changes["status"], changes.get("body", ""), {}, by=by, now=now,
                  notify=validate.boolean(changes.get("deliver_notifications", True), "deliver_notifications"))
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


def dismiss_incident(incident_id: int, *, reason: str = "", by: Actor, now: datetime) -> Incident:
    """Dismiss a suspected incident: not an outage after all. It is closed without ever being published (so
    nobody is told, and no component changed); it stays in the console, and its tickets stay in the queue,
    linked to it, so the same reports do not raise it again."""
    with transaction():
        incident = get_incident(incident_id)
        if incident.is_published:
            raise Conflict("already_published", "This incident is public: resolve it instead.")
        if incident.is_closed:
            raise Conflict("already_closed", "This is closed already; it cannot be reopened.")
        reason = validate.text(reason, "reason", max_length=2000, required=False)
        _post(incident, IncidentStatus.RESOLVED, reason or "Dismissed: not an outage.", {}, by=by, now=now,
              notify=False)
        audit.record(by, "incident.dismiss", incident, summary=incident.name, now=now)
    return incident


def send_maintenance_reminders(*, now: datetime, by: Actor) -> list[Incident]:
    """Queue the reminder of every scheduled window whose reminder time has come (once each, through the
    outbox, to everyone its updates reach); returns the windows reminded of. A window that has started
    without its reminder (the scheduler was down) gets none: its start says more."""
    reminded = []
    with transaction():
        due = db.session.scalars(
            select(Incident).where(Incident.kind == IncidentKind.MAINTENANCE,
                                   Incident.status == MaintenanceStatus.SCHEDULED, Incident.is_published,
                                   Incident.remind_minutes_before.is_not(None), Incident.reminded_at.is_(None),
                                   Incident.scheduled_for > now, Incident.scheduled_for <= now + LONGEST_REMINDER)
            .order_by(Incident.scheduled_for, Incident.id))
        for maintenance in due:
            assert maintenance.scheduled_for is not None and maintenance.remind_minutes_before is not None  # queried so
            if maintenance.scheduled_for - timedelta(minutes=maintenance.remind_minutes_before) > now:
                continue
            maintenance.reminded_at = now
            outbox.queue_reminder(maintenance, [link.component_id for link in maintenance.affected], now=now)
            audit.record(by, "maintenance.remind", maintenance, summary=maintenance.name, now=now)
            reminded.append(maintenance)
    return reminded


def suspected_incidents() -> list[Incident]:
    """Open incidents suspected from support tickets and not yet published: the console's to decide."""
    return list(db.session.scalars(
        select(Incident).where(Incident.kind == IncidentKind.INCIDENT, Incident.is_published.is_(False))
        .where(Incident.unclosed()).order_by(Incident.started_at.desc())))


def open_incident_on(component_id: int, *, published: bool | None = None) -> Incident | None:
    """The oldest open incident touching a component: a new failure joins it.

    `published=True` counts only public incidents (what a health check may join: a suspected incident
    must never swallow a confirmed outage), `False` only suspected ones, None either.
    """
    query = (select(Incident).join(AffectedComponent).where(AffectedComponent.component_id == component_id)
             .where(Incident.kind == IncidentKind.INCIDENT)
             .where(Incident.unclosed()))
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
        # an UPDATE's result is a CursorResult, which has rowcount; Session.execute is typed to return a Result
        moved = db.session.execute(  # type: ignore[attr-defined]
            update(Ticket).where(Ticket.incident_id == suspected.id).values(incident_id=into.id)).rowcount
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
            assert maintenance.scheduled_until is not None, "a maintenance window has a schedule"
            if maintenance.scheduled_until <= now:
                _post(maintenance, MaintenanceStatus.COMPLETED, "", {}, by=by, now=now,
                      notify=maintenance.notify_at_end)
            elif maintenance.status == MaintenanceStatus.SCHEDULED:
                _post(maintenance, MaintenanceStatus.IN_PROGRESS, "", {}, by=by, now=now,
                      notify=maintenance.notify_at_start)
            else:
                continue
            audit.record(by, "maintenance.advance", maintenance, summary=maintenance.status, now=now)
            moved.append(maintenance)
    return moved


def _post(incident: Incident, status: str, body: Text, components: dict[str, str], *, by: Actor,
          now: datetime, first: bool = False, notify: bool = True) -> IncidentUpdate:
    """The one path every update takes: check the move, set component links, recompute, record, and queue
    the subscribers' notifications unless `notify` is false."""
    new_status = validate.choice(STATUSES[incident.kind], status, "status")
    body, body_translations = _text_and_translations(body)
    body = validate.text(body, "body", max_length=MAX_BODY, required=False)
    if not first and new_status not in next_statuses(incident):
        if incident.is_closed:
            raise Conflict("already_closed", "This is closed already; it cannot be reopened.", field="status")
        article = "An" if incident.kind.value[0] in "aeiou" else "A"
        raise Conflict("invalid_transition", f"{article} {incident.kind.value} that is {incident.status} cannot become "
                       f"{new_status}; it can become: {', '.join(next_statuses(incident))}.", field="status")
    was_closed = incident.is_closed
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
        author_name=by.label, deliver_notifications=notify, affected_components=[
            {"code": str(link.component.id), "name": link.component.name,
             "old_status": changed[link.component_id].old.value, "new_status": changed[link.component_id].new.value}
            for link in incident.affected if link.component_id in changed] or None)
    incident.updates.insert(0, update)
    db.session.flush()
    # Subscribers hear of exactly what is stored: their deliveries commit or roll back with the update.
    if notify:
        outbox.queue_update(update, [link.component_id for link in incident.affected], now=now)
    if incident.is_closed and not was_closed:  # the desks' tickets about it are answered and solved
        desk_writes.queue_resolved(incident, update, now=now)
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
                   impact: str | None = None, state: str | None = None, started_from: datetime | None = None,
                   started_before: datetime | None = None, search: str | None = None,
                   published: bool | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Incident], int]:
    """One page of incidents (or maintenance), newest first, with their updates and components.

    Filters (all optional, combined): one status; `state` "open" or "closed"; one impact; one component
    slug; started in [started_from, started_before); `search` in the title or any update's text;
    published or not (suspected from tickets).
    """
    query = select(Incident).where(Incident.kind == kind)
    if published is not None:
        query = query.where(Incident.is_published.is_(published))
    if status:
        query = query.where(Incident.status == validate.choice(STATUSES[kind], status, "status"))
    if state in ("open", "closed"):
        query = query.where(~Incident.unclosed() if state == "closed" else Incident.unclosed())
    if impact:
        query = query.where(Incident.impact == validate.choice(Impact, impact, "impact"))
    if component:
        if not validate.SLUG.match(component):
            return [], 0  # no component has such a slug (and a NUL byte must not reach PostgreSQL)
        component_id = db.session.scalar(select(Component.id).where(Component.slug == component))
        if component_id is None:
            return [], 0
        query = query.where(Incident.affected.any(AffectedComponent.component_id == component_id))
    if started_from is not None:
        query = query.where(Incident.started_at >= started_from)
    if started_before is not None:
        query = query.where(Incident.started_at < started_before)
    words = (search or "").replace("\x00", "").strip().lower()[:200]
    if words:
        query = query.where(or_(
            func.lower(Incident.name).contains(words, autoescape=True),
            Incident.updates.any(func.lower(IncidentUpdate.body).contains(words, autoescape=True))))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = db.session.scalars(
        query.options(selectinload(Incident.updates), selectinload(Incident.affected))
        .order_by(Incident.started_at.desc(), Incident.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return list(items), total
