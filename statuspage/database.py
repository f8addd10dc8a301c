"""The declarative Base, a UTC time column type, and transaction()."""
from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")
MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger number cannot be an id


def get_by_id(model: type[T], item_id: object) -> T | None:
    """The row with this id, or None; an id no column could hold (huge, negative, not a number) is None too."""
    from .extensions import db

    if isinstance(item_id, bool) or not isinstance(item_id, int) or not 1 <= item_id <= MAX_ID:
        return None
    return db.session.get(model, item_id)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """SQLite: write-ahead log for readers beside a writer, foreign keys on, wait instead of failing."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def transaction() -> Iterator:
    """One unit of work: commit at the end, roll back on any error. Nested uses join the outer one.

    On SQLite, units of work take turns (see _SQLiteWriters)."""
    from .extensions import db

    session = db.session
    if session.info.get("in_transaction"):
        yield session
        return
    session.info["in_transaction"] = True
    try:
        with _writers(db.engine):
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        session.info.pop("in_transaction", None)


class _SQLiteWriters:
    """One unit of work at a time on a SQLite file, across the threads and processes of this host.

    SQLite lets one writer in and makes the others retry, sleeping up to 100 ms between tries: a burst of
    tickets from many threads of two workers then waits seconds at the tail. Here they queue instead, on
    a lock in the process and an flock(2) on a file beside the database (opened per process: a
    descriptor inherited across fork would let parent and child share the lock)."""

    def __init__(self, path: str):
        self.thread_lock = threading.Lock()
        self.fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def held(self) -> Iterator[None]:
        with self.thread_lock:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_sqlite_writers: dict[tuple[str, int], _SQLiteWriters] = {}
_sqlite_writers_lock = threading.Lock()


def _writers(engine: Engine):
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return nullcontext()
    key = (os.path.abspath(path), os.getpid())
    writers = _sqlite_writers.get(key)
    if writers is None:
        with _sqlite_writers_lock:
            writers = _sqlite_writers.setdefault(key, _SQLiteWriters(key[0]))
    return writers.held()
