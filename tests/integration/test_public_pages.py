"""The public pages as a visitor sees them."""
from datetime import timedelta

from tests.builders import make_component, make_group, make_incident, make_maintenance


def test_empty_page_says_all_systems_operational(client):
    page = client.get("/").get_data(as_text=True)
    assert "All systems operational" in page


def test_open_incident_shows_its_latest_update_and_turns_the_banner(app, client, clock):
    with app.app_context():
        make_component("dashboard", "Dashboard", group=make_group())
        make_incident("Dashboard down", components_={"dashboard": "major_outage"}, impact="critical",
                      body="We are **looking** into it.", now=clock.now())
    page = client.get("/").get_data(as_text=True)
    assert "Major service outage" in page
    assert "Dashboard down" in page
    assert "<strong>looking</strong>" in page
    assert "Major outage" in page


def test_incident_page_lists_updates_newest_first(app, client, clock):
    from statuspage.services.incidents import post_update
    from tests.builders import SYSTEM

    with app.app_context():
        make_component("api")
        incident = make_incident(components_={"api": "partial_outage"}, body="first message", now=clock.now())
        post_update(incident.id, status="identified", body="second message", by=SYSTEM,
                    now=clock.advance(minutes=5))
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert page.index("second message") < page.index("first message")
    assert "Identified" in page


def test_unknown_ids_and_slugs_get_a_localized_404(client):
    assert client.get("/incidents/12345").status_code == 404
    response = client.get("/components/nope?lang=de")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_maintenance_is_not_an_incident_and_vice_versa(app, client):
    with app.app_context():
        make_component("database")
        maintenance = make_maintenance()
    assert client.get(f"/maintenance/{maintenance.id}").status_code == 200
    assert client.get(f"/incidents/{maintenance.id}").status_code == 404


def test_upcoming_maintenance_is_on_the_page(app, client, clock):
    with app.app_context():
        make_component("database")
        make_maintenance("Database upgrade", starts=clock.now() + timedelta(days=3))
    page = client.get("/").get_data(as_text=True)
    assert "Scheduled maintenance" in page and "Database upgrade" in page


def test_times_show_their_zone(app, client, clock):
    with app.app_context():
        make_incident(now=clock.now())
    page = client.get("/").get_data(as_text=True)
    assert "CET" in page  # 2026-11-20 is winter time in Europe/Berlin


def test_health_endpoints_answer(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def test_readyz_says_503_when_the_database_is_unreachable(tmp_path):
    from statuspage import create_app

    broken = create_app({"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                         "instance_dir": tmp_path, "secret_key": "x"})
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_components_shown_only_when_degraded_stay_hidden_while_operational(app, client):
    with app.app_context():
        make_component("legacy-api", "Legacy API", only_show_if_degraded=True)
    assert "Legacy API" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        make_incident(components_={"legacy-api": "partial_outage"})
    assert "Legacy API" in client.get("/").get_data(as_text=True)


def test_history_groups_by_month_and_pages_back(app, client, clock):
    with app.app_context():
        make_incident("Long ago", now=clock.now() - timedelta(days=200))
        make_incident("Recent", now=clock.now() - timedelta(days=3))
    first = client.get("/history").get_data(as_text=True)
    assert "Recent" in first and "Long ago" not in first and "November 2026" in first
    assert 'rel="next"' in first
    third = client.get("/history?page=3").get_data(as_text=True)
    assert "Long ago" in third and "May 2026" in third
    assert client.get("/history?page=abc").status_code == 200
