"""The console's sign-in cookies: the remember-me cookie carries the same attributes as the session cookie."""
from __future__ import annotations

import pytest

from statuspage import create_app
from statuspage.extensions import db
from tests.builders import TEST_PASSWORD, csrf_token, make_user


@pytest.fixture
def responder(app):
    with app.app_context():
        make_user("ana@example.com", "responder")


def _set_cookies(response) -> dict[str, str]:
    """Each cookie set by the response, by name: its Set-Cookie header, attributes lowercased."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        found[name] = header.lower()
    return found


def test_the_remember_me_cookie_is_same_site_lax_and_http_only_like_the_session_cookie(app, client, responder):
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"email": "ana@example.com", "password": TEST_PASSWORD,
                                                 "remember": "y", "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    cookies = _set_cookies(response)
    remember, session = cookies["remember_token"], cookies[app.config["SESSION_COOKIE_NAME"]]
    for header in (remember, session):
        assert "; samesite=lax" in header and "; httponly" in header
        assert "; secure" not in header  # plain http in tests: STATUSPAGE_SESSION_COOKIE_SECURE is off


def test_a_secure_session_cookie_setting_makes_the_remember_me_cookie_secure_too(database_url, tmp_path):
    other = create_app({"database_url": database_url, "instance_dir": tmp_path, "secret_key": "test-secret-key",
                        "base_url": "https://status.example.com", "session_cookie_secure": True})
    try:
        with other.app_context():
            make_user("ana@example.com", "responder")
        browser = other.test_client()
        page = browser.get("/admin/login", base_url="https://status.example.com")
        response = browser.post("/admin/login", base_url="https://status.example.com",
                                headers={"Referer": "https://status.example.com/admin/login"},  # CSRF on https
                                data={"email": "ana@example.com", "password": TEST_PASSWORD, "remember": "y",
                                      "csrf_token": csrf_token(page)})
        assert response.status_code == 302
        cookies = _set_cookies(response)
        for name in ("remember_token", other.config["SESSION_COOKIE_NAME"]):
            assert "; secure" in cookies[name] and "; samesite=lax" in cookies[name] and "; httponly" in cookies[name]
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        other.extensions["statuspage.site_version_reader"].close_all()
