"""The site's change counter: what every cache (each worker, each host, the static export) compares.

Any flush that adds, changes or deletes something the public sees (incidents, their updates and
components, components and groups) bumps the counter in the same transaction, so a change is visible
on the next request after it commits, on every host. Check results are not counted: they only move
today's uptime bar, which the caches refresh on a short timer instead.
"""
from __future__ import annotations

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool, SingletonThreadPool

from .. import clock
from ..extensions import db
from ..models import AffectedComponent, Component, ComponentGroup, Incident, IncidentUpdate, SiteVersion

PUBLIC_MODELS = (Incident, IncidentUpdate, AffectedComponent, Component, ComponentGroup)
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def current() -> int:
    """The counter now (0 on a database that never changed)."""
    return db.session.scalar(select(SiteVersion.version).where(SiteVersion.id == 1)) or 0


class Reader:
    """The counter for the WSGI fast path, outside any application context: one small query on a
    connection kept per thread (SQLite) or in a small pool without pre-ping (PostgreSQL), so reading
    it costs a round trip and nothing more. A broken connection raises; the caller falls back to Flask."""

    QUERY = text("SELECT version FROM site_version WHERE id = 1")

    def __init__(self, app):
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("sqlite"):
            self.engine = create_engine(url, poolclass=SingletonThreadPool, pool_size=64)
        else:
            self.engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=16, pool_recycle=300)

    def __call__(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(self.QUERY).scalar() or 0


def _bump(session: Session, _context) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(item, PUBLIC_MODELS) for item in touched):
        return
    connection = session.connection()
    table = SiteVersion.__table__
    statement = INSERTS[connection.dialect.name](table).values(id=1, version=1, changed_at=clock.now())
    connection.execute(statement.on_conflict_do_update(
        index_elements=["id"], set_={"version": table.c.version + 1, "changed_at": clock.now()}))


def install() -> None:
    """Count public changes on every session (once per process)."""
    if not event.contains(Session, "after_flush", _bump):
        event.listen(Session, "after_flush", _bump)
