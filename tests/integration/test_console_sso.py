"""Single sign-on to the console against a real OpenID provider on loopback (tests/oidc_provider.py).

The browser's part is played by the Flask test client (our side) and requests (the provider's side): the
console's redirect is followed over real HTTP to the provider, whose redirect comes back to the console's
callback, which trades the code for tokens at the provider's token endpoint over real HTTP.
"""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, LoginSession, Role, User
from tests.builders import TEST_PASSWORD, csrf_token, make_user
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider

CALLBACK = "https://status.example.com/admin/sso/callback"
ALICE = {"sub": "alice-0001", "email": "alice@example.com", "email_verified": True, "name": "Alice",
         "groups": ["everyone", "statuspage-responders"]}


@pytest.fixture
def provider(clock):
    provider = OIDCProvider(CALLBACK, clock.now).start()
    provider.user = dict(ALICE)
    yield provider
    provider.stop()


@pytest.fixture
def configure(app, provider, monkeypatch):
    """Point the app at the provider, with these settings changed (the app is the session's; it is put
    back after the test)."""
    def configure(**changes):
        settings = dataclasses.replace(app.config["SETTINGS"], **{
            "oidc_discovery_url": provider.discovery_url, "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_role_mapping": (("statuspage-admins", "admin"), ("statuspage-responders", "responder")),
            "oidc_create_users": True, **changes})
        monkeypatch.setitem(app.config, "SETTINGS", settings)
        return settings
    return configure


def start(client, next_target=None):
    """Press the sign-in button; follow the console's redirect to the provider and the provider's back.
    Returns the callback URL (path and query) the browser would now open on the console."""
    response = client.get("/admin/sso" + (f"?next={next_target}" if next_target else ""))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    at_provider = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text[:300]
    back = at_provider.headers["Location"]
    assert back.startswith(CALLBACK + "?"), back
    parts = urlsplit(back)
    return f"{parts.path}?{parts.query}"


def sign_in_by_sso(client, next_target=None):
    return client.get(start(client, next_target))


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).order_by(User.email)))


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_sign_in_page_offers_the_provider(client, configure):
    configure(oidc_button_label="Sign in with Example ID")
    page = client.get("/admin/login").get_data(as_text=True)
    assert "Sign in with Example ID" in page
    assert 'name="password"' in page


def test_the_request_to_the_provider_carries_state_nonce_and_a_pkce_challenge(client, configure):
    configure()
    location = client.get("/admin/sso").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == [CALLBACK]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def test_a_first_sign_in_makes_a_user_with_the_mapped_role_and_a_session(app, client, configure, provider):
    configure()
    response = sign_in_by_sso(client, next_target="/admin/incidents")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/incidents"
    [user] = users(app)
    assert (user.email, user.role, user.oidc_subject, user.name) == \
        ("alice@example.com", Role.RESPONDER, "alice-0001", "Alice")
    assert not user.has_password
    assert client.get("/admin/").status_code == 200
    assert provider.token_requests[0]["code_verifier"]  # PKCE: the verifier went to the token endpoint
    assert actions(app) == ["user.create", "user.sign_in_sso"]
    with app.app_context():
        assert db.session.query(LoginSession).count() == 1
    # Sign-out ends the server-side session, as for a password sign-in.
    page = client.get("/admin/account")
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    with app.app_context():
        assert db.session.query(LoginSession).count() == 0
    assert client.get("/admin/").status_code == 302


def test_the_next_sign_in_finds_the_user_by_subject_and_follows_the_groups(app, client, configure, provider):
    configure()
    sign_in_by_sso(client)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/account"))})
    provider.user = {**ALICE, "email": "alice.new@example.com", "groups": ["statuspage-admins"]}
    assert sign_in_by_sso(client).status_code == 302
    [user] = users(app)
    assert (user.email, user.role) == ("alice@example.com", Role.ADMIN)
    assert "user.update" in actions(app)


def test_an_existing_user_is_matched_by_verified_email(app, client, configure, provider):
    configure(oidc_create_users=False)
    with app.app_context():
        make_user("alice@example.com", "viewer")
    assert sign_in_by_sso(client).status_code == 302
    [user] = users(app)
    assert (user.oidc_subject, user.role, user.has_password) == ("alice-0001", Role.RESPONDER, True)


def test_an_unverified_email_matches_nobody(app, client, configure, provider):
    configure(oidc_create_users=False)
    with app.app_context():
        make_user("alice@example.com", "viewer")
    provider.user = {**ALICE, "email_verified": False}
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert "no console user with your email address" in response.get_data(as_text=True)
    assert users(app)[0].oidc_subject is None


def test_without_creation_an_unknown_user_is_refused(app, client, configure):
    configure(oidc_create_users=False)
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert users(app) == []


def test_a_group_that_maps_to_no_role_is_refused(app, client, configure, provider):
    configure()
    provider.user = {**ALICE, "groups": ["everyone"]}
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert "has no role in this console" in response.get_data(as_text=True)
    assert users(app) == []
    assert client.get("/admin/").status_code == 302


def test_a_default_role_takes_in_those_no_group_maps(app, client, configure, provider):
    configure(oidc_default_role="viewer")
    provider.user = {**ALICE, "groups": ["everyone"]}
    assert sign_in_by_sso(client).status_code == 302
    assert users(app)[0].role == Role.VIEWER


def test_a_role_claim_with_another_name_and_a_single_value(app, client, configure, provider):
    configure(oidc_role_claim="roles", oidc_role_mapping=(("console-admin", "admin"),))
    provider.user = {**ALICE, "roles": "console-admin"}
    assert sign_in_by_sso(client).status_code == 302
    assert users(app)[0].role == Role.ADMIN


def test_groups_and_email_missing_from_the_id_token_are_read_at_userinfo(app, client, configure, provider):
    configure()
    provider.claims_at_userinfo_only = ("groups", "email", "email_verified")
    assert sign_in_by_sso(client).status_code == 302
    [user] = users(app)
    assert (user.email, user.role) == ("alice@example.com", Role.RESPONDER)


def test_a_disabled_user_is_refused(app, client, configure):
    configure()
    sign_in_by_sso(client)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/account"))})
    with app.app_context():
        db.session.execute(db.update(User).values(is_disabled=True))
        db.session.commit()
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert "disabled" in response.get_data(as_text=True)


def test_a_wrong_state_is_refused_with_a_clear_page(app, client, configure):
    configure()
    callback = start(client)
    forged = callback.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 403
    assert "could not be checked" in response.get_data(as_text=True)
    assert users(app) == []
    # The pending sign-in is gone: the real answer cannot be replayed after a refusal either.
    assert client.get(callback).status_code == 403


def test_a_callback_without_a_sign_in_started_in_this_browser_is_refused(app, client, configure, provider):
    configure()
    callback = start(client)
    other_browser = app.test_client()
    response = other_browser.get(callback)
    assert response.status_code == 403
    assert users(app) == []


def test_a_callback_is_good_once(app, client, configure):
    configure()
    callback = start(client)
    assert client.get(callback).status_code == 302
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/account"))})
    assert client.get(callback).status_code == 403


@pytest.mark.parametrize("tamper", ["nonce", "payload", "other_key", "expired", "issuer", "audience"])
def test_a_tampered_or_wrong_id_token_is_refused(app, client, configure, provider, tamper):
    configure()  # Alice would be let in as a responder, were the token believed
    provider.tamper = tamper
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert "could not be verified" in response.get_data(as_text=True)
    assert users(app) == []
    assert client.get("/admin/").status_code == 302


def test_an_id_token_is_refused_once_expired_by_our_clock(app, client, configure, provider, clock):
    configure()
    # The provider's clock is ten minutes behind ours: its token (five minutes long) has expired for us,
    # beyond the one minute of skew we allow.
    provider.now = lambda: clock.now() - timedelta(minutes=10)
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert users(app) == []


def test_an_error_from_the_provider_is_a_clear_page(client, configure):
    configure()
    start(client)
    response = client.get("/admin/sso/callback?error=access_denied&state=whatever")
    assert response.status_code == 403
    assert "did not sign you in" in response.get_data(as_text=True)


def test_an_unreachable_provider_is_a_clear_page(client, configure):
    configure(oidc_discovery_url="http://127.0.0.1:9/.well-known/openid-configuration")
    response = client.get("/admin/sso")
    assert response.status_code == 502
    assert "cannot be reached" in response.get_data(as_text=True)


def test_without_single_sign_on_its_views_are_not_found(client):
    assert client.get("/admin/sso").status_code == 404
    assert client.get("/admin/sso/callback?code=x&state=y").status_code == 404
    assert "single sign-on" not in client.get("/admin/login").get_data(as_text=True).lower()


def test_with_local_passwords_off_the_form_is_gone_and_posts_to_it_refused(app, client, configure):
    configure(password_sign_in=False)
    with app.app_context():
        make_user("ana@example.com", "admin")
    page = client.get("/admin/login")
    assert 'name="password"' not in page.get_data(as_text=True)
    # A complete post, with a good CSRF token (from the public subscribe form), is refused all the same.
    response = client.post("/admin/login", data={"email": "ana@example.com", "password": TEST_PASSWORD,
                                                  "csrf_token": csrf_token(client.get("/subscribe"))})
    assert response.status_code == 403
    assert "switched off" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # Single sign-on still works, and the account page offers no password change.
    assert sign_in_by_sso(client).status_code == 302
    account = client.get("/admin/account").get_data(as_text=True)
    assert "Change password" not in account
    response = client.post("/admin/account", data={"current_password": "x", "new_password": "y" * 12,
                                                    "confirm": "y" * 12, "csrf_token": csrf_token(client.get(
                                                        "/admin/account"))})
    assert response.status_code == 403


def test_the_refusal_pages_are_translated(client, configure, provider):
    configure()
    provider.user = {**ALICE, "groups": ["everyone"]}
    client.get("/admin/login?lang=de")
    response = sign_in_by_sso(client)
    assert response.status_code == 403
    assert 'lang="de"' in response.get_data(as_text=True)


def test_a_required_second_factor_is_left_to_the_provider(app, client, configure):
    """A user with a password too, of whom the site requires a second factor, is not sent to set one up when
    they came in by single sign-on."""
    configure(totp_required=True, oidc_create_users=False)
    with app.app_context():
        make_user("alice@example.com", "viewer")
    assert sign_in_by_sso(client).status_code == 302
    assert client.get("/admin/incidents").status_code == 200
