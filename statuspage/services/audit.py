"""Who acts, and the audit log every change writes to in the same transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..database import Base
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


def record(actor: Actor, action: str, target: Base, *, summary: str = "", details: dict[str, Any] | None = None,
           now: datetime) -> AuditEntry:
    """Add an audit entry for `action` on `target` (a model with an id) to the current transaction."""
    entry = AuditEntry(
        at=now, actor=actor.label, user_id=actor.user_id, action=action,
        target_type=type(target).__tablename__, target_id=str(getattr(target, "id", "") or ""),
        summary=summary[:2000], details=details,
    )
    db.session.add(entry)
    return entry


def target_names(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """The current name of what each entry is about ({(target_type, target_id): name}), one query per kind
    of target on the page; what has been deleted since is missing (its entry's summary still names it)."""
    from ..models import (
        ApiToken, Check, Component, ComponentGroup, Incident, IncidentTemplate, Page, Subscriber, Ticket,
    )

    named: dict[type[Incident | Component | ComponentGroup | Check | User | IncidentTemplate | Subscriber | Ticket
                     | Page], InstrumentedAttribute[str] | ColumnElement[str]]
    named = {Incident: Incident.name, Component: Component.name, ComponentGroup: ComponentGroup.name,
             Check: Check.name, User: User.email, IncidentTemplate: IncidentTemplate.name,
             Subscriber: Subscriber.address, Ticket: Ticket.subject,
             Page: func.coalesce(func.nullif(Page.name, ""), Page.slug)}
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id.isdigit():
            wanted.setdefault(entry.target_type, set()).add(int(entry.target_id))
    names: dict[tuple[str, str], str] = {}
    for model, column in named.items():
        ids = wanted.get(model.__tablename__)
        if ids:
            for target_id, name in db.session.execute(select(model.id, column).where(model.id.in_(sorted(ids)))):
                names[(model.__tablename__, str(target_id))] = name
    if wanted.get(ApiToken.__tablename__):
        for target_id, label, prefix in db.session.execute(
                select(ApiToken.id, ApiToken.label, ApiToken.prefix)
                .where(ApiToken.id.in_(sorted(wanted[ApiToken.__tablename__])))):
            names[(ApiToken.__tablename__, str(target_id))] = label or f"{prefix}…"
    return names


def user_names(entries: list[AuditEntry]) -> dict[int, str]:
    """The name (else the email) of each console user who made one of these entries."""
    ids = sorted({entry.user_id for entry in entries if entry.user_id is not None})
    if not ids:
        return {}
    return {user_id: name or email for user_id, name, email in
            db.session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))}
