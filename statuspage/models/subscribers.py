"""Subscribers (email or webhook) and the outbox of notifications waiting to be delivered."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from .components import Component, str_enum
from .incidents import Incident, IncidentUpdate


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class NotificationKind(StrEnum):
    UPDATE = "update"              # an incident or maintenance update
    CONFIRMATION = "confirmation"  # double opt-in: "click to confirm"
    ALERT = "alert"                # to an engineer: an incident suspected from support tickets


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Subscriber(Base):
    """Someone who follows the page by email or webhook: everything, chosen components, or single incidents
    (a support ticket's requester follows the incident the ticket was linked to)."""

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    address: Mapped[str] = mapped_column(String(2000))  # the email address or the webhook URL
    language: Mapped[str] = mapped_column(String(8), default="en")
    secret: Mapped[str] = mapped_column(String(64))  # signs webhook deliveries; also salts manage links
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    components: Mapped[list[Component]] = relationship(secondary="subscriber_components", lazy="selectin",
                                                       order_by="Component.position")
    incidents: Mapped[list[Incident]] = relationship(secondary="subscriber_incidents", lazy="selectin")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def follows_everything(self) -> bool:
        return not self.components and not self.incidents


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
    recipient: Mapped[str | None] = mapped_column(String(320))  # an alert's address (no subscriber)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))  # an alert's
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 16), default=NotificationKind.UPDATE)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("incident_updates.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, 16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscriber: Mapped[Subscriber | None] = relationship(lazy="joined")
    incident: Mapped[Incident | None] = relationship()
    update: Mapped[IncidentUpdate | None] = relationship()

    @property
    def address(self) -> str:
        return self.recipient or self.subscriber.address

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt of this delivery, so a receiver can drop a repeat."""
        return f"notification-{self.id}"
