"""Fixtures for every test: the app on SQLite or PostgreSQL, a test client, a fixed clock, builders.

STATUSPAGE_TEST_DATABASE_URL selects PostgreSQL; without it each run gets a fresh SQLite file.
Tests commit for real; the tables are emptied after each test (cheap, and it lets a live server
in another thread see the same data).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from statuspage import create_app
from statuspage.database_admin import drop_everything, upgrade_to_head
from statuspage.extensions import db
from statuspage.services import accounts, incidents

from .builders import (
    FAST_PASSWORD_HASH, PLACES, SECOND_HOST, START, SYSTEM, Place, PlaceClient, make_component, make_incident,
)
from .servers import Receiver

pytest_plugins = ["tests.targets"]  # local HTTP/TCP/TLS servers for health-check tests


class FixedClock:
    """The time every test sees; advance() moves it on, nothing ever sleeps."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes():
    """Users made in tests get a one-round hash (services/accounts.py:PASSWORD_HASH_METHOD); checking reads
    the method from the stored hash, so sign-in is the same code, a quarter of a second quicker per user."""
    production = accounts.PASSWORD_HASH_METHOD
    accounts.PASSWORD_HASH_METHOD = FAST_PASSWORD_HASH
    yield
    accounts.PASSWORD_HASH_METHOD = production


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("STATUSPAGE_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "database_url": database_url,
        "instance_dir": tmp_path_factory.mktemp("instance"),
        "secret_key": "test-secret-key",
        "site_name": "Example Status",
        "base_url": "https://status.example.com",
        "login_rate_limit": "1000 per minute",
        "subscribe_rate_limit": "1000 per minute",
        "webhook_allow_private": True,
        "trusted_proxies": ("127.0.0.1",),  # the test client's address: as behind a reverse proxy on the host
    })
    app.config["TESTING"] = True
    with app.app_context():
        drop_everything()
        upgrade_to_head()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter exits
    app.extensions["statuspage.site_version_reader"].close_all()


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """After each test that used the app, every table is emptied (the schema stays)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.extensions["statuspage.page_cache"].clear()  # the change counter starts again with the tables
    app.extensions["statuspage.page_choice"].forget()  # and so do the pages (web/page_choice.py)
    app.extensions.pop("statuspage.past_bars", None)  # so the bars' kept past days go too
    app.extensions.pop("statuspage.status_changes", None)  # and the incidents' status changes (ids start again)
    app.extensions.pop("statuspage.ticket_candidates", None)  # and the open incidents tickets are matched to
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                _empty_postgresql(conn, tables)
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))


def _empty_postgresql(conn, tables: list[str]) -> None:
    """Delete the rows of the tables that hold any, children first, and restart the sequences that moved: three
    round trips. TRUNCATE of every table costs 0.3-0.6 s per test on PostgreSQL (a new file per table), and a
    statement per table and per sequence (ALTER SEQUENCE is DDL) a few tens of milliseconds."""
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    filled = {row[0] for row in conn.execute(text(probe))}
    if filled:
        conn.execute(text("; ".join(f'DELETE FROM "{table}"' for table in tables if table in filled)))
    conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) FROM pg_sequences "
                      "WHERE last_value IS NOT NULL"))


@pytest.fixture
def inbox(app, monkeypatch):
    """An SMTP server on a free port the app sends its mail to (tests/servers.py:Inbox): what it received."""
    import dataclasses

    from .servers import Inbox, smtp_server

    handler = Inbox()
    with smtp_server(handler) as controller:
        monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(
            app.config["SETTINGS"], smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none"))
        yield handler


@pytest.fixture
def clock(monkeypatch) -> FixedClock:
    """A fixed clock that the app's views and the CLI read instead of the wall clock."""
    fixed = FixedClock(START)
    monkeypatch.setattr("statuspage.clock.now", fixed.now)
    return fixed


@pytest.fixture
def client(app, clock):
    return app.test_client()


@pytest.fixture
def second_host() -> str:
    """The host a second page is chosen by (tests/browser/conftest.py: one Chromium reaches)."""
    return SECOND_HOST


@pytest.fixture(params=PLACES)
def place(request, app, clock, second_host) -> Place:
    """The page a real-client test reads (tests/builders.py:Place): the default page, or a second page by
    its /p/<slug> prefix or by its host, made here with the default page's own incident beside it. A module
    reads through it by defining `client` as `place_client`."""
    place = Place(request.param, host=second_host)
    with app.app_context():
        place.make(now=clock.now())
        db.session.remove()
    return place


@pytest.fixture
def place_client(app, clock, place) -> PlaceClient:
    return PlaceClient(app.test_client(), place)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield
        db.session.remove()


# --- the ticket intake's site (tests/integration/test_ticket_intake.py and the modules about tickets) --------
# A module with a site of its own defines its own `world` (or `outage`): pytest prefers a module's fixture.

@pytest.fixture
def world(app, clock):
    """The components tickets name: the dashboard, sign-in, search and the database."""
    with app.app_context():
        make_component("dashboard", "Dashboard")
        make_component("login", "Login")
        make_component("search", "Search")
        make_component("database", "Database")
        db.session.remove()


@pytest.fixture
def outage(app, world, clock):
    """A major incident on the dashboard and sign-in, identified ten minutes ago: its id."""
    with app.app_context():
        incident = make_incident("Dashboard and sign-in unavailable", impact="major",
                                 components_={"dashboard": "major_outage", "login": "partial_outage"},
                                 body="The dashboard returns 502 Bad Gateway errors and customers cannot sign in.",
                                 now=clock.now() - timedelta(minutes=30))
        incidents.post_update(incident.id, status="identified", body="A faulty load balancer change; rolling back.",
                              by=SYSTEM, now=clock.now() - timedelta(minutes=10))
        db.session.remove()
        return incident.id


@pytest.fixture
def intake(app):
    """The Authorization header of a help desk's intake token."""
    with app.app_context():
        _record, plain = accounts.create_token(role="intake", label="desk", by=SYSTEM, now=START)
    return {"Authorization": f"Bearer {plain}"}


# --- an API client and a chat receiver (the API's tests, chat and maintenance notices) ----------------------

@pytest.fixture
def admin(app, client):
    """A client that sends an admin token with every request (modules that need another admin define theirs)."""
    with app.app_context():
        _, plain = accounts.create_token(role="admin", label="deploy", by=SYSTEM, now=START)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


@pytest.fixture
def receiver():
    """A chat receiver on loopback (tests/servers.py:Receiver), closed after the test."""
    server = Receiver()
    yield server
    server.close()
