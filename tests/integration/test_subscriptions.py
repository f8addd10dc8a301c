"""Subscribing, confirming, receiving and unsubscribing, with a real SMTP server on loopback."""
from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from statuspage.errors import Invalid
from statuspage.extensions import db
from statuspage.models import DeliveryStatus, Notification, Subscriber
from statuspage.notify import dispatch
from statuspage.notify.messages import policy
from statuspage.notify.channels.webhook import SIGNATURE_HEADER, verify
from statuspage.services import incidents, subscriptions
from tests.builders import (
    START, SYSTEM, body_of, csrf_token, deliver, make_component, make_group, make_incident, make_subscriber,
)
from tests.servers import QUICK_SHUTDOWN, free_port


def subscribe(client, **fields):
    token = csrf_token(client.get("/subscribe"))
    return client.post("/subscribe", data={"csrf_token": token, "lang": "en", **fields})


def count(app, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Notification).where(*where))


def confirm_link(message) -> str:
    return re.search(r"https://status\.example\.com(/subscribe/confirm/\S+)", body_of(message)).group(1)


def test_a_new_subscriber_confirms_receives_an_update_and_unsubscribes(app, client, clock, inbox):
    with app.app_context():
        make_component("api", "REST API")
    page = subscribe(client, email="ana@example.com", components=["api"])
    assert page.status_code == 200 and "confirmation link is on its way" in page.get_data(as_text=True)
    assert deliver(app, clock).sent == 1
    confirmation = inbox.messages[0]
    assert confirmation["To"] == "ana@example.com" and "Confirm your subscription" in confirmation["Subject"]
    manage_page = client.get(confirm_link(confirmation), follow_redirects=True)
    assert "Your subscription is confirmed." in manage_page.get_data(as_text=True)

    with app.app_context():
        make_incident("API errors", components_={"api": "partial_outage"}, body="We are **on it**.", now=clock.now())
    assert deliver(app, clock).sent == 1
    update = inbox.messages[1]
    assert update["Subject"] == "[Example Status] API errors: Investigating"
    assert update.get_content_type() == "multipart/alternative"
    assert "We are on it." in body_of(update)
    assert "<strong>on it</strong>" in update.get_body(preferencelist=("html",)).get_content()
    assert "You get this because you subscribed to updates of Example Status about: REST API." in body_of(update)
    unsubscribe = update["List-Unsubscribe"].strip("<>")
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert update["Auto-Submitted"] == "auto-generated"

    # A mail client's one-click unsubscribe: a POST with no CSRF token, authorized by the signed link.
    response = client.post(unsubscribe.removeprefix("https://status.example.com"),
                           data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_subscribing_reveals_nothing_about_known_addresses(app, client, clock, inbox):
    first = subscribe(client, email="ana@example.com").get_data(as_text=True)
    deliver(app, clock)
    client.get(confirm_link(inbox.messages[0]))
    again = subscribe(client, email="ana@example.com").get_data(as_text=True)
    strip = lambda page: re.sub(r'value="[^"]+"', "", page)  # noqa: E731  (CSRF tokens differ)
    assert strip(first) == strip(again)
    assert deliver(app, clock).sent == 0  # a confirmed subscriber gets no second confirmation


def test_messages_speak_the_subscribers_language(app, client, clock, inbox):
    subscribe(client, email="jean@example.com", lang="fr")
    deliver(app, clock)
    assert inbox.messages[0]["Subject"] == "[Example Status] Confirmez votre abonnement"
    client.get(confirm_link(inbox.messages[0]))
    with app.app_context():
        make_incident("Panne", now=clock.now())
    deliver(app, clock)
    assert "Enquête en cours" in inbox.messages[1]["Subject"]


def test_only_followers_of_an_affected_component_hear_of_it(app, clock):
    with app.app_context():
        make_component("api")
        make_component("web")
        for address, slugs in (("all@example.com", []), ("api@example.com", ["api"]), ("web@example.com", ["web"])):
            make_subscriber(address, slugs)
        make_incident(components_={"api": "major_outage"}, now=clock.now())
        addresses = sorted(db.session.scalars(select(Subscriber.address).join(Notification)))
    assert addresses == ["all@example.com", "api@example.com"]


def test_an_update_that_is_refused_queues_nothing(app, clock):
    with app.app_context():
        make_subscriber("all@example.com", [])
        with pytest.raises(Invalid):
            incidents.open_incident(name="x", body="y", components={"nope": "major_outage"}, by=SYSTEM,
                                    now=clock.now())
    assert count(app) == 0


def test_a_delivery_that_fails_now_is_retried_later_and_sent_once(app, clock, inbox, monkeypatch):
    with app.app_context():
        make_subscriber("ana@example.com", [])
        make_incident(now=clock.now())
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, smtp_port=free_port()))  # nobody there
    assert deliver(app, clock).retried == 1
    with app.app_context():
        waiting = db.session.scalar(select(Notification))
        assert waiting.status == DeliveryStatus.PENDING and waiting.attempts == 1 and "refused" in waiting.last_error
    monkeypatch.setitem(app.config, "SETTINGS", settings)  # the server is back
    assert deliver(app, clock).sent == 0  # not due yet: it waits its backoff
    clock.advance(minutes=1, seconds=1)
    assert deliver(app, clock).sent == 1
    assert len(inbox.messages) == 1
    clock.advance(hours=1)
    assert deliver(app, clock).sent == 0


def test_a_worker_killed_mid_batch_loses_nothing(app, clock, inbox):
    with app.app_context():
        for n in range(3):
            make_subscriber(f"user{n}@example.com", [])
        make_incident(now=clock.now())
        claimed = dispatch.claim_due(now=clock.now())  # ... and the worker dies here, sending nothing
    assert len(claimed) == 3
    assert deliver(app, clock).sent == 0  # still claimed by the dead worker
    clock.advance(seconds=dispatch.claim_length(app.config["SETTINGS"]).total_seconds() + 1)
    assert deliver(app, clock).sent == 3
    assert sorted(m["To"] for m in inbox.messages) == [f"user{n}@example.com" for n in range(3)]


def test_after_too_many_attempts_a_delivery_is_marked_failed(app, clock, monkeypatch):
    with app.app_context():
        make_subscriber("ana@example.com", [])
        make_incident(now=clock.now())
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, smtp_port=free_port(),
                                                                    delivery_attempts=3))
    for _ in range(3):
        deliver(app, clock)
        clock.advance(hours=7)
    assert count(app, Notification.status == DeliveryStatus.FAILED) == 1


def test_bad_subscriptions_are_refused_with_a_message(client):
    assert subscribe(client).status_code == 400
    assert subscribe(client, email="not an address").status_code == 400
    both = subscribe(client, email="a@example.com", webhook_url="https://93.184.216.34/x")
    assert both.status_code == 400
    page = subscribe(client, webhook_url="ftp://example.com/x")
    assert page.status_code == 400 and "public http or https address" in page.get_data(as_text=True)


def test_a_tampered_link_says_so_and_offers_to_subscribe_again(client):
    for response in (client.get("/subscribe/confirm/abc.def"), client.get("/subscribe/manage/abc.def"),
                     client.get("/subscribe/unsubscribe/abc.def"), client.post("/subscribe/unsubscribe/abc.def")):
        page = response.get_data(as_text=True)
        assert response.status_code == 400, response.status_code
        assert "This link does not work" in page and "changed or cut short" in page
        assert 'href="/subscribe"' in page and "Subscribe again" in page


def _expired_confirmation(app, monkeypatch, address="late@example.com") -> str:
    """A confirmation link signed eight days ago (links last seven)."""
    with app.app_context():
        subscriber = make_subscriber(address, confirmed=False)
        with monkeypatch.context() as patch:
            patch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp",
                          lambda _signer: int(time.time()) - 8 * 86400)
            return subscriptions.confirm_token(subscriber, policy(app.config["SETTINGS"]))


def test_an_expired_confirmation_link_says_it_expired_confirms_nothing_and_offers_to_subscribe_again(
        app, client, monkeypatch):
    token = _expired_confirmation(app, monkeypatch)
    response = client.get(f"/subscribe/confirm/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "This confirmation link has expired" in page and "work for 7 days" in page
    assert 'href="/subscribe"' in page
    with app.app_context():
        assert not db.session.scalar(select(Subscriber)).is_confirmed
    german = client.get(f"/subscribe/confirm/{token}?lang=de")
    assert german.status_code == 410 and "Dieser Bestätigungslink ist abgelaufen" in german.get_data(as_text=True)


def test_the_links_of_an_ended_subscription_say_it_no_longer_exists(app, client):
    with app.app_context():
        subscriber = make_subscriber("gone@example.com")
        rules = policy(app.config["SETTINGS"])
        manage, confirm = subscriptions.manage_token(subscriber, rules), subscriptions.confirm_token(subscriber, rules)
        subscriptions.unsubscribe(subscriber.id, now=START)
    for response in (client.get(f"/subscribe/manage/{manage}"), client.post(f"/subscribe/unsubscribe/{manage}"),
                     client.get(f"/subscribe/confirm/{confirm}")):
        assert response.status_code == 410
        assert "This subscription no longer exists" in response.get_data(as_text=True)


def test_manage_and_unsubscribe_pages_speak_the_subscribers_language_not_the_browsers(app, client):
    with app.app_context():
        subscriber = make_subscriber("jo@example.com", language="de")
        token = subscriptions.manage_token(subscriber, policy(app.config["SETTINGS"]))
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    client.set_cookie("lang", "fr")  # chosen on the page before, in another language
    manage = client.get(f"/subscribe/manage/{token}", headers=english_browser).get_data(as_text=True)
    assert '<html lang="de">' in manage and "Ihr Abonnement" in manage
    leave = client.get(f"/subscribe/unsubscribe/{token}", headers=english_browser).get_data(as_text=True)
    assert '<html lang="de">' in leave and "Abbestellen" in leave
    chosen = client.get(f"/subscribe/manage/{token}?lang=en", headers=english_browser).get_data(as_text=True)
    assert '<html lang="en">' in chosen  # the reader's own choice on the page wins


def test_saving_another_language_answers_in_it(app, client):
    with app.app_context():
        subscriber = make_subscriber("jo@example.com", language="de")
        token = subscriptions.manage_token(subscriber, policy(app.config["SETTINGS"]))
    form = client.get(f"/subscribe/manage/{token}")
    saved = client.post(f"/subscribe/manage/{token}", data={"csrf_token": csrf_token(form), "lang": "fr"})
    assert saved.status_code == 200 and '<html lang="fr">' in saved.get_data(as_text=True)


def test_ticking_a_group_without_javascript_subscribes_to_all_of_its_components(app, client):
    with app.app_context():
        web = make_group("Web")
        make_component("website", "Website", group=web)
        make_component("dashboard", "Dashboard", group=web)
        make_component("api", "API")
        group_id = web.id
    page = client.get("/subscribe").get_data(as_text=True)
    assert f'name="groups" value="{group_id}"' in page and 'checked' not in page
    assert subscribe(client, email="ana@example.com", groups=str(group_id)).status_code == 200
    with app.app_context():
        assert sorted(c.slug for c in db.session.scalar(select(Subscriber)).components) == ["dashboard", "website"]


def test_a_group_box_is_never_drawn_ticked_so_unticking_one_component_without_javascript_sticks(app, client):
    with app.app_context():
        web = make_group("Web")
        make_component("website", "Website", group=web)
        make_component("dashboard", "Dashboard", group=web)
        subscriber = make_subscriber("jo@example.com", ["website", "dashboard"])
        token = subscriptions.manage_token(subscriber, policy(app.config["SETTINGS"]))
    form = client.get(f"/subscribe/manage/{token}")
    page = form.get_data(as_text=True)
    assert re.search(r'<input type="checkbox" id="group-\d+"[^>]*>', page).group(0).count("checked") == 0
    assert page.count(" checked>") == 2  # both components, ticked one by one
    client.post(f"/subscribe/manage/{token}", data={"csrf_token": csrf_token(form), "lang": "en",
                                                     "components": ["website"]})
    with app.app_context():
        assert [c.slug for c in db.session.get(Subscriber, subscriber.id).components] == ["website"]


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that keeps what it is sent."""

    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs=QUICK_SHUTDOWN, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_a_webhook_receives_a_signed_event_it_can_verify(app, clock, receiver):
    with app.app_context():
        make_component("api", "REST API")
        subscriber = make_subscriber(receiver, ["api"], channel="webhook")
        incident = make_incident("API errors", components_={"api": "major_outage"}, now=clock.now())
        secret = subscriber.secret
    assert deliver(app, clock).sent == 1
    headers, body = Receiver.received[0]
    assert verify(secret, headers[SIGNATURE_HEADER], body, now_ts=int(clock.now().timestamp()))
    assert not verify("wrong secret", headers[SIGNATURE_HEADER], body, now_ts=int(clock.now().timestamp()))
    event = json.loads(body)
    assert event["event"] == "incident.updated"
    assert event["incident"]["id"] == str(incident.id) and event["incident"]["status"] == "investigating"
    assert event["update"]["status"] == "investigating"
    assert headers["Idempotency-Key"].startswith("notification-")


def test_a_webhook_subscribed_from_the_page_gets_its_confirmation_and_secret(app, client, clock, receiver):
    assert subscribe(client, webhook_url=receiver).status_code == 200
    assert deliver(app, clock).sent == 1
    headers, body = Receiver.received[0]
    event = json.loads(body)
    assert event["event"] == "subscription.confirm"
    assert verify(event["signing_secret"], headers[SIGNATURE_HEADER], body, now_ts=int(clock.now().timestamp()))
    client.get(event["confirm_url"].removeprefix("https://status.example.com"))
    with app.app_context():
        assert db.session.scalar(select(Subscriber)).is_confirmed


def test_admins_see_subscribers_and_failed_deliveries_with_their_error(app, clock, monkeypatch):
    from tests.builders import make_user, sign_in

    with app.app_context():
        make_user("root@example.com", "admin")
        make_user("ana@example.com", "responder")
        make_subscriber("reader@example.com", [])
        make_incident("API errors", now=clock.now())
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, smtp_port=free_port(),
                                                                    delivery_attempts=1))
    deliver(app, clock)
    console = app.test_client()
    sign_in(console, "root@example.com")
    assert "reader@example.com" in console.get("/admin/subscribers").get_data(as_text=True)
    failed = console.get("/admin/deliveries?status=failed").get_data(as_text=True)
    assert "reader@example.com" in failed and "refused" in failed and "API errors" in failed
    responder = app.test_client()
    sign_in(responder, "ana@example.com")
    assert responder.get("/admin/subscribers").status_code == 403
    assert responder.get("/admin/deliveries").status_code == 403


def follow(app, address, incident, language="en", now=None):
    from statuspage.notify.messages import policy
    from statuspage.services import subscriptions

    return subscriptions.follow_incident(address, incident, language=language,
                                         policy=policy(app.config["SETTINGS"]), now=now)


def test_a_ticket_requester_hears_of_their_incident_until_it_is_resolved_and_of_nothing_else(app, clock, inbox):
    with app.app_context():
        make_component("api")
        theirs = make_incident("Login fails", now=clock.now())
        make_incident("Unrelated", components_={"api": "major_outage"}, now=clock.now())
        follow(app, "Requester@Example.com", incidents.get_incident(theirs.id), language="de", now=clock.now())
        incidents.resolve_incident(theirs.id, "Fixed.", by=SYSTEM, now=clock.advance(minutes=30))
    assert deliver(app, clock).sent == 1  # the resolution, not the unrelated incident nor the past update
    message = inbox.messages[0]
    assert message["To"] == "requester@example.com"
    assert message["Subject"] == "[Example Status] Login fails: Behoben"
    assert "weil Ihre Supportanfrage mit dieser Störung verknüpft ist" in body_of(message)


def test_following_an_incident_does_not_widen_or_confirm_an_existing_subscription(app, clock):
    with app.app_context():
        make_component("api")
        make_component("web")
        make_subscriber("everything@example.com", [])
        make_subscriber("api@example.com", ["api"])
        make_subscriber("pending@example.com", [], confirmed=False)
        incident = make_incident("Web slow", components_={"web": "degraded_performance"}, now=clock.now())
        for address in ("everything@example.com", "api@example.com", "pending@example.com"):
            follow(app, address, incidents.get_incident(incident.id), now=clock.now())
        by_address = {s.address: s for s in db.session.scalars(select(Subscriber))}
        assert by_address["everything@example.com"].follows_everything
        assert [c.slug for c in by_address["api@example.com"].components] == ["api"]
        assert [i.id for i in by_address["api@example.com"].incidents] == [incident.id]
        assert not by_address["pending@example.com"].is_confirmed
        incidents.post_update(incident.id, status="identified", body="Found it.", by=SYSTEM,
                              now=clock.advance(minutes=5))
        told = sorted(db.session.scalars(select(Subscriber.address).join(Notification)
                                         .where(Notification.kind == "update")))
    # everything@ hears of both updates; api@ only of the one after it started following; pending@ of none
    assert told == ["api@example.com", "everything@example.com", "everything@example.com"]


@pytest.mark.parametrize("field, address, variants", [
    ("email", "victim@example.com", ["victim@example.com", "VICTIM@example.com", " victim@Example.com "]),
    ("webhook_url", "http://127.0.0.1:9/victim", ["http://127.0.0.1:9/victim"]),
])
def test_an_address_gets_at_most_three_confirmations_a_day_whoever_asks(app, clock, field, address, variants):
    """Anyone can type someone else's address into the form; after three confirmations in a day that address
    gets no more, while the form answers exactly as always (it reveals nothing)."""
    pages = []
    for attempt in range(6):
        visitor = app.test_client()  # a new visitor each time: the per-client limit is not what stops this
        response = subscribe(visitor, **{field: variants[attempt % len(variants)]})
        assert response.status_code == 200
        pages.append(re.sub(r'value="[^"]+"', "", response.get_data(as_text=True)))
    assert len(set(pages)) == 1, "every answer is the same page"
    assert count(app, Notification.kind == "confirmation") == 3
    other = subscribe(app.test_client(), **{field: address.replace("victim", "someone")})
    assert other.status_code == 200 and count(app, Notification.kind == "confirmation") == 4
