"""The ticket-intake hook as the contract states it: suppress during known incidents, accept with the exact
due time otherwise, take every external_id once, authenticate by token or signature, map desk payloads."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry, Incident, Notification, SeenSignature, Subscriber, SubscriberIncident, Ticket,
)
from statuspage.notify.channels.webhook import signature
from statuspage.services import accounts, incidents
from tests.builders import (
    EXAMPLE, INVOICE, START, SYSTEM, body_of, deliver, make_maintenance, make_user,
    settings_with,
)

@pytest.fixture
def staff(app):
    with app.app_context():
        _record, plain = accounts.create_token(role="responder", label="support lead", by=SYSTEM, now=START)
    return {"Authorization": f"Bearer {plain}"}


def test_a_ticket_about_a_known_incident_is_suppressed_answered_and_its_requester_subscribed(app, client, outage,
                                                                                              intake):
    response = client.post("/api/v1/tickets", json=EXAMPLE, headers=intake)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "suppressed" and answer["first_response_due"] is None
    assert answer["incident"] == {"id": outage, "name": "Dashboard and sign-in unavailable", "status": "identified",
                                  "url": f"https://status.example.com/incidents/{outage}"}
    assert answer["match"]["score"] >= 0.5 and answer["match"]["reasons"]
    reply = answer["reply"]
    assert reply["language"] == "de" and reply["headers"]["Auto-Submitted"] == "auto-replied"
    assert f"https://status.example.com/incidents/{outage}" in reply["body"]
    assert "Identifiziert" in reply["body"] and "rolling back" in reply["body"]
    with app.app_context():
        subscriber = db.session.scalar(select(Subscriber).where(Subscriber.address == "ops@customer.example"))
        assert [i.id for i in subscriber.incidents] == [outage] and subscriber.is_confirmed
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "tickets")) == \
            "ticket.suppressed"


def test_the_resolution_reaches_every_linked_requester(app, client, outage, intake, clock):
    for n in range(3):
        client.post("/api/v1/tickets", json={**EXAMPLE, "external_id": f"t{n}",
                                             "requester": {"email": f"user{n}@customer.example"}}, headers=intake)
    with app.app_context():
        incidents.resolve_incident(outage, "Fixed.", by=SYSTEM, now=clock.now())
        told = db.session.scalars(select(Subscriber.address).join(Notification)
                                  .where(Notification.update_id.is_not(None))).all()
    assert sorted(told) == [f"user{n}@customer.example" for n in range(3)]


def test_any_other_ticket_is_accepted_with_its_first_response_due(client, outage, intake):
    response = client.post("/api/v1/tickets", json=INVOICE, headers=intake)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["status"] == "accepted" and answer["incident"] is None
    assert answer["first_response_due"] == "2026-11-20T13:12:00+01:00"  # 3 business hours, professional p1
    assert answer["reply"]["language"] == "en" and "Nov 20, 2026, 1:12\u202fPM CET" in answer["reply"]["body"]


@pytest.mark.parametrize("fields, priority, due", [
    ({}, 3, None),                                                       # basic: first come, first served
    ({"plan": "advanced", "priority": 1}, 1, "2026-11-20T11:12:00+01:00"),  # 1 hour, 24/7
    ({"plan": "advanced", "priority": 2}, 2, "2026-11-20T13:12:00+01:00"),
    ({"plan": "professional"}, 3, "2026-11-23T11:12:00+01:00"),        # 9 business hours: Monday
    ({"plan": "professional", "priority": 1, "environment": "staging"}, 3, "2026-11-23T11:12:00+01:00"),
])
def test_priority_and_due_time_follow_the_support_policy(client, world, intake, fields, priority, due):
    body = {"subject": "Question", "body": "How do I export a report?", "requester": {"email": "a@b.example"},
            "created_at": "2026-11-20T10:12:00+01:00", **fields}
    answer = client.post("/api/v1/tickets", json=body, headers=intake).get_json()
    assert (answer["priority"], answer["first_response_due"]) == (priority, due)


def test_a_staging_ticket_is_never_suppressed(client, outage, intake):
    answer = client.post("/api/v1/tickets", json={**EXAMPLE, "environment": "staging"}, headers=intake).get_json()
    assert answer["status"] == "accepted" and answer["priority"] == 3


def test_upcoming_maintenance_is_no_match_but_maintenance_in_progress_is(app, client, world, intake, clock):
    question = {"subject": "Database maintenance next week", "body": "Will the database be unavailable during the "
                "maintenance window? We need to plan.", "requester": {"email": "a@b.example"}}
    with app.app_context():
        make_maintenance("Database upgrade", components_=("database",), now=clock.now())
    assert client.post("/api/v1/tickets", json=question, headers=intake).get_json()["status"] == "accepted"
    with app.app_context():
        window = make_maintenance("Database failover", components_=("database",), starts=clock.now(),
                                  now=clock.now())
        incidents.advance_maintenance(now=clock.now(), by=SYSTEM)
    clock.advance(minutes=5)
    down = {"subject": "Database unreachable", "body": "Our queries fail: the database is not reachable.",
            "requester": {"email": "c@d.example"}, "component": "database"}
    answer = client.post("/api/v1/tickets", json=down, headers=intake).get_json()
    assert answer["status"] == "suppressed" and answer["incident"]["id"] == window.id
    assert answer["incident"]["url"].endswith(f"/maintenance/{window.id}")


def test_the_same_external_id_twice_returns_the_first_answer_and_stores_nothing_twice(app, client, outage,
                                                                                      intake):
    first = client.post("/api/v1/tickets", json=INVOICE | {"external_id": 4711}, headers=intake)
    again = client.post("/api/v1/tickets", json=INVOICE | {"external_id": 4711, "subject": "changed"},
                        headers=intake)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_same_external_id_at_the_same_moment_is_taken_once(app, outage, intake):
    barrier, answers = threading.Barrier(6), []

    def post():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/api/v1/tickets", json=EXAMPLE, headers=intake))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {200}
    assert len({json.dumps(a.get_json(), sort_keys=True) for a in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(select(func.count()).select_from(SubscriberIncident)) == 1


@pytest.mark.parametrize("body, field", [
    ({"subject": "x"}, "requester"),
    ({"requester": {"email": "a@b.example"}}, "subject"),
    ({"subject": "x", "requester": {"email": "not an address"}}, "requester.email"),
    ({"subject": "x", "requester": {"email": "a@b.example"}, "priority": 4}, "priority"),
    ({"subject": "x", "requester": {"email": "a@b.example"}, "plan": "gold"}, "plan"),
    ({"subject": "x", "requester": {"email": "a@b.example"}, "created_at": "yesterday"}, "created_at"),
    ({"subject": "x", "requester": {"email": "a@b.example"}, "created_at": "2026-11-20T10:12:00"}, "created_at"),
    ({"subject": "x\u0000", "requester": {"email": "a@b.example"}}, "subject"),
])
def test_a_bad_ticket_gets_a_clear_422_and_stores_nothing(app, client, world, intake, body, field):
    response = client.post("/api/v1/tickets", json=body, headers=intake)
    assert response.status_code == 422
    assert field in json.dumps(response.get_json()["error"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.parametrize("created_at, stored, due", [
    ("1971-01-01T00:00:00+00:00", START - timedelta(days=7), "2026-11-13T13:12:00+01:00"),  # a week at most
    ("2999-01-01T00:00:00+00:00", START, "2026-11-20T13:12:00+01:00"),  # never later than its arrival
])
def test_a_created_at_far_from_arrival_is_clamped_and_the_answer_says_so(app, client, world, intake, staff,
                                                                          created_at, stored, due):
    client.post("/api/v1/tickets", json={**INVOICE, "external_id": "on-time"}, headers=intake)
    response = client.post("/api/v1/tickets", json={**INVOICE, "created_at": created_at}, headers=intake)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["first_response_due"] == due
    [warning] = answer["warnings"]
    assert warning["code"] == "created_at_clamped" and created_at[:10] in warning["message"]
    with app.app_context():
        assert db.session.get(Ticket, answer["id"]).created_at == stored
    queue = [t["id"] for t in client.get("/api/v1/tickets", headers=staff).get_json()]
    assert queue.index(answer["id"]) == (0 if created_at < "2026" else 1)  # at its clamped place, due or not


def test_a_created_at_near_arrival_is_kept_without_a_warning(app, client, world, intake, clock):
    for minutes in (0, -5, -24 * 60):
        created_at = (clock.now() + timedelta(minutes=minutes)).isoformat()
        answer = client.post("/api/v1/tickets", json={**INVOICE, "created_at": created_at}, headers=intake).get_json()
        assert answer["warnings"] == []
        with app.app_context():
            assert db.session.get(Ticket, answer["id"]).created_at == clock.now() + timedelta(minutes=minutes)


def test_reclassification_keeps_who_when_why_and_recomputes_from_arrival(client, world, intake, staff):
    ticket = client.post("/api/v1/tickets", json=INVOICE, headers=intake).get_json()
    changed = client.patch(f"/api/v1/tickets/{ticket['id']}", json={"priority": 3, "reason": "An invoice is not "
                                                                     "business critical"}, headers=staff)
    assert changed.status_code == 200
    shown = client.get(f"/api/v1/tickets/{ticket['id']}", headers=staff).get_json()
    assert shown["priority"] == 3 and shown["first_response_due"] == "2026-11-23T11:12:00+01:00"
    [change] = shown["changes"]
    assert (change["by"], change["old_priority"], change["new_priority"]) == ("token:support lead", 1, 3)
    assert change["reason"] == "An invoice is not business critical"
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"priority": 2}, headers=staff).status_code == 422
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"priority": 2, "reason": "x"},
                        headers=intake).status_code == 403


def test_an_unlinked_ticket_becomes_accepted_with_its_due_time_from_arrival(app, client, outage, intake, clock):
    from statuspage.support import queue

    ticket = client.post("/api/v1/tickets", json=EXAMPLE, headers=intake).get_json()
    clock.advance(hours=2)
    with app.app_context():
        unlinked = queue.unlink(ticket["id"], reason="asks about SSO settings", by=SYSTEM, now=clock.now())
        assert unlinked.status.value == "accepted" and unlinked.incident_id is None
        assert unlinked.first_response_due == datetime(2026, 11, 20, 12, 12, tzinfo=timezone.utc)  # from arrival
        assert db.session.scalar(select(func.count()).select_from(SubscriberIncident)) == 0


def test_the_queue_is_earliest_due_first_then_arrival(client, world, intake, staff):
    for external_id, plan, priority in [("a", "basic", 1), ("b", "professional", 3), ("c", "advanced", 1),
                                        ("d", "professional", 1)]:
        client.post("/api/v1/tickets", json={**INVOICE, "external_id": external_id, "plan": plan,
                                             "priority": priority}, headers=intake)
    order = [t["external_id"] for t in client.get("/api/v1/tickets?status=accepted", headers=staff).get_json()]
    assert order == ["c", "d", "b", "a"]
    assert [t["external_id"] for t in client.get("/api/v1/tickets?plan=professional&priority=1",
                                                 headers=staff).get_json()] == ["d"]


def test_a_signed_request_needs_no_token_and_a_bad_or_stale_signature_is_refused(app, client, world, clock,
                                                                                 monkeypatch):
    settings_with(app, monkeypatch, intake_secret="desk-secret")
    raw = json.dumps(INVOICE).encode()
    now = int(clock.now().timestamp())

    def post(header):
        return client.post("/api/v1/tickets", data=raw, content_type="application/json",
                           headers={"X-Statuspage-Signature": header})

    assert post(f"t={now},v1={signature('desk-secret', now, raw)}").status_code == 201
    assert post(f"t={now},v1={signature('wrong', now, raw)}").status_code == 401
    assert post(f"t={now - 600},v1={signature('desk-secret', now - 600, raw)}").status_code == 401
    assert client.post("/api/v1/tickets", json=INVOICE).status_code == 401


@pytest.mark.parametrize("route", ["/api/v1/tickets", "/api/v1/tickets/zendesk", "/api/v1/tickets/freshdesk",
                                   "/api/v1/tickets/zammad"])
@pytest.mark.parametrize("timestamp", ["9" * 4301, "\u00b2", "１２", "-5", ""])
def test_a_signature_header_of_any_shape_is_refused_not_a_crash(app, client, world, monkeypatch, route, timestamp):
    """Thousands of digits, a superscript two ("²".isdigit() is true) or full-width digits: no timestamp, 401."""
    settings_with(app, monkeypatch, intake_secret="desk-secret")
    response = client.post(route, data=b"{}", content_type="application/json",
                           headers={"X-Statuspage-Signature": f"t={timestamp},v1=aa"})
    assert response.status_code == 401


def signed_headers(raw: bytes, at: int, secret: str = "desk-secret") -> dict:
    return {"X-Statuspage-Signature": f"t={at},v1={signature(secret, at, raw)}"}


def test_a_replayed_signed_request_gets_the_first_answer_and_stores_nothing_twice(app, client, world, clock,
                                                                                  monkeypatch):
    settings_with(app, monkeypatch, intake_secret="desk-secret")
    raw = json.dumps(INVOICE).encode()  # no external_id: only the signature can tell a replay
    headers = signed_headers(raw, int(clock.now().timestamp()))
    first = client.post("/api/v1/tickets", data=raw, content_type="application/json", headers=headers)
    clock.advance(minutes=4, seconds=59)  # still within the signature's five minutes
    again = client.post("/api/v1/tickets", data=raw, content_type="application/json", headers=headers)
    padded = {"X-Statuspage-Signature": headers["X-Statuspage-Signature"] + ",v1=00ff"}  # the same, dressed up
    dressed = client.post("/api/v1/tickets", data=raw, content_type="application/json", headers=padded)
    assert (first.status_code, again.status_code, dressed.status_code) == (201, 200, 200)
    assert again.get_json() == first.get_json() == dressed.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    fresh = client.post("/api/v1/tickets", data=raw, content_type="application/json",
                        headers=signed_headers(raw, int(clock.now().timestamp())))
    assert fresh.status_code == 201  # signed anew by the desk: a new request
    clock.advance(minutes=6)  # the first signature is stale now: refused, as before, and forgotten
    assert client.post("/api/v1/tickets", data=raw, content_type="application/json",
                       headers=headers).status_code == 401
    client.post("/api/v1/tickets", data=raw, content_type="application/json",
                headers=signed_headers(raw, int(clock.now().timestamp())))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 3
        assert db.session.scalar(select(func.count()).select_from(SeenSignature)) == 1  # the others pruned


def test_a_signed_request_sent_twice_at_the_same_moment_is_taken_once(app, world, clock, monkeypatch):
    settings_with(app, monkeypatch, intake_secret="desk-secret")
    raw = json.dumps({key: value for key, value in EXAMPLE.items() if key != "external_id"}).encode()
    headers = signed_headers(raw, int(clock.now().timestamp()))
    barrier, answers = threading.Barrier(6), []

    def post():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/api/v1/tickets", data=raw, content_type="application/json", headers=headers))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({json.dumps(a.get_json(), sort_keys=True) for a in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_without_a_secret_a_signature_lets_nothing_in(client, world, clock):
    raw = json.dumps(INVOICE).encode()
    now = int(clock.now().timestamp())
    response = client.post("/api/v1/tickets", data=raw, content_type="application/json",
                           headers={"X-Statuspage-Signature": f"t={now},v1={signature('', now, raw)}"})
    assert response.status_code == 401


def test_a_zendesk_webhook_signed_the_zendesk_way(app, client, outage, clock, monkeypatch):
    settings_with(app, monkeypatch, intake_secret="zendesk-secret")
    payload = {"ticket": {"id": "48213", "subject": "Dashboard down", "description": "We get 502 Bad Gateway on "
                          "the dashboard since 10:00.", "requester": {"email": "ana@customer.example", "name": "Ana"},
                          "priority": "Urgent", "tags": "plan_professional component_dashboard vip"}}
    raw = json.dumps(payload).encode()
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    signed = base64.b64encode(hmac.new(b"zendesk-secret", stamp.encode() + raw, hashlib.sha256).digest()).decode()
    response = client.post("/api/v1/tickets/zendesk", data=raw, content_type="application/json", headers={
        "X-Zendesk-Webhook-Signature": signed, "X-Zendesk-Webhook-Signature-Timestamp": stamp})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["external_id"] == "zendesk-48213" and answer["status"] == "suppressed"
    assert (answer["plan"], answer["priority"]) == ("professional", 1)


def test_a_freshdesk_webhook_with_a_token(client, world, intake):
    payload = {"freshdesk_webhook": {"ticket_id": 9001, "ticket_subject": "Export to CSV",
                                     "ticket_description": "How can I export the report to CSV?",
                                     "ticket_requester_email": "bo@customer.example", "ticket_priority": "High",
                                     "ticket_tags": "plan_advanced"}}
    response = client.post("/api/v1/tickets/freshdesk", json=payload, headers=intake)
    assert response.status_code == 201
    answer = response.get_json()
    assert (answer["external_id"], answer["priority"], answer["plan"]) == ("freshdesk-9001", 2, "advanced")
    assert client.post("/api/v1/tickets/freshdesk", json={"x": 1}, headers=intake).status_code == 422


@pytest.mark.parametrize("fault, tags, error", [
    ({"plan": "gold"}, "plan_gold", ("invalid", "plan", "plan: Must be one of: basic, professional, advanced.")),
    ({"subject": "x" * 1001}, "", ("invalid", "subject", "subject: Longer than maximum length 1000.")),
    ({"subject": "", "body": ""}, "", ("required", "subject", "Give a subject or a body.")),
    ({"requester": {"email": "not an address"}}, "",
     ("invalid_email", "requester.email", "requester.email is not an email address.")),
])
def test_a_ticket_body_is_validated_once_so_a_desk_hears_what_the_api_says(app, client, world, intake, fault, tags,
                                                                           error):
    """One schema (support/intake.py:TicketInSchema) for the API's body and a desk's mapped one: the same
    fault gets the same 422 whichever way it came in."""
    ticket = {"subject": "Export", "body": "How do I export?", "requester": {"email": "bo@customer.example"}, **fault}
    desk = {"freshdesk_webhook": {"ticket_id": 9002, "ticket_subject": ticket["subject"],
                                  "ticket_description": ticket["body"],
                                  "ticket_requester_email": ticket["requester"]["email"], "ticket_tags": tags}}
    for url, body in (("/api/v1/tickets", ticket), ("/api/v1/tickets/freshdesk", desk)):
        response = client.post(url, json=body, headers=intake)
        assert response.status_code == 422, url
        said = response.get_json()["error"]
        assert (said["code"], said["field"], said["message"]) == error, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_desks_mapped_body_leaves_out_what_it_lacks_and_what_the_contract_does_not_know():
    """A desk's mapping fills what it lacks with None ("" for a plan tag without a value) and the evaluation's
    files carry more than the contract: ticket_in, on the API's schema, reads them as left out."""
    from statuspage.support.intake import ticket_in

    ticket = ticket_in({"subject": "Export", "body": None, "plan": "", "environment": None, "priority": None,
                        "component": None, "lang": "de", "requester": {"email": "Bo@Customer.example", "name": None,
                                                                      "organisation": "Customer"}},
                       source="zendesk")
    assert (ticket.subject, ticket.body, ticket.plan, ticket.environment, ticket.priority, ticket.component) == (
        "Export", "", "basic", "production", None, None)
    assert (ticket.requester_email, ticket.requester_name, ticket.source) == ("bo@customer.example", "", "zendesk")


def test_many_tickets_about_one_component_open_a_suspected_incident_only_the_console_sees(app, client, world, intake,
                                                                                         clock, inbox):
    with app.app_context():
        make_user("oncall@example.com", role="responder")
        make_user("reader@example.com", role="viewer")
    for n in range(5):
        body = {"subject": f"Search broken ({n})", "body": "The search returns an error for every query.",
                "requester": {"email": f"u{n}@customer.example"}, "component": "search"}
        assert client.post("/api/v1/tickets", json=body, headers=intake).get_json()["status"] == "accepted"
        clock.advance(minutes=2)
    with app.app_context():
        [suspected] = db.session.scalars(select(Incident)).all()
        assert not suspected.is_published and suspected.status == "investigating"
        assert db.session.scalar(select(func.count()).where(Ticket.incident_id == suspected.id)) == 5
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1  # the engineer's alert
    assert deliver(app, clock).sent == 1
    [alert] = inbox.messages
    assert alert["To"] == "oncall@example.com" and alert["Auto-Submitted"] == "auto-generated"
    assert f"https://status.example.com/admin/incidents/{suspected.id}" in body_of(alert)
    page = client.get("/").get_data(as_text=True)
    assert "problems reported by customers" not in page and client.get("/components/search").status_code == 200
    assert client.get(f"/incidents/{suspected.id}").status_code == 404
    with app.app_context():
        incidents.publish_incident(suspected.id, by=SYSTEM, now=clock.now())
    assert "problems reported by customers" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("subject, body", [
    ("Search filters", "How can we filter the search results by supplier?"),
    ("Search invoice", "Please send us the invoice for the search add-on."),
    ("Idea", "It would be great if the search could also find archived orders."),
])
def test_questions_about_one_component_open_no_suspected_incident(app, client, world, intake, clock, subject, body):
    for n in range(6):
        answer = client.post("/api/v1/tickets", headers=intake, json={
            "subject": f"{subject} {n}", "body": body, "requester": {"email": f"q{n}@customer.example"},
            "component": "search"}).get_json()
        assert answer["status"] == "accepted", answer
        clock.advance(minutes=1)
    with app.app_context():
        assert db.session.scalars(select(Incident)).all() == []
        assert not any(db.session.scalars(select(Ticket.reports_problem)))


def test_reports_about_a_component_under_maintenance_open_no_suspected_incident(app, client, world, intake, clock,
                                                                                monkeypatch):
    # every ticket accepted (a threshold no match reaches), so only the maintenance can hold the suspicion back
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], ticket_match_threshold=1.0))
    with app.app_context():
        make_maintenance("Search index rebuild", components_=("search",), starts=clock.now() - timedelta(minutes=5),
                         now=clock.now() - timedelta(days=1))
        incidents.advance_maintenance(now=clock.now(), by=SYSTEM)
    for n in range(6):
        client.post("/api/v1/tickets", headers=intake, json={
            "subject": f"Search ({n})", "body": "Every search in our catalogue fails with an error.",
            "requester": {"email": f"m{n}@customer.example"}, "component": "search"})
        clock.advance(minutes=1)
    with app.app_context():
        assert [i.name for i in db.session.scalars(select(Incident))] == ["Search index rebuild"]


def test_the_evaluation_command_scores_the_development_set(runner, app):
    result = runner.invoke(main, ["tickets", "evaluate", "tests/data/tickets_dev.jsonl", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)["all"]["scores"]
    assert figures["precision"] >= 0.97 and figures["recall"] >= 0.90
