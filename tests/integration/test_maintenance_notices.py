"""Issue 16, part 2: subscribers hear of a maintenance window when it is scheduled, a reminder before it
(configurable, an hour by default), when it starts and when it ends, as the window chooses; through the
outbox to mail and to chat (a real json:// receiver on loopback)."""
from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from statuspage import scheduler
from statuspage.extensions import db
from statuspage.models import Incident, Notification
from statuspage.notify import dispatch
from statuspage.services import accounts
from tests.builders import SYSTEM, START, csrf_token, make_component, make_subscriber, make_user, sign_in


@pytest.fixture
def responder(app, client):
    with app.app_context():
        make_component("database", "Database")
        _, plain = accounts.create_token(role="responder", label="ops", by=SYSTEM, now=START)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


def _schedule(client, clock, **more):
    starts = clock.now() + timedelta(days=1)
    answer = client.post("/api/v1/maintenances", json={
        "name": "Database upgrade", "body": "We upgrade the database.", "components": {"database": "under_maintenance"},
        "scheduled_for": starts.isoformat(), "scheduled_until": (starts + timedelta(hours=2)).isoformat(), **more})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _reminder_of(app, window_id):
    with app.app_context():
        return db.session.get(Incident, window_id).remind_minutes_before


def _with(app, monkeypatch, **changes):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], **changes))


def test_the_api_reminds_an_hour_before_unless_told_otherwise(app, responder, clock, monkeypatch):
    assert _reminder_of(app, _schedule(responder, clock)) == 60
    assert _reminder_of(app, _schedule(responder, clock, remind_minutes_before=None)) is None
    assert _reminder_of(app, _schedule(responder, clock, remind_minutes_before=1440)) == 1440
    _with(app, monkeypatch, maintenance_reminder_minutes=30)
    assert _reminder_of(app, _schedule(responder, clock)) == 30
    _with(app, monkeypatch, maintenance_reminder_minutes=0)
    assert _reminder_of(app, _schedule(responder, clock)) is None


def test_the_setting_is_checked_at_start(monkeypatch):
    from statuspage.config import SettingsError, load_settings
    monkeypatch.setenv("STATUSPAGE_MAINTENANCE_REMINDER_MINUTES", "20000")
    with pytest.raises(SettingsError, match="MAINTENANCE_REMINDER_MINUTES"):
        load_settings()


def test_the_console_form_starts_with_the_configured_reminder(app, client, monkeypatch):
    with app.app_context():
        make_user("ana@example.com", role="responder")
    sign_in(client)
    page = client.get("/admin/maintenance/new?lang=en").get_data(as_text=True)
    assert 'value="60" checked' in page or 'value="60" selected' in page
    _with(app, monkeypatch, maintenance_reminder_minutes=30)
    page = client.get("/admin/maintenance/new?lang=en").get_data(as_text=True)
    assert "30 min before" in page
    assert 'value="30" checked' in page or 'value="30" selected' in page
    assert csrf_token(client.get("/admin/maintenance/new"))


class Inbox:
    """A real SMTP server's handler (aiosmtpd): keeps each message's subject."""

    def __init__(self):
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.subjects.append(str(message["Subject"]))
        return "250 OK"


@pytest.fixture
def inbox(app, monkeypatch):
    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    _with(app, monkeypatch, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    yield handler
    controller.stop()


def test_subscribers_hear_of_scheduling_the_reminder_the_start_and_the_end(app, responder, clock, receiver,
                                                                           inbox):
    with app.app_context():
        make_subscriber("db@example.com", ["database"], language="de")
        _, admin_token = accounts.create_token(role="admin", label="admin", by=SYSTEM, now=START)
    answer = responder.post("/api/v1/subscribers", headers={"Authorization": f"Bearer {admin_token}"}, json={
        "notify_url": f"json://127.0.0.1:{receiver.port}/hook", "components": ["database"], "lang": "fr",
        "confirmed": True})
    assert answer.status_code == 201
    window = _schedule(responder, clock)  # reminder: the default hour; start and end: told (the defaults)

    def step(now):
        with app.app_context():
            scheduler.remind_maintenance(now=now)
            scheduler.advance_maintenance(now=now)
            dispatch.deliver_due(now=now)
            return sorted((n.kind.value, n.subscriber.address if n.subscriber.channel.value == "email" else "chat",
                           n.status.value) for n in db.session.scalars(select(Notification)))

    assert step(clock.now()) == [("update", "chat", "sent"), ("update", "db@example.com", "sent")]
    assert step(clock.advance(hours=22, minutes=59)) == [("update", "chat", "sent"),
                                                         ("update", "db@example.com", "sent")]  # 61 min before
    reminded = step(clock.advance(minutes=1))
    assert ("reminder", "chat", "sent") in reminded and ("reminder", "db@example.com", "sent") in reminded
    started = step(clock.advance(hours=1))
    assert len(started) == 6  # + the start, to both
    ended = step(clock.advance(hours=2))
    assert len(ended) == 8 and {status for *_rest, status in ended} == {"sent"}
    assert len(inbox.subjects) == 4 and "Erinnerung" in inbox.subjects[1]
    titles = [r.json()["title"] for r in receiver.received]
    assert len(titles) == 4
    assert "Database upgrade" in titles[0] and "Rappel" in titles[1]
    assert titles[2].endswith("En cours") and titles[3].endswith("Terminée")
    assert [r.json()["type"] for r in receiver.received] == ["info", "info", "info", "success"]
    with app.app_context():
        assert db.session.get(Incident, window).status == "completed"


def test_a_window_that_chooses_no_start_notice_and_no_reminder_sends_only_what_it_chose(app, responder, clock):
    with app.app_context():
        make_subscriber("db@example.com", ["database"])
    _schedule(responder, clock, remind_minutes_before=None, notify_at_start=False, notify_at_end=True)
    with app.app_context():
        for hours in (0, 23.5, 24.5, 26.5):
            now = clock.now() + timedelta(hours=hours)
            scheduler.remind_maintenance(now=now)
            scheduler.advance_maintenance(now=now)
        kinds = [n.kind.value for n in db.session.scalars(select(Notification).order_by(Notification.id))]
    assert kinds == ["update", "update"]  # scheduled, then completed: no reminder, no start
