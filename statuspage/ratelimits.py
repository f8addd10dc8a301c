"""Rate-limit counters in the app's own database, shared by every worker and every host.

flask-limiter counts through a storage of the `limits` library; its memory storage counts per process, so
with two gunicorn workers a client got twice its limit (and, each worker being a process of its own, more
with more workers). This storage keeps fixed-window counters in one table (`rate_limits`): one upsert per
counted request, atomic on SQLite and PostgreSQL alike. It is the default (`database://`);
STATUSPAGE_RATELIMIT_STORAGE_URL=redis://... uses limits' Redis storage instead, memory:// the old way.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from limits.storage import Storage
from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import RateLimitCounter

SCHEME = "database"
PRUNE_EVERY = 500  # counted requests per process between deletions of expired counters
_TABLE = RateLimitCounter.metadata.tables[RateLimitCounter.__tablename__]
_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _key(key: str) -> str:
    """The row's key: limits' own (scope/client/limit), hashed when too long for the column."""
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseStorage(Storage):
    """limits' storage API over the `rate_limits` table (fixed windows: what flask-limiter uses by default).

    Used inside a request (or any application context): it talks to the current app's engine on a
    connection of its own, committing each count at once, apart from the request's own transaction.
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.counted = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = db.engine
        expired = _TABLE.c.expires_at <= now
        statement = (_INSERTS[engine.dialect.name](_TABLE)
                     .values(key=_key(key), count=amount, expires_at=now + expiry)
                     .on_conflict_do_update(index_elements=[_TABLE.c.key], set_={
                         "count": case((expired, amount), else_=_TABLE.c.count + amount),
                         "expires_at": case((expired, now + expiry), else_=_TABLE.c.expires_at)})
                     .returning(_TABLE.c.count))
        with engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            self.counted += 1
            if self.counted % PRUNE_EVERY == 0:  # counters of clients long gone
                connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
        return count

    def _row(self, key: str):
        with db.engine.connect() as connection:
            return connection.execute(select(_TABLE.c.count, _TABLE.c.expires_at).where(
                _TABLE.c.key == _key(key), _TABLE.c.expires_at > time.time())).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == _key(key)))
