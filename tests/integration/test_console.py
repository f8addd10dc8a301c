"""The engineers' console: sign-in, roles, CSRF, incidents, components, users, tokens, templates."""
import dataclasses
import re

import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import ApiToken, Component, Incident, IncidentTemplate
from tests.builders import TEST_PASSWORD, csrf_token, form_post, make_component, make_incident, make_user, sign_in


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def responder(app):
    with app.app_context():
        return make_user("ana@example.com", "responder")


@pytest.mark.parametrize("url", ["/admin/", "/admin/incidents", "/admin/incidents/new", "/admin/components",
                                 "/admin/users", "/admin/tokens", "/admin/audit", "/admin/account"])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_a_wrong_password_shows_the_form_again(client, responder):
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"email": "ana@example.com", "password": "wrong password!",
                                                 "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_sign_in_never_redirects_off_site(client, responder):
    page = client.get("/admin/login")
    response = client.post("/admin/login?next=//evil.example/x", data={
        "email": "ana@example.com", "password": TEST_PASSWORD, "csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/admin/"


def test_sign_in_attempts_are_rate_limited(app, client, responder, monkeypatch):
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, login_rate_limit="3 per minute"))
    token = csrf_token(client.get("/admin/login"))
    codes = [client.post("/admin/login", data={"email": "ana@example.com", "password": "nope nope nope",
                                                "csrf_token": token}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(app, client, responder):
    sign_in(client)
    response = client.post("/admin/incidents/new", data={"name": "x", "impact": "minor", "status": "investigating",
                                                         "body": "y"})
    assert response.status_code == 400
    assert count(app, Incident) == 0


def test_a_responder_opens_updates_and_resolves_an_incident(app, client, responder):
    with app.app_context():
        make_component("dashboard", "Dashboard")
    sign_in(client)
    response = form_post(client, "/admin/incidents/new", {
        "name": "Dashboard down", "impact": "major", "status": "investigating", "body": "Looking **now**.",
        "component-dashboard": "major_outage"})
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    incident_id = int(detail_url.rsplit("/", 1)[1])
    assert "Major outage" in client.get("/").get_data(as_text=True)

    response = form_post(client, f"/admin/incidents/{incident_id}/updates",
                         {"status": "identified", "body": "Found it.", "component-dashboard": "partial_outage"},
                         page_url=detail_url)
    assert response.status_code == 302
    response = form_post(client, f"/admin/incidents/{incident_id}/resolve", {"body": "All good."}, page_url=detail_url)
    assert response.status_code == 302
    public = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "All good." in public and "Found it." in public and "Resolved" in public
    assert "All systems operational" in client.get("/").get_data(as_text=True)


def test_invalid_incident_form_shows_messages_and_stores_nothing(app, client, responder):
    sign_in(client)
    response = form_post(client, "/admin/incidents/new", {"name": "", "impact": "minor", "status": "investigating",
                                                          "body": ""})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    assert count(app, Incident) == 0


def test_a_viewer_reads_but_cannot_change_anything(app, client):
    with app.app_context():
        make_user("vic@example.com", "viewer")
        make_component("api")
        incident = make_incident(components_={"api": "major_outage"})
    sign_in(client, "vic@example.com")
    assert client.get("/admin/incidents").status_code == 200
    assert client.get(f"/admin/incidents/{incident.id}").status_code == 200
    assert client.get("/admin/incidents/new").status_code == 403
    assert form_post(client, f"/admin/incidents/{incident.id}/resolve", {},
                     page_url=f"/admin/incidents/{incident.id}").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_only_admins_manage_components(app, client, responder):
    sign_in(client)
    assert client.get("/admin/components/new").status_code == 403
    with app.app_context():
        make_user("root@example.com", "admin")
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/"))})
    sign_in(client, "root@example.com")
    response = form_post(client, "/admin/components/new", {"name": "CDN", "slug": "cdn", "group_id": "",
                                                           "status": "operational", "description": ""})
    assert response.status_code == 302
    response = form_post(client, "/admin/components/new", {"name": "CDN 2", "slug": "cdn", "group_id": "",
                                                           "status": "operational", "description": ""})
    assert response.status_code == 400
    assert "A component with this slug exists already." in response.get_data(as_text=True)
    assert count(app, Component) == 1


def test_changing_the_password_ends_the_other_sessions(app, responder):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    response = form_post(laptop, "/admin/account", {"current_password": TEST_PASSWORD,
                                                    "new_password": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert laptop.get("/admin/").status_code == 200
    assert phone.get("/admin/").status_code == 302


def _copied_cookies(browser, *names) -> str:
    return "; ".join(f"{name}={browser.get_cookie(name).value}" for name in names if browser.get_cookie(name))


@pytest.mark.parametrize("remember", [False, True], ids=["session-cookie", "remember-cookie"])
def test_signing_out_ends_the_session_so_a_copied_cookie_is_refused(app, responder, remember):
    browser = app.test_client()
    page = browser.get("/admin/login")
    response = browser.post("/admin/login", data={"email": "ana@example.com", "password": TEST_PASSWORD,
                                                  "csrf_token": csrf_token(page), **({"remember": "y"} if remember else {})})
    assert response.status_code == 302
    names = ["remember_token"] if remember else [app.config["SESSION_COOKIE_NAME"]]
    copy = _copied_cookies(browser, *names)
    assert copy, "nothing to copy"
    thief = app.test_client(use_cookies=False)  # sends exactly the copied cookie header
    assert thief.get("/admin/", headers={"Cookie": copy}).status_code == 200, "the copy works while signed in"

    assert form_post(browser, "/admin/logout", {}, page_url="/admin/").status_code == 302
    assert browser.get("/admin/").status_code == 302
    replayed = thief.get("/admin/incidents", headers={"Cookie": copy})
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/admin/login")


def test_signing_out_in_one_browser_leaves_the_others_signed_in(app, responder):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    assert form_post(phone, "/admin/logout", {}, page_url="/admin/").status_code == 302
    assert phone.get("/admin/").status_code == 302
    assert laptop.get("/admin/").status_code == 200


def test_a_session_from_before_a_password_change_is_refused_even_as_a_copy(app, responder):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    copy = _copied_cookies(phone, app.config["SESSION_COOKIE_NAME"])
    form_post(laptop, "/admin/account", {"current_password": TEST_PASSWORD, "new_password": "a brand new secret",
                                         "confirm": "a brand new secret"})
    assert app.test_client(use_cookies=False).get("/admin/", headers={"Cookie": copy}).status_code == 302
    assert laptop.get("/admin/").status_code == 200


def test_a_new_token_is_shown_once_and_stored_hashed(app, client):
    with app.app_context():
        make_user("root@example.com", "admin")
    sign_in(client, "root@example.com")
    page = form_post(client, "/admin/tokens", {"label": "deploy bot", "role": "responder"}).get_data(as_text=True)
    plain = page.split('<p class="token" id="new-token-value">')[1].split("</p>")[0]
    assert plain.startswith("sp_")
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert plain not in listing and "deploy bot" in listing
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != plain and plain not in stored.token_hash


def test_templates_fill_placeholders_and_never_run_template_code(app, client, responder):
    with app.app_context():
        make_component("api", "REST API")
    sign_in(client)
    form_post(client, "/admin/templates/new", {"name": "Outage", "title": "{components} unavailable",
                                               "impact": "major", "body": "{{ 7*7 }} {site} {components}"})
    with app.app_context():
        template_id = db.session.scalar(select(IncidentTemplate.id))
    prefilled = client.get(f"/admin/incidents/new?template={template_id}").get_data(as_text=True)
    assert "{components} unavailable" in prefilled
    response = form_post(client, "/admin/incidents/new", {
        "name": "{components} unavailable", "impact": "major", "status": "investigating",
        "body": "{{ 7*7 }} {site} {components}", "component-api": "major_outage"})
    incident_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "REST API unavailable" in incident_page
    # The body as posted, word for word: nothing in it was evaluated (no 49), nothing else was filled in.
    bodies = re.findall(r'<div class="update-body">\s*<p>(.*?)</p>', incident_page, re.S)
    assert bodies == ["{{ 7*7 }} Example Status REST API"]


def test_the_live_preview_renders_sanitized_markdown(client, responder):
    sign_in(client)
    token = csrf_token(client.get("/admin/incidents/new"))
    response = client.post("/admin/preview", data={"body": "**hi** <script>x</script>"},
                           headers={"X-CSRFToken": token})
    html = response.get_json()["html"]
    assert "<strong>hi</strong>" in html and "<script>" not in html


def test_every_change_lands_in_the_audit_log(app, client, responder):
    sign_in(client)
    form_post(client, "/admin/incidents/new", {"name": "Slow API", "impact": "minor", "status": "investigating",
                                               "body": "Looking."})
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "ana@example.com opened incident “Slow API”" in log and "incident.open" in log
