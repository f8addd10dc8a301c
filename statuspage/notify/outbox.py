"""Queue deliveries as outbox rows, in the transaction of the change that causes them."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Integer, and_, cast, exists, func, insert, literal, null, or_, select

from ..extensions import db
from .channels.chat import fingerprint
from ..models import (
    DeliveryStatus, Incident, IncidentUpdate, Notification, NotificationKind, Page, PageComponent, PageMember,
    PageMemberComponent, PageVisibility, Subscriber, SubscriberComponent, SubscriberIncident,
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
    ).where(Subscriber.confirmed_at.is_not(None), _private_page_allows(),
            or_(and_(~follows_components, Subscriber.incidents_only.is_(False), _page_shows(component_ids),
                     _member_sees(component_ids)),
                and_(follows_these, _page_shows(component_ids), _member_sees(component_ids)),
                and_(follows_this_incident, or_(_page_shows(component_ids), _a_public_page_shows(component_ids)))))
    db.session.execute(insert(Notification).from_select(
        ["subscriber_id", "kind", "update_id", "incident_id", "status", "attempts", "next_attempt_at", "created_at",
         "last_error"],
        chosen))


def _page_shows(component_ids: list[int]) -> ColumnElement[bool]:
    """Whether the page a subscriber of "everything" subscribed on shows an incident of these components
    (services/pages.py:incident_on_page, in SQL): everything is that page's everything. No page is the
    default page (one not stored yet shows everything); an incident of no component shows there only."""
    if not component_ids:
        return or_(Subscriber.page_id.is_(None),
                   exists().where(Page.id == Subscriber.page_id, Page.is_default.is_(True)))
    its_page = or_(Page.id == Subscriber.page_id, and_(Subscriber.page_id.is_(None), Page.is_default.is_(True)))
    return or_(and_(Subscriber.page_id.is_(None), ~exists().where(Page.is_default.is_(True))),
               exists().where(its_page, Page.shows_all_components.is_(True)),
               exists().where(its_page, PageComponent.page_id == Page.id,
                              PageComponent.component_id.in_(component_ids)))


def _private_page_allows() -> ColumnElement[bool]:
    """On a private page only its active members hear anything, whatever the page was when they subscribed:
    a subscription made while it was public, or one an admin added, names no member and is never sent to.
    (services/page_admin.py ends such subscriptions when a page turns private; this holds regardless.)
    The private pages are read first (a few rows), so the fan-out's one INSERT ... SELECT tests a subscriber's
    page id against a list instead of joining the pages for every subscriber."""
    private = db.session.execute(select(Page.id, Page.is_default)
                                 .where(Page.visibility == PageVisibility.PRIVATE.value)).all()
    if not private:
        return literal(True)
    ids = [row.id for row in private]
    default = next((row.id for row in private if row.is_default), None)
    page_of: ColumnElement[int | None] = Subscriber.page_id.expression
    if default is None:       # no page: the default one, which is public
        public = or_(Subscriber.page_id.is_(None), Subscriber.page_id.not_in(ids))
    else:
        public = and_(Subscriber.page_id.is_not(None), Subscriber.page_id.not_in(ids))
        page_of = func.coalesce(Subscriber.page_id, default)
    member = exists().where(PageMember.id == Subscriber.member_id, PageMember.revoked_at.is_(None),
                            PageMember.page_id == page_of)
    return or_(public, member)


def _a_public_page_shows(component_ids: list[int]) -> ColumnElement[bool]:
    """Some public page shows an incident of these components (one of no component: the default page), so a
    ticket's follower may hear of it there; an incident only private pages show is none of theirs."""
    public = Page.visibility == PageVisibility.PUBLIC.value
    if not component_ids:
        return exists().where(Page.is_default.is_(True), public)
    return or_(exists().where(public, Page.shows_all_components.is_(True)),
               exists().where(public, PageComponent.page_id == Page.id, PageComponent.component_id.in_(component_ids)))


def _member_sees(component_ids: list[int]) -> ColumnElement[bool]:
    """A private page's member limited to some components hears of incidents on those only (as the page
    shows them: services/page_access.py:member_component_ids, in SQL), also of components they chose before
    their limit narrowed; one of no component is not among them, nor is any once all theirs were deleted."""
    unlimited = exists().where(PageMember.id == Subscriber.member_id, PageMember.limited.is_(False))
    sees = exists().where(PageMemberComponent.member_id == Subscriber.member_id,
                          PageMemberComponent.component_id.in_(component_ids or [-1]))
    return or_(Subscriber.member_id.is_(None), unlimited, sees)


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


ALERT_URL_PREFIX = "alert-url:"
DELIVERY_ALERT_QUIET = timedelta(minutes=15)


def alert_url_recipients() -> list[str]:
    """One recipient per STATUSPAGE_ALERT_URLS entry: "alert-url:<fingerprint>". The URL stays in the
    settings (dispatch finds it by its fingerprint), never in the database."""
    settings = current_app.config["SETTINGS"]
    return [ALERT_URL_PREFIX + fingerprint(url, settings.secret_key) for url in dict.fromkeys(settings.alert_urls)]


def queue_alert_urls(incident: Incident, *, now: datetime) -> None:
    """Tell the engineers' chat and push destinations (STATUSPAGE_ALERT_URLS) about an incident that needs
    them: a suspected one, or one a health check opened."""
    queue_alert(incident, alert_url_recipients(), now=now)


def queue_delivery_alert(failures: list[str], *, now: datetime) -> bool:
    """Deliveries failed for good: one alert to each alert URL with how many and a few examples (each a
    line without any address in clear), at most one per DELIVERY_ALERT_QUIET, so a mail server down for
    hours makes one alert, not thousands. False when nothing was queued."""
    recipients = alert_url_recipients()
    if not failures or not recipients:
        return False
    recent = db.session.scalar(select(Notification.id).where(
        Notification.kind == NotificationKind.DELIVERY_FAILED,
        Notification.created_at > now - DELIVERY_ALERT_QUIET).limit(1))
    if recent is not None:
        return False
    detail = json.dumps({"count": len(failures), "examples": failures[:5]}, ensure_ascii=False)
    for recipient in recipients:
        db.session.add(Notification(recipient=recipient, kind=NotificationKind.DELIVERY_FAILED, detail=detail,
                                    status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now))
    return True
