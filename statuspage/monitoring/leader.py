"""Which scheduler process leads: a lease row in the database, renewed by its holder every tick.

Works the same on SQLite and PostgreSQL. A holder that stops renewing (crashed, cut off from the
database) loses the lease when it expires, and the next process to ask takes it over. Holders compare
expiry times with their own clocks, so scheduler hosts need synchronised clocks (NTP), as usual.
"""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Table, case, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import UTCDateTime, transaction
from ..extensions import db
from ..models import SchedulerLease

CHECKS_LEASE = "checks"
INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert, "sqlite": sqlite.insert}


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hold(holder: str, *, now: datetime, ttl: timedelta, name: str = CHECKS_LEASE) -> bool:
    """Take or renew the lease; True while this holder leads."""
    table = SchedulerLease.metadata.tables[SchedulerLease.__tablename__]
    with transaction():
        # an UPDATE's result is a CursorResult, which has rowcount; Session.execute is typed to return a Result
        renewed: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
            update(table).where(table.c.name == name)
            .where(or_(table.c.holder == holder, table.c.expires_at < now))
            .values(holder=holder, expires_at=now + ttl,
                    acquired_at=case((table.c.holder == holder, table.c.acquired_at), else_=literal(now, UTCDateTime()))))
        if renewed.rowcount == 1:
            return True
        if db.session.scalar(select(table.c.holder).where(table.c.name == name)) is not None:
            return False
        insert = INSERTS[db.engine.dialect.name](table).values(
            name=name, holder=holder, expires_at=now + ttl, acquired_at=now)
        db.session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        return db.session.scalar(select(table.c.holder).where(table.c.name == name)) == holder


def release(holder: str, *, now: datetime, name: str = CHECKS_LEASE) -> None:
    """Give the lease up at a clean stop, so another process takes over at once instead of at expiry."""
    table = SchedulerLease.metadata.tables[SchedulerLease.__tablename__]
    with transaction():
        db.session.execute(update(table).where(table.c.name == name, table.c.holder == holder)
                           .values(expires_at=now))


def current_holder(*, now: datetime, name: str = CHECKS_LEASE) -> str | None:
    lease = db.session.get(SchedulerLease, name)
    return lease.holder if lease is not None and lease.expires_at > now else None
