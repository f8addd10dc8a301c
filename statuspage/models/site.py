"""Rows about the site as a whole: its change counter, and the rate-limit counters every worker shares."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime


class SiteVersion(Base):
    __tablename__ = "site_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateLimitCounter(Base):
    """One fixed-window counter of the rate limits (ratelimits.py): shared by every worker and host."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float]  # Unix time, as the limits library counts
