"""Queue deliveries as outbox rows, in the transaction of the change that causes them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, insert, literal, or_, select

from ..extensions import db
from ..models import (
    DeliveryStatus, IncidentUpdate, Notification, NotificationKind, Subscriber, SubscriberComponent,
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
    follows_components = exists().where(SubscriberComponent.subscriber_id == Subscriber.id)
    follows_these = exists().where(SubscriberComponent.subscriber_id == Subscriber.id,
                                   SubscriberComponent.component_id.in_(component_ids or [-1]))
    follows_this_incident = exists().where(SubscriberIncident.subscriber_id == Subscriber.id,
                                           SubscriberIncident.incident_id == update.incident_id)
    chosen = select(
        Subscriber.id, literal(NotificationKind.UPDATE.value), literal(update.id),
        literal(DeliveryStatus.PENDING.value), literal(0), literal(now, Notification.next_attempt_at.type),
        literal(now, Notification.created_at.type), literal(""),
    ).where(Subscriber.confirmed_at.is_not(None),
            or_(and_(~follows_components, Subscriber.incidents_only.is_(False)), follows_these,
                follows_this_incident))
    db.session.execute(insert(Notification).from_select(
        ["subscriber_id", "kind", "update_id", "status", "attempts", "next_attempt_at", "created_at", "last_error"],
        chosen))


def queue_confirmation(subscriber: Subscriber, *, now: datetime) -> None:
    """The double opt-in message for a new (or still unconfirmed) subscriber."""
    db.session.add(Notification(subscriber_id=subscriber.id, kind=NotificationKind.CONFIRMATION,
                                status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now))


def queue_alert(incident, recipients: list[str], *, now: datetime) -> None:
    """Tell engineers (console users who can act) about an incident that needs them, by email."""
    for address in recipients:
        db.session.add(Notification(recipient=address, incident_id=incident.id, kind=NotificationKind.ALERT,
                                    status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now))
