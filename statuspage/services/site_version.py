"""The site's change counter: what every cache (each worker, each host, the static export) compares.

Any flush that adds, changes or deletes something the public sees (incidents, their updates and
components, components and groups, pages and their components) bumps the counter in the same transaction, so a change is visible
on the next request after it commits, on every host. Check results are not counted: they only move
today's uptime bar, which the caches refresh on a short timer instead.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask
from sqlalchemy import Table, event, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import clock
from ..extensions import db
from ..models import (
    AffectedComponent, Component, ComponentGroup, Incident, IncidentUpdate, Page, PageComponent, SiteVersion,
)

PUBLIC_MODELS = (Incident, IncidentUpdate, AffectedComponent, Component, ComponentGroup, Page, PageComponent)
INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert, "sqlite": sqlite.insert}

if TYPE_CHECKING:
    from psycopg import AsyncConnection


class _Cursor(Protocol):
    def fetchone(self) -> Sequence[int] | None: ...

    def fetchall(self) -> Sequence[tuple[Any, ...]]: ...


class _Connection(Protocol):
    """What Reader asks of a connection, sqlite3's or psycopg's."""

    def execute(self, query: str, /) -> _Cursor: ...

    def close(self) -> None: ...


def current() -> int:
    """The counter now (0 on a database that never changed)."""
    return db.session.scalar(select(SiteVersion.version).where(SiteVersion.id == 1)) or 0


class Reader:
    """The counter for the cache's fast paths, outside any application context: one small query on a
    connection each thread keeps open (sqlite3 or psycopg, no pool, no ORM), so reading it costs a
    round trip and little else. When the database cannot say, the answer is None (the caller lets Flask
    answer, and say what is wrong) and the next read connects afresh."""

    QUERY = "SELECT version FROM site_version WHERE id = 1"

    connect: Callable[[], _Connection]

    def __init__(self, app: Flask) -> None:
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.sqlite = url.get_backend_name() == "sqlite"
        if self.sqlite:
            self.connect = lambda: sqlite3.connect(url.database or ":memory:", timeout=5)
        else:
            import psycopg

            self.conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connect = lambda: psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        self.local = threading.local()
        self.reads = 0  # for tests and curious operators: how often the fast path asked
        self.opened: dict[_Connection, threading.Thread] = {}  # each connection and the thread it is for
        self.lock = threading.Lock()

    def __call__(self) -> int | None:
        self.reads += 1
        rows = self.rows(self.QUERY)
        if rows is None:
            return None
        return rows[0][0] if rows else 0

    def rows(self, query: str) -> list[tuple[Any, ...]] | None:
        """The rows of a small read on this thread's connection (the counter's; also the pages, when it
        moved: web/page_choice.py), or None when the database cannot say."""
        connection = getattr(self.local, "connection", None)
        try:
            if connection is None:
                self._close_orphans()
                connection = self.local.connection = self.connect()
                with self.lock:
                    self.opened[connection] = threading.current_thread()
            return list(connection.execute(query).fetchall())
        except Exception:
            self.local.connection = None
            if connection is not None:
                self._close(connection)
            return None

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended: a server with a thread per request (werkzeug's,
        in tests and `flask run`) would otherwise keep one open per request it ever served, until the
        database refuses more clients."""
        with self.lock:
            orphans = [connection for connection, thread in self.opened.items() if not thread.is_alive()]
        for connection in orphans:
            self._close(connection)

    def _close(self, connection: _Connection) -> None:
        with self.lock:
            self.opened.pop(connection, None)
        try:
            connection.close()
        except Exception:
            pass

    def close_all(self) -> None:
        """Close every thread's connection (tests, shutdown); each thread's next read connects afresh."""
        for connection in list(self.opened):
            self._close(connection)
        self.local = threading.local()


class LoopReader:
    """The counter for an event loop (web/server.py), which must never wait on the database: SQLite's read
    is a local file in WAL mode, where a reader never waits for a writer, so it is the Reader's; PostgreSQL's
    goes through psycopg's async connection, and an answer later than TIMEOUT counts as none."""

    TIMEOUT = 2.0

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.connection: AsyncConnection[tuple[Any, ...]] | None = None

    async def __call__(self) -> int | None:
        if self.reader.sqlite:
            return self.reader()
        try:
            return await asyncio.wait_for(self._read(), self.TIMEOUT)
        except Exception:
            connection, self.connection = self.connection, None
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
            return None

    async def _read(self) -> int:
        import psycopg

        if self.connection is None:
            self.connection = await psycopg.AsyncConnection.connect(self.reader.conninfo, autocommit=True,
                                                                    connect_timeout=5)
        cursor = await self.connection.execute(Reader.QUERY)
        row = await cursor.fetchone()
        return row[0] if row else 0


def _bump(session: Session, _context: object) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(item, PUBLIC_MODELS) and not _made_default_page(session, item) for item in touched):
        return
    connection = session.connection()
    table = SiteVersion.metadata.tables[SiteVersion.__tablename__]
    statement = INSERTS[connection.dialect.name](table).values(id=1, version=1, changed_at=clock.now())
    connection.execute(statement.on_conflict_do_update(
        index_elements=["id"], set_={"version": table.c.version + 1, "changed_at": clock.now()}))


def _made_default_page(session: Session, item: object) -> bool:
    """The default page made where it was missing (services/pages.py:default_page) changes nothing shown:
    it is what the site served without it."""
    return isinstance(item, Page) and item in session.new and item.is_default


def install() -> None:
    """Count public changes on every session (once per process)."""
    if not event.contains(Session, "after_flush", _bump):
        event.listen(Session, "after_flush", _bump)
