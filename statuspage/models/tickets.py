"""Support tickets taken in by the intake hook, and every change of their classification."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from .components import str_enum
from .incidents import Incident


class TicketStatus(StrEnum):
    ACCEPTED = "accepted"      # a person answers it, by its due time
    SUPPRESSED = "suppressed"  # about a known incident: linked, answered, its requester subscribed


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue", "status", "first_response_due", "created_at"),
        Index("ix_tickets_component_received", "component_slug", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)  # the desk's id: sent twice, taken once
    source: Mapped[str] = mapped_column(String(16), default="api")  # api, zendesk, freshdesk or zammad
    subject: Mapped[str] = mapped_column(String(1000), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    requester_email: Mapped[str] = mapped_column(String(320))
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    plan: Mapped[str] = mapped_column(String(16), default="basic")
    requested_priority: Mapped[int | None] = mapped_column()  # as the desk sent it
    priority: Mapped[int] = mapped_column(default=3)  # after the rules (and any re-classification)
    environment: Mapped[str] = mapped_column(String(16), default="production")
    component_slug: Mapped[str | None] = mapped_column(String(64))  # the desk's field, or what the text names
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the customer wrote it (the SLA's start)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, 16))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    match_score: Mapped[float] = mapped_column(default=0.0)
    match_reasons: Mapped[list] = mapped_column(JSON, default=list)
    reports_problem: Mapped[bool] = mapped_column(default=True)  # the matcher's reading: something is broken
    match_alternatives: Mapped[list] = mapped_column(JSON, default=list)  # [[incident id, score], ...]: close runners-up
    reply: Mapped[dict] = mapped_column(JSON, default=dict)  # {"language", "subject", "body"}
    first_answer: Mapped[dict] = mapped_column(JSON, default=dict)  # the response body, returned again on a repeat
    # [{"code", "message"}]: what intake changed or left undone (a created_at clamped, a requester not subscribed)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    # what the matcher read it as: one unit vector (512 float32, the subject and first sentences), kept so that
    # the ticket serves as an example of its incident without its text being encoded again (support/candidates.py)
    gist: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    incident: Mapped[Incident | None] = relationship()
    changes: Mapped[list[TicketChange]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketChange.id")

    @property
    def requester_not_subscribed(self) -> bool:
        """Suppressed, but its requester was not made to follow the incident (support/following.py says why)."""
        return any(str(warning.get("code", "")).startswith("not_subscribed") for warning in self.warnings or [])


class TicketChange(Base):
    """A re-classification, a link or an unlinking: who, when, why, the priority before and after, and for
    link, unlink and not_mine the incident concerned (what the matcher learns from: see support/queue.py)."""

    __tablename__ = "ticket_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))  # reclassify, link, unlink (an agent) or not_mine (the customer)
    reason: Mapped[str] = mapped_column(Text, default="")
    old_priority: Mapped[int] = mapped_column()
    new_priority: Mapped[int] = mapped_column()
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="changes")


class SeenSignature(Base):
    """A signed intake request already taken in, kept while its signature is valid, so that a replay (or a
    desk's retry) gets the first answer instead of making a second ticket. The primary key decides between
    twins arriving at once on any worker or host."""

    __tablename__ = "intake_signatures"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of what the signature signs
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the signature is stale from then on
