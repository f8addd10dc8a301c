"""Rate limits hold across workers, and forwarded headers count only when a trusted proxy sends them.

A review found 20 of 40 wrong passwords judged with a limit of 10 (two workers, each counting alone) and
all 40 when each request claimed another X-Forwarded-For. Here: the counters live in the database, shared
by every worker, and X-Forwarded-* is believed only from STATUSPAGE_TRUSTED_PROXIES.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from tests.builders import TEST_PASSWORD, csrf_token, make_user
from tests.servers import production_server

WRONG = "not the password at all"


def _post(url: str, data: dict, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST",
                                     headers={"Connection": "close", **headers})  # a new connection: any worker
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _login_form(base: str) -> tuple[str, str]:
    """The session cookie and CSRF token of a sign-in form, as a browser gets them."""
    with urllib.request.urlopen(base + "/admin/login", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', response.read().decode()).group(1)
    return cookie, token


def _judged(base: str, attempts: list[str]) -> list[int]:
    """Statuses of wrong-password sign-ins, one per claimed X-Forwarded-For (None: no such header)."""
    cookie, token = _login_form(base)
    statuses = []
    for forwarded_for in attempts:
        headers = {"Cookie": cookie, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
        status, page = _post(base + "/admin/login", {"email": "ana@example.com", "password": WRONG,
                                                     "csrf_token": token}, headers)
        assert status in (400, 429), (status, page[:300])
        if status == 400:
            assert "Wrong email or password." in page
        statuses.append(status)
    return statuses


@pytest.fixture
def user(app):
    with app.app_context():
        make_user("ana@example.com", "responder")


LIMIT = {"STATUSPAGE_LOGIN_RATE_LIMIT": "10 per hour"}  # an hour: the test never straddles a window


@pytest.mark.slow
def test_forty_wrong_passwords_over_two_workers_with_made_up_addresses_get_ten_judged(database_url, tmp_path, user):
    with production_server(database_url, tmp_path, workers=2, settings=LIMIT) as base:
        statuses = _judged(base, [f"198.51.100.{n}, 10.0.0.{n}" for n in range(40)])
        for _ in range(4):  # rendered by Flask, then hits on the event loop: neither believes the header
            request = urllib.request.Request(base + "/", headers={"X-Forwarded-Proto": "https", "Connection": "close"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert "Strict-Transport-Security" not in response.headers
    assert statuses.count(400) == 10 and statuses.count(429) == 30, statuses


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(database_url, tmp_path, user):
    # Every client here guesses one account's password: the per-account limit (tests/integration/
    # test_sign_in_limits.py) is lifted, so what is counted is each client behind the proxy.
    settings = {**LIMIT, "STATUSPAGE_TRUSTED_PROXIES": "10.9.0.0/16, 127.0.0.1",
                "STATUSPAGE_ACCOUNT_LOGIN_RATE_LIMIT": "1000 per hour"}
    with production_server(database_url, tmp_path, workers=2, settings=settings) as base:
        one_client = _judged(base, ["203.0.113.5"] * 14)
        others = _judged(base, [f"203.0.113.{n}" for n in range(100, 110)])
    assert one_client.count(400) == 10 and one_client.count(429) == 4, one_client
    assert others == [400] * 10, "another client behind the proxy still gets its own attempts"


def _counted_addresses(app) -> list[str]:
    from statuspage.models import RateLimitCounter

    with app.app_context():
        keys = list(db.session.scalars(select(RateLimitCounter.key)))
        db.session.remove()
    return keys


@pytest.mark.parametrize("peer, counted", [("203.0.113.7", "203.0.113.7"), ("127.0.0.1", "198.51.100.1")],
                         ids=["untrusted-peer", "trusted-proxy"])
def test_forwarded_headers_count_only_from_a_trusted_proxy(app, clock, user, peer, counted):
    """The test app trusts 127.0.0.1 (conftest); anyone else's X-Forwarded-For and -Proto are ignored."""
    browser = app.test_client()
    environ = {"REMOTE_ADDR": peer}
    headers = {"X-Forwarded-For": "198.51.100.1"}
    page = browser.get("/admin/login", environ_base=environ, headers={**headers, "X-Forwarded-Proto": "https"})
    assert ("Strict-Transport-Security" in page.headers) is (peer == "127.0.0.1")  # HTTPS only as the proxy says
    signed_in = browser.post("/admin/login", data={"email": "ana@example.com", "password": TEST_PASSWORD,
                                                   "csrf_token": csrf_token(page)}, environ_base=environ, headers=headers)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:2000]
    keys = _counted_addresses(app)
    assert keys and all(counted in key for key in keys) and not any(
        other in key for key in keys for other in {"203.0.113.7", "198.51.100.1"} - {counted}), keys
