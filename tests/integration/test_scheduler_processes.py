"""Two real `statuspage scheduler` processes on one database: exactly one runs the checks, each check once
per interval; when the leader is killed the other carries on; cut database connections are survived.

Real processes keep real time, so this test waits (by polling) for a few seconds of wall clock."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from statuspage.extensions import db
from statuspage.models import Check, CheckResult, SchedulerLease
from statuspage.monitoring import checks
from tests.builders import SYSTEM, START, make_component

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 2  # seconds
LEASE = 3


def results_by_check() -> dict[str, list]:
    db.session.expire_all()
    keys = dict(db.session.execute(select(Check.id, Check.key)).all())
    found: dict[str, list] = {key: [] for key in keys.values()}
    for check_id, at in db.session.execute(select(CheckResult.check_id, CheckResult.at).order_by(CheckResult.at)):
        found[keys[check_id]].append(at)
    return found


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def lease_holder() -> str | None:
    db.session.expire_all()
    lease = db.session.get(SchedulerLease, "checks")
    return lease.holder if lease else None


@pytest.mark.slow
def test_two_schedulers_one_leader_each_check_once_per_interval_and_failover(app, database_url, tmp_path,
                                                                             http_target):
    with app.app_context():
        make_component("api", "API", now=START)
        for n in range(3):
            checks.create_check({"key": f"page-{n}", "name": f"Page {n}", "component": "api", "kind": "http",
                                 "target": http_target.url(f"/ok?check={n}"), "interval": f"{INTERVAL}s",
                                 "timeout": "1s"}, by=SYSTEM, now=START)
        db.session.remove()
    (tmp_path / "checks").mkdir()
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_SECRET_KEY": "test-secret-key", "STATUSPAGE_ENV_FILE": "/nonexistent",
           "STATUSPAGE_CHECKS_DIR": str(tmp_path / "checks"), "STATUSPAGE_SCHEDULER_LEASE_SECONDS": str(LEASE)}
    statuspage = str(Path(sys.executable).with_name("statuspage"))
    logs = [open(tmp_path / f"scheduler-{n}.log", "wb") for n in range(2)]
    processes = [subprocess.Popen([statuspage, "scheduler"], cwd=ROOT, env=env, stdout=log, stderr=log)
                 for log in logs]
    try:
        with app.app_context():
            wait_for(lambda: min(map(len, results_by_check().values())) >= 5, 60, "five runs of every check")
            before = results_by_check()
            for key, times in before.items():
                gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
                assert min(gaps) > INTERVAL * 0.5, f"{key} ran twice in one interval: {gaps}"
                assert max(gaps) < INTERVAL * 2.5, f"{key} missed a turn: {gaps}"

            holder = lease_holder()
            leader_pid = int(holder.split(":")[1])
            [dead] = [p for p in processes if p.pid == leader_pid]
            dead.send_signal(signal.SIGKILL)
            dead.wait(10)
            killed_at = max(max(times) for times in before.values())
            wait_for(lambda: lease_holder() not in (None, holder), 30, "another scheduler to take the lease")
            counts = {key: len(times) for key, times in results_by_check().items()}
            wait_for(lambda: all(len(t) >= counts[k] + 3 for k, t in results_by_check().items()), 30,
                     "the new leader to run every check")
            after = results_by_check()
            for key, times in after.items():
                later = [t for t in times if t > killed_at]
                assert (later[0] - killed_at).total_seconds() < LEASE + 2 * INTERVAL + 2, key
                gaps = [(b - a).total_seconds() for a, b in zip(later, later[1:])]
                assert min(gaps) > INTERVAL * 0.5 and max(gaps) < INTERVAL * 2.5, (key, gaps)

            if db.engine.dialect.name == "postgresql":  # the database drops every connection: carry on
                db.session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
                db.session.commit()
                counts = {key: len(times) for key, times in results_by_check().items()}
                wait_for(lambda: all(len(t) >= counts[k] + 2 for k, t in results_by_check().items()), 30,
                         "checks to go on after the connections were cut")
        survivor = next(p for p in processes if p.poll() is None)
        assert survivor.poll() is None
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    with app.app_context():
        assert lease_holder() is not None
        db.session.remove()
