"""The scheduler process (`statuspage scheduler`): one BlockingScheduler running the background jobs.

Web workers never run these. Several scheduler processes may run (two hosts, for availability):
the health checks run only in the one holding the lease (monitoring/leader.py); notification
delivery claims its rows with a conditional update, so it may run in all of them without sending
anything twice.
"""
from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from . import clock
from .export import ScheduledExport
from .extensions import db
from .monitoring.definitions import CheckFileError
from .monitoring.probes import ProbeLoop
from .monitoring.runner import CheckRunner
from .notify import dispatch
from .monitoring import checks
from .services import incidents
from .services.audit import Actor

log = logging.getLogger(__name__)
SCHEDULER = Actor(label="scheduler")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "info") -> None:
    """What the terminal shows: at `info` what a person acts on (the start, checks going down and up,
    incidents opened and resolved by checks, maintenance moving, failed deliveries, failed jobs); APScheduler
    says only what goes wrong, not the two lines per job run it writes at INFO (about three a second here).
    `debug` (STATUSPAGE_LOG_LEVEL) shows those too, and our own detail; `warning` only problems."""
    chosen = getattr(logging, level.upper())
    logging.basicConfig(format=LOG_FORMAT)
    logging.getLogger().setLevel(max(chosen, logging.INFO))  # other libraries' debug lines: never
    logging.getLogger("statuspage").setLevel(chosen)
    logging.getLogger("apscheduler").setLevel(logging.INFO if level == "debug" else max(chosen, logging.WARNING))


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable
    every: timedelta


def advance_maintenance(*, now):
    moved = incidents.advance_maintenance(now=now, by=SCHEDULER)
    for maintenance in moved:
        log.info("maintenance #%s %r is now %s", maintenance.id, maintenance.name, maintenance.status)
    return moved


def remind_maintenance(*, now):
    """Queue the reminders of maintenance windows that start soon (each window's own lead time)."""
    return incidents.send_maintenance_reminders(now=now, by=SCHEDULER)


def jobs_for(app: Flask, runner: CheckRunner) -> list[Job]:
    settings = app.config["SETTINGS"]

    def prune_results(*, now):
        if runner.leading:
            checks.prune_results(now=now, keep_days=settings.check_result_retention_days)

    exports = [Job("export_static", ScheduledExport(app, Path(settings.export_dir)), every=timedelta(seconds=2))] \
        if settings.export_dir else []
    return exports + [
        Job("run_checks", runner.tick, every=timedelta(seconds=1)),
        Job("store_check_results", runner.flush, every=timedelta(seconds=1)),
        Job("prune_check_results", prune_results, every=timedelta(hours=1)),
        Job("deliver_notifications", dispatch.deliver_due, every=timedelta(seconds=10)),
        Job("advance_maintenance", advance_maintenance, every=timedelta(seconds=30)),
        Job("remind_maintenance", remind_maintenance, every=timedelta(seconds=30)),
    ]


def sync_check_files(app: Flask) -> None:
    """Load checks/ at start, as `statuspage checks sync` does; a bad file is logged and the database kept."""
    with app.app_context():
        try:
            report = checks.sync_files(app.config["SETTINGS"].checks_dir, by=SCHEDULER, now=clock.now())
            log.info("checks synced from %s: %s", app.config["SETTINGS"].checks_dir, report)
        except CheckFileError as error:
            log.error("check files not loaded, running the checks as stored: %s", error)
        except Exception:
            log.exception("check files not loaded, running the checks as stored")
            db.session.rollback()
        finally:
            db.session.remove()


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


def add_jobs(scheduler, app: Flask, jobs: list[Job]) -> list:
    """Each job at its interval, never two runs of one at once, a late run not made up for."""
    return [scheduler.add_job(with_app(app, job), "interval", seconds=job.every.total_seconds(), id=job.name,
                              max_instances=1, coalesce=True, misfire_grace_time=None) for job in jobs]


def run(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    sync_check_files(app)
    probes = ProbeLoop(concurrency=settings.check_concurrency, ca_file=settings.check_ca_file or None)
    runner = CheckRunner(probes=probes, settings=settings)
    jobs = jobs_for(app, runner)
    scheduler = BlockingScheduler(timezone=timezone.utc)
    add_jobs(scheduler, app, jobs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # treat SIGTERM like Ctrl-C
    log.info("scheduler %s started: checks (when it leads), deliveries every 10 s, maintenance every 30 s%s; "
             "STATUSPAGE_LOG_LEVEL=debug shows every job run", runner.holder,
             ", static export to " + settings.export_dir if settings.export_dir else "")
    probes.start()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)  # let running jobs finish
    finally:
        probes.stop()
        with app.app_context():
            try:
                runner.stop(now=clock.now())
            except Exception:
                log.exception("could not hand over the lease; it expires by itself")
