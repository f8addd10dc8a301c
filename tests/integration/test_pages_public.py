"""Every public surface is per page: a second page's incident shows nowhere on the default page, and the
reverse; links and subscriptions stay on the page they were made on."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import IncidentUpdate, Notification, NotificationKind, Page, PageComponent, Subscriber
from statuspage.notify.messages import email_for, webhook_body
from statuspage.services import incidents, pages
from tests.builders import SYSTEM, csrf_token, make_component, make_group, make_incident, make_maintenance, make_page

SHOP_HOST = "status.shop.example"
SHOP_HEADERS = {"Host": SHOP_HOST}

# What the default page may show and the second page must not, and the reverse.
DEFAULT_ONLY = ("API errors", "Gateway swap", "Public API")
SHOP_ONLY = ("Payments are failing", "Payments upgrade", "Payments")

SURFACES = [
    "/", "/history", "/feed.rss", "/feed.atom", "/maintenance.ics", "/badge.svg", "/subscribe",
    "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json",
]


@pytest.fixture
def site(app, clock):
    """The default page shows `api` (not every component); `shop` (by host) shows `payments`; each has an
    incident and a maintenance window of its own, and `payments` has a group only the shop shows."""
    with app.app_context():
        default = pages.default_page()
        default.shows_all_components = False
        db.session.commit()
        make_component("api", "Public API")
        make_component("payments", "Payments", group=make_group("Money"))
        db.session.add(PageComponent(page_id=default.id, component_id=1))
        db.session.commit()
        shop = make_page("shop", ["payments"], name="Shop Status", host=SHOP_HOST, time_zone="America/New_York",
                         accent_color="#aa3300")
        ids = {
            "api": make_incident("API errors", components_={"api": "degraded_performance"}, impact="minor",
                                 now=clock.now()).id,
            "payments": make_incident("Payments are failing", components_={"payments": "major_outage"},
                                      now=clock.now()).id,
            "api_window": make_maintenance("Gateway swap", components_=("api",), now=clock.now()).id,
            "payments_window": make_maintenance("Payments upgrade", components_=("payments",), now=clock.now()).id,
            "shop": shop.id,
        }
        db.session.remove()
    return ids


def read(client, path, headers=None) -> str:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, (path, headers, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", SURFACES)
def test_no_surface_of_either_page_shows_the_other_page(client, site, path):
    default, shop = read(client, path), read(client, path, SHOP_HEADERS)
    assert not [word for word in SHOP_ONLY if word in default], default[:400]
    assert not [word for word in DEFAULT_ONLY if word in shop], shop[:400]
    if path != "/badge.svg":
        assert any(word in default for word in DEFAULT_ONLY) or path.endswith(("status.json", "active.json"))
        assert any(word in shop for word in SHOP_ONLY) or path.endswith(("status.json", "active.json"))


def test_another_page_s_incidents_and_components_are_404_not_403(client, site):
    for path in (f"/incidents/{site['payments']}", f"/maintenance/{site['payments_window']}",
                 f"/maintenance/{site['payments_window']}.ics", "/components/payments",
                 "/components/payments/feed.rss", "/components/payments/badge.svg",
                 "/components/payments/maintenance.ics"):
        assert client.get(path).status_code == 404, path
    for path in (f"/incidents/{site['api']}", f"/maintenance/{site['api_window']}", "/components/api",
                 "/components/api/badge.svg"):
        assert client.get(path, headers=SHOP_HEADERS).status_code == 404, path
    assert "Payments are failing" in read(client, f"/incidents/{site['payments']}", SHOP_HEADERS)
    assert "Payments upgrade" in read(client, f"/maintenance/{site['payments_window']}.ics", SHOP_HEADERS)


def test_each_page_is_a_v2_api_of_its_own(client, site):
    default = client.get("/api/v2/summary.json").get_json()
    shop = client.get("/api/v2/summary.json", headers=SHOP_HEADERS).get_json()
    assert default["page"]["name"] == "Example Status" and default["page"]["url"] == "https://status.example.com"
    assert shop["page"]["name"] == "Shop Status" and shop["page"]["url"] == f"https://{SHOP_HOST}"
    assert shop["page"]["time_zone"] == "America/New_York" and shop["page"]["id"] != default["page"]["id"]
    assert [c["name"] for c in shop["components"]] == ["Money", "Payments"]
    assert [c["name"] for c in default["components"]] == ["Public API"]
    assert shop["incidents"][0]["shortlink"] == f"https://{SHOP_HOST}/incidents/{site['payments']}"
    assert shop["incidents"][0]["started_at"].endswith("-05:00")  # the page's time zone
    assert (default["status"]["indicator"], shop["status"]["indicator"]) == ("minor", "critical")


def test_feeds_and_calendars_link_to_the_page(client, site):
    feed = read(client, "/feed.atom", SHOP_HEADERS)
    assert f"https://{SHOP_HOST}/incidents/{site['payments']}" in feed and "Shop Status" in feed
    assert "status.example.com" not in feed
    assert f"https://{SHOP_HOST}/maintenance/{site['payments_window']}" in read(client, "/maintenance.ics",
                                                                                 SHOP_HEADERS).replace("\r\n ", "")


def test_a_page_shows_its_name_accent_and_time_zone(client, site):
    response = client.get("/", headers=SHOP_HEADERS)
    body = response.get_data(as_text=True)
    assert "<title>" in body and "Shop Status</title>" in body
    assert "--page-accent:#aa3300" in body and "America/New_York" in body
    assert "'sha256-" in response.headers["Content-Security-Policy"]  # the accent's <style>, and nothing else
    assert "--page-accent" not in read(client, "/")


def test_a_path_page_serves_the_same_surfaces_under_its_prefix(app, client, site):
    with app.app_context():
        db.session.get(Page, site["shop"]).host = None
        db.session.commit()
    body = read(client, "/p/shop")
    assert "Payments are failing" in body and "API errors" not in body
    assert f'href="/p/shop/incidents/{site["payments"]}"' in body
    summary = client.get("/p/shop/api/v2/summary.json").get_json()
    assert summary["page"]["url"] == "https://status.example.com/p/shop"
    assert f"https://status.example.com/p/shop/incidents/{site['payments']}" in read(client, "/p/shop/feed.rss")
    assert client.get(f"/p/shop/incidents/{site['api']}").status_code == 404


def test_a_subscriber_belongs_to_its_page_and_hears_of_that_page_only(app, client, clock, site):
    form = client.get("/subscribe", headers=SHOP_HEADERS)
    assert "Payments" in form.get_data(as_text=True) and "Public API" not in form.get_data(as_text=True)
    answer = client.post("/subscribe", headers=SHOP_HEADERS, data={
        "csrf_token": csrf_token(form), "lang": "en", "email": "shopper@example.com"})
    assert answer.status_code == 200
    with app.app_context():
        subscriber = db.session.scalar(select(Subscriber).where(Subscriber.address == "shopper@example.com"))
        assert subscriber.page_id == site["shop"]
        confirmation = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.CONFIRMATION))
        text = email_for(confirmation).text
        assert f"https://{SHOP_HOST}/subscribe/confirm/" in text and "status.example.com" not in text
        subscriber.confirmed_at = clock.now()
        db.session.commit()
        for incident_id in (site["api"], site["payments"]):
            incidents.post_update(incident_id, status="identified", body="Found it.", by=SYSTEM,
                                  now=clock.advance(minutes=1))
        updates = list(db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.UPDATE,
                                                                     Notification.subscriber_id == subscriber.id)))
        assert [n.update.incident_id for n in updates] == [site["payments"]]
        mail = email_for(updates[0])
        assert f"https://{SHOP_HOST}/incidents/{site['payments']}" in mail.text and "Shop Status" in mail.subject
        subscriber.channel = "webhook"
        assert f'"url":"https://{SHOP_HOST}"'.encode() in webhook_body(updates[0])
        db.session.rollback()


def test_an_incident_of_no_component_shows_on_the_default_page_only(app, client, clock, site):
    with app.app_context():
        make_incident("Something odd", components_={}, now=clock.now() + timedelta(minutes=1))
        db.session.remove()
    assert "Something odd" in read(client, "/")
    assert "Something odd" not in read(client, "/", SHOP_HEADERS)
    assert "Something odd" not in read(client, "/api/v2/incidents.json", SHOP_HEADERS)


def test_the_export_has_a_tree_per_public_page_and_none_for_a_private_one(app, site, tmp_path):
    from statuspage.export import export_site

    with app.app_context():
        make_page("secret", ["payments"], visibility="private")
        db.session.remove()
    export_site(app, tmp_path)
    files = [path for path in tmp_path.rglob("*") if path.is_file() and not path.name.startswith(".")]
    shop_tree = tmp_path / "p" / "shop"
    assert (shop_tree / "index.html").is_file() and (shop_tree / "api/v2/summary.json").is_file()
    assert not (tmp_path / "p" / "secret").exists()
    for path in files:
        text = path.read_text(errors="replace")
        inside_shop = shop_tree in path.parents
        unwanted = DEFAULT_ONLY if inside_shop else SHOP_ONLY
        assert not [word for word in unwanted if word in text], path
    assert "Payments are failing" in (shop_tree / "index.html").read_text()
    assert 'href="history/"' in (shop_tree / "index.html").read_text()  # links stay inside its tree


@pytest.mark.parametrize("prefix, headers", [("", SHOP_HEADERS), ("/p/shop", {})])
def test_a_second_page_s_v2_api_matches_the_statuspage_schemas(app, client, site, prefix, headers):
    from tests.integration.test_api_v2 import ENDPOINTS, schema_errors

    if prefix:
        with app.app_context():
            db.session.get(Page, site["shop"]).host = None
            db.session.commit()
    for url, schema in ENDPOINTS.items():
        response = client.get(prefix + url, headers=headers)
        assert response.status_code == 200, url
        document = response.get_json()
        assert document["page"]["name"] == "Shop Status"
        assert schema_errors(schema, document) == [], url


def test_an_incident_on_both_pages_names_on_each_only_that_page_s_components(app, client, clock, site):
    with app.app_context():
        both = make_incident("Everything is slow", components_={"api": "degraded_performance",
                                                                "payments": "degraded_performance"},
                             impact="minor", now=clock.now() + timedelta(minutes=1))
        db.session.remove()
    for path in ("/", f"/incidents/{both.id}", "/feed.atom"):
        shop, default = read(client, path, SHOP_HEADERS), read(client, path)
        assert "Everything is slow" in shop and "Everything is slow" in default
        assert "Public API" not in shop and "Payments" not in default, path


def test_one_address_subscribes_on_two_pages_each_with_its_own_confirmation_and_links(app, client, clock, site):
    """Before, an address confirmed on one page got "check your mail" on the other and nothing was sent."""
    def subscribe(headers):
        form = client.get("/subscribe", headers=headers)
        answer = client.post("/subscribe", headers=headers, data={
            "csrf_token": csrf_token(form), "lang": "en", "email": "both@example.com"})
        assert answer.status_code == 200

    subscribe({})
    with app.app_context():
        first = db.session.scalar(select(Subscriber))
        assert first.page_id is None  # the default page, however it was named
        first.confirmed_at = clock.now()
        db.session.commit()
    subscribe(SHOP_HEADERS)
    subscribe({})  # confirmed on the default page already: nothing changes there
    with app.app_context():
        subscribers = list(db.session.scalars(select(Subscriber).order_by(Subscriber.id)))
        assert [(s.address, s.page_id, s.is_confirmed) for s in subscribers] == [
            ("both@example.com", None, True), ("both@example.com", site["shop"], False)]
        confirmations = list(db.session.scalars(select(Notification).where(
            Notification.kind == NotificationKind.CONFIRMATION).order_by(Notification.id)))
        assert [n.subscriber_id for n in confirmations] == [subscribers[0].id, subscribers[1].id]
        assert f"https://{SHOP_HOST}/subscribe/confirm/" in email_for(confirmations[1]).text
        subscribers[1].confirmed_at = clock.now()
        db.session.commit()
        for incident_id in (site["api"], site["payments"]):
            incidents.post_update(incident_id, status="identified", body="Found it.", by=SYSTEM,
                                  now=clock.advance(minutes=1))
        heard = db.session.execute(select(Notification.subscriber_id, Notification.update_id).where(
            Notification.kind == NotificationKind.UPDATE)).all()
        by_subscriber = {s.id: {db.session.get(IncidentUpdate, u).incident_id for sid, u in heard if sid == s.id}
                         for s in subscribers}
        assert by_subscriber == {subscribers[0].id: {site["api"]}, subscribers[1].id: {site["payments"]}}
