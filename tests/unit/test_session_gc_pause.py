"""CPython 3.11 can run a garbage collection inside an attribute store, and SQLAlchemy's weakref callback
then frees what that store is writing (bench/README.md, "/history crashed the interpreter"): the
session's walks over its states must run with the collector paused, and leave it as it was."""
from __future__ import annotations

import gc
import sys

import pytest
from sqlalchemy import event, select

from statuspage.extensions import db
from tests.builders import make_component

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 collects only between bytecodes")


def test_commit_rollback_and_close_run_with_the_collector_paused(app):
    seen: dict[str, list[bool]] = {}

    def record(name):
        return lambda *args: seen.setdefault(name, []).append(gc.isenabled())

    with app.app_context():
        session = db.session()
        event.listen(session, "after_commit", record("commit"))
        event.listen(session, "after_soft_rollback", record("rollback"))
        make_component("api", "API")  # commits
        session.execute(select(1))  # each walk below has a transaction to end
        session.rollback()
        session.execute(select(1))
        event.listen(session, "after_transaction_end", record("close"))  # from here on, only close ends one
        session.close()
    assert set(seen) == {"commit", "rollback", "close"} and not any(sum(seen.values(), [])), seen
    assert gc.isenabled()
