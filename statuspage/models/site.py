"""The site's change counter: one row, bumped in the same transaction as any change the public sees."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from ..database import Base, UTCDateTime


class SiteVersion(Base):
    __tablename__ = "site_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
