"""Queue deliveries as outbox rows, in the transaction of the change that causes them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, exists, insert, literal, null, or_, select

from ..extensions import db
from ..models import (
    DeliveryStatus, Incident, IncidentUpdate, Notification, NotificationKind, Subscriber, SubscriberComponent,
    SubscriberIncident,
)


def queue_update(update: IncidentUpdate, component_ids: list[int], *, now: datetime) -> None:
    """One notification per confirmed subscriber who follows everything, one of these components, or
    this very incident. Nothing for an incident not yet published (suspected from tickets): it is told
    when an engineer publishes it.

    "Everything" is no component chosen by someone who subscribed themselves; a support ticket's
    follower (incidents_only) hears of its incidents alone, also once it follows none any more.

    A single INSERT ... SELECT, so ten thousand subscribers cost one statement, not ten thousand.
    """
    if not update.incident.is_published:
        return
    _queue_for_audience(NotificationKind.UPDATE, update.incident_id, component_ids, update_id=update.id, now=now)


def queue_reminder(maintenance: Incident, component_ids: list[int], *, now: datetime) -> None:
    """A maintenance window starts soon: one reminder to everyone its updates reach (as queue_update)."""
    if not maintenance.is_published:
        return
    _queue_for_audience(NotificationKind.REMINDER, maintenance.id, component_ids, incident_id=maintenance.id,
                        now=now)


def _queue_for_audience(kind: NotificationKind, about_incident: int, component_ids: list[int], *,
                        update_id: int | None = None, incident_id: int | None = None, now: datetime) -> None:
    follows_components = exists().where(SubscriberComponent.subscriber_id == Subscriber.id)
    follows_these = exists().where(SubscriberComponent.subscriber_id == Subscriber.id,
                                   SubscriberComponent.component_id.in_(component_ids or [-1]))
    follows_this_incident = exists().where(SubscriberIncident.subscriber_id == Subscriber.id,
                                           SubscriberIncident.incident_id == about_incident)
    chosen = select(
        Subscriber.id, literal(kind.value), _id_or_null(update_id), _id_or_null(incident_id),
        literal(DeliveryStatus.PENDING.value), literal(0), literal(now, Notification.next_attempt_at.type),
        literal(now, Notification.created_at.type), literal(""),
    ).where(Subscriber.confirmed_at.is_not(None),
            or_(and_(~follows_components, Subscriber.incidents_only.is_(False)), follows_these,
                follows_this_incident))
    db.session.execute(insert(Notification).from_select(
        ["subscriber_id", "kind", "update_id", "incident_id", "status", "attempts", "next_attempt_at", "created_at",
         "last_error"],
        chosen))


def _id_or_null(value: int | None) -> ColumnElement[Any]:
    """A typed NULL where there is no id: PostgreSQL cannot tell the type of a bare NULL parameter."""
    return cast(null(), Integer) if value is None else literal(value)


def queue_confirmation(subscriber: Subscriber, *, now: datetime) -> None:
    """The double opt-in message for a new (or still unconfirmed) subscriber."""
    db.session.add(Notification(subscriber_id=subscriber.id, kind=NotificationKind.CONFIRMATION,
                                status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now))


def queue_alert(incident: Incident, recipients: list[str], *, now: datetime) -> None:
    """Tell engineers (console users who can act) about an incident that needs them, by email."""
    for address in recipients:
        db.session.add(Notification(recipient=address, incident_id=incident.id, kind=NotificationKind.ALERT,
                                    status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now))
