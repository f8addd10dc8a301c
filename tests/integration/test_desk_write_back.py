"""Help desks written back: a suppressed ticket is answered, tagged, linked to the incident's known problem and set
pending in Zendesk, Freshdesk and Zammad; the incident's end solves them; an undone suppression reopens them.
Every write is an outbox row: 429 waits for Retry-After, 5xx backs off, other 4xx fail for good with the desk's
words (never its credentials), and a retry never posts a reply twice. Against local servers that answer as the
desks' APIs do (tests/desk_servers.py)."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from statuspage.extensions import db
from statuspage.models import DeliveryStatus, DeskProblem, Notification, NotificationKind, Ticket, TicketStatus
from statuspage.notify import dispatch
from statuspage.services import incidents
from statuspage.support import queue
from tests.builders import SYSTEM, make_component, make_incident, make_user, sign_in
from tests.desk_servers import FakeFreshdesk, FakeZammad, FakeZendesk

ZENDESK_TOKEN = "zd-secret-token-1234"
FRESHDESK_KEY = "fd-secret-key-5678"
ZAMMAD_TOKEN = "zm-secret-token-9012"


@pytest.fixture
def desks(app, monkeypatch):
    """The three desks on loopback, and the settings pointing at them."""
    servers = dataclasses.make_dataclass("Desks", ["zendesk", "freshdesk", "zammad"])(
        FakeZendesk("agent@example.com", ZENDESK_TOKEN), FakeFreshdesk(FRESHDESK_KEY), FakeZammad(ZAMMAD_TOKEN))
    settings = dataclasses.replace(
        app.config["SETTINGS"], zendesk_url=servers.zendesk.url, zendesk_email="agent@example.com",
        zendesk_token=ZENDESK_TOKEN, freshdesk_url=servers.freshdesk.url, freshdesk_api_key=FRESHDESK_KEY,
        freshdesk_email="agent@example.com", zammad_url=servers.zammad.url, zammad_token=ZAMMAD_TOKEN,
        zammad_group="Support", desk_timeout_s=5)
    monkeypatch.setitem(app.config, "SETTINGS", settings)
    yield servers
    for server in (servers.zendesk, servers.freshdesk, servers.zammad):
        server.close()


@pytest.fixture
def outage(app, clock):
    with app.app_context():
        make_component("dashboard", "Dashboard")
        incident = make_incident("Dashboard unavailable", components_={"dashboard": "major_outage"},
                                 now=clock.now())
        db.session.remove()
    return incident.id


def _ticket(source: str, desk_id: int, *, email: str = "ops@customer.example", now) -> int:
    """An accepted ticket from a desk (as intake stores one), without the matcher."""
    ticket = Ticket(external_id=f"{source}-{desk_id}", source=source, subject="Dashboard down",
                    body="The dashboard answers 502.", requester_email=email, plan="professional", priority=2,
                    language="en", created_at=now, received_at=now, status=TicketStatus.ACCEPTED,
                    first_response_due=now + timedelta(hours=3))
    db.session.add(ticket)
    db.session.commit()
    return ticket.id


def _suppress(source: str, desk_id: int, incident_id: int, *, now, email: str = "ops@customer.example") -> Ticket:
    ticket_id = _ticket(source, desk_id, email=email, now=now)
    return queue.link(ticket_id, incident_id, reason="about the outage", by=SYSTEM, now=now)


def _rows(**where) -> list[Notification]:
    query = select(Notification).where(Notification.kind == NotificationKind.DESK).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(query))


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_suppressed_zendesk_tickets_are_answered_tagged_linked_to_one_problem_and_pending(app, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    desks.zendesk.add_ticket(502)
    with app.app_context():
        first = _suppress("zendesk", 501, outage, now=clock.now())
        reply = first.reply["body"]
        _suppress("zendesk", 502, outage, now=clock.now(), email="dev@other.example")
        assert [(r.desk_action, r.ticket_id is not None) for r in _rows()] == [
            ("problem", True), ("suppress", True), ("suppress", True)]
        run = dispatch.deliver_due(now=clock.now())
        assert (run.sent, run.failed) == (1, 0)  # the problem row first; its tickets wait their turn
        run = dispatch.deliver_due(now=clock.now())
        assert (run.sent, run.failed) == (2, 0)
        problem = db.session.scalar(select(DeskProblem))

    auth = _basic("agent@example.com/token", ZENDESK_TOKEN)
    assert all(seen.headers["authorization"] == auth for seen in desks.zendesk.seen)
    requests = desks.zendesk.requests()
    assert requests[0][:2] == ("POST", "/api/v2/tickets.json")
    assert requests[0][2]["ticket"]["type"] == "problem"
    assert requests[0][2]["ticket"]["tags"] == [f"statuspage-incident-{outage}"]
    assert requests[0][2]["ticket"]["comment"]["public"] is False
    assert desks.zendesk.seen[0].headers["idempotency-key"].startswith("statuspage-notification-")
    assert problem.external_id == str(next(iter(set(desks.zendesk.tickets) - {501, 502})))
    assert requests[1] == ("PUT", "/api/v2/tickets/501.json", {"ticket": {
        "comment": {"body": reply, "public": True}, "status": "pending",
        "additional_tags": [f"statuspage-incident-{outage}"], "type": "incident",
        "problem_id": int(problem.external_id)}})
    assert requests[2][:2] == ("PUT", "/api/v2/tickets/502.json")
    assert requests[2][2]["ticket"]["problem_id"] == int(problem.external_id)
    assert len(requests) == 3  # one problem ticket for the incident, one update per ticket
    ticket = desks.zendesk.tickets[501]
    assert (ticket["status"], ticket["type"], ticket["tags"]) == ("pending", "incident",
                                                                  [f"statuspage-incident-{outage}"])
    assert [c["body"] for c in ticket["comments"]] == [reply]


def test_the_incident_ending_solves_its_tickets_and_its_problem(app, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    desks.zammad.add_ticket(7)
    with app.app_context():
        _suppress("zendesk", 501, outage, now=clock.now())
        _suppress("zammad", 7, outage, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        incidents.resolve_incident(outage, "The dashboard is back.", by=SYSTEM, now=clock.advance(hours=1))
        assert [r.desk_action for r in _rows(status=DeliveryStatus.PENDING)] == [
            "resolve", "resolve", "close_problem", "close_problem"]
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        assert not _rows(status=DeliveryStatus.PENDING)
        problems = {p.desk: p for p in db.session.scalars(select(DeskProblem))}

    said = f"The dashboard is back.\n\nhttps://status.example.com/incidents/{outage}\n"
    assert desks.zendesk.requests()[-2:] == [
        ("PUT", "/api/v2/tickets/501.json", {"ticket": {"comment": {"body": said, "public": True},
                                                        "status": "solved"}}),
        ("PUT", f"/api/v2/tickets/{problems['zendesk'].external_id}.json", {"ticket": {
            "comment": {"body": f"Resolved: Dashboard unavailable\nhttps://status.example.com/incidents/{outage}\n",
                        "public": False}, "status": "solved"}})]
    assert desks.zendesk.tickets[501]["status"] == "solved"
    zammad = desks.zammad.requests(writes_only=True)
    assert zammad[-3:] == [
        ("POST", "/api/v1/ticket_articles", {"ticket_id": 7, "body": said, "content_type": "text/plain",
                                             "internal": False, "type": "email", "sender": "Agent",
                                             "to": "ops@customer.example", "subject": zammad[-3][2]["subject"]}),
        ("PUT", "/api/v1/tickets/7", {"state": "closed"}),
        ("PUT", f"/api/v1/tickets/{problems['zammad'].external_id}", {"state": "closed"})]
    assert desks.zammad.tickets[7]["state"] == "closed"


def test_freshdesk_suppression_makes_a_tracker_replies_tags_and_sets_pending(app, clock, desks, outage):
    desks.freshdesk.add_ticket(42, tags=["vip"])
    with app.app_context():
        ticket = _suppress("freshdesk", 42, outage, now=clock.now())
        reply = ticket.reply["body"]
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        tracker = db.session.scalar(select(DeskProblem)).external_id

    auth = _basic(FRESHDESK_KEY, "X")
    assert {seen.headers["authorization"] for seen in desks.freshdesk.seen} == {auth}
    requests = desks.freshdesk.requests()
    assert requests[0] == ("POST", "/api/v2/tickets", {
        "subject": "Dashboard unavailable", "description": requests[0][2]["description"],
        "email": "agent@example.com", "priority": 1, "status": 2, "tags": [f"statuspage-incident-{outage}"],
        "related_ticket_ids": [42]})
    assert requests[1] == ("POST", "/api/v2/tickets/42/reply",
                           {"body": reply.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                            .replace('"', "&quot;").replace("'", "&#x27;").replace("\n", "<br>\n")})
    assert requests[2:] == [
        ("GET", "/api/v2/tickets/42", None),
        ("PUT", "/api/v2/tickets/42", {"status": 3, "tags": ["vip", f"statuspage-incident-{outage}"]})]
    assert desks.freshdesk.tickets[42]["status"] == 3
    assert desks.freshdesk.tickets[int(tracker)]["related_ticket_ids"] == [42]


def test_a_second_freshdesk_ticket_is_tagged_not_linked_through_an_undocumented_call(app, clock, desks, outage):
    """Freshdesk's API v2 links tickets to a tracker only when it is made: the second ticket gets the reply, tag and
    pending status, and no request outside the documented endpoints."""
    desks.freshdesk.add_ticket(42)
    desks.freshdesk.add_ticket(43)
    with app.app_context():
        _suppress("freshdesk", 42, outage, now=clock.now())
        _suppress("freshdesk", 43, outage, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        assert {row.status for row in _rows()} == {DeliveryStatus.SENT}
    second = [r for r in desks.freshdesk.requests() if "/43" in r[1]]
    assert [r[:2] for r in second] == [("POST", "/api/v2/tickets/43/reply"), ("GET", "/api/v2/tickets/43"),
                                        ("PUT", "/api/v2/tickets/43")]
    assert desks.freshdesk.tickets[43]["status"] == 3
    assert desks.freshdesk.tickets[43]["tags"] == [f"statuspage-incident-{outage}"]
    documented = re.compile(r"/api/v2/tickets(/\d+(/reply|/notes|/conversations)?)?")
    assert all(documented.fullmatch(path) for _method, path, _body in desks.freshdesk.requests())


def test_zammad_suppression_posts_an_article_sets_pending_reminder_tags_and_links(app, clock, desks, outage):
    desks.zammad.add_ticket(7)
    with app.app_context():
        ticket = _suppress("zammad", 7, outage, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        problem = db.session.scalar(select(DeskProblem))

    assert {seen.headers["authorization"] for seen in desks.zammad.seen} == {f"Token token={ZAMMAD_TOKEN}"}
    requests = desks.zammad.requests()
    assert requests[0][:2] == ("POST", "/api/v1/tickets")
    assert requests[0][2]["group"] == "Support" and requests[0][2]["article"]["internal"] is True
    assert requests[1:] == [
        ("POST", "/api/v1/ticket_articles", {"ticket_id": 7, "body": ticket.reply["body"],
                                             "content_type": "text/plain", "internal": False, "type": "email",
                                             "sender": "Agent", "to": "ops@customer.example",
                                             "subject": ticket.reply["subject"]}),
        ("PUT", "/api/v1/tickets/7", {"state": "pending reminder",
                                      "pending_time": (clock.now() + timedelta(days=1)).isoformat()}),
        ("POST", "/api/v1/tags/add", {"object": "Ticket", "o_id": 7, "item": f"statuspage-incident-{outage}"}),
        ("POST", "/api/v1/links/add", {"link_type": "normal", "link_object_source": "Ticket",
                                       "link_object_source_number": problem.number,
                                       "link_object_target": "Ticket", "link_object_target_value": 7})]
    assert desks.zammad.links == [(problem.number, 7)]
    assert desks.zammad.tickets[7]["tags"] == [f"statuspage-incident-{outage}"]


def test_an_agents_unlink_and_the_customers_not_mine_reopen_the_ticket_with_an_internal_note(
        app, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    desks.freshdesk.add_ticket(42)
    desks.zammad.add_ticket(7)
    with app.app_context():
        zendesk = _suppress("zendesk", 501, outage, now=clock.now())
        freshdesk = _suppress("freshdesk", 42, outage, now=clock.now())
        zammad = _suppress("zammad", 7, outage, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        tracker = db.session.scalar(select(DeskProblem).where(DeskProblem.desk == "freshdesk")).external_id
        zammad_problem = db.session.scalar(select(DeskProblem).where(DeskProblem.desk == "zammad"))
        number, db_problem_id = zammad_problem.number, zammad_problem.external_id
        assert desks.zammad.links == [(number, 7)]
        queue.unlink(zendesk.id, reason="billing question", by=SYSTEM, now=clock.now())
        queue.not_mine(freshdesk.id, outage, now=clock.now())
        queue.unlink(zammad.id, by=SYSTEM, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass

    tag = f"statuspage-incident-{outage}"
    method, path, body = desks.zendesk.requests()[-1]
    assert (method, path) == ("PUT", "/api/v2/tickets/501.json")
    assert body == {"ticket": {"comment": {"body": body["ticket"]["comment"]["body"], "public": False},
                               "status": "open", "remove_tags": [tag], "type": "question"}}
    assert "an agent unlinked it: billing question" in body["ticket"]["comment"]["body"]
    assert desks.zendesk.tickets[501]["status"] == "open" and tag not in desks.zendesk.tickets[501]["tags"]
    note, read, update = desks.freshdesk.requests()[-3:]
    assert note[:2] == ("POST", "/api/v2/tickets/42/notes") and note[2]["private"] is True
    assert "the customer said it is about something else" in note[2]["body"]
    assert read == ("GET", "/api/v2/tickets/42", None)
    assert update == ("PUT", "/api/v2/tickets/42", {"status": 2, "tags": []})
    assert desks.freshdesk.tickets[int(tracker)]["related_ticket_ids"] == [42]  # no documented unlink
    article, state, untag, unlinked = desks.zammad.requests()[-4:]
    assert article[:2] == ("POST", "/api/v1/ticket_articles")
    assert (article[2]["internal"], article[2]["type"]) == (True, "note")
    assert "an agent unlinked it" in article[2]["body"]
    assert state == ("PUT", "/api/v1/tickets/7", {"state": "open"})
    assert untag == ("DELETE", "/api/v1/tags/remove", {"object": "Ticket", "o_id": 7, "item": tag})
    problem_id = int(db_problem_id)
    assert unlinked == ("DELETE", "/api/v1/links/remove", {
        "link_type": "normal", "link_object_source": "Ticket", "link_object_source_value": problem_id,
        "link_object_target": "Ticket", "link_object_target_value": 7})
    assert desks.zammad.links == [] and desks.zammad.tickets[7]["state"] == "open"


def test_a_ticket_never_written_to_its_desk_is_not_reopened_there(app, clock, desks, outage, monkeypatch):
    desks.zendesk.add_ticket(501)
    with app.app_context():
        bare = dataclasses.replace(app.config["SETTINGS"], zendesk_token="")
        monkeypatch.setitem(app.config, "SETTINGS", bare)
        ticket = _suppress("zendesk", 501, outage, now=clock.now())
        assert _rows() == []  # no credentials: nothing queued
        monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(bare, zendesk_token=ZENDESK_TOKEN))
        queue.unlink(ticket.id, by=SYSTEM, now=clock.now())
        assert _rows() == []


def test_a_429_waits_for_retry_after_and_holds_back_the_desks_other_rows(app, clock, desks, outage):
    desks.zammad.add_ticket(7)
    desks.zammad.add_ticket(8)
    with app.app_context():
        _suppress("zammad", 7, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())  # the problem ticket
        _suppress("zammad", 8, outage, now=clock.now())
        before = len(desks.zammad.seen)
        desks.zammad.fail("POST", "/api/v1/ticket_articles", 429, headers={"Retry-After": "120"},
                          body={"error": "Too Many Requests"})
        run = dispatch.deliver_due(now=clock.now())
        assert (run.sent, run.retried, run.postponed) == (0, 1, 1)
        assert len(desks.zammad.seen) == before + 1  # the second ticket's row never went out
        rows = _rows(status=DeliveryStatus.PENDING)
        assert [(r.attempts, r.next_attempt_at) for r in rows] == [(0, clock.now() + timedelta(seconds=120))] * 2
        assert "429" in rows[0].last_error
        assert dispatch.deliver_due(now=clock.advance(seconds=119)).sent == 0
        assert len(desks.zammad.seen) == before + 1
        assert dispatch.deliver_due(now=clock.advance(seconds=1)).sent == 2
    assert [len(desks.zammad.tickets[n]["articles"]) for n in (7, 8)] == [1, 1]


def test_a_5xx_is_retried_with_backoff_and_a_lost_answer_never_doubles_the_reply(app, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    with app.app_context():
        _suppress("zendesk", 501, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())  # the problem ticket
        desks.zendesk.fail("PUT", r"/api/v2/tickets/501\.json", 503)
        run = dispatch.deliver_due(now=clock.now())
        assert run.retried == 1
        [row] = _rows(status=DeliveryStatus.PENDING)
        assert (row.attempts, row.next_attempt_at) == (1, clock.now() + timedelta(minutes=1))
        assert dispatch.deliver_due(now=clock.advance(seconds=59)).sent == 0
        # The desk takes the next update but its answer is lost (a 500 after the work).
        desks.zendesk.fail("PUT", r"/api/v2/tickets/501\.json", 500, apply=True)
        assert dispatch.deliver_due(now=clock.advance(seconds=1)).retried == 1
        assert len(desks.zendesk.tickets[501]["comments"]) == 1
        assert dispatch.deliver_due(now=clock.advance(minutes=2)).sent == 1
        [row] = _rows(desk_action="suppress")
        assert row.status == DeliveryStatus.SENT
        comment_id = str(desks.zendesk.tickets[501]["comments"][0]["id"])
        assert row.desk_state["done"]["update"] == {"comment": comment_id}
    assert len(desks.zendesk.tickets[501]["comments"]) == 1  # found by its text, not posted again
    assert desks.zendesk.requests()[-1][:2] == ("GET", "/api/v2/tickets/501/comments.json")


def test_a_freshdesk_reply_tried_without_an_answer_is_looked_for_before_posting(app, clock, desks, outage):
    desks.freshdesk.add_ticket(42)
    with app.app_context():
        _suppress("freshdesk", 42, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())  # the tracker
        desks.freshdesk.fail("POST", "/api/v2/tickets/42/reply", 502, apply=True)
        dispatch.deliver_due(now=clock.now())
        while dispatch.deliver_due(now=clock.advance(minutes=5)).sent:
            pass
        [row] = _rows(desk_action="suppress")
        assert row.status == DeliveryStatus.SENT
    replies = [c for c in desks.freshdesk.tickets[42]["conversations"] if not c["private"]]
    assert len(replies) == 1
    assert [r[:2] for r in desks.freshdesk.requests()].count(("POST", "/api/v2/tickets/42/reply")) == 1


def test_a_resolution_waits_for_the_tickets_suppression_to_land_first(app, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    with app.app_context():
        _suppress("zendesk", 501, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())  # the problem ticket
        desks.zendesk.fail("PUT", r"/api/v2/tickets/501\.json", 503)
        dispatch.deliver_due(now=clock.now())
        incidents.resolve_incident(outage, "Fixed.", by=SYSTEM, now=clock.now())
        assert dispatch.deliver_due(now=clock.now()).sent == 0  # the suppression is due in a minute: all wait
        assert dispatch.deliver_due(now=clock.advance(minutes=1)).sent == 1  # the suppression
        assert dispatch.deliver_due(now=clock.now()).sent == 1  # then the resolution
        assert dispatch.deliver_due(now=clock.now()).sent == 1  # and the problem is closed last
        statuses = [body["ticket"].get("status") for method, path, body in desks.zendesk.requests()
                    if path == "/api/v2/tickets/501.json"]
    assert statuses == ["pending", "pending", "solved"]  # the failed try, its retry, then the resolution


def test_a_4xx_fails_for_good_with_the_desks_words_and_no_credentials_in_the_log(app, clock, desks, outage, caplog):
    desks.zendesk.add_ticket(501)
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        _suppress("zendesk", 501, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())
        desks.zendesk.fail("PUT", r"/api/v2/tickets/501\.json", 422,
                           body={"error": "RecordInvalid", "description": "Record validation errors",
                                 "details": {"status": [{"description": "Status: closed prevents ticket update"}]}})
        run = dispatch.deliver_due(now=clock.now())
        [row] = _rows(desk_action="suppress")
        assert (run.failed, row.status, row.attempts) == (1, DeliveryStatus.FAILED, 1)
        assert "422" in row.last_error and "RecordInvalid" in row.last_error
        assert "closed prevents ticket update" in row.last_error
    assert "RecordInvalid" in caplog.text
    encoded = base64.b64encode(f"agent@example.com/token:{ZENDESK_TOKEN}".encode()).decode()
    assert ZENDESK_TOKEN not in caplog.text and encoded not in caplog.text
    assert ZENDESK_TOKEN not in repr(app.config["SETTINGS"])


def test_the_delivery_log_shows_a_desk_write_that_failed_for_good(app, client, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    with app.app_context():
        make_user("admin@example.com", "admin")
        _suppress("zendesk", 501, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())
        desks.zendesk.fail("PUT", r"/api/v2/tickets/501\.json", 404, body={"error": "RecordNotFound",
                                                                            "description": "Not found"})
        dispatch.deliver_due(now=clock.now())
    sign_in(client, "admin@example.com")
    page = client.get("/admin/deliveries?status=failed").get_data(as_text=True)
    assert "zendesk ticket 501" in page and "Help desk:" in page and "auto-reply, tag, pending" in page
    assert "RecordNotFound" in page and ZENDESK_TOKEN not in page


def test_wrong_credentials_fail_for_good_without_showing_them(app, clock, desks, outage, monkeypatch, caplog):
    desks.freshdesk.add_ticket(42)
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        wrong = dataclasses.replace(app.config["SETTINGS"], freshdesk_api_key="wrong-key-0000")
        monkeypatch.setitem(app.config, "SETTINGS", wrong)
        _suppress("freshdesk", 42, outage, now=clock.now())
        run = dispatch.deliver_due(now=clock.now())
        [problem, _suppress_row] = _rows()
        assert (run.failed, problem.status) == (1, DeliveryStatus.FAILED)
        assert "401" in problem.last_error and "logged in" in problem.last_error
        # The tracker failed for good: the ticket is still answered, tagged and set pending, without a link.
        dispatch.deliver_due(now=clock.now())
    assert "wrong-key-0000" not in caplog.text
    assert base64.b64encode(b"wrong-key-0000:X").decode() not in caplog.text


ZAMMAD_PAYLOAD = {
    "ticket": {"id": 77, "number": "31077", "title": "Question about invoices",
               "customer": {"email": "billing@customer.example", "firstname": "Ana", "lastname": "Lima"},
               "priority": {"name": "3 high"}, "tags": ["plan_advanced", "component_billing"],
               "created_at": "2026-11-20T09:00:00Z"},
    "article": {"subject": "Question about invoices",
                "body": "How do we download last year's invoices as one PDF?"},
}


def _zammad_post(client, payload, secret: str, *, signature: str | None = None):
    body = json.dumps(payload).encode()
    signature = signature or "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return client.post("/api/v1/tickets/zammad", data=body, content_type="application/json",
                       headers={"X-Hub-Signature": signature})


def test_a_zammad_webhook_signed_with_x_hub_signature_is_taken_in(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"],
                                                                    intake_secret="zammad-hmac-secret"))
    answer = _zammad_post(client, ZAMMAD_PAYLOAD, "zammad-hmac-secret")
    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["external_id"], answer.get_json()["plan"], answer.get_json()["priority"]) == (
        "zammad-77", "advanced", 2)
    again = _zammad_post(client, ZAMMAD_PAYLOAD, "zammad-hmac-secret")
    assert again.status_code == 200 and again.get_json()["id"] == answer.get_json()["id"]
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert (ticket.source, ticket.requester_email, ticket.requester_name) == (
            "zammad", "billing@customer.example", "Ana Lima")


@pytest.mark.parametrize("signature", ["sha1=" + "0" * 40, "sha256=abc", "", "sha1="])
def test_a_zammad_webhook_with_a_wrong_signature_is_refused(app, client, monkeypatch, signature):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"],
                                                                    intake_secret="zammad-hmac-secret"))
    body = json.dumps(ZAMMAD_PAYLOAD).encode()
    answer = client.post("/api/v1/tickets/zammad", data=body, content_type="application/json",
                         headers={"X-Hub-Signature": signature})
    assert answer.status_code == 401
    wrong_secret = _zammad_post(client, ZAMMAD_PAYLOAD, "another-secret")
    assert wrong_secret.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(Ticket)) is None


def test_a_zammad_payload_without_a_ticket_is_a_422_naming_the_shape(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"],
                                                                    intake_secret="zammad-hmac-secret"))
    answer = _zammad_post(client, {"article": {"body": "x"}}, "zammad-hmac-secret")
    assert answer.status_code == 422
    assert "Zammad" in answer.get_json()["error"]["message"]


def test_a_zendesk_ticket_suppressed_at_intake_is_written_back(app, client, clock, desks):
    """The whole path: Zendesk's webhook in, the matcher suppresses, the desk gets the same auto-reply."""
    from statuspage.services import accounts

    with app.app_context():
        for slug, name in (("dashboard", "Dashboard"), ("login", "Login")):
            make_component(slug, name)
        outage = make_incident("Dashboard and sign-in unavailable", impact="major",
                               components_={"dashboard": "major_outage", "login": "partial_outage"},
                               body="The dashboard returns 502 Bad Gateway errors and customers cannot sign in.",
                               now=clock.now() - timedelta(minutes=30))
        _record, token = accounts.create_token(role="intake", label="zendesk", by=SYSTEM, now=clock.now())
    desks.zendesk.add_ticket(48213)
    answer = client.post("/api/v1/tickets/zendesk", headers={"Authorization": f"Bearer {token}"}, json={"ticket": {
        "id": "48213", "subject": "Dashboard nicht erreichbar",
        "description": "Seit 10 Uhr bekommen wir 502 beim Login, das Dashboard ist nicht erreichbar.",
        "requester": {"email": "ops@customer.example", "name": "Ana"}, "priority": "urgent",
        "tags": "plan_professional component_dashboard", "created_at": "2026-11-20T10:12:00+01:00"}})
    assert answer.status_code == 200 and answer.get_json()["status"] == "suppressed", answer.get_json()
    with app.app_context():
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
    method, path, body = desks.zendesk.requests(writes_only=True)[-1]
    assert (method, path) == ("PUT", "/api/v2/tickets/48213.json")
    assert body["ticket"]["comment"] == {"body": answer.get_json()["reply"]["body"], "public": True}
    assert body["ticket"]["additional_tags"] == [f"statuspage-incident-{outage.id}"]
    assert desks.zendesk.tickets[48213]["status"] == "pending"


def test_a_zendesk_problem_ticket_whose_answer_was_lost_is_made_once(app, clock, desks, outage):
    desks.zendesk.add_ticket(501)
    desks.zendesk.fail("POST", r"/api/v2/tickets\.json", 502, apply=True)
    with app.app_context():
        _suppress("zendesk", 501, outage, now=clock.now())
        assert dispatch.deliver_due(now=clock.now()).retried == 1
        while dispatch.deliver_due(now=clock.advance(minutes=5)).sent:
            pass
        problem = db.session.scalar(select(DeskProblem))
    creations = [seen for seen in desks.zendesk.seen if (seen.method, seen.path) == ("POST", "/api/v2/tickets.json")]
    assert len(creations) == 2 and creations[0].headers["idempotency-key"] == creations[1].headers["idempotency-key"]
    assert sorted(desks.zendesk.tickets) == [501, int(problem.external_id)]  # Zendesk answered the first one again
    assert desks.zendesk.tickets[501]["problem_id"] == int(problem.external_id)


def test_the_link_in_the_reply_posted_to_the_desk_and_the_apis_unlink_reopen_the_tickets(app, client, clock, desks,
                                                                                          outage):
    """End to end: the customer follows the link in the article Zammad got; an agent unlinks over the API."""

    from statuspage.services import accounts

    desks.zammad.add_ticket(7)
    desks.zendesk.add_ticket(501)
    with app.app_context():
        _suppress("zammad", 7, outage, now=clock.now())
        zendesk = _suppress("zendesk", 501, outage, now=clock.now())
        _record, token = accounts.create_token(role="responder", label="support lead", by=SYSTEM, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
    [article] = [a for a in desks.zammad.tickets[7]["articles"] if not a["internal"]]
    [link] = re.findall(r"https://status\.example\.com(/tickets/not-mine/\S+)", article["body"])
    assert client.post(link).status_code == 200
    answer = client.patch(f"/api/v1/tickets/{zendesk.id}", headers={"Authorization": f"Bearer {token}"},
                          json={"incident_id": None, "reason": "a billing question"})
    assert answer.status_code == 200, answer.get_json()
    with app.app_context():
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
    assert desks.zammad.tickets[7]["state"] == "open"
    assert "the customer said it is about something else" in desks.zammad.tickets[7]["articles"][-1]["body"]
    assert desks.zendesk.tickets[501]["status"] == "open"
    assert "an agent unlinked it: a billing question" in desks.zendesk.tickets[501]["comments"][-1]["body"]
    assert desks.zendesk.tickets[501]["comments"][-1]["public"] is False


def test_a_zammad_link_whose_answer_was_lost_is_looked_up_not_added_twice(app, clock, desks, outage):
    desks.zammad.add_ticket(7)
    with app.app_context():
        _suppress("zammad", 7, outage, now=clock.now())
        dispatch.deliver_due(now=clock.now())  # the problem ticket
        desks.zammad.fail("POST", "/api/v1/links/add", 504, apply=True)
        assert dispatch.deliver_due(now=clock.now()).retried == 1
        assert dispatch.deliver_due(now=clock.advance(minutes=1)).sent == 1
        problem = db.session.scalar(select(DeskProblem))
    assert desks.zammad.links == [(problem.number, 7)]
    assert desks.zammad.requests()[-1] == (
        "GET", "/api/v1/links?link_object=Ticket&link_object_value=7", None)
    assert len(desks.zammad.tickets[7]["articles"]) == 1  # the article, answered the first time, not again


def test_unlinking_a_ticket_whose_incident_row_is_gone_writes_nothing_about_incident_none(app, clock, desks, outage):
    """tickets.incident_id is ON DELETE SET NULL: an incident deleted in the database leaves its suppressed tickets
    without one. Unlinking such a ticket makes it accepted; it queued a desk reopen for "incident None" (tag
    statuspage-incident-None), which mypy found (queue_reopened takes an incident id)."""
    desks.zendesk.add_ticket(501)
    with app.app_context():
        ticket = _suppress("zendesk", 501, outage, now=clock.now())
        while dispatch.deliver_due(now=clock.now()).sent:
            pass
        before = len(_rows())
        db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(incident_id=None))
        db.session.commit()
        queue.unlink(ticket.id, by=SYSTEM, now=clock.now())
        assert db.session.get(Ticket, ticket.id).status == TicketStatus.ACCEPTED
        assert len(_rows()) == before
