"""Sign-in limits per target, beside the per-address ones: a console account, a one-time-code step, a
password page and a private page's sign-in links are each limited however many addresses the guesses come
from; a link from the page's form never cancels an invitation; the one-time code's tries are counted in one
statement, so parallel wrong codes get no more than five."""
from __future__ import annotations

import json
import threading

import pyotp
import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Notification, NotificationKind, User
from statuspage.services import totp
from tests.builders import TEST_PASSWORD, csrf_token, make_user, settings_with
from tests.integration.test_private_pages import BUNKER, PASSWORD, VAULT, invite, sign_in_with_link, \
    world  # noqa: F401 - the pages

WRONG = "not the password at all"


def _from(address: str) -> dict[str, str]:
    """A request from this client address (the tests' client is a trusted proxy: conftest.py)."""
    return {"X-Forwarded-For": address}


def _login(client, email: str, password: str, address: str):
    page = client.get("/admin/login")
    return client.post("/admin/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)},
                       headers=_from(address))


@pytest.fixture
def accounts_(app):
    with app.app_context():
        make_user("ana@example.com", "responder")
        make_user("ben@example.com", "responder")


def test_wrong_passwords_for_one_account_from_many_addresses_are_limited_per_account(app, client, accounts_):
    statuses = [_login(client, "ana@example.com", WRONG, f"198.51.100.{n}").status_code for n in range(10)]
    assert statuses == [400] * 10
    assert _login(client, "Ana@Example.com", TEST_PASSWORD, "203.0.113.7").status_code == 429  # even the right one
    assert _login(app.test_client(), "ben@example.com", TEST_PASSWORD, "198.51.100.1").status_code == 302
    # an address with no account is counted alike: the limit tells nobody who has one
    assert [_login(client, "nobody@example.com", WRONG, f"192.0.2.{n}").status_code for n in range(11)] == \
        [400] * 10 + [429]


def test_a_right_password_does_not_count_against_the_account(app, accounts_):
    for n in range(12):
        browser = app.test_client()
        assert _login(browser, "ana@example.com", TEST_PASSWORD, f"198.51.100.{n}").status_code == 302


def _enrolled(app, clock) -> str:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "ana@example.com"))
        secret = totp.start_enrolment(user_id, now=clock.now())
        from statuspage.services.audit import CLI
        totp.confirm_enrolment(user_id, pyotp.TOTP(secret).at(clock.now()), by=CLI, now=clock.now())
    clock.advance(seconds=30)  # the code used to enrol is spent
    return secret


def _code(client, value: str, address: str):
    page = client.get("/admin/login/code")
    return client.post("/admin/login/code", data={"code": value, "csrf_token": csrf_token(page)},
                       headers=_from(address))


def test_wrong_one_time_codes_are_limited_per_account_across_half_sign_ins(app, client, clock, accounts_,
                                                                           monkeypatch):
    settings_with(app, monkeypatch, account_login_rate_limit="6 per 15 minutes")
    secret = _enrolled(app, clock)
    assert _login(client, "ana@example.com", TEST_PASSWORD, "198.51.100.1").status_code == 302
    answers = [_code(client, "000000", f"198.51.100.{n}").status_code for n in range(5)]
    assert answers == [400, 400, 400, 400, 302]  # the fifth ends this half sign-in, as before
    assert _login(client, "ana@example.com", TEST_PASSWORD, "198.51.100.9").status_code == 302  # a new one
    assert _code(client, "000000", "203.0.113.1").status_code == 400  # the sixth wrong code for the account
    assert _code(client, pyotp.TOTP(secret).at(clock.now()), "203.0.113.2").status_code == 429


def test_a_password_pages_shared_password_is_limited_per_page(app, client, clock, world):  # noqa: F811
    def guess(password: str, address: str) -> int:
        form = client.get("/access", headers=BUNKER)
        return client.post("/access/password", data={"password": password, "csrf_token": csrf_token(form)},
                           headers={**BUNKER, **_from(address)}).status_code

    assert [guess(WRONG, f"198.51.100.{n}") for n in range(10)] == [400] * 10
    assert guess(PASSWORD, "203.0.113.5") == 429


def _asked_links(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Notification.detail).where(
            Notification.kind == NotificationKind.MEMBER_SIGN_IN).order_by(Notification.id))
        return [json.loads(detail) for detail in rows]


def _ask_link(client, email: str, address: str = "198.51.100.1"):
    form = client.get(VAULT + "/access")
    return client.post(VAULT + "/access/email", data={"csrf_token": csrf_token(form), "email": email},
                       headers=_from(address))


def test_asking_the_form_for_links_leaves_a_pending_invitation_good(app, client, clock, world):  # noqa: F811
    invite(app, clock)
    assert [_ask_link(client, "kim@example.com").status_code for _ in range(2)] == [200, 200]
    invitation, first, second = _asked_links(app)
    assert invitation["invitation"] is True and first["invitation"] is second["invitation"] is False
    assert sign_in_with_link(app.test_client(), first["link"]).status_code == 400  # replaced by the second
    assert sign_in_with_link(app.test_client(), invitation["link"]).status_code == 303  # still good
    assert sign_in_with_link(app.test_client(), second["link"]).status_code == 303
    assert sign_in_with_link(app.test_client(), invitation["link"]).status_code == 400  # used once


def test_the_form_sends_a_few_links_an_hour_per_address_whoever_asks(app, client, clock, world):  # noqa: F811
    invite(app, clock)
    member = [_ask_link(client, "kim@example.com", f"198.51.100.{n}") for n in range(4)]
    stranger = [_ask_link(client, "stranger@example.com", f"192.0.2.{n}") for n in range(4)]
    assert [a.status_code for a in member] == [a.status_code for a in stranger] == [200, 200, 200, 429]
    assert member[0].get_data() == stranger[0].get_data()  # no one learns who is a member
    assert len(_asked_links(app)) == 1 + 3  # the invitation, and three links
    assert _ask_link(client, "lee@example.com").status_code == 200  # another address is counted apart


def test_parallel_wrong_codes_get_no_more_tries_than_one_at_a_time(app, clock, accounts_):
    _enrolled(app, clock)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ana@example.com"))
        secret = totp.start_challenge(user, remember=False, now=clock.now())
        db.session.remove()
    start, results = threading.Barrier(8), []

    def wrong_code() -> None:
        with app.app_context():
            start.wait()
            results.append(totp.answer_challenge(secret, "000000", now=clock.now()))
            db.session.remove()

    threads = [threading.Thread(target=wrong_code) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 8 and not any(result.user for result in results)
    assert sum(not result.expired for result in results) == totp.CHALLENGE_ATTEMPTS - 1
    with app.app_context():
        locked = db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "user.totp_locked"))
    assert locked == 1
