"""Incidents and scheduled maintenance (one table, as Statuspage does), their components and updates."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from .components import Component, ComponentStatus, str_enum


class IncidentKind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def severity(self) -> int:
        return list(Impact).index(self)


CLOSED_STATUSES = frozenset({IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM, MaintenanceStatus.COMPLETED})
ACTIVE_MAINTENANCE_STATUSES = frozenset({MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING})
# Every status an incident or maintenance window can have that is not closed: written out, so "unclosed"
# is an IN list the (kind, status) index can seek, where NOT IN would scan the whole history.
UNCLOSED_STATUSES = tuple(s.value for s in (*IncidentStatus, *MaintenanceStatus) if s not in CLOSED_STATUSES)


class Incident(Base):
    """An incident, or a maintenance window when kind is maintenance (then it has a schedule)."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_kind_status", "kind", "status"),
        Index("ix_incidents_kind_started_at", "kind", "started_at"),
        Index("ix_incidents_kind_resolved_at", "kind", "resolved_at"),  # open or resolved lately: the bars
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind, 16), default=IncidentKind.INCIDENT)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    impact: Mapped[Impact] = mapped_column(str_enum(Impact, 16), default=Impact.NONE)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    automatic: Mapped[bool] = mapped_column(default=False)  # opened by a health check, not by a person
    is_published: Mapped[bool] = mapped_column(default=True)  # False: suspected from tickets, console only
    # A name the system wrote (a health check, the ticket intake), in every language: {"en": ..., "de": ...};
    # `name` is the default language's. None once a person names the incident (texts.py reads both).
    name_translations: Mapped[dict | None] = mapped_column(JSON)
    # Maintenance only: what subscribers are told besides the updates people post. A reminder this many
    # minutes before the start (None: no reminder), sent once (reminded_at); and whether the scheduler's
    # own updates at the start and at the end of the window notify.
    remind_minutes_before: Mapped[int | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_at_start: Mapped[bool] = mapped_column(default=True)
    notify_at_end: Mapped[bool] = mapped_column(default=True)

    affected: Mapped[list[AffectedComponent]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="AffectedComponent.component_id")
    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident", cascade="all, delete-orphan",
        order_by="(IncidentUpdate.created_at.desc(), IncidentUpdate.id.desc())")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_maintenance(self) -> bool:
        return self.kind is IncidentKind.MAINTENANCE

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @classmethod
    def unclosed(cls) -> ColumnElement[bool]:
        """`not is_closed` in SQL: the one way queries say an incident or window is still open."""
        return cls.status.in_(UNCLOSED_STATUSES)

    @property
    def is_active_maintenance(self) -> bool:
        return self.is_maintenance and self.status in ACTIVE_MAINTENANCE_STATUSES

    @property
    def public_path(self) -> str:
        """Its page on the public site (the routes of web/public.py), for links that leave the site:
        feeds, mail, the v2 shortlink."""
        return f"/maintenance/{self.id}" if self.is_maintenance else f"/incidents/{self.id}"

    @property
    def components(self) -> list[Component]:
        return [link.component for link in self.affected]

    @property
    def latest_update(self) -> IncidentUpdate | None:
        return self.updates[0] if self.updates else None

    def worst_statuses(self) -> dict[int, ComponentStatus]:
        """Each affected component's worst status while the incident was open (component id -> status): the
        last one the incident gave it, or a worse one an earlier update set (an outage eased to "degraded"
        before it was resolved was an outage), as the updates recorded them. The update that closed it only
        gave statuses back, so it does not count."""
        worst = {link.component_id: link.status for link in self.affected}
        for update in self.updates:
            if update.status in CLOSED_STATUSES:
                continue
            for change in update.affected_components or []:
                component_id = int(change["code"])
                status = ComponentStatus(change["new_status"])
                if component_id in worst and status.severity > worst[component_id].severity:
                    worst[component_id] = status
        return worst


class AffectedComponent(Base):
    """A component touched by an incident, with the status the incident gives it."""

    __tablename__ = "affected_components"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True)
    status: Mapped[ComponentStatus] = mapped_column(str_enum(ComponentStatus))

    incident: Mapped[Incident] = relationship(back_populates="affected")
    component: Mapped[Component] = relationship(lazy="joined")


class IncidentUpdate(Base):
    __tablename__ = "incident_updates"
    __table_args__ = (Index("ix_incident_updates_incident_id_created_at", "incident_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body_translations: Mapped[dict | None] = mapped_column(JSON)  # as Incident.name_translations, for the body
    # False: posted without telling subscribers (the author's choice); nothing was queued for it.
    deliver_notifications: Mapped[bool] = mapped_column(default=True)
    # [{"code": component id as text, "name", "old_status", "new_status"}], as Statuspage's v2 API shows it.
    affected_components: Mapped[list | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="updates")


class IncidentTemplate(Base):
    """A prepared incident message; {placeholders} are replaced as plain text, never rendered as a template."""

    __tablename__ = "incident_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    impact: Mapped[Impact] = mapped_column(str_enum(Impact, 16), default=Impact.MINOR)
    body: Mapped[str] = mapped_column(Text, default="")
