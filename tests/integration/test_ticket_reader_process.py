"""Tickets read in a child process beside the web worker (support/reader_process.py): the same decisions as
read in the worker, at a lower CPU priority, and a child that dies or hangs costs no ticket."""
from __future__ import annotations

import contextlib
import os
import signal

import pytest

from statuspage.support import intake as intake_service
from statuspage.support import reader_process
from tests.integration.test_ticket_intake import EXAMPLE, INVOICE, intake, outage, world  # noqa: F401  (fixtures)


@pytest.fixture
def reader(app):
    reader = reader_process.install(app)
    yield reader
    reader.stop()
    app.extensions.pop(reader_process.EXTENSION, None)


def test_the_child_decides_as_the_worker_does_at_a_lower_priority(app, client, outage, intake, reader, clock):
    assert reader.pid() != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, reader.pid()) >= os.getpriority(os.PRIO_PROCESS, 0) + 10
    with app.app_context():
        for payload in (EXAMPLE, INVOICE):
            ticket = intake_service.ticket_in(payload)
            in_child = reader.read(ticket, now=clock.now())
            assert in_child == intake_service.read_ticket(ticket, now=clock.now())
        assert in_child.incident_id is None and reader.read(intake_service.ticket_in(EXAMPLE),
                                                            now=clock.now()).incident_id == outage
    known = client.post("/api/v1/tickets", json=EXAMPLE, headers=intake).get_json()
    assert known["status"] == "suppressed" and known["incident"]["id"] == outage
    other = client.post("/api/v1/tickets", json=INVOICE, headers=intake)
    assert other.status_code == 201 and other.get_json()["status"] == "accepted"


def test_a_child_that_dies_costs_no_ticket_and_is_replaced(client, outage, intake, reader):
    first = reader.pid()
    os.kill(first, signal.SIGKILL)
    answer = client.post("/api/v1/tickets", json=EXAMPLE, headers=intake)
    assert answer.status_code == 200 and answer.get_json()["incident"]["id"] == outage
    assert reader.pid() != first
    again = client.post("/api/v1/tickets", json={**EXAMPLE, "external_id": "ZD-2"}, headers=intake)
    assert again.status_code == 200 and again.get_json()["incident"]["id"] == outage


def test_a_child_that_hangs_is_given_up_and_the_ticket_read_here(client, outage, intake, reader, monkeypatch):
    stuck = reader.pid()
    monkeypatch.setattr(reader_process, "READ_TIMEOUT_S", 2)
    os.kill(stuck, signal.SIGSTOP)   # alive, but reads nothing: not even a ticket larger than the pipe holds
    long_thread = EXAMPLE["body"] + "\n\n" + "> earlier mail in the thread\n" * 3000
    try:
        answer = client.post("/api/v1/tickets", json={**EXAMPLE, "body": long_thread}, headers=intake)
        assert answer.status_code == 200 and answer.get_json()["incident"]["id"] == outage
        assert reader.pid() != stuck
    finally:
        with contextlib.suppress(ProcessLookupError):   # given up: killed already
            os.kill(stuck, signal.SIGKILL)
