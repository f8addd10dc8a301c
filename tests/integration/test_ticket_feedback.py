"""What happens to a ticket after intake, and what it teaches the matcher: an agent links an accepted ticket
to an incident or unlinks a suppressed one (console and API), the customer undoes a wrong suppression with
the signed link in their auto-reply, the console counts the matcher's misses, feedback_examples hands the
matcher its examples, and the answer names close alternatives."""
from __future__ import annotations

import dataclasses
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Notification, Subscriber, Ticket, TicketChange
from statuspage.notify.messages import policy
from statuspage.services import accounts, incidents, subscriptions
from statuspage.support import customer_link, matching, queue
from tests.builders import (
    START, SYSTEM, csrf_token, make_component, make_incident, make_maintenance, make_subscriber, make_user, sign_in,
)

SUPPRESSED = {  # the contract's example: about the outage below, in German
    "external_id": "ZD-48213", "subject": "Dashboard nicht erreichbar",
    "body": "Seit 10 Uhr bekommen wir 502 beim Login, das Dashboard ist nicht erreichbar.",
    "requester": {"email": "ops@customer.example", "name": "Ana"}, "plan": "professional", "priority": 1,
    "component": "dashboard", "created_at": "2026-11-20T10:12:00+01:00",
}
ACCEPTED = {  # a question the matcher rightly leaves to a person; an agent may still link it to an incident
    "external_id": "ZD-5", "subject": "Question about our results page",
    "body": "How can we change the columns our results page shows? We would like to add the price.",
    "requester": {"email": "dev@customer.example"}, "plan": "professional", "priority": 2,
    "created_at": "2026-11-20T10:12:00+01:00",
}
DUE_FROM_ARRIVAL = "2026-11-20T13:12:00+01:00"  # professional, priority 1, arrived Friday 10:12: 3 business hours


@pytest.fixture
def site(app, clock):
    """Components, the dashboard outage (A), a slow search (B), a resolved incident, maintenance upcoming, and a
    suspected (unpublished) incident; their ids."""
    with app.app_context():
        for slug, name in (("dashboard", "Dashboard"), ("login", "Login"), ("search", "Search"),
                           ("database", "Database")):
            make_component(slug, name)
        outage = make_incident("Dashboard and sign-in unavailable", impact="major",
                               components_={"dashboard": "major_outage", "login": "partial_outage"},
                               body="The dashboard returns 502 Bad Gateway errors and customers cannot sign in.",
                               now=clock.now() - timedelta(minutes=30))
        slow = make_incident("Search is slow", impact="minor", components_={"search": "degraded_performance"},
                             body="Searches take up to a minute.", now=clock.now() - timedelta(minutes=20))
        old = make_incident("Old trouble", components_={"database": "partial_outage"}, now=clock.now() - timedelta(days=3))
        incidents.resolve_incident(old.id, "Fixed.", by=SYSTEM, now=clock.now() - timedelta(days=2))
        upcoming = make_maintenance("Database upgrade", now=clock.now())
        suspected = incidents.open_incident(name="Login: problems reported by customers", body="Looking.",
                                            components={"login": "partial_outage"}, published=False, by=SYSTEM,
                                            now=clock.now())
        db.session.remove()
    return dataclasses.make_dataclass("Site", ["outage", "slow", "resolved", "upcoming", "suspected"])(
        outage.id, slow.id, old.id, upcoming.id, suspected.id)


def _token(app, role: str, label: str) -> dict:
    with app.app_context():
        _record, plain = accounts.create_token(role=role, label=label, by=SYSTEM, now=START)
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def desk(app):
    return _token(app, "intake", "desk")


@pytest.fixture
def staff(app):
    return _token(app, "responder", "support lead")


def _take(client, desk, body: dict, *, status: str) -> dict:
    answer = client.post("/api/v1/tickets", json=body, headers=desk).get_json()
    assert answer["status"] == status, answer
    return answer


def _follows(app, address: str) -> tuple[list[int], list[str]] | None:
    """(incident ids, component slugs) the address follows, or None when it is no subscriber."""
    with app.app_context():
        subscriber = db.session.scalar(select(Subscriber).where(Subscriber.address == address))
        return None if subscriber is None else (sorted(i.id for i in subscriber.incidents),
                                                [c.slug for c in subscriber.components])


def _changes(app, ticket_id: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(c.action, c.incident_id) for c in db.session.scalars(
            select(TicketChange).where(TicketChange.ticket_id == ticket_id).order_by(TicketChange.id))]


def _not_mine_path(answer: dict) -> str:
    [link] = re.findall(r"https://status\.example\.com(/tickets/not-mine/\S+)", answer["reply"]["body"])
    return link


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


# ---- linking in the console ----------------------------------------------------------------------------------


def test_a_responder_links_an_accepted_ticket_to_an_open_incident_in_the_console(app, client, site, desk, clock):
    ticket = _take(client, desk, ACCEPTED, status="accepted")
    with app.app_context():
        make_user("rita@example.com", "responder")
    sign_in(client, "rita@example.com")
    page = client.get(f"/admin/tickets/{ticket['id']}")
    [menu] = re.findall(r'<select[^>]* id="incident_id".*?</select>', page.get_data(as_text=True), re.S)
    offered = re.findall(r'<option value="(\d+)"', menu)
    assert sorted(map(int, offered)) == sorted([site.outage, site.slow])  # not resolved, upcoming or unpublished
    clock.advance(minutes=15)

    response = client.post(f"/admin/tickets/{ticket['id']}/link", data={
        "csrf_token": csrf_token(page), "incident_id": str(site.slow), "link_reason": "Slow results are the search."})

    assert response.status_code == 302
    shown = client.get(f"/admin/tickets/{ticket['id']}")
    assert "Ticket linked: its requester follows the incident now." in _text(shown)
    assert f"linked to #{site.slow} : Slow results are the search." in _text(shown)
    with app.app_context():
        stored = db.session.get(Ticket, ticket["id"])
        assert (stored.status.value, stored.incident_id, stored.first_response_due) == ("suppressed", site.slow, None)
        assert "Search is slow" in stored.reply["body"] and "/tickets/not-mine/" in stored.reply["body"]
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket.link"))
        assert audit.actor == "rita@example.com" and audit.at == clock.now()
    assert _follows(app, "dev@customer.example") == ([site.slow], [])
    assert _changes(app, ticket["id"]) == [("link", site.slow)]


def test_linking_needs_a_responder_a_csrf_token_an_open_incident_and_an_accepted_ticket(app, client, site, desk):
    accepted = _take(client, desk, ACCEPTED, status="accepted")
    suppressed = _take(client, desk, SUPPRESSED, status="suppressed")
    with app.app_context():
        make_user("vic@example.com", "viewer")
        make_user("rita@example.com", "responder")
    viewer = app.test_client()
    sign_in(viewer, "vic@example.com")
    page = viewer.get(f"/admin/tickets/{accepted['id']}")
    assert "Link to incident" not in page.get_data(as_text=True)
    token = csrf_token(viewer.get("/admin/account"))
    assert viewer.post(f"/admin/tickets/{accepted['id']}/link",
                       data={"csrf_token": token, "incident_id": str(site.slow)}).status_code == 403

    sign_in(client, "rita@example.com")
    token = csrf_token(client.get(f"/admin/tickets/{accepted['id']}"))
    assert client.post(f"/admin/tickets/{accepted['id']}/link", data={"incident_id": str(site.slow)}).status_code == 400
    for closed in (site.resolved, site.upcoming, site.suspected, 424242):
        refused = client.post(f"/admin/tickets/{accepted['id']}/link",
                              data={"csrf_token": token, "incident_id": str(closed)})
        assert refused.status_code == 400 and "Not a valid choice" in _text(refused)
    assert _changes(app, accepted["id"]) == []
    assert _follows(app, "dev@customer.example") is None

    assert "Link to incident" not in client.get(f"/admin/tickets/{suppressed['id']}").get_data(as_text=True)
    twice = client.post(f"/admin/tickets/{suppressed['id']}/link", data={"csrf_token": token,
                                                                          "incident_id": str(site.slow)})
    assert twice.status_code == 409 and "This ticket is linked already: unlink it first." in _text(twice)
    assert _changes(app, suppressed["id"]) == []


def test_with_nothing_open_the_console_says_so_instead_of_an_empty_choice(app, client, desk, clock):
    with app.app_context():
        make_component("search", "Search")
        make_user("rita@example.com", "responder")
    ticket = _take(client, desk, ACCEPTED, status="accepted")
    sign_in(client, "rita@example.com")
    page = client.get(f"/admin/tickets/{ticket['id']}")
    assert "No incident is open and no maintenance is in progress." in _text(page)
    assert 'name="incident_id"' not in page.get_data(as_text=True)


# ---- linking and unlinking through the API -------------------------------------------------------------------


def test_the_api_links_an_accepted_ticket_and_unlinks_it_again_from_arrival(app, client, site, desk, staff, clock):
    ticket = _take(client, desk, {**ACCEPTED, "priority": 1}, status="accepted")
    clock.advance(hours=2)

    linked = client.patch(f"/api/v1/tickets/{ticket['id']}", json={"incident_id": site.slow,
                                                                   "reason": "The search."}, headers=staff)

    assert linked.status_code == 200, linked.get_json()
    shown = linked.get_json()
    assert (shown["status"], shown["first_response_due"], shown["incident"]["id"]) == ("suppressed", None, site.slow)
    assert shown["undone"] is None
    assert shown["changes"][-1] | {"at": None} == {"at": None, "by": "token:support lead", "action": "link",
                                                   "reason": "The search.", "old_priority": 1, "new_priority": 1,
                                                   "incident_id": site.slow}
    assert _follows(app, "dev@customer.example") == ([site.slow], [])

    unlinked = client.patch(f"/api/v1/tickets/{ticket['id']}", json={"incident_id": None,
                                                                     "reason": "Their own proxy."}, headers=staff)

    assert unlinked.status_code == 200, unlinked.get_json()
    shown = client.get(f"/api/v1/tickets/{ticket['id']}", headers=staff).get_json()
    assert (shown["status"], shown["incident"]) == ("accepted", None)
    assert shown["first_response_due"] == DUE_FROM_ARRIVAL
    assert shown["undone"] == {"by": "agent", "at": clock.now().isoformat(), "reason": "Their own proxy.",
                               "incident_id": site.slow}
    assert [(c["action"], c["incident_id"]) for c in shown["changes"]] == [("link", site.slow), ("unlink", site.slow)]
    assert _follows(app, "dev@customer.example") is None  # it followed nothing else: gone, not "everything"
    listed = client.get("/api/v1/tickets", headers=staff).get_json()
    assert [t["undone"]["by"] if t["undone"] else None for t in listed] == ["agent"]


@pytest.mark.parametrize("body, status, code", [
    ({"incident_id": "5", "reason": "x"}, 422, "invalid"),
    ({"incident_id": True}, 422, "invalid"),
    ({"incident_id": 0}, 422, "invalid"),
    ({"incident_id": 99999999999}, 422, "invalid"),
    ({"priority": 2, "incident_id": None, "reason": "x"}, 422, "invalid"),
    ({"reason": "neither"}, 422, "invalid"),
    ({"priority": 2}, 422, "invalid"),
    ({"priority": 2, "reason": ""}, 422, "invalid"),
    ({"incident_id": 424242}, 422, "not_linkable"),
    ({"incident_id": "{resolved}"}, 422, "not_linkable"),
    ({"incident_id": "{upcoming}"}, 422, "not_linkable"),
    ({"incident_id": "{suspected}"}, 422, "not_linkable"),
    ({"incident_id": None}, 409, "not_suppressed"),
])
def test_a_patch_that_cannot_apply_is_refused_with_words_and_changes_nothing(app, client, site, desk, staff, body,
                                                                             status, code):
    ticket = _take(client, desk, ACCEPTED, status="accepted")
    body = {k: getattr(site, v[1:-1]) if isinstance(v, str) and v.startswith("{") else v for k, v in body.items()}
    response = client.patch(f"/api/v1/tickets/{ticket['id']}", json=body, headers=staff)
    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    assert response.get_json()["error"]["message"]
    assert _changes(app, ticket["id"]) == []


def test_a_suppressed_ticket_cannot_be_linked_again_and_a_viewer_may_not_link(app, client, site, desk, staff):
    ticket = _take(client, desk, SUPPRESSED, status="suppressed")
    again = client.patch(f"/api/v1/tickets/{ticket['id']}", json={"incident_id": site.slow}, headers=staff)
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "not_accepted")
    viewer = _token(app, "viewer", "reader")
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"incident_id": None}, headers=viewer).status_code == 403
    assert _changes(app, ticket["id"]) == []


def test_the_openapi_document_describes_link_unlink_undone_and_alternatives(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    patch = schemas["TicketPatch"]["properties"]
    assert patch["incident_id"]["nullable"] and {"priority", "reason"} <= set(patch)
    detail = schemas["TicketDetailOut"]["properties"]
    assert detail["undone"]["properties"]["by"]["enum"] == ["customer", "agent"]
    assert set(detail["match"]["properties"]["alternatives"]["items"]["properties"]) == {"id", "name", "score"}


# ---- the customer's link -------------------------------------------------------------------------------------


def test_the_customers_link_shows_a_page_then_puts_the_ticket_back_in_the_queue(app, client, site, desk, staff,
                                                                                clock):
    with app.app_context():
        make_subscriber("ops@customer.example", ["search"], now=clock.now())  # their own, older subscription
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    assert _follows(app, "ops@customer.example") == ([site.outage], ["search"])
    path = _not_mine_path(answer)
    assert path.endswith("?lang=de")
    with app.app_context():  # an update waits for delivery to them
        incidents.post_update(site.outage, status="identified", body="Rolling back.", by=SYSTEM, now=clock.now())
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    clock.advance(hours=2)

    shown = client.get(path)  # what a mail scanner's prefetch does too

    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert '<html lang="de">' in shown.get_data(as_text=True)
    assert "Dashboard nicht erreichbar" in _text(shown) and "Dashboard and sign-in unavailable" in _text(shown)
    assert client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()["status"] == "suppressed"

    done = client.post(path)

    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert "Danke: ein Mensch antwortet Ihnen" in _text(done)
    ticket = client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()
    assert (ticket["status"], ticket["incident"], ticket["first_response_due"]) == ("accepted", None, DUE_FROM_ARRIVAL)
    assert ticket["undone"] == {"by": "customer", "at": clock.now().isoformat(), "reason": "",
                                "incident_id": site.outage}
    assert ticket["changes"][-1]["action"] == "not_mine" and ticket["changes"][-1]["by"] == "customer"
    assert _follows(app, "ops@customer.example") == ([], ["search"])  # that follow only
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0  # not sent after all
        incidents.post_update(site.outage, status="monitoring", body="Better.", by=SYSTEM, now=clock.now())
        incidents.post_update(site.slow, status="identified", body="An index.", by=SYSTEM, now=clock.now())
        told = db.session.scalars(select(Notification.update_id)).all()
        assert len(told) == 1  # the search update, which they chose themselves
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "ticket.not_mine")) == "customer"

    again = client.post(path)

    assert again.status_code == 200 and "Sie haben es uns schon gesagt" in _text(again)
    assert _changes(app, answer["id"]) == [("not_mine", site.outage)]
    assert client.get(path).status_code == 200 and "Sie haben es uns schon gesagt" in _text(client.get(path))


def test_the_customers_page_speaks_the_tickets_language_unless_the_reader_picks_another(app, client, site, desk):
    path = _not_mine_path(_take(client, desk, SUPPRESSED, status="suppressed")).split("?")[0]
    assert '<html lang="de">' in client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    french = client.get(f"{path}?lang=fr")
    assert '<html lang="fr">' in french.get_data(as_text=True) and "Ce n’est pas ce que j’ai écrit" in _text(french)
    english = client.get(f"{path}?lang=en")
    assert "This is not what I wrote about" in _text(english)


def test_clicks_at_the_same_moment_undo_once(app, site, desk, staff):
    answer = _take(app.test_client(), desk, SUPPRESSED, status="suppressed")
    path = _not_mine_path(answer)
    barrier, answers = threading.Barrier(5), []

    def press(unlink: bool):
        client = app.test_client()
        barrier.wait()
        if unlink:  # an agent unlinks it at the same moment
            answers.append(client.patch(f"/api/v1/tickets/{answer['id']}", json={"incident_id": None}, headers=staff))
        else:
            answers.append(client.post(path))

    threads = [threading.Thread(target=press, args=(n == 0,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) in ([200] * 5, [200] * 4 + [409])
    [undo] = _changes(app, answer["id"])
    assert undo[0] in ("not_mine", "unlink") and undo[1] == site.outage
    assert _follows(app, "ops@customer.example") is None


def test_a_subscriber_made_only_by_the_ticket_goes_instead_of_hearing_of_everything(app, client, site, desk, clock):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    client.post(_not_mine_path(answer))
    assert _follows(app, "ops@customer.example") is None
    with app.app_context():
        incidents.post_update(site.slow, status="identified", body="An index.", by=SYSTEM, now=clock.now())
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_another_ticket_of_the_same_requester_keeps_them_following(app, client, site, desk):
    first = _take(client, desk, SUPPRESSED, status="suppressed")
    _take(client, desk, {**SUPPRESSED, "external_id": "ZD-48214"}, status="suppressed")
    client.post(_not_mine_path(first))
    assert _follows(app, "ops@customer.example") == ([site.outage], [])


@pytest.mark.parametrize("tamper", ["cut", "changed", "other-ticket", "other-salt", "nonsense"])
def test_a_tampered_link_is_explained_and_changes_nothing(app, client, site, desk, staff, tamper):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    path, query = _not_mine_path(answer).split("?")
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        forged = {
            "cut": token[:-3],
            "changed": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            "other-ticket": customer_link.token_for(answer["id"], site.outage, secret_key="another key",
                                                    now=START),
            "other-salt": subscriptions.manage_token(make_subscriber("x@example.com"),
                                                     policy(app.config["SETTINGS"])),
            "nonsense": "%E2%80%AE" + token,
        }[tamper]
    for method in (client.get, client.post):
        response = method(f"/tickets/not-mine/{forged}?{query}")
        assert response.status_code == 400
        assert "Dieser Link funktioniert nicht" in _text(response)
    assert client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()["status"] == "suppressed"
    assert _changes(app, answer["id"]) == []


def test_an_expired_link_is_explained_with_410_and_changes_nothing(app, client, site, desk, staff, clock):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    clock.advance(days=customer_link.LINK_DAYS, seconds=1)
    for method in (client.get, client.post):
        response = method(_not_mine_path(answer))
        assert response.status_code == 410 and "Dieser Link ist abgelaufen" in _text(response)
        assert "30" in _text(response)
    assert client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()["status"] == "suppressed"


def test_a_link_still_works_on_its_last_day(app, client, site, desk, clock):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    clock.advance(days=customer_link.LINK_DAYS, seconds=-1)
    assert client.post(_not_mine_path(answer)).status_code == 200
    assert _changes(app, answer["id"]) == [("not_mine", site.outage)]


def test_an_old_link_cannot_undo_what_an_agent_decided_since(app, client, site, desk, staff):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    path = _not_mine_path(answer)
    client.patch(f"/api/v1/tickets/{answer['id']}", json={"incident_id": None, "reason": "No."}, headers=staff)
    client.patch(f"/api/v1/tickets/{answer['id']}", json={"incident_id": site.slow, "reason": "Yes."}, headers=staff)

    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 200 and "Nichts zu ändern" in _text(response)

    ticket = client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()
    assert (ticket["status"], ticket["incident"]["id"]) == ("suppressed", site.slow)
    assert "/tickets/not-mine/" in ticket["reply"]["body"] and ticket["reply"]["body"] != answer["reply"]["body"]
    assert client.post(_not_mine_path(ticket)).status_code == 200  # the new reply's link undoes the new link
    assert _changes(app, answer["id"])[-1] == ("not_mine", site.slow)


def test_a_link_to_a_ticket_that_is_gone_says_so(app, client, site, desk):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    with app.app_context():
        db.session.delete(db.session.get(Ticket, answer["id"]))
        db.session.commit()
    response = client.post(_not_mine_path(answer))
    assert response.status_code == 404 and "Wir haben diese Anfrage nicht mehr" in _text(response)


# ---- the console shows what customers undid, and counts the matcher's misses -------------------------------


def test_the_console_marks_undone_tickets_and_counts_the_matchers_misses(app, client, site, desk, staff, clock):
    def take(n: int) -> dict:
        return _take(client, desk, {**SUPPRESSED, "external_id": f"T{n}", "requester": {"email": f"u{n}@x.example"},
                                    "created_at": clock.now().isoformat()}, status="suppressed")

    old = [take(n) for n in range(3)]
    missed = _take(client, desk, ACCEPTED, status="accepted")
    client.patch(f"/api/v1/tickets/{old[1]['id']}", json={"incident_id": None, "reason": "Other."}, headers=staff)
    with app.app_context():  # a month later the dashboard fails again
        incidents.resolve_incident(site.outage, "Fixed.", by=SYSTEM, now=clock.now())
        clock.advance(days=31)
        again = make_incident("Dashboard and sign-in unavailable again", impact="major",
                              components_={"dashboard": "major_outage", "login": "partial_outage"},
                              body="The dashboard returns 502 Bad Gateway errors and customers cannot sign in.",
                              now=clock.now() - timedelta(minutes=30))
    recent = [take(n) for n in range(3, 5)]
    client.post(_not_mine_path(recent[0]))
    client.patch(f"/api/v1/tickets/{old[2]['id']}", json={"incident_id": None, "reason": "Other."}, headers=staff)
    client.patch(f"/api/v1/tickets/{missed['id']}", json={"incident_id": again.id}, headers=staff)
    with app.app_context():
        assert queue.matcher_counts(now=clock.now()) == {"suppressed": 2, "not_mine": 1, "unlink": 1, "link": 1}
        assert queue.matcher_counts(now=clock.now(), days=40) == {"suppressed": 5, "not_mine": 1, "unlink": 2,
                                                                  "link": 1}
        make_user("rita@example.com", "viewer")
    console = app.test_client()  # in English: the customer's page set this client's language to theirs
    sign_in(console, "rita@example.com")

    listing = _text(console.get("/admin/tickets"))

    assert ("Matcher, last 30 days: 2 suppressed, 1 undone by customers, 1 unlinked by agents, 1 linked by agents."
            in listing)
    assert listing.count("undone by the customer") == 1 and listing.count("unlinked by an agent") == 2
    detail = _text(console.get(f"/admin/tickets/{recent[0]['id']}"))
    assert "Undone by the customer" in detail
    assert f"the customer · says it is not about #{again.id} " in detail
    assert "Undone by" not in _text(console.get(f"/admin/tickets/{recent[1]['id']}"))
    assert "Unlinked by an agent" in _text(console.get(f"/admin/tickets/{old[1]['id']}"))


# ---- what the matcher learns ---------------------------------------------------------------------------------


def test_feedback_examples_are_what_agents_and_customers_decided_newest_first_and_bounded(app, client, site, desk,
                                                                                        staff, monkeypatch):
    def take(n: int, **fields) -> dict:
        return _take(client, desk, {**SUPPRESSED, "external_id": f"F{n}", "subject": f"Dashboard nicht erreichbar {n}",
                                    "requester": {"email": f"u{n}@x.example"}, **fields}, status="suppressed")

    def patch(ticket: dict, incident_id) -> None:
        response = client.patch(f"/api/v1/tickets/{ticket['id']}", json={"incident_id": incident_id}, headers=staff)
        assert response.status_code == 200, response.get_json()

    with app.app_context():
        assert queue.feedback_examples([site.outage, site.slow]) == {
            site.outage: {"positive": [], "negative": []}, site.slow: {"positive": [], "negative": []}}
        versions = [queue.feedback_version()]
    take(1)                                               # kept: the matcher's, never undone: positive for A
    undone_by_customer = take(2)                          # customer undid it: negative for A
    client.post(_not_mine_path(undone_by_customer))
    relinked = take(3)                                    # unlinked, then linked to A again: positive only
    patch(relinked, None)
    patch(relinked, site.outage)
    moved = take(4)                                       # unlinked from A, linked to B
    patch(moved, None)
    patch(moved, site.slow)
    agent_linked = _take(client, desk, ACCEPTED, status="accepted")  # the matcher missed it: positive for B
    patch(agent_linked, site.slow)

    with app.app_context():
        examples = queue.feedback_examples([site.outage, site.slow, site.resolved])
        versions.append(queue.feedback_version())
        assert queue.feedback_version() == versions[-1]  # nothing changed: the same value
    assert examples[site.outage]["positive"] == [("Dashboard nicht erreichbar 3", SUPPRESSED["body"]),
                                                 ("Dashboard nicht erreichbar 1", SUPPRESSED["body"])]
    assert examples[site.outage]["negative"] == [("Dashboard nicht erreichbar 4", SUPPRESSED["body"]),
                                                 ("Dashboard nicht erreichbar 2", SUPPRESSED["body"])]
    assert examples[site.slow] == {"positive": [(ACCEPTED["subject"], ACCEPTED["body"]),
                                                ("Dashboard nicht erreichbar 4", SUPPRESSED["body"])],
                                   "negative": []}
    assert examples[site.resolved] == {"positive": [], "negative": []}
    assert versions[0] != versions[1]

    monkeypatch.setattr(queue, "EXAMPLES_PER_INCIDENT", 1)
    with app.app_context():
        bounded = queue.feedback_examples([site.outage])[site.outage]
    assert bounded == {"positive": [("Dashboard nicht erreichbar 3", SUPPRESSED["body"])],
                       "negative": [("Dashboard nicht erreichbar 4", SUPPRESSED["body"])]}


@pytest.mark.parametrize("step", ["suppressed", "linked", "unlinked", "not_mine"])
def test_the_feedback_version_moves_with_every_new_example(app, client, site, desk, staff, step):
    accepted = _take(client, desk, ACCEPTED, status="accepted")
    suppressed = _take(client, desk, SUPPRESSED, status="suppressed")
    with app.app_context():
        before = queue.feedback_version()
    if step == "suppressed":
        _take(client, desk, {**SUPPRESSED, "external_id": "again"}, status="suppressed")
    elif step == "linked":
        client.patch(f"/api/v1/tickets/{accepted['id']}", json={"incident_id": site.slow}, headers=staff)
    elif step == "unlinked":
        client.patch(f"/api/v1/tickets/{suppressed['id']}", json={"incident_id": None}, headers=staff)
    else:
        client.post(_not_mine_path(suppressed))
    with app.app_context():
        assert queue.feedback_version() != before


# ---- alternatives in the answer ------------------------------------------------------------------------------


@pytest.fixture
def close_call(monkeypatch, site):
    """The matcher as it is, plus the alternatives it names when another incident came close (the matcher
    fills Match.alternatives itself; here the runner-up is given, to test what is done with it)."""
    real = matching.match_ticket

    def with_alternatives(*args, **kwargs):
        found = real(*args, **kwargs)
        return dataclasses.replace(found, alternatives=((site.slow, 0.6149), (424242, 0.5)))

    monkeypatch.setattr(matching, "match_ticket", with_alternatives)


def test_close_alternatives_are_in_the_answer_stored_and_shown(app, client, site, desk, staff, close_call):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")

    assert answer["match"]["alternatives"] == [{"id": site.slow, "name": "Search is slow", "score": 0.615}]
    shown = client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()
    assert shown["match"]["alternatives"] == answer["match"]["alternatives"]
    assert client.post("/api/v1/tickets", json=SUPPRESSED, headers=desk).get_json() == answer  # the repeat
    with app.app_context():
        assert db.session.get(Ticket, answer["id"]).match_alternatives == [[site.slow, 0.615], [424242, 0.5]]
        make_user("vic@example.com", "viewer")
    sign_in(client, "vic@example.com")
    page = _text(client.get(f"/admin/tickets/{answer['id']}"))
    assert f"Close alternatives #{site.slow} Search is slow (0.61)" in page


def test_without_a_close_call_the_alternatives_are_an_empty_list(client, site, desk):
    assert _take(client, desk, SUPPRESSED, status="suppressed")["match"]["alternatives"] == []
    assert _take(client, desk, {**ACCEPTED, "environment": "staging"}, status="accepted")["match"]["alternatives"] == []


def test_the_answer_has_the_contracts_shape_plus_the_new_fields(client, site, desk, staff):
    answer = _take(client, desk, SUPPRESSED, status="suppressed")
    assert set(answer) == {"id", "external_id", "status", "priority", "plan", "first_response_due", "incident",
                           "match", "reply", "warnings"}
    assert set(answer["match"]) == {"score", "reasons", "alternatives"}
    detail = client.get(f"/api/v1/tickets/{answer['id']}", headers=staff).get_json()
    assert {"undone", "changes"} <= set(detail) and detail["undone"] is None
    assert datetime.fromisoformat(detail["created_at"]) == datetime(2026, 11, 20, 9, 12, tzinfo=timezone.utc)
