"""The runner inside `statuspage scheduler`: when each check runs, and where its outcome goes.

The leader keeps every enabled check in a heap ordered by due time. The first run of a check is
placed at a random point of its interval (so a thousand checks added at once do not fire at once);
every later run is exactly one interval after the previous one was due, so each check runs once per
interval and lateness can be measured. A check still running when it is due again is skipped that
turn: runs of one check never overlap. Probes run on the ProbeLoop (asyncio, bounded concurrency);
their outcomes wait in a queue until `flush` stores them in one transaction per batch and hands the
components that need it to the policy. If the database is away, outcomes stay queued and are stored
when it is back.
"""
from __future__ import annotations

import concurrent.futures
import functools
import gc
import heapq
import logging
import queue
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, type_coerce
from sqlalchemy.types import NullType

from ..config import Settings
from ..extensions import db
from ..models import Check, CheckKind
from . import leader, policy, results
from .probes import HttpExpect, ProbeLoop, ProbeResult, ProbeSpec
from .results import Outcome

log = logging.getLogger(__name__)
REFRESH_EVERY = timedelta(seconds=10)  # how soon a changed check file or console edit reaches the runner
MAX_QUEUED = 200_000  # outcomes kept while the database is away; beyond this the oldest are dropped
FLUSH_BATCH = 2_000
FREEZE_AFTER_LOADING = 1_000  # checks loaded at once (the first load, a large sync): see _freeze_long_lived


def store_outcomes(outcomes: list[Outcome], *, now: datetime, settings: Settings) -> None:
    """The one pipeline after the probes, for the runner (CheckRunner.flush) and for `checks run-once` and the
    console's "Run now" (checks.py:run_checks): store the outcomes in one transaction, then let the policy
    look at the components they moved. Raises only when the outcomes could not be stored (the policy then
    has not run): reconcile keeps one component's trouble to itself."""
    attention = results.record(outcomes, now=now, tz=settings.tz)
    policy.reconcile(attention, now=now, auto_resolve=settings.checks_auto_resolve)


class ProbeColumns(Protocol):
    """What spec_for reads: a Check, or a row of the checks table with these columns."""

    @property
    def kind(self) -> CheckKind: ...
    @property
    def target(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def options(self) -> dict[str, Any] | None: ...


def spec_for(check: ProbeColumns) -> ProbeSpec | None:
    """The probe for a check (None for heartbeats, which nothing probes); a row of the checks table with
    kind, target, timeout_seconds and options does as well as a Check."""
    if check.kind is CheckKind.HEARTBEAT:
        return None
    options = check.options or {}
    expect = options.get("expect", {})
    rule = expect.get("json") or {}
    http_expect = HttpExpect(
        status=tuple(expect.get("status", ())), body_contains=expect.get("body_contains"),
        body_regex=expect.get("body_regex"), json_path=rule.get("path"),
        max_latency_ms=expect.get("max_latency_ms"), **({"json_equals": rule["equals"]} if "equals" in rule else {}))
    return ProbeSpec(
        kind=check.kind.value, target=check.target, timeout=check.timeout_seconds,
        method=options.get("method", "GET"), headers=tuple(options.get("headers", {}).items()),
        follow_redirects=options.get("follow_redirects", True), verify_tls=options.get("verify_tls", True),
        expect=http_expect, dns_answers=tuple(expect.get("answers", ())),
        tls_min_days=expect.get("min_days_valid", 14))


@dataclass
class Planned:
    version: object  # the check's updated_at when it was loaded, as the database gives it: a change reloads it
    interval: timedelta
    spec: ProbeSpec | None


def _freeze_long_lived() -> None:
    """Keep the garbage collector's full passes off everything alive now: the application and the plans.

    With 10,000 checks the process tracks some 300,000 objects that live as long as it does, and every
    full collection walked them all: 0.1 to 0.9 s with every thread stopped, often enough to make runs
    late by seconds. Frozen objects are still freed when nothing refers to them; only cycles among them
    would stay, so what is garbage already is collected first.
    """
    gc.collect()
    gc.freeze()


class CheckRunner:
    def __init__(self, *, probes: ProbeLoop, settings: Settings, holder: str | None = None,
                 rng: random.Random | None = None) -> None:
        self.probes = probes
        self.settings = settings
        self.holder = holder or leader.new_holder_id()
        self.rng = rng or random.Random()
        self.ttl = timedelta(seconds=settings.scheduler_lease_seconds)
        self.planned: dict[int, Planned] = {}
        self.heap: list[tuple[datetime, int]] = []
        self.in_flight: set[int] = set()
        self.outcomes: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.leading_until: datetime | None = None
        self.refreshed_at: datetime | None = None
        self.lock = threading.Lock()  # tick and flush run in different scheduler threads

    @property
    def leading(self) -> bool:
        return self.leading_until is not None

    def tick(self, *, now: datetime) -> int:
        """Renew leadership, pick up changed checks, start what is due. Returns how many runs started."""
        with self.lock:
            if not leader.hold(self.holder, now=now, ttl=self.ttl):
                if self.leading:
                    log.info("scheduler %s no longer leads; stopping its checks", self.holder)
                self._forget()
                return 0
            if not self.leading:
                log.info("scheduler %s leads the checks", self.holder)
            self.leading_until = now + self.ttl
            if self.refreshed_at is None or now - self.refreshed_at >= REFRESH_EVERY:
                self.refresh(now=now)
            return self._dispatch(now)

    def refresh(self, *, now: datetime) -> None:
        """Load new and changed checks, drop removed and disabled ones.

        Every 10 s this reads the id and updated_at of every enabled check (10,000 rows at scale), so it
        reads them as plain columns, and updated_at unconverted (it is only compared); then only the
        columns a probe needs, of the checks that are new or changed.
        """
        table = Check.__table__
        versions: dict[int, object] = dict(db.session.execute(
            select(table.c.id, type_coerce(table.c.updated_at, NullType())).where(table.c.enabled)).all())
        for check_id in set(self.planned) - set(versions):
            del self.planned[check_id]
        changed = [check_id for check_id, version in versions.items()
                   if check_id not in self.planned or self.planned[check_id].version != version]
        for start in range(0, len(changed), 500):
            for check in db.session.execute(
                    select(table.c.id, table.c.kind, table.c.target, table.c.timeout_seconds, table.c.options,
                           table.c.interval_seconds).where(table.c.id.in_(changed[start:start + 500]))):
                interval = timedelta(seconds=check.interval_seconds)
                fresh = check.id not in self.planned
                self.planned[check.id] = Planned(versions[check.id], interval, spec_for(check))
                if fresh:
                    heapq.heappush(self.heap, (now + interval * self.rng.random(), check.id))
        db.session.rollback()  # end the read transaction; nothing was written
        self.refreshed_at = now
        if len(changed) >= FREEZE_AFTER_LOADING:
            _freeze_long_lived()

    def _dispatch(self, now: datetime) -> int:
        started = 0
        while self.heap and self.heap[0][0] <= now:
            due, check_id = heapq.heappop(self.heap)
            planned = self.planned.get(check_id)
            if planned is None:
                continue  # removed: it leaves the heap here
            following = due + planned.interval
            while following <= now:  # far behind (e.g. after a pause): skip the missed turns
                following += planned.interval
            heapq.heappush(self.heap, (following, check_id))
            if check_id in self.in_flight:
                continue  # the last run is still going: never two runs of one check at once
            if planned.spec is None:
                self.outcomes.put(Outcome(check_id, due, None))
            else:
                self.in_flight.add(check_id)
                future = self.probes.submit(planned.spec, now=now)
                future.add_done_callback(functools.partial(self._done, check_id, due))
            started += 1
        return started

    def _done(self, check_id: int, due: datetime, future: concurrent.futures.Future[ProbeResult]) -> None:
        self.in_flight.discard(check_id)
        if future.cancelled() or future.exception() is not None:
            return  # only at shutdown: probes themselves never raise
        self.outcomes.put(Outcome(check_id, due, future.result()))

    def flush(self, *, now: datetime) -> int:
        """Store what finished and apply the policy; returns how many outcomes were stored."""
        batch: list[Outcome] = []
        while len(batch) < FLUSH_BATCH:
            try:
                batch.append(self.outcomes.get_nowait())
            except queue.Empty:
                break
        if not batch:
            return 0
        if not self.leading:
            return 0  # a former leader's late results: the new leader runs these checks now
        try:
            store_outcomes(batch, now=now, settings=self.settings)
        except Exception:
            log.exception("could not store %d check results; keeping them for the next try", len(batch))
            db.session.rollback()
            if self.outcomes.qsize() + len(batch) <= MAX_QUEUED:
                for outcome in batch:
                    self.outcomes.put(outcome)
            return 0
        return len(batch)

    def stop(self, *, now: datetime) -> None:
        """At a clean stop: store what is queued and hand the lease over at once."""
        if self.leading:
            self.flush(now=now)
            leader.release(self.holder, now=now)
        self._forget()

    def _forget(self) -> None:
        self.leading_until = None
        self.planned.clear()
        self.heap.clear()
        self.refreshed_at = None
