"""The scheduler process (`statuspage scheduler`): one BlockingScheduler running the background jobs.

Web workers never run these: gunicorn forks several, and every job here claims its rows with a
conditional update, so even two schedulers started by mistake never send anything twice.
"""
from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from . import clock
from .extensions import db
from .notify import dispatch
from .services import incidents
from .services.audit import Actor

log = logging.getLogger(__name__)
SCHEDULER = Actor(label="scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable
    every: timedelta


def advance_maintenance(*, now):
    return incidents.advance_maintenance(now=now, by=SCHEDULER)


JOBS = [
    Job("deliver_notifications", dispatch.deliver_due, every=timedelta(seconds=10)),
    Job("advance_maintenance", advance_maintenance, every=timedelta(seconds=30)),
]


def with_app(app: Flask, job: Job) -> Callable[[], None]:
    """Run a job in an application context with the current time; log its failure, never die of it."""
    def run() -> None:
        with app.app_context():
            try:
                job.func(now=clock.now())
            except Exception:  # a job that fails now runs again at its next turn
                log.exception("job %s failed", job.name)
                db.session.rollback()
            finally:
                db.session.remove()
    return run


def run(app: Flask) -> None:
    scheduler = BlockingScheduler(timezone=timezone.utc)
    for job in JOBS:
        scheduler.add_job(with_app(app, job), "interval", seconds=job.every.total_seconds(), id=job.name,
                          max_instances=1, coalesce=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # treat SIGTERM like Ctrl-C
    log.info("scheduler started with %s", ", ".join(job.name for job in JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)  # let running jobs finish
