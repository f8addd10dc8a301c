"""Subscribing by email, webhook or chat/push (an Apprise URL) with double opt-in; managing and ending a
subscription by signed link."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select

from ..database import get_by_id, transaction
from ..errors import Invalid, NotFound
from ..extensions import db
from ..models import (
    Channel, Component, Incident, Page, PageMember, PageVisibility, Subscriber, SubscriberComponent,
    SubscriberIncident, UnsubscribedAddress,
)
from ..notify import outbox
from ..notify.channels.chat import check_notify_url, fingerprint, seal
from ..notify.channels.webhook import check_url
from . import audit, validate
from .accounts import normalize_email
from .audit import Actor


@dataclass(frozen=True)
class SubscriptionPolicy:
    """The settings the rules need, passed in so the rules never read the app's config themselves."""

    secret_key: str
    languages: tuple[str, ...]
    allow_private_webhooks: bool
    confirm_link_days: int


def _confirm_signer(policy: SubscriptionPolicy) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(policy.secret_key, salt="subscription-confirm")


def _manage_signer(policy: SubscriptionPolicy) -> URLSafeSerializer:
    return URLSafeSerializer(policy.secret_key, salt="subscription-manage")


def confirm_token(subscriber: Subscriber, policy: SubscriptionPolicy) -> str:
    return _confirm_signer(policy).dumps([subscriber.id, subscriber.secret[:8]])


def manage_token(subscriber: Subscriber, policy: SubscriptionPolicy) -> str:
    """Never expires, but dies with the subscription: it names the subscriber's secret."""
    return _manage_signer(policy).dumps([subscriber.id, subscriber.secret[:8]])


def _address(channel: Channel, address: object, policy: SubscriptionPolicy) -> tuple[str, str | None]:
    """(what the address column keeps, the sealed URL for chat or None)."""
    if channel is Channel.EMAIL:
        return normalize_email(address), None
    if channel is Channel.CHAT:
        url = validate.text(address, "notify_url", max_length=2000)
        try:
            destination = check_notify_url(url, allow_private=policy.allow_private_webhooks)
        except ValueError as error:
            raise Invalid("invalid_notify_url", str(error), field="notify_url") from None
        # Shown as scheme and host only; the keyed fingerprint keeps one subscription per URL.
        return (f"{destination.shown} #{fingerprint(destination.url, policy.secret_key)}",
                seal(destination.url, policy.secret_key))
    url = validate.text(address, "webhook_url", max_length=2000)
    try:
        return check_url(url, allow_private=policy.allow_private_webhooks), None
    except ValueError as error:
        raise Invalid("invalid_webhook_url", str(error), field="webhook_url") from None


def _components(slugs: Iterable[str] | None) -> list[Component]:
    slugs = list(dict.fromkeys(slugs or []))
    if not slugs:
        return []
    found = list(db.session.scalars(select(Component).where(Component.slug.in_(slugs))))
    unknown = sorted(set(slugs) - {c.slug for c in found})
    if unknown:
        raise Invalid("unknown_component", f"Unknown component: {', '.join(unknown)}.", field="components")
    return found


def subscribe(channel: str, address: object, *, components: Iterable[str] = (), language: str = "en",
              confirmed: bool = False, policy: SubscriptionPolicy, by: Actor | None = None, now: datetime,
              page_id: int | None = None, member_id: int | None = None) -> Subscriber:
    """Ask for updates; a confirmation goes out unless `confirmed` (an admin importing known addresses).
    On a private page, `member_id` is the signed-in member's: the subscription ends with their membership.

    The answer is the same whether or not the address was known: a confirmed subscriber is left as it is
    (nobody can change someone else's choices by knowing their address), an unconfirmed one gets its
    choices replaced and a new confirmation.
    """
    with transaction():
        channel = validate.choice(Channel, channel, "channel")
        address, sealed_url = _address(channel, address, policy)
        chosen = _components(components)
        if language not in policy.languages:
            raise Invalid("invalid_choice", f"lang must be one of: {', '.join(policy.languages)}.", field="lang")
        page_id = _page_key(page_id)
        member_id = _member_for(page_id, channel, address, member_id)
        subscriber = db.session.scalar(select(Subscriber).where(Subscriber.channel == channel,
                                                                Subscriber.address == address,
                                                                _on_page(page_id)))
        if subscriber is not None and subscriber.is_confirmed:
            return subscriber
        if subscriber is None:
            subscriber = Subscriber(channel=channel, address=address, secret=secrets.token_hex(32), created_at=now)
            db.session.add(subscriber)
        subscriber.sealed_url = sealed_url
        subscriber.language = language
        subscriber.page_id = page_id  # where its links lead; None: the default page
        subscriber.member_id = member_id
        subscriber.components = chosen
        db.session.flush()
        if confirmed:
            subscriber.confirmed_at = now
        else:
            outbox.queue_confirmation(subscriber, now=now)
        if by is not None:
            audit.record(by, "subscriber.create", subscriber, summary=f"{channel}: {address}", now=now)
    return subscriber


def follow_incident(email: object, incident: Incident, *, language: str, policy: SubscriptionPolicy,
                    now: datetime) -> Subscriber:
    """Subscribe a support ticket's requester to the one incident the ticket was linked to.

    They asked us about it, so no confirmation round: every update of that incident reaches them, each
    with its unsubscribe link (and one-click unsubscribe). A new subscriber follows that incident only
    (incidents_only), for good: it never turns into a follower of everything. An address already
    subscribed keeps what it follows and gains this incident; one still waiting for its confirmation
    stays unconfirmed (confirming it must not be implied by a ticket). Whether a ticket may subscribe
    someone at all (an earlier unsubscribe, the hourly limits) is support/following.py's to decide.
    """
    with transaction():
        address = normalize_email(email)
        subscriber = _email_subscriber(address)
        if subscriber is None:
            subscriber = Subscriber(channel=Channel.EMAIL, address=address, secret=secrets.token_hex(32),
                                    language=language if language in policy.languages else policy.languages[0],
                                    confirmed_at=now, created_at=now, incidents_only=True)
            db.session.add(subscriber)
        elif subscriber.is_confirmed and subscriber.follows_everything:
            return subscriber  # hears of everything already
        if incident not in subscriber.incidents:
            subscriber.incidents.append(incident)
        db.session.flush()
    return subscriber


def ticket_follow_state(email: str, incident: Incident) -> str | None:
    """For a ticket's requester, in one statement: "unsubscribed" when the address ever unsubscribed (it is
    never subscribed again), "follows" when follow_incident would change nothing (already_follows), else None."""
    address = normalize_email(email)
    row = db.session.execute(_FOLLOW_STATE, {"address": address, "digest": _address_digest(address),
                                             "incident_id": incident.id}).one()
    return "unsubscribed" if row.unsubscribed else "follows" if row.follows else None


_FOLLOW_STATE = select(   # made once: every suppressed ticket asks
    exists().where(UnsubscribedAddress.digest == bindparam("digest")).label("unsubscribed"),
    exists().where(
        Subscriber.channel == Channel.EMAIL, Subscriber.address == bindparam("address"), Subscriber.page_id.is_(None),
        or_(exists().where(SubscriberIncident.subscriber_id == Subscriber.id,
                           SubscriberIncident.incident_id == bindparam("incident_id")),
            and_(Subscriber.confirmed_at.is_not(None), Subscriber.incidents_only.is_(False),
                 ~exists().where(SubscriberComponent.subscriber_id == Subscriber.id)))).label("follows"))


def _email_subscriber(address: str) -> Subscriber | None:
    """The address's subscription on the default page, where a ticket's requester follows its incident."""
    return db.session.scalar(email_subscriber_on_default_page(address))


def email_subscriber_on_default_page(address: str) -> Select[Subscriber]:
    return select(Subscriber).where(Subscriber.channel == Channel.EMAIL, Subscriber.address == address,
                                    Subscriber.page_id.is_(None))


def _page_key(page_id: int | None) -> int | None:
    """How a subscription names its page: None for the default page, whichever way it was named, so that one
    address has one subscription there (models/subscribers.py's unique index)."""
    if page_id is None or db.session.scalar(select(Page.is_default).where(Page.id == page_id)):
        return None
    if db.session.get(Page, page_id) is None:
        raise Invalid("page_not_found", f"No page with id {page_id}.", field="page")
    return page_id


def _member_for(page_id: int | None, channel: Channel, address: str, member_id: int | None) -> int | None:
    """Who a subscription on a private page belongs to: the signed-in member who asks, or the active member
    with this email address (an admin adding one). Anyone else is refused: a private page tells its members
    only, whatever channel or confirmation an admin gives (notify/outbox.py:_private_page_allows)."""
    page = db.session.get(Page, page_id) if page_id is not None else \
        db.session.scalar(select(Page).where(Page.is_default.is_(True)))
    if page is None or page.visibility != PageVisibility.PRIVATE.value:
        return member_id
    if member_id is not None:
        member = db.session.get(PageMember, member_id)
    elif channel is Channel.EMAIL:
        member = db.session.scalar(select(PageMember).where(PageMember.page_id == page.id,
                                                            PageMember.email == address))
    else:
        member = None
    if member is None or member.page_id != page.id or not member.is_active:
        raise Invalid("page_members_only", f"The page '{page.slug}' is private: only its members subscribe to it. "
                                           f"Invite the address as a member first.", field="page")
    return member.id


def _on_page(page_id: int | None) -> ColumnElement[bool]:
    return Subscriber.page_id.is_(None) if page_id is None else Subscriber.page_id == page_id


def _address_digest(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()


def confirm(token: str, *, policy: SubscriptionPolicy, now: datetime) -> Subscriber:
    """Confirm from the link in the confirmation message (valid for a few days)."""
    try:
        subscriber_id, secret_prefix = _confirm_signer(policy).loads(
            token, max_age=policy.confirm_link_days * 24 * 3600)
    except SignatureExpired:
        raise Invalid("link_expired", "This confirmation link has expired; subscribe again.") from None
    except BadSignature:
        raise Invalid("link_invalid", "This link is not valid: it was changed or cut short.") from None
    with transaction():
        subscriber = _subscriber_for(subscriber_id, secret_prefix)
        if subscriber.confirmed_at is None:
            subscriber.confirmed_at = now
    return subscriber


def from_manage_token(token: str, *, policy: SubscriptionPolicy) -> Subscriber:
    try:
        subscriber_id, secret_prefix = _manage_signer(policy).loads(token)
    except BadSignature:
        raise Invalid("link_invalid", "This link is not valid: it was changed or cut short.") from None
    return _subscriber_for(subscriber_id, secret_prefix)


def _subscriber_for(subscriber_id: object, secret_prefix: object) -> Subscriber:
    subscriber = get_by_id(Subscriber, subscriber_id)
    if subscriber is None or not secrets.compare_digest(subscriber.secret[:8], str(secret_prefix)):
        raise NotFound("subscription_not_found", "This subscription no longer exists.")
    return subscriber


def change(subscriber: Subscriber, *, components: Iterable[str], language: str,
           policy: SubscriptionPolicy) -> Subscriber:
    """The subscriber's own change of components or language (from the manage link)."""
    with transaction():
        if language not in policy.languages:
            raise Invalid("invalid_choice", f"lang must be one of: {', '.join(policy.languages)}.", field="lang")
        subscriber.components = _components(components)
        subscriber.language = language
    return subscriber


def unsubscribe(subscriber_id: int, *, by: Actor | None = None, now: datetime) -> None:
    """End a subscription; its pending deliveries go with it.

    An email address is remembered as unsubscribed (a hash of it, for good), so that a support ticket
    never subscribes it again; subscribing on the page, with its confirmation, still works.
    """
    with transaction():
        subscriber = get_by_id(Subscriber, subscriber_id)
        if subscriber is None:
            raise NotFound("subscriber_not_found", f"No subscriber with id {subscriber_id}.")
        if by is not None:
            audit.record(by, "subscriber.delete", subscriber, summary=subscriber.address, now=now)
        if subscriber.channel == Channel.EMAIL:
            digest = _address_digest(subscriber.address)
            if db.session.get(UnsubscribedAddress, digest) is None:
                db.session.add(UnsubscribedAddress(digest=digest, unsubscribed_at=now))
        db.session.delete(subscriber)


def list_subscribers(page: int = 1, per_page: int = 50) -> tuple[list[Subscriber], int]:
    """One page of subscribers, newest first, and how many there are."""
    total = db.session.execute(select(func.count()).select_from(Subscriber)).scalar_one()
    items = db.session.scalars(select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
                               .limit(per_page).offset((page - 1) * per_page))
    return list(items), total
