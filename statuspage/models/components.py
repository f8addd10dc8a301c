"""Components and their groups."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Base, UTCDateTime


def str_enum(enum: type[StrEnum], length: int = 32) -> Enum:
    """A VARCHAR column holding the enum's values (not names), the same on SQLite and PostgreSQL."""
    return Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def severity(self) -> int:
        """Order for "worst of": an outage outranks maintenance, maintenance outranks nothing."""
        return list(ComponentStatus).index(self)

    @property
    def is_operational(self) -> bool:
        return self is ComponentStatus.OPERATIONAL


class ComponentGroup(Base):
    __tablename__ = "component_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    components: Mapped[list[Component]] = relationship(
        back_populates="group", order_by="(Component.position, Component.id)")


class Component(Base):
    __tablename__ = "components"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("component_groups.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[ComponentStatus] = mapped_column(str_enum(ComponentStatus), default=ComponentStatus.OPERATIONAL)
    only_show_if_degraded: Mapped[bool] = mapped_column(default=False)
    aliases: Mapped[list] = mapped_column(JSON, default=list)  # other names customers use, for ticket matching
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    group: Mapped[ComponentGroup | None] = relationship(back_populates="components")

    @property
    def is_visible(self) -> bool:
        """Hidden while operational when it asks to be shown only when something is wrong."""
        return not (self.only_show_if_degraded and self.status.is_operational)
