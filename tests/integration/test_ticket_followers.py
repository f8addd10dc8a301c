"""Following an incident because one wrote a ticket about it: never after an unsubscribe, only that incident,
with one-click unsubscribe in every mail, and only so many new followers per requester domain and per intake
token an hour; the answer says when a requester was not subscribed."""
from __future__ import annotations

import dataclasses
import threading

from sqlalchemy import func, select

from statuspage.database import transaction
from statuspage.extensions import db
from statuspage.models import Notification, Subscriber
from statuspage.notify.messages import policy
from statuspage.services import accounts, incidents, subscriptions
from statuspage.support import following, queue
from tests.builders import (
    START, SYSTEM, body_of, deliver, make_incident, make_subscriber, make_user, settings_with, sign_in,
)
from tests.builders import EXAMPLE

PROMISE_DE = "Wir benachrichtigen Sie unter"  # the German auto-reply's "we will email you about every update"


def ticket(n: int, email: str, **fields) -> dict:
    return {**EXAMPLE, "external_id": f"t-{n}", "requester": {"email": email}, **fields}


def followers(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Subscriber.address)))


def told(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Subscriber.address).join(Notification)
                                         .where(Notification.kind == "update")))


def codes(answer: dict) -> list[str]:
    return [warning["code"] for warning in answer["warnings"]]


def test_a_followers_mail_has_one_click_unsubscribe_and_then_no_ticket_subscribes_the_address_again(
        app, client, outage, intake, clock, inbox):
    first = client.post("/api/v1/tickets", json=ticket(1, "ana@customer.example"), headers=intake).get_json()
    assert first["status"] == "suppressed" and codes(first) == [] and PROMISE_DE in first["reply"]["body"]
    with app.app_context():
        incidents.post_update(outage, status="monitoring", body="Rolled back.", by=SYSTEM,
                              now=clock.advance(minutes=1))
    assert deliver(app, clock).sent == 1
    [mail] = inbox.messages
    assert mail["To"] == "ana@customer.example"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip("<>")
    assert url in body_of(mail)
    # RFC 8058: the mail client posts this body to that URL, with no cookie and no form token
    one_click = app.test_client().post(url.removeprefix("https://status.example.com"),
                                       data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and followers(app) == set()

    again = client.post("/api/v1/tickets", json=ticket(2, "Ana@Customer.example"), headers=intake)
    assert again.status_code == 200
    answer = again.get_json()
    assert answer["status"] == "suppressed" and answer["incident"]["id"] == outage  # still answered
    assert codes(answer) == ["not_subscribed_unsubscribed"]
    assert PROMISE_DE not in answer["reply"]["body"] and answer["incident"]["url"] in answer["reply"]["body"]
    assert followers(app) == set()
    with app.app_context():
        incidents.resolve_incident(outage, "Fixed.", by=SYSTEM, now=clock.advance(minutes=1))
    assert deliver(app, clock).sent == 0 and len(inbox.messages) == 1


def test_tickets_subscribe_at_most_twenty_addresses_of_one_domain_an_hour(app, client, outage, intake, clock):
    answers = [client.post("/api/v1/tickets", json=ticket(n, f"made-up-{n}@victim.example"), headers=intake)
               for n in range(21)]
    assert {a.status_code for a in answers} == {200}
    answers = [a.get_json() for a in answers]
    assert {a["status"] for a in answers} == {"suppressed"}
    assert [codes(a) for a in answers[:20]] == [[]] * 20
    assert codes(answers[20]) == ["not_subscribed_domain_limit"]
    assert "victim.example" in answers[20]["warnings"][0]["message"]
    assert PROMISE_DE not in answers[20]["reply"]["body"]
    assert followers(app) == {f"made-up-{n}@victim.example" for n in range(20)}
    # someone who follows already costs nothing; other domains are not held up
    assert codes(client.post("/api/v1/tickets", json=ticket(21, "made-up-0@victim.example"),
                             headers=intake).get_json()) == []
    assert codes(client.post("/api/v1/tickets", json=ticket(22, "ops@other.example"), headers=intake).get_json()) == []
    clock.advance(hours=1)  # the first twenty are an hour old now
    late = client.post("/api/v1/tickets", json=ticket(23, "made-up-20@victim.example"), headers=intake).get_json()
    assert codes(late) == [] and "made-up-20@victim.example" in followers(app)


def test_one_intake_token_subscribes_at_most_its_hourly_number_of_requesters(app, client, outage, intake, clock,
                                                                           monkeypatch):
    settings_with(app, monkeypatch, intake_follows_per_token=3)
    for n in range(3):
        assert codes(client.post("/api/v1/tickets", json=ticket(n, f"ops@customer-{n}.example"),
                                 headers=intake).get_json()) == []
    fourth = client.post("/api/v1/tickets", json=ticket(3, "ops@customer-3.example"), headers=intake).get_json()
    assert fourth["status"] == "suppressed" and codes(fourth) == ["not_subscribed_token_limit"]
    assert "ops@customer-3.example" not in followers(app)
    with app.app_context():
        _record, plain = accounts.create_token(role="intake", label="second desk", by=SYSTEM, now=START)
    other = client.post("/api/v1/tickets", json=ticket(4, "ops@customer-4.example"),
                        headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert codes(other) == [] and "ops@customer-4.example" in followers(app)


def test_a_follower_hears_of_nothing_else_once_unlinked_or_after_the_incident(app, client, outage, intake, clock):
    unlinked = client.post("/api/v1/tickets", json=ticket(1, "a@customer.example"), headers=intake).get_json()
    client.post("/api/v1/tickets", json=ticket(2, "b@customer.example"), headers=intake)
    with app.app_context():
        queue.unlink(unlinked["id"], reason="asks about SSO settings", by=SYSTEM, now=clock.advance(minutes=1))
        incidents.resolve_incident(outage, "Fixed.", by=SYSTEM, now=clock.advance(minutes=1))
    assert told(app) == ["b@customer.example"]  # the resolution, to the one still linked
    with app.app_context():
        make_incident("Search slow", components_={"search": "degraded_performance"}, now=clock.advance(minutes=1))
        make_incident("Dashboard down again", components_={"dashboard": "major_outage"}, now=clock.now())
    assert told(app) == ["b@customer.example"]  # a follower of one incident is never widened to everything


def test_an_address_removed_by_an_admin_is_not_subscribed_again_by_a_ticket(app, client, outage, intake):
    client.post("/api/v1/tickets", json=ticket(1, "ana@customer.example"), headers=intake)
    with app.app_context():
        [subscriber_id] = db.session.scalars(select(Subscriber.id))
        from statuspage.services import subscriptions
        subscriptions.unsubscribe(subscriber_id, by=SYSTEM, now=START)
    answer = client.post("/api/v1/tickets", json=ticket(2, "ana@customer.example"), headers=intake).get_json()
    assert codes(answer) == ["not_subscribed_unsubscribed"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_the_domain_limit_holds_for_tickets_arriving_at_the_same_moment(app, outage, clock):
    settings = dataclasses.replace(app.config["SETTINGS"], intake_follows_per_domain=3)
    barrier, refused = threading.Barrier(8, timeout=30), []  # fewer threads than pooled connections

    def follow(n: int):
        with app.app_context():
            incident = incidents.get_incident(outage)
            barrier.wait()
            with transaction():
                warning = following.follow_for_ticket(f"made-up-{n}@victim.example", incident, language="en",
                                                      source="token:desk", settings=settings, now=clock.now())
            refused.append(warning)
            db.session.remove()

    threads = [threading.Thread(target=follow, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(w["code"] for w in refused if w) == ["not_subscribed_domain_limit"] * 5
    assert len(followers(app)) == 3


def test_admins_see_a_ticket_follower_as_following_its_incident_not_everything(app, client, outage, intake):
    client.post("/api/v1/tickets", json=ticket(1, "ana@customer.example"), headers=intake)
    with app.app_context():
        _record, plain = accounts.create_token(role="admin", label="admin", by=SYSTEM, now=START)
        make_user("boss@example.com", role="admin")
    [shown] = client.get("/api/v1/subscribers", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert (shown["components"], shown["follows_everything"], shown["incidents"]) == ([], False, [str(outage)])
    sign_in(client, "boss@example.com")
    page = client.get("/admin/subscribers").get_data(as_text=True)
    assert "Incidents from support tickets:" in page and "everything" not in page
    assert f'<a href="/admin/incidents/{outage}">' in page


def test_a_ticket_follower_sees_on_the_manage_page_what_reaches_them_not_everything(app, client, outage, intake):
    client.post("/api/v1/tickets", json=ticket(1, "ana@customer.example"), headers=intake)
    with app.app_context():
        follower = db.session.scalar(select(Subscriber))
        token = subscriptions.manage_token(follower, policy(app.config["SETTINGS"]))
        name = incidents.get_incident(outage).name
    page = client.get(f"/subscribe/manage/{token}?lang=en").get_data(as_text=True)
    assert "Updates about the incidents your support requests are linked to:" in page
    assert f'<a href="/incidents/{outage}">{name}</a>' in page
    assert "Every update" not in page and "none chosen: everything" not in page
    assert "Also hear about these components (optional)" in page


def test_a_page_subscriber_who_also_follows_a_ticket_s_incident_is_shown_with_both(app, client, outage):
    with app.app_context():
        make_subscriber("ana@customer.example", ["dashboard"])
        following.follow_for_ticket("ana@customer.example", incidents.get_incident(outage), language="en",
                                    source="token:desk", settings=app.config["SETTINGS"], now=START)
        make_user("boss@example.com", role="admin")
    sign_in(client, "boss@example.com")
    page = client.get("/admin/subscribers").get_data(as_text=True)
    assert "Dashboard<br>Incidents from support tickets:" in page
