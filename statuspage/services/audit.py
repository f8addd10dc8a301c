"""Who acts, and the audit log every change writes to in the same transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..extensions import db
from ..models import AuditEntry, Role, User


@dataclass(frozen=True)
class Actor:
    """Whoever makes a change: a console user, an API token, the CLI or a check."""

    label: str
    role: Role = Role.ADMIN
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(label=user.email, role=user.role, user_id=user.id)


CLI = Actor(label="cli", role=Role.ADMIN)


def record(actor: Actor, action: str, target, *, summary: str = "", details: dict | None = None,
           now: datetime) -> AuditEntry:
    """Add an audit entry for `action` on `target` (a model with an id) to the current transaction."""
    entry = AuditEntry(
        at=now, actor=actor.label, user_id=actor.user_id, action=action,
        target_type=type(target).__tablename__, target_id=str(getattr(target, "id", "") or ""),
        summary=summary[:2000], details=details,
    )
    db.session.add(entry)
    return entry
