"""Deliveries survive a worker killed with SIGKILL mid-batch and an SMTP server that goes away mid-run."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import DeliveryStatus, Notification
from statuspage.notify import dispatch
from tests.builders import deliver, make_incident, make_subscriber
from tests.servers import Inbox, free_port

ROOT = Path(__file__).resolve().parents[2]


class StallingInbox(Inbox):
    """Accepts messages, but holds the third one until released: the worker is then mid-batch."""

    def __init__(self):
        super().__init__()
        self.third_arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) == 2 and not self.release.is_set():
            self.third_arrived.set()
            # Hold the reply; the worker is killed meanwhile. asyncio must stay free: wait in a thread.
            import asyncio
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            return "451 try later"  # the killed worker never reads this
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.slow
def test_a_worker_killed_with_sigkill_mid_batch_loses_nothing(app, database_url, tmp_path, clock):
    inbox = StallingInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with app.app_context():
        for n in range(6):
            make_subscriber(f"user{n}@example.com", [])
        make_incident(now=clock.now())
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_SECRET_KEY": "test-secret-key", "STATUSPAGE_BASE_URL": "https://status.example.com",
           "STATUSPAGE_SMTP_PORT": str(smtp.port), "STATUSPAGE_ENV_FILE": "/nonexistent"}
    statuspage = str(Path(sys.executable).with_name("statuspage"))
    at = clock.now().strftime("%Y-%m-%dT%H:%M:%S%z")
    try:
        worker = subprocess.Popen([statuspage, "deliver", "--now", at], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert inbox.third_arrived.wait(30), "the worker never reached its third message"
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: two sent, one in flight, three not begun
        worker.communicate(timeout=10)  # reaps it and closes its pipes
        inbox.release.set()
        assert len(inbox.messages) == 2

        lapsed = dispatch.claim_length(app.config["SETTINGS"]) + timedelta(seconds=1)  # one lease, not minutes
        later = (clock.now() + lapsed).strftime("%Y-%m-%dT%H:%M:%S%z")
        result = subprocess.run([statuspage, "deliver", "--now", later], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    finally:
        inbox.release.set()
        smtp.stop()
    received = sorted(m["To"] for m in inbox.messages)
    assert set(received) == {f"user{n}@example.com" for n in range(6)}, "nothing is lost"
    assert len(received) <= 6 + 1, "at most one duplicate: the delivery that was in flight"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.status == DeliveryStatus.SENT)) == 6


@pytest.mark.slow
def test_after_a_scheduler_is_killed_mid_batch_a_restarted_one_delivers_the_rest_within_its_lease(app, database_url,
                                                                                                  tmp_path):
    """Real `statuspage scheduler` processes, the real clock: the one killed with SIGKILL had claimed the
    whole batch; the one started after it must not wait for those claims longer than the lease."""
    lease, everyone = 3, {f"user{n}@example.com" for n in range(30)}
    inbox = StallingInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    now = datetime.now(timezone.utc)
    with app.app_context():
        for address in sorted(everyone):
            make_subscriber(address, [], now=now)
        make_incident(now=now)
        db.session.remove()
    (tmp_path / "checks").mkdir()
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_INSTANCE_DIR": str(tmp_path),
           "STATUSPAGE_SECRET_KEY": "test-secret-key", "STATUSPAGE_BASE_URL": "https://status.example.com",
           "STATUSPAGE_SMTP_PORT": str(smtp.port), "STATUSPAGE_ENV_FILE": "/nonexistent",
           "STATUSPAGE_CHECKS_DIR": str(tmp_path / "checks"), "STATUSPAGE_SCHEDULER_LEASE_SECONDS": str(lease)}
    statuspage = str(Path(sys.executable).with_name("statuspage"))
    processes = []

    def start(name: str) -> subprocess.Popen:
        with open(tmp_path / f"{name}.log", "wb") as log:
            processes.append(subprocess.Popen([statuspage, "scheduler"], cwd=ROOT, env=env, stdout=log, stderr=log))
        return processes[-1]

    try:
        first = start("first")
        assert inbox.third_arrived.wait(60), "the scheduler never reached its third message"
        os.kill(first.pid, signal.SIGKILL)  # two sent, one in flight, 27 claimed and not begun
        first.wait(10)
        inbox.release.set()
        assert len(inbox.messages) == 2
        second = start("second")
        deadline = time.monotonic() + 60
        while {m["To"] for m in inbox.messages} != everyone:
            assert second.poll() is None, (tmp_path / "second.log").read_text()[-3000:]
            assert time.monotonic() < deadline, \
                f"{len({m['To'] for m in inbox.messages})} of 30 had their mail 60 s after the restart"
            time.sleep(0.2)  # polling for the mail, not timing anything
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
        inbox.release.set()
        smtp.stop()
    received = [m["To"] for m in inbox.messages]
    assert len(received) <= len(everyone) + 1, "at most the one in flight twice"


class SlowInbox(Inbox):
    """Takes its time over every message: a batch outlasts the delivery lease several times."""

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        await asyncio.sleep(0.4)  # the server is slow; nothing in the test is timed by this
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_slower_than_its_lease_keeps_its_claims_and_a_second_worker_sends_nothing_twice(app, monkeypatch):
    inbox = SlowInbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(
        app.config["SETTINGS"], smtp_port=smtp.port, scheduler_lease_seconds=1))
    everyone = [f"user{n}@example.com" for n in range(8)]  # 8 × 0.4 s: more than three leases
    with app.app_context():
        for address in everyone:
            make_subscriber(address, [])
        make_incident(now=datetime.now(timezone.utc))
        db.session.remove()
    runs: list[dispatch.DeliveryRun] = []

    def deliver_now():
        with app.app_context():
            runs.append(dispatch.deliver_due(now=datetime.now(timezone.utc)))
            db.session.remove()

    first = threading.Thread(target=deliver_now)
    try:
        first.start()
        while first.is_alive():  # a second worker tries all the while, as a second scheduler would
            deliver_now()
            time.sleep(0.05)
        first.join()
    finally:
        smtp.stop()
    assert sorted(m["To"] for m in inbox.messages) == everyone, "each once"
    assert sum(run.sent for run in runs) == len(everyone)


def test_an_smtp_server_that_stops_mid_run_gets_the_rest_when_it_is_back(app, clock, monkeypatch):
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], smtp_port=port))
    with app.app_context():
        for n in range(4):
            make_subscriber(f"user{n}@example.com", [])
        make_incident(now=clock.now())
    with app.app_context():
        first = dispatch.deliver_due(now=clock.now(), limit=2)
    assert first.sent == 2
    smtp.stop()  # the mail server goes away mid-run
    assert deliver(app, clock).retried == 2
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()  # ... and comes back
    try:
        assert deliver(app, clock).sent == 0  # waiting out the backoff
        clock.advance(minutes=1, seconds=1)
        assert deliver(app, clock).sent == 2
    finally:
        smtp.stop()
    assert sorted(m["To"] for m in inbox.messages) == [f"user{n}@example.com" for n in range(4)]
