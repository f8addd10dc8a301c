"""Chat and push subscribers through Apprise, against real HTTP receivers on loopback.

The receivers speak the protocols Apprise uses: json://, form:// and xml:// POSTs, ntfy's JSON publish
(POST / with the topic in the body), Gotify's POST /message with its app token, and Mattermost's incoming
webhooks (POST /hooks/<key>, {"text": ...}). Nothing is mocked: every message goes through the outbox,
the dispatcher, Apprise and a socket.
"""
from __future__ import annotations

import json
import logging
import re
import time
import xml.etree.ElementTree as ElementTree

import pytest
from sqlalchemy import func, select, text

from statuspage.extensions import db
from statuspage.models import DeliveryStatus, Notification, NotificationKind, Subscriber
from statuspage.notify import dispatch, outbox
from statuspage.notify.channels.chat import check_notify_url, describe, send_chat
from statuspage.notify.channels import DeliveryError
from statuspage.services import accounts, incidents
from tests.builders import (
    SYSTEM, START, add_chat, csrf_token, deliver, make_component, make_incident, settings_with, sign_in,
)
from tests.servers import Receiver

TOKEN = "s3cr3tT0kenNobodyMaySee"  # in every destination URL: must never show up anywhere


# --- the receivers get short, localized messages -------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["json", "form", "xml"])
def test_an_update_reaches_json_form_and_xml_receivers_in_the_subscribers_language(app, admin, clock, receiver,
                                                                                  scheme):
    with app.app_context():
        make_component("api", "REST API")
    created = add_chat(admin, f"{scheme}://127.0.0.1:{receiver.port}/hooks/{TOKEN}", components=["api"], lang="de")
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        incident = make_incident("API errors", components_={"api": "partial_outage"}, body="Wir **prüfen** das.",
                                 now=clock.now())
    assert deliver(app, clock).sent == 1
    [request] = receiver.received
    assert request.path == f"/hooks/{TOKEN}"
    if scheme == "json":
        title, message = request.json()["title"], request.json()["message"]
    elif scheme == "form":
        title, message = request.form()["title"], request.form()["message"]
    else:
        root = ElementTree.fromstring(request.body)
        title = root.find(".//{*}Subject").text
        message = root.find(".//{*}Message").text
    assert title.startswith("[Example Status] API errors: ") and "Investigating" not in title  # in German
    assert "Wir prüfen das." in message  # plain text for a plain receiver: no Markdown stars
    assert f"https://status.example.com/incidents/{incident.id}" in message
    assert "Abbestellen:" in message and "https://status.example.com/subscribe/unsubscribe/" in message
    assert len(message) < 1000, "chat messages are short"


def test_rich_services_get_markdown_links(app, admin, clock, receiver):
    """Mattermost (as Slack, Teams, Discord) renders Markdown: the links are links, the body keeps its bold."""
    add_chat(admin, f"mmost://127.0.0.1:{receiver.port}/{TOKEN}", lang="fr")
    with app.app_context():
        make_incident("Paiements", body="Nous **analysons**.", now=clock.now())
    assert deliver(app, clock).sent == 1
    [request] = receiver.received
    assert request.path == f"/hooks/{TOKEN}"
    said = request.json()["text"]
    assert "Nous **analysons**." in said
    assert re.search(r"\[Voir l’incident\]\(https://status\.example\.com/incidents/\d+\)", said)
    assert re.search(r"\[Se désabonner\]\(https://status\.example\.com/subscribe/unsubscribe/\S+\)", said)


def test_ntfy_and_gotify_receivers_get_the_message(app, admin, clock, receiver):
    assert add_chat(admin, f"ntfy://127.0.0.1:{receiver.port}/status-{TOKEN}").status_code == 201
    assert add_chat(admin, f"gotify://127.0.0.1:{receiver.port}/{TOKEN}").status_code == 201
    with app.app_context():
        make_incident("Login fails", now=clock.now())
    started = time.monotonic()
    assert deliver(app, clock).sent == 2
    assert time.monotonic() - started < 5, "Apprise's pause between sends (5.5 s for ntfy) is switched off"
    by_path = {r.path.partition("?")[0]: r for r in receiver.received}
    ntfy = by_path["/"].json()
    assert ntfy["topic"] == f"status-{TOKEN}" and "Login fails" in ntfy["title"]
    gotify = by_path["/message"]
    assert gotify.headers.get("x-gotify-key") == TOKEN or f"token={TOKEN}" in gotify.path
    assert "Login fails" in gotify.json()["title"]


# --- retries, failure for good, alerts -------------------------------------------------------------------------

def test_a_5xx_is_retried_with_backoff_then_delivered(app, admin, clock, receiver):
    add_chat(admin, f"json://127.0.0.1:{receiver.port}/hook")
    receiver.statuses = [503]
    with app.app_context():
        make_incident(now=clock.now())
    run = deliver(app, clock)
    assert (run.sent, run.retried) == (0, 1)
    with app.app_context():
        row = db.session.scalar(select(Notification))
        assert row.status == DeliveryStatus.PENDING and row.last_error == "the service answered 503"
        assert row.next_attempt_at == clock.now() + dispatch.backoff(1)
    assert deliver(app, clock).sent == 0  # not due yet
    clock.advance(minutes=1)
    assert deliver(app, clock).sent == 1
    assert len(receiver.received) == 2
    with app.app_context():
        row = db.session.scalar(select(Notification))
        assert row.status == DeliveryStatus.SENT and row.attempts == 2


def test_a_receiver_that_keeps_failing_fails_for_good_and_the_engineers_are_told(app, admin, clock, receiver,
                                                                                    monkeypatch):
    alerts = Receiver()
    try:
        settings_with(app, monkeypatch, delivery_attempts=3,
                      alert_urls=(f"json://127.0.0.1:{alerts.port}/alerts/{TOKEN}",))
        add_chat(admin, f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}")
        receiver.always = 500
        with app.app_context():
            make_incident(now=clock.now())
        for _ in range(3):
            deliver(app, clock)
            clock.advance(hours=7)
        assert len(receiver.received) == 3
        with app.app_context():
            failed = db.session.scalar(select(Notification).where(Notification.status == DeliveryStatus.FAILED))
            assert failed.attempts == 3 and failed.last_error == "the service answered 500"
        assert deliver(app, clock).sent == 1  # the alert about it
        [alert] = alerts.received
        assert alert.json()["title"] == "[Example Status] 1 delivery failed for good"
        assert "the service answered 500" in alert.json()["message"]
        assert "https://status.example.com/admin/deliveries?status=failed" in alert.json()["message"]
        assert TOKEN not in alert.json()["message"], "the failed destination is named without its secret"
        # A second failure soon after raises no second alert (one per quarter hour, not one per delivery).
        with app.app_context():
            make_incident("Second", now=clock.now())
        for _ in range(3):
            deliver(app, clock)
            clock.advance(minutes=4)
        assert len(alerts.received) == 1
        with app.app_context():
            accounts.create_user("root@example.com", "correct horse battery", role="admin", by=SYSTEM, now=START)
        console = app.test_client()
        sign_in(console, "root@example.com")
        log_page = console.get("/admin/deliveries").get_data(as_text=True)
        assert "Alert: deliveries failed for good" in log_page and TOKEN not in log_page
    finally:
        alerts.close()


def test_an_alert_that_cannot_be_sent_raises_no_alert_about_itself(app, clock, monkeypatch):
    settings_with(app, monkeypatch, delivery_attempts=1, alert_urls=("json://127.0.0.1:9/alerts",))
    with app.app_context():
        incident = make_incident(now=clock.now())
        from statuspage.database import transaction
        with transaction():
            outbox.queue_alert_urls(incident, now=clock.now())
    assert deliver(app, clock).failed == 1
    assert deliver(app, clock).sent + deliver(app, clock).failed == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == NotificationKind.DELIVERY_FAILED)) == 0


def test_a_suspected_incident_and_a_check_that_opens_one_reach_the_alert_urls(app, clock, receiver, monkeypatch):
    """Both engineers' alerts by their real paths: tickets (support/intake.py) and a failing check
    (monitoring/policy.py); each alert URL gets its own row, named by a fingerprint, never the URL."""
    from statuspage.models import Role
    from statuspage.monitoring import policy, results
    from statuspage.monitoring.probes import ProbeResult
    from statuspage.monitoring import checks
    from statuspage.services.audit import Actor
    from statuspage.support import intake
    settings_with(app, monkeypatch, alert_urls=(f"json://127.0.0.1:{receiver.port}/alerts/{TOKEN}",
                                                f"form://127.0.0.1:{receiver.port}/second"))
    with app.app_context():
        make_component("api", "API")
        make_component("search", "Search")
        desk = Actor(label="token:desk", role=Role.INTAKE)
        for n in range(5):
            body = {"subject": f"search broken ({n})", "body": "Every request fails with an error since a minute.",
                    "requester": {"email": f"u{n}@customer.example"}, "component": "search"}
            intake.take_ticket(intake.ticket_in(body), by=desk, now=clock.now())
            clock.advance(minutes=1)
        [suspected] = incidents.suspected_incidents()
        suspected_id = suspected.id
        check = checks.create_check({"key": "api-http", "name": "API", "component": "api", "kind": "http",
                                     "target": "http://127.0.0.1:9/", "interval": "30s"}, by=SYSTEM, now=START)
        for _ in range(check.failures_to_open):
            now = clock.now()
            result = ProbeResult(ok=False, latency_ms=None, error="connection refused", started_at=now)
            attention = results.record([results.Outcome(check.id, now, result)], now=now,
                                       tz=app.config["SETTINGS"].tz)
            policy.reconcile(attention, now=now, auto_resolve=True)
            clock.advance(seconds=30)
        recipients = set(db.session.scalars(select(Notification.recipient).where(
            Notification.recipient.like("alert-url:%"))))
    assert len(recipients) == 2 and all(TOKEN not in r for r in recipients)
    assert deliver(app, clock).sent == 4
    titles = sorted(r.json()["title"] if r.path.startswith("/alerts") else r.form()["title"]
                    for r in receiver.received)
    assert titles[:2] == ["[Example Status] Check opened an incident: API has a partial outage"] * 2 \
        or all(t.startswith("[Example Status] Check opened an incident: ") for t in titles[:2]), titles
    assert all(t.startswith("[Example Status] Suspected incident: ") for t in titles[2:]), titles
    bodies = [r.json()["message"] for r in receiver.received if r.path.startswith("/alerts")]
    assert any(f"https://status.example.com/admin/incidents/{suspected_id}" in body for body in bodies)


# --- what is refused -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, says", [
    ("mailto://user:pass@gmail.com", "not offered here"),
    ("windows://", "not one Apprise can use"),
    ("https://example.com/plain-webhook", "not one Apprise can use"),
    ("slack", "needs a scheme"),
    ("json://exa mple.com/x", "spaces"),
    ("", "notify_url"),
    ("ntfy://93.184.216.34/status/other", "names 2 destinations"),  # one target per row, retried alone
    ("slack://T000/B000/XXXX/#ops/#status", "names 2 destinations"),
])
def test_schemes_and_forms_outside_the_allow_list_are_refused(admin, url, says):
    response = add_chat(admin, url)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert says in json.dumps(error), error


def test_giving_two_addresses_is_refused(admin):
    response = admin.post("/api/v1/subscribers",
                          json={"email": "a@example.com", "notify_url": "json://93.184.216.34/x"})
    assert response.status_code == 422 and "one of them" in json.dumps(response.get_json())


def test_private_hosts_are_refused_without_the_setting(app, admin, clock, receiver, monkeypatch):
    url = f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}"
    assert add_chat(admin, url).status_code == 201  # allowed: the tests' STATUSPAGE_WEBHOOK_ALLOW_PRIVATE=1
    settings_with(app, monkeypatch, webhook_allow_private=False)
    refused = add_chat(admin, f"ntfy://127.0.0.1:{receiver.port}/topic")
    assert refused.status_code == 422 and "loopback" in json.dumps(refused.get_json())
    assert TOKEN not in json.dumps(refused.get_json())
    for private in ("json://10.1.2.3/x", "gotify://169.254.169.254/token", "mmost://[::1]:8065/key"):
        answer = add_chat(admin, private).get_json()
        assert answer["error"]["code"] == "invalid_notify_url", (private, answer)
    # Stored while it was allowed, and now refused at connection time: nothing reaches the receiver.
    with app.app_context():
        make_incident(now=clock.now())
    run = deliver(app, clock)
    assert run.failed == 1 and receiver.received == []
    with app.app_context():
        assert "loopback" in db.session.scalar(select(Notification.last_error))


def test_apprise_does_not_pause_between_requests(receiver):
    """Apprise sleeps between two requests of one plugin (5.5 s for ntfy) unless told not to; here the
    two topics of one URL (refused for subscribers, but the sender must not sleep whatever it gets)."""
    started = time.monotonic()
    send_chat(f"ntfy://127.0.0.1:{receiver.port}/one/two", title="t", body="b", markdown=False, allow_private=True)
    assert time.monotonic() - started < 4
    assert sorted(r.json()["topic"] for r in receiver.received) == ["one", "two"]


def test_the_peer_is_checked_when_sending_whatever_the_url_says(receiver):
    """The check is on the connected socket (a host name, a changed DNS answer or a redirect all end in a
    connection): a name that leads to loopback is refused before a byte is sent."""
    with pytest.raises(DeliveryError) as refused:
        send_chat(f"json://localhost:{receiver.port}/x", title="t", body="b", markdown=False, allow_private=False)
    assert not refused.value.retryable and "loopback" in refused.value.message
    assert receiver.received == []


# --- secrets ---------------------------------------------------------------------------------------------------

def test_the_url_is_never_logged_stored_in_clear_or_shown_in_full(app, admin, client, clock, receiver, caplog,
                                                                 monkeypatch):
    caplog.set_level(logging.DEBUG)
    url = f"json://127.0.0.1:{receiver.port}/hooks/{TOKEN}"
    created = add_chat(admin, url).get_json()
    assert created["channel"] == "chat" and created["notify_url"].startswith(f"json://127.0.0.1:{receiver.port}/…")
    assert TOKEN not in json.dumps(created)
    assert TOKEN not in json.dumps(admin.get("/api/v1/subscribers").get_json())
    receiver.statuses = [500]
    with app.app_context():
        make_incident(now=clock.now())
    deliver(app, clock)  # fails once (logged), then succeeds
    clock.advance(minutes=2)
    assert deliver(app, clock).sent == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "delivery" in logged  # the failure was logged ...
    assert TOKEN not in logged and TOKEN not in caplog.text  # ... without the URL
    with app.app_context():
        for table in ("subscribers", "notifications", "audit_log"):
            rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
            assert TOKEN not in repr(rows), table
        accounts.create_user("root@example.com", "correct horse battery", role="admin", by=SYSTEM, now=START)
    console = app.test_client()
    sign_in(console, "root@example.com")
    for page in ("/admin/subscribers", "/admin/deliveries", "/admin/audit"):
        html = console.get(page).get_data(as_text=True)
        assert TOKEN not in html, page
    assert f"json://127.0.0.1:{receiver.port}/…" in console.get("/admin/subscribers").get_data(as_text=True)
    assert TOKEN not in repr(app.config["SETTINGS"])


def test_describe_shows_scheme_and_host_only():
    assert describe(f"json://hooks.example.com:8080/path/{TOKEN}") == "json://hooks.example.com:8080/…"
    assert describe(f"slack://T1JJ3T3L2/A1BRTD4JD/{TOKEN}/#general") == "slack://…"
    assert describe(f"https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/{TOKEN}") == "https://hooks.slack.com/…"
    assert check_notify_url(f"https://discord.com/api/webhooks/4174216298/{TOKEN}", allow_private=False,
                            check_host=False).service == "discord"


# --- the page: chat tab, confirmation, unsubscribe -------------------------------------------------------------

def test_a_visitor_subscribes_a_channel_confirms_from_it_and_unsubscribes_from_a_message(app, client, clock, receiver):
    with app.app_context():
        make_component("api", "REST API")
    tab = client.get("/subscribe?via=chat")
    html = tab.get_data(as_text=True)
    assert tab.status_code == 200 and 'name="notify_url"' in html and 'aria-current="page"' in html
    assert 'name="email"' not in html
    for way in ("Email", "Chat or push", "Webhook", "Feeds"):
        assert f">{way}</a>" in html
    answer = client.post("/subscribe", data={"csrf_token": csrf_token(tab), "via": "chat", "lang": "en",
                                             "notify_url": f"json://127.0.0.1:{receiver.port}/c/{TOKEN}",
                                             "components": ["api"]})
    assert answer.status_code == 200 and "confirmation message with a link" in answer.get_data(as_text=True)
    assert deliver(app, clock).sent == 1
    confirmation = receiver.received[0].json()
    assert confirmation["title"] == "[Example Status] Confirm your subscription"
    link = re.search(r"https://status\.example\.com(/subscribe/confirm/\S+)", confirmation["message"]).group(1)
    with app.app_context():
        make_incident("Before confirming", components_={"api": "partial_outage"}, now=clock.now())
    assert deliver(app, clock).sent == 0  # nothing before the link is followed
    manage = client.get(link, follow_redirects=True)
    page = manage.get_data(as_text=True)
    assert "Your subscription is confirmed." in page and TOKEN not in page
    with app.app_context():
        make_incident("After confirming", components_={"api": "major_outage"}, now=clock.advance(minutes=1))
    assert deliver(app, clock).sent == 1
    update = receiver.received[1].json()
    assert "After confirming" in update["title"]
    unsubscribe = re.search(r"https://status\.example\.com(/subscribe/unsubscribe/\S+)", update["message"]).group(1)
    assert TOKEN not in client.get(unsubscribe).get_data(as_text=True)
    assert client.post(unsubscribe).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_a_bad_url_on_the_chat_tab_stays_on_the_tab_with_a_message(client):
    tab = client.get("/subscribe?via=chat")
    answer = client.post("/subscribe", data={"csrf_token": csrf_token(tab), "via": "chat", "lang": "en",
                                             "notify_url": "mailto://a:b@example.com"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'name="notify_url"' in page
    assert "give the Apprise URL of a chat or push service" in page
    empty = client.post("/subscribe", data={"csrf_token": csrf_token(tab), "via": "chat", "lang": "en"})
    assert empty.status_code == 400 and 'name="notify_url"' in empty.get_data(as_text=True)


def test_the_feeds_tab_lists_the_feeds(client):
    html = client.get("/subscribe?via=feeds").get_data(as_text=True)
    assert 'href="/feed.rss"' in html and 'href="/feed.atom"' in html
    assert 'name="email"' not in html and 'name="notify_url"' not in html  # nothing to fill in
    assert 'href="/subscribe?via=feeds" aria-current="page"' in html


def test_an_admin_adds_a_channel_in_the_console_and_never_sees_the_url_again(app, client, clock, receiver):
    with app.app_context():
        make_component("api", "REST API")
        accounts.create_user("root@example.com", "correct horse battery", role="admin", by=SYSTEM, now=START)
    sign_in(client, "root@example.com")
    page = client.get("/admin/subscribers")
    answer = client.post("/admin/subscribers/chat", data={
        "csrf_token": csrf_token(page), "notify_url": f"json://127.0.0.1:{receiver.port}/team/{TOKEN}",
        "components": ["api"], "lang": "de", "confirmed": "y"})
    assert answer.status_code == 302
    listing = client.get("/admin/subscribers").get_data(as_text=True)
    assert f"json://127.0.0.1:{receiver.port}/…" in listing and TOKEN not in listing
    bad = client.post("/admin/subscribers/chat", data={"csrf_token": csrf_token(page),
                                                       "notify_url": f"mailto://{TOKEN}@example.com", "lang": "en"})
    assert bad.status_code == 400 and TOKEN not in bad.get_data(as_text=True)
    with app.app_context():
        make_incident("API errors", components_={"api": "partial_outage"}, now=clock.now())
    assert deliver(app, clock).sent == 1  # confirmed by the admin: no confirmation round
    assert "API errors" in receiver.received[0].json()["title"]


def test_a_maintenance_reminder_reaches_a_chat_subscriber_with_its_links(app, admin, clock, receiver):
    from statuspage.database import transaction
    from tests.builders import make_maintenance
    with app.app_context():
        make_component("database", "Database")
    add_chat(admin, f"json://127.0.0.1:{receiver.port}/hook", components=["database"], lang="fr")
    with app.app_context():
        maintenance = make_maintenance("Mise à jour", components_=("database",), now=clock.now())
        deliver(app, clock)  # the announcement
        receiver.received.clear()
        with transaction():
            maintenance = db.session.get(type(maintenance), maintenance.id)
            outbox.queue_reminder(maintenance, [c.id for c in maintenance.components], now=clock.now())
    assert deliver(app, clock).sent == 1
    said = receiver.received[0].json()
    assert said["title"].startswith("[Example Status] ") and "Mise à jour" in said["title"]
    assert f"https://status.example.com/maintenance/{maintenance.id}" in said["message"]
    assert "https://status.example.com/subscribe/unsubscribe/" in said["message"]
