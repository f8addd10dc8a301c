"""Health checks, their results, the hourly and daily rollups the pages read, and the scheduler's lease."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime
from .components import Component, ComponentStatus, str_enum

# PostgreSQL's results table outgrows a 32-bit id in a few years at scale; SQLite's rowid is 64-bit already.
BigId = BigInteger().with_variant(Integer, "sqlite")


class CheckKind(StrEnum):
    HTTP = "http"
    TCP = "tcp"
    DNS = "dns"
    TLS = "tls"
    HEARTBEAT = "heartbeat"


class CheckSource(StrEnum):
    FILE = "file"  # from checks/*.toml: the file is the truth, the console and the API only read it
    API = "api"    # made in the console or over the API


class Check(Base):
    """One check of one component: its definition, and the state the runner keeps between runs."""

    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    component_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CheckKind] = mapped_column(str_enum(CheckKind, 16))
    target: Mapped[str] = mapped_column(String(2000), default="")
    interval_seconds: Mapped[int] = mapped_column(default=60)
    timeout_seconds: Mapped[float] = mapped_column(default=10.0)
    failure_status: Mapped[ComponentStatus] = mapped_column(str_enum(ComponentStatus))
    failures_to_open: Mapped[int] = mapped_column(default=3)
    successes_to_close: Mapped[int] = mapped_column(default=2)
    # method, headers, follow_redirects, verify_tls, expect: as in the check file
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    period_seconds: Mapped[int | None] = mapped_column()  # heartbeat: a beat is expected this often
    grace_seconds: Mapped[int | None] = mapped_column()
    ping_id: Mapped[str | None] = mapped_column(String(36), unique=True)  # heartbeat: /ping/<ping_id>
    source: Mapped[CheckSource] = mapped_column(str_enum(CheckSource, 8), default=CheckSource.API)
    source_file: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # The runner's state: counters for the thresholds, the confirmed state, recent changes (flapping).
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok: Mapped[bool | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_latency_ms: Mapped[int | None] = mapped_column()
    last_beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    consecutive_successes: Mapped[int] = mapped_column(default=0)
    is_down: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[list] = mapped_column(JSON, default=list)  # ISO instants of the last state changes
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)

    component: Mapped[Component] = relationship(lazy="joined")

    @property
    def is_from_file(self) -> bool:
        return self.source is CheckSource.FILE

    @property
    def ping_path(self) -> str | None:
        return f"/ping/{self.ping_id}" if self.ping_id else None


class CheckResult(Base):
    """One run of one check. Raw results are pruned after the retention; the rollups stay."""

    __tablename__ = "check_results"
    __table_args__ = (Index("ix_check_results_check_id_at", "check_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ok: Mapped[bool] = mapped_column()
    latency_ms: Mapped[int | None] = mapped_column()
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(300))
    lateness_ms: Mapped[int | None] = mapped_column()  # how long after its scheduled time the run started


class RollupScope(StrEnum):
    CHECK = "check"
    COMPONENT = "component"


class RollupPeriod(StrEnum):
    HOUR = "hour"
    DAY = "day"  # a day in the site's time zone, starting at its local midnight


class Rollup(Base):
    """Counts and a latency histogram for one check or component over one hour or day.

    The uptime bars and figures read these, never raw results, so pages cost the same after a year.
    """

    __tablename__ = "rollups"
    # The bars of the public pages read the component days of a window, runs and failures only: a partial
    # index over those rows alone covers the read, and no other rollup pays for it on writes. Queries must
    # say scope and period literally for it to apply, and SQLite must be told to use it (bars.read_rollups).
    __table_args__ = (
        Index("ix_rollups_component_days", "scope_id", "starts_at", "runs", "failures",
              sqlite_where=text("scope = 'component' AND period = 'day'"),
              postgresql_where=text("scope = 'component' AND period = 'day'")),
    )

    scope: Mapped[RollupScope] = mapped_column(str_enum(RollupScope, 16), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[RollupPeriod] = mapped_column(str_enum(RollupPeriod, 8), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    latency_count: Mapped[int] = mapped_column(default=0)
    latency_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_buckets: Mapped[list] = mapped_column(JSON, default=list)  # counts per LATENCY_BUCKETS_MS bound


class SchedulerLease(Base):
    """Who leads the scheduler processes: the holder renews before expires_at, or another takes over."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)

