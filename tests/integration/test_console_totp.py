"""One-time passwords as a second factor for password sign-in: enrolment, the code after the password,
recovery codes, limits, and admins requiring it. Codes come from pyotp at the test's fixed clock."""
from __future__ import annotations

import dataclasses
import re

import pyotp
import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, RecoveryCode, SignInChallenge, User
from tests.builders import TEST_PASSWORD, csrf_token, make_user, sign_in


@pytest.fixture
def ana(app):
    with app.app_context():
        return make_user("ana@example.com", "admin").id


def enrol(client, clock) -> tuple[str, list[str]]:
    """Set up the app through the account pages; return the secret and the recovery codes shown."""
    page = client.get("/admin/account/two-factor")
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
    done = client.post("/admin/account/two-factor", data={
        "code": pyotp.TOTP(secret).at(clock.now()), "csrf_token": csrf_token(page)})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.get_data(as_text=True))
    return secret, codes


def sign_out(client):
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/account"))})


def password(client, email="ana@example.com", next_target=None):
    page = client.get("/admin/login")
    url = "/admin/login" + (f"?next={next_target}" if next_target else "")
    return client.post(url, data={"email": email, "password": TEST_PASSWORD, "csrf_token": csrf_token(page)})


def code(client, value: str):
    page = client.get("/admin/login/code")
    return client.post("/admin/login/code", data={"code": value, "csrf_token": csrf_token(page)})


def user(app, user_id) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def enrolled(app, client, clock, ana):
    sign_in(client)
    secret, codes = enrol(client, clock)
    sign_out(client)
    clock.advance(seconds=30)  # the next code: the one used to enrol is spent
    return secret, codes


def test_enrolment_shows_the_secret_as_text_link_and_qr_code(client, clock, ana):
    sign_in(client)
    page = client.get("/admin/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert len(secret) == 32
    assert "otpauth://totp/Example%20Status:ana%40example.com?" in page.replace("<wbr>", "") and f"secret={secret}" in page.replace("<wbr>", "")
    assert "<svg" in page
    # Reloading keeps the secret that was scanned.
    assert secret in client.get("/admin/account/two-factor").get_data(as_text=True)


def test_enrolment_needs_a_right_code_then_shows_ten_recovery_codes_once(app, client, clock, ana):
    sign_in(client)
    page = client.get("/admin/account/two-factor")
    wrong = client.post("/admin/account/two-factor", data={"code": "000000", "csrf_token": csrf_token(page)})
    assert wrong.status_code == 400 and "The code is not right." in wrong.get_data(as_text=True)
    assert not user(app, ana).has_totp
    secret, codes = enrol(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = user(app, ana)
    assert stored.has_totp and secret not in stored.totp_secret  # kept encrypted
    with app.app_context():
        hashes = list(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not any(c.replace("-", "") in hashes for c in codes)
    assert actions(app)[-1] == "user.totp_enrol"
    account = client.get("/admin/account").get_data(as_text=True)
    assert "10 recovery codes left." in account and codes[0] not in account
    assert client.get("/admin/account/two-factor").status_code == 302  # set up already


def test_sign_in_asks_for_the_code_after_the_password(app, client, clock, enrolled):
    secret, _codes = enrolled
    response = password(client, next_target="/admin/incidents")
    assert response.headers["Location"] == "/admin/login/code"
    assert client.get("/admin/").status_code == 302  # half signed in is not signed in
    assert code(client, "123456").status_code == 400
    response = code(client, pyotp.TOTP(secret).at(clock.now()))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/incidents"
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        assert db.session.query(SignInChallenge).count() == 0


def test_a_code_is_good_once(app, client, clock, enrolled):
    secret, _codes = enrolled
    now_code = pyotp.TOTP(secret).at(clock.now())
    password(client)
    assert code(client, now_code).status_code == 302
    sign_out(client)
    password(client)
    assert code(client, now_code).status_code == 400  # the same code again: refused
    clock.advance(seconds=30)
    assert code(client, pyotp.TOTP(secret).at(clock.now())).status_code == 302


def test_the_code_from_the_step_before_counts_but_not_older(client, clock, enrolled):
    secret, _codes = enrolled
    clock.advance(seconds=90)  # three steps on from the one used to enrol
    password(client)
    assert code(client, pyotp.TOTP(secret).at(clock.now(), counter_offset=-2)).status_code == 400
    assert code(client, pyotp.TOTP(secret).at(clock.now(), counter_offset=-1)).status_code == 302


def test_five_wrong_codes_end_the_half_sign_in(app, client, clock, enrolled):
    secret, _codes = enrolled
    password(client)
    for _attempt in range(4):
        assert code(client, "000000").status_code == 400
    response = code(client, "000000")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"
    assert client.get("/admin/login/code").headers["Location"] == "/admin/login"
    response = client.post("/admin/login/code", data={"code": pyotp.TOTP(secret).at(clock.now()),
                                                       "csrf_token": csrf_token(client.get("/admin/login"))})
    assert response.headers["Location"] == "/admin/login"
    assert client.get("/admin/").status_code == 302
    assert "user.totp_locked" in actions(app)


def test_a_replayed_cookie_does_not_reset_the_count(app, client, clock, enrolled):
    secret, _codes = enrolled
    password(client)
    saved = client.get_cookie("session").value
    for _attempt in range(5):
        code(client, "000000")
    client.set_cookie("session", saved)  # the browser's state from before the wrong codes
    response = code(client, pyotp.TOTP(secret).at(clock.now()))
    assert response.headers["Location"] == "/admin/login"  # sent back to the password form, not signed in
    assert client.get("/admin/").status_code == 302


def test_the_code_must_follow_the_password_within_minutes(client, clock, enrolled):
    secret, _codes = enrolled
    password(client)
    clock.advance(minutes=6)
    response = code(client, pyotp.TOTP(secret).at(clock.now()))
    assert response.headers["Location"] == "/admin/login"


def test_a_recovery_code_works_once(app, client, clock, enrolled):
    _secret, codes = enrolled
    password(client)
    assert code(client, codes[3].upper().replace("-", " ")).status_code == 302  # typed loosely
    assert "user.recovery_code" in actions(app)
    assert "9 recovery codes left." in client.get("/admin/account").get_data(as_text=True)
    sign_out(client)
    password(client)
    assert code(client, codes[3]).status_code == 400


def test_the_code_step_is_rate_limited(app, client, clock, enrolled, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"],
                                                                    login_rate_limit="3 per minute"))
    password(client)
    statuses = [code(client, "000000").status_code for _attempt in range(4)]
    assert statuses[-1] == 429


def test_the_user_can_remove_the_app_with_a_code(app, client, clock, enrolled, ana):
    secret, _codes = enrolled
    password(client)
    code(client, pyotp.TOTP(secret).at(clock.now()))
    page = client.get("/admin/account")
    wrong = client.post("/admin/account/two-factor/remove", data={"code": "000000", "csrf_token": csrf_token(page)})
    assert wrong.status_code == 400 and user(app, ana).has_totp
    clock.advance(seconds=30)
    client.post("/admin/account/two-factor/remove", data={"code": pyotp.TOTP(secret).at(clock.now()),
                                                          "csrf_token": csrf_token(page)})
    assert not user(app, ana).has_totp
    with app.app_context():
        assert db.session.query(RecoveryCode).count() == 0
    sign_out(client)
    assert password(client).headers["Location"] == "/admin/"


def test_the_site_can_require_it_and_sends_users_to_enrol(app, client, clock, ana, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], totp_required=True))
    response = password(client)
    assert response.headers["Location"] == "/admin/account/two-factor"
    assert client.get("/admin/incidents").headers["Location"] == "/admin/account/two-factor"
    assert "needs a second factor" in client.get("/admin/account/two-factor").get_data(as_text=True)
    enrol(client, clock)
    assert client.get("/admin/incidents").status_code == 200
    # Required: it cannot be removed by the user.
    page = client.get("/admin/account")
    clock.advance(seconds=30)
    client.post("/admin/account/two-factor/remove", data={"code": "000000", "csrf_token": csrf_token(page)})
    assert user(app, ana).has_totp


def test_an_admin_can_require_it_of_one_user_and_remove_a_lost_one(app, client, clock, ana):
    with app.app_context():
        bob = make_user("bob@example.com", "responder").id
    sign_in(client)
    page = client.get(f"/admin/users/{bob}")
    client.post(f"/admin/users/{bob}", data={"role": "responder", "totp_required": "y",
                                              "csrf_token": csrf_token(page)})
    assert user(app, bob).totp_required
    assert actions(app)[-1] == "user.update"
    sign_out(client)
    assert password(client, "bob@example.com").headers["Location"] == "/admin/account/two-factor"
    enrol(client, clock)
    sign_out(client)
    assert password(client, "bob@example.com").headers["Location"] == "/admin/login/code"
    # Bob lost his phone and codes: an admin removes the app; he is asked to set up a new one.
    client.get("/admin/login")  # (a new sign-in replaces the half one)
    sign_in(client)
    page = client.get(f"/admin/users/{bob}")
    client.post(f"/admin/users/{bob}/remove-second-factor", data={"csrf_token": csrf_token(page)})
    assert not user(app, bob).has_totp and "user.totp_remove" in actions(app)
    log = client.get("/admin/audit").get_data(as_text=True).replace("<wbr>", "")
    assert "bob@example.com set up a one-time-password app for bob@example.com" in log
    assert "ana@example.com removed the one-time-password app of bob@example.com" in log
    sign_out(client)
    assert password(client, "bob@example.com").headers["Location"] == "/admin/account/two-factor"


def test_the_code_page_without_a_password_first_goes_to_sign_in(client):
    assert client.get("/admin/login/code").headers["Location"] == "/admin/login"


def test_the_screens_are_translated(client, clock, enrolled):
    password(client)
    page = client.get("/admin/login/code?lang=fr").get_data(as_text=True)
    assert 'lang="fr"' in page and "Enter your one-time code" not in page


def test_a_half_sign_in_ends_when_passwords_are_switched_off(app, client, clock, enrolled, monkeypatch):
    secret, _codes = enrolled
    password(client)
    token = csrf_token(client.get("/admin/login/code"))
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(
        app.config["SETTINGS"], password_sign_in=False, oidc_client_id="statuspage",
        oidc_discovery_url="https://id.example.com/.well-known/openid-configuration"))
    response = client.post("/admin/login/code", data={"code": pyotp.TOTP(secret).at(clock.now()), "csrf_token": token})
    assert response.headers["Location"] == "/admin/login"
    assert client.get("/admin/").status_code == 302


def test_a_requirement_made_while_signed_in_applies_at_the_next_page(app, client, clock, ana, monkeypatch):
    """Sessions outlive a restart: one begun before STATUSPAGE_TOTP_REQUIRED=1 is sent to set up the app too."""
    sign_in(client)
    assert client.get("/admin/incidents").status_code == 200
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], totp_required=True))
    assert client.get("/admin/incidents").headers["Location"] == "/admin/account/two-factor"
    assert client.get("/admin/account/two-factor").status_code == 200
