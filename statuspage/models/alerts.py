"""Alerts received from Prometheus Alertmanager and Grafana, one row per alert firing (fingerprint + start)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime
from .components import ComponentStatus, str_enum


class AlertSource(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"


class ReceivedAlert(Base):
    """One firing of one alert, as its sender names it: the labels' fingerprint and when it started.

    Alertmanager resends whole groups (every group_interval, and again after a restart), so the same alert
    arrives many times: the row is found again by (source, fingerprint, starts_at), and only a change of
    state (firing -> resolved) does anything. The same labels firing again later have a new start: a new row.
    """

    __tablename__ = "received_alerts"
    __table_args__ = (
        UniqueConstraint("source", "fingerprint", "starts_at", name="uq_received_alerts_firing"),
        Index("ix_received_alerts_component_firing", "component_id", "is_firing"),
        Index("ix_received_alerts_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[AlertSource] = mapped_column(str_enum(AlertSource, 16))
    fingerprint: Mapped[str] = mapped_column(String(128))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    name: Mapped[str] = mapped_column(String(200), default="")  # the alertname label
    # What the labels asked for: statuspage_component (kept as sent, even when no component has that slug)
    # and the status it should show while the alert fires.
    component_slug: Mapped[str] = mapped_column(String(64), default="")
    component_id: Mapped[int | None] = mapped_column(ForeignKey("components.id", ondelete="SET NULL"))
    failure_status: Mapped[ComponentStatus] = mapped_column(str_enum(ComponentStatus))
    is_firing: Mapped[bool] = mapped_column(default=True)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    annotations: Mapped[dict] = mapped_column(JSON, default=dict)
    generator_url: Mapped[str] = mapped_column(String(2000), default="")
    # The incident it opened or joined; None while it changes nothing (no such component, maintenance).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)   # first seen
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)    # last seen
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when we heard it resolved
    # What it did last (a resend changes nothing): opened, joined or resolved its incident; "person" when an
    # incident a person manages held it (recorded, their status stays); "recorded" when it changed nothing
    # (no such component, maintenance, its incident closed by a person). `note` says why, in the sender's words.
    result: Mapped[str] = mapped_column(String(16), default="", server_default="")
    note: Mapped[str] = mapped_column(String(300), default="", server_default="")
