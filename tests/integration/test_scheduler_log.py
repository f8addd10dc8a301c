"""What the scheduler's terminal says (`make run`): the start, checks going down and up, incidents opened and
resolved by checks, failed deliveries; not APScheduler's two lines per job run, unless STATUSPAGE_LOG_LEVEL
asks for detail. The real job list runs through APScheduler's own run_job (what its executor calls), second
by second on a fixed clock; only the probes take real (short) time."""
from __future__ import annotations

import logging
import random
import socket
from datetime import timezone

import pytest
from apscheduler.executors.base import run_job
from apscheduler.schedulers.blocking import BlockingScheduler

from statuspage import clock as app_clock
from statuspage import scheduler
from statuspage.config import SettingsError, load_settings
from statuspage.extensions import db
from statuspage.monitoring.probes import ProbeLoop
from statuspage.monitoring.runner import CheckRunner
from statuspage.monitoring import checks
from tests.builders import SYSTEM, make_component, make_incident, make_subscriber
from tests.servers import free_port, wait_until

EXECUTOR_LOG = "apscheduler.executors.default"  # the logger APScheduler's thread pool runs jobs under


@pytest.fixture
def log_level():
    """configure_logging as `statuspage scheduler` calls it; the loggers are as they were afterwards."""
    names = ("", "statuspage", "apscheduler")
    before = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield scheduler.configure_logging
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers


@pytest.fixture
def probes():
    with ProbeLoop(concurrency=10) as loop:
        yield loop


def run_for(app, clock, runner, seconds: int) -> int:
    """The scheduler's jobs, as APScheduler would run them over `seconds` seconds; returns how many runs."""
    jobs = scheduler.jobs_for(app, runner)
    aps = BlockingScheduler(timezone=timezone.utc)  # never started: it only makes the Job objects
    jobs = list(zip(jobs, scheduler.add_jobs(aps, app, jobs)))
    runs = 0
    for second in range(seconds):
        for job, aps_job in jobs:
            if second % int(job.every.total_seconds()) == 0:
                if job.name == "store_check_results":
                    wait_until(lambda: not runner.in_flight)  # the probes started a moment ago have answered
                run_job(aps_job, "default", [clock.now()], EXECUTOR_LOG)
                runs += 1
        clock.advance(seconds=1)
    return runs


def said(caplog) -> list[str]:
    return [f"{record.levelname} {record.name}: {record.getMessage()}" for record in caplog.records]


def test_ninety_seconds_of_an_outage_and_its_recovery_take_a_few_lines(app, clock, probes, caplog, log_level):
    log_level("info")
    port = free_port()  # nothing listens there until the backend "comes back"
    with app.app_context():
        make_component("search", "Search")
        checks.create_check({"key": "search-backend", "name": "Search backend", "component": "search",
                             "kind": "tcp", "target": f"127.0.0.1:{port}", "interval": "5s", "timeout": "2s",
                             "failure_status": "partial_outage", "failures_to_open": 2, "successes_to_close": 2},
                            by=SYSTEM, now=app_clock.now())
        runner = CheckRunner(probes=probes, settings=app.config["SETTINGS"], holder="sched-1", rng=random.Random(3))
        caplog.clear()
        runs = run_for(app, clock, runner, 45)
        with socket.create_server(("127.0.0.1", port)):  # listening: connections are accepted by the kernel
            runs += run_for(app, clock, runner, 45)
        db.session.remove()
    lines = said(caplog)
    assert runs > 180  # ~2 job runs a second, each of which APScheduler would have logged twice
    assert not any("apscheduler" in line for line in lines), lines
    assert [line.split(":", 1)[0] for line in lines] == [
        "INFO statuspage.monitoring.runner",      # scheduler sched-1 leads the checks
        "WARNING statuspage.monitoring.results",  # check search-backend is down: ...
        "INFO statuspage.monitoring.policy",      # incident #1 opened by check search-backend: ...
        "INFO statuspage.monitoring.results",     # check search-backend is up again
        "INFO statuspage.monitoring.policy",      # incident #1 resolved by check search-backend
    ], lines
    assert "check search-backend is down: 2 failures in a row, the last: connection refused" in lines[1]
    assert "opened by check search-backend: Search is partly unavailable" in lines[2]
    assert "check search-backend is up again" in lines[3] and "resolved by check search-backend" in lines[4]


def test_debug_shows_every_job_run_and_warning_only_problems(app, clock, probes, caplog, log_level):
    with app.app_context():
        runner = CheckRunner(probes=probes, settings=app.config["SETTINGS"], holder="sched-1", rng=random.Random(3))
        log_level("debug")
        run_for(app, clock, runner, 3)
        detailed = said(caplog)
        caplog.clear()
        log_level("warning")
        run_for(app, clock, runner, 3)
        db.session.remove()
    assert sum(f"INFO {EXECUTOR_LOG}: Running job" in line for line in detailed) >= 6, detailed
    assert said(caplog) == []


def test_a_delivery_that_gives_up_is_a_warning(app, clock, probes, caplog, log_level, monkeypatch):
    import dataclasses

    log_level("info")
    settings = dataclasses.replace(app.config["SETTINGS"], smtp_port=9, delivery_attempts=1)  # nothing listens
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    with app.app_context():
        make_component("api", "API")
        make_subscriber("ana@example.com", now=clock.now())
        make_incident(components_={"api": "major_outage"}, now=clock.now())
        runner = CheckRunner(probes=probes, settings=settings, holder="sched-1", rng=random.Random(3))
        caplog.clear()
        run_for(app, clock, runner, 11)
        db.session.remove()
    lines = [line for line in said(caplog) if "delivery" in line]
    assert len(lines) == 1 and lines[0].startswith("WARNING statuspage.notify.dispatch: delivery ")
    assert "to ana@example.com failed (gave up): connection refused" in lines[0]


def test_the_log_level_setting_is_checked(tmp_path):
    environ = {"STATUSPAGE_INSTANCE_DIR": str(tmp_path), "STATUSPAGE_ENV_FILE": "/nonexistent"}
    assert load_settings(environ=environ).log_level == "info"
    assert load_settings(environ={**environ, "STATUSPAGE_LOG_LEVEL": "DEBUG"}).log_level == "debug"
    with pytest.raises(SettingsError, match="STATUSPAGE_LOG_LEVEL must be one of debug, info, warning, error, critical"):
        load_settings(environ={**environ, "STATUSPAGE_LOG_LEVEL": "loud"})
