"""Subscribers (email, webhook or chat/push through Apprise) and the outbox of notifications waiting to be delivered."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from .components import Component, str_enum
from .incidents import Incident, IncidentUpdate


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    CHAT = "chat"  # an Apprise URL: Slack, Teams, Discord, ntfy, json:// ... (notify/channels/chat.py)


class NotificationKind(StrEnum):
    UPDATE = "update"              # an incident or maintenance update
    CONFIRMATION = "confirmation"  # double opt-in: "click to confirm"
    ALERT = "alert"                # to an engineer: an incident suspected from support tickets
    REMINDER = "reminder"          # a maintenance window starts soon (its incident_id; no update)
    DESK = "desk"                  # a write to a help desk about one ticket (notify/desk_writes.py)
    DELIVERY_FAILED = "delivery_failed"  # to the engineers' alert URLs: deliveries failed for good (detail)
    MEMBER_SIGN_IN = "member_sign_in"  # to a private page's member (recipient): an invitation or a sign-in link


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Subscriber(Base):
    """Someone who follows the page by email, webhook or chat/push (Apprise): everything, chosen components, or single incidents
    (a support ticket's requester follows the incident the ticket was linked to)."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    # The email address or the webhook URL; for chat, what may be shown ("slack://… #<fingerprint>"): the
    # Apprise URL carries its tokens, so it is kept only sealed (sealed_url, notify/channels/chat.py:seal).
    address: Mapped[str] = mapped_column(String(2000))
    sealed_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    secret: Mapped[str] = mapped_column(String(64))  # signs webhook deliveries; also salts manage links
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Made by a support ticket: follows the incidents in its list and nothing else, also when that list
    # empties (an unlinked ticket, a deleted incident); choosing no component never means "everything" here.
    incidents_only: Mapped[bool] = mapped_column(default=False)
    # The page it subscribed on (models/pages.py): its links point there. None is the default page.
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    # On a private page, the audience member who subscribed: their subscriptions end when they are revoked,
    # and their mail names only the components they may see.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("page_members.id", ondelete="CASCADE"), index=True)

    components: Mapped[list[Component]] = relationship(secondary="subscriber_components", lazy="selectin",
                                                       order_by="Component.position")
    incidents: Mapped[list[Incident]] = relationship(secondary="subscriber_incidents", lazy="selectin")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def follows_everything(self) -> bool:
        """Every update reaches it: no component chosen, and not a ticket's follower of single incidents.
        Incidents it follows besides (from a ticket) add to what it gets, never narrow it."""
        return not self.components and not self.incidents_only


# One subscription per address and page: an address may follow several pages, each with its own choices and
# links. The default page is page_id NULL, never its id (services/subscriptions.py:subscribe), so that NULL and
# the id cannot make two subscriptions of one address there. Two partial indexes, as NULLs never collide.
Index("uq_subscribers_default_page", Subscriber.channel, Subscriber.address, unique=True,
      sqlite_where=Subscriber.page_id.is_(None), postgresql_where=Subscriber.page_id.is_(None))
Index("uq_subscribers_page", Subscriber.channel, Subscriber.address, Subscriber.page_id, unique=True,
      sqlite_where=Subscriber.page_id.is_not(None), postgresql_where=Subscriber.page_id.is_not(None))


class SubscriberComponent(Base):
    __tablename__ = "subscriber_components"

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)


class SubscriberIncident(Base):
    __tablename__ = "subscriber_incidents"

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class Notification(Base):
    """One delivery owed to one subscriber: the outbox row, written in the same transaction as its cause."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "update_id"),  # never two deliveries of one update to one subscriber
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    # An alert's address (no subscriber): an engineer's email, or "alert-url:<fingerprint>" naming one of
    # STATUSPAGE_ALERT_URLS (the URL itself stays in the settings).
    recipient: Mapped[str | None] = mapped_column(String(320))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))  # alert, reminder
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 16), default=NotificationKind.UPDATE)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("incident_updates.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, 16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker's lease on it, renewed
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # that worker ("host:pid:random")
    last_error: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str | None] = mapped_column(Text)  # what a delivery_failed alert reports
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A desk write (kind desk): which desk, what to do (suppress, resolve, reopen, problem), the ticket, and
    # desk_state: the texts fixed when it was queued and the steps done with the desk's answers (ids), so a
    # retry goes on where the last attempt stopped and never posts a reply twice.
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    desk: Mapped[str | None] = mapped_column(String(16))
    desk_action: Mapped[str | None] = mapped_column(String(16))
    desk_state: Mapped[dict | None] = mapped_column(JSON)

    subscriber: Mapped[Subscriber | None] = relationship(lazy="joined")
    incident: Mapped[Incident | None] = relationship()
    update: Mapped[IncidentUpdate | None] = relationship()

    @property
    def address(self) -> str:
        if self.kind == NotificationKind.DESK:
            number = (self.desk_state or {}).get("desk_ticket")
            return f"{self.desk} ticket {number}" if number else f"{self.desk}"
        if self.recipient:
            return self.recipient
        assert self.subscriber is not None, "a delivery with no recipient of its own is a subscriber's"
        return self.subscriber.address

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt of this delivery, so a receiver can drop a repeat."""
        return f"notification-{self.id}"


class UnsubscribedAddress(Base):
    """An email address that unsubscribed (or that an admin removed), kept for good: a support ticket never
    subscribes it again. Only a hash is kept, enough to recognise the address, not to mail it."""

    __tablename__ = "unsubscribed_addresses"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the normalised address
    unsubscribed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IntakeFollow(Base):
    """One requester subscribed to an incident by the intake hook: counted per requester domain and per
    intake token over the last hour to cap how many addresses tickets can make us mail. Pruned after that."""

    __tablename__ = "intake_follows"
    __table_args__ = (
        Index("ix_intake_follows_domain_created_at", "domain", "created_at"),
        Index("ix_intake_follows_source_created_at", "source", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255))  # of the requester's address
    source: Mapped[str] = mapped_column(String(200))  # who posted the ticket: "token:<label>" or "intake:signed"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DeskProblem(Base):
    """The desk's one "known problem" ticket for an incident (a Zendesk problem ticket, a Freshdesk tracker, a
    Zammad ticket the others are linked to): made once, by the outbox row queued with the first suppressed
    ticket of that desk; external_id stays empty until the desk has answered."""

    __tablename__ = "desk_problems"
    __table_args__ = (UniqueConstraint("desk", "incident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    desk: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))  # the desk's ticket id
    number: Mapped[str | None] = mapped_column(String(64))  # Zammad links by ticket number, not id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
