"""Builders: small functions with defaults; each goes through the real services and commits."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import event, select, text

from statuspage.extensions import db
from statuspage.models import Incident
from statuspage.monitoring import checks, policy, results
from statuspage.monitoring.probes import ProbeResult
from statuspage.services import accounts, components, incidents
from statuspage.services.audit import Actor

TEST_PASSWORD = "correct horse battery"
FAST_PASSWORD_HASH = "pbkdf2:sha256:1"  # one round: a test's users are made and checked in microseconds
SYSTEM = Actor(label="test")
START = datetime(2026, 11, 20, 9, 12, tzinfo=timezone.utc)  # a Friday, 10:12 in Berlin
# A ticket as a help desk sends it (tests/integration/test_ticket_*.py, test_intake_cost.py), about the
# dashboard of the `world` fixture (tests/conftest.py); and one about nothing the status page shows.
EXAMPLE = {
    "external_id": "ZD-48213",
    "subject": "Dashboard nicht erreichbar",
    "body": "Seit 10 Uhr bekommen wir 502 beim Login, das Dashboard ist nicht erreichbar.",
    "requester": {"email": "ops@customer.example", "name": "Ana"},
    "plan": "professional",
    "priority": 1,
    "environment": "production",
    "component": "dashboard",
    "created_at": "2026-11-20T10:12:00+01:00",
}
INVOICE = {"subject": "Invoice for October", "body": "Could you send the October invoice again as PDF?",
           "requester": {"email": "billing@customer.example"}, "plan": "professional", "priority": 1,
           "created_at": "2026-11-20T10:12:00+01:00"}


def make_group(name: str = "Web", *, now: datetime = START):
    return components.create_group(name, by=SYSTEM, now=now)


def make_component(slug: str = "api", name: str | None = None, *, group=None, now: datetime = START, **fields):
    return components.create_component(slug=slug, name=name or slug.replace("-", " ").title(),
                                       group_id=group.id if group else None, by=SYSTEM, now=now, **fields)


def make_incident(name: str = "API errors", *, components_: dict | None = None, impact: str = "major",
                  status: str = "investigating", body: str = "We are looking into it.", now: datetime = START):
    return incidents.open_incident(name=name, impact=impact, status=status, body=body,
                                   components=components_ or {}, by=SYSTEM, now=now)


def make_maintenance(name: str = "Database upgrade", *, components_=("database",), starts: datetime | None = None,
                     hours: int = 2, now: datetime = START):
    starts = starts or now + timedelta(days=7)
    return incidents.schedule_maintenance(name=name, body="We will upgrade.", components=list(components_),
                                          scheduled_for=starts, scheduled_until=starts + timedelta(hours=hours),
                                          by=SYSTEM, now=now)


def make_page(slug: str, components=(), *, name: str | None = None, now: datetime = START, **fields):
    """A page (models/pages.py) showing these components (objects or slugs); the default page exists too."""
    from statuspage.models import Component, Page, PageComponent
    from statuspage.services import pages

    pages.default_page()
    page = Page(slug=slug, name=name if name is not None else slug.replace("-", " ").title(), created_at=now,
                updated_at=now, **fields)
    db.session.add(page)
    db.session.flush()
    for component in components:
        if isinstance(component, str):
            component = db.session.scalar(select(Component).where(Component.slug == component))
        db.session.add(PageComponent(page_id=page.id, component_id=component.id))
    db.session.commit()
    return page


# The real-client tests (feeds, calendars, the v2 API, the validators, the widget) read each page three ways:
# the default page, a second page by its /p/<slug> prefix, and a second page by its own host.
PLACES = ("default", "path", "host")
SECOND_HOST = "status.shop.example"
ELSEWHERE = "Elsewhere"  # in all the default page has of its own when a test reads the second page


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a test reads a page: `default`, or the second page `shop` by `path` or by `host`."""
    how: str
    host: str = SECOND_HOST  # the second page's, when chosen by host (in Chromium: `localhost`)
    base_url: str = "https://status.example.com"  # the install's STATUSPAGE_BASE_URL (tests/conftest.py:app)

    @property
    def second(self) -> bool:
        return self.how != "default"

    @property
    def prefix(self) -> str:
        """What a request's path starts with."""
        return "/p/shop" if self.how == "path" else ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Host": self.host} if self.how == "host" else {}

    @property
    def url(self) -> str:
        """The page's URL, as its links outside the site (feeds, calendars, v2 page.url) start."""
        return f"https://{self.host}" if self.how == "host" else self.base_url + self.prefix

    @property
    def name(self) -> str:
        return "Shop Status" if self.second else "Example Status"

    def make(self, *, now: datetime = START) -> None:
        """For a second page: the page `shop` (by host or path), and on the default page, which then shows
        only the component `elsewhere`, an incident and a maintenance window of its own, which must never
        show on `shop`: ELSEWHERE is in their names and in no other."""
        if not self.second:
            return
        from statuspage.models import PageComponent
        from statuspage.services import pages

        default = pages.default_page()
        default.shows_all_components = False
        db.session.commit()
        elsewhere = make_component("elsewhere", ELSEWHERE, now=now)
        db.session.add(PageComponent(page_id=default.id, component_id=elsewhere.id))
        db.session.commit()
        make_page("shop", name="Shop Status", host=self.host if self.how == "host" else None, now=now)
        make_incident(f"{ELSEWHERE} down", components_={"elsewhere": "partial_outage"}, now=now)  # major
        make_maintenance(f"{ELSEWHERE} work", components_=("elsewhere",), starts=now + timedelta(hours=1), now=now)

    def show(self, *slugs: str) -> None:
        """The second page shows these components (the default page shows every one but `elsewhere`'s)."""
        if not self.second:
            return
        from statuspage.models import Component, Page, PageComponent

        page = db.session.scalar(select(Page).where(Page.slug == "shop"))
        for slug in slugs:
            component = db.session.scalar(select(Component).where(Component.slug == slug))
            db.session.add(PageComponent(page_id=page.id, component_id=component.id))
        db.session.commit()


class PlaceClient:
    """A Flask test client that asks the place's page: its /p/<slug> prefix before every path, its Host."""

    def __init__(self, client, place: Place):
        self.client = client
        self.place = place

    def open(self, path: str, *args, headers=None, **kwargs):
        return self.client.open(self.place.prefix + path, *args, headers={**self.place.headers, **(headers or {})},
                                **kwargs)

    def get(self, path: str, *args, **kwargs):
        return self.open(path, *args, method="GET", **kwargs)

    def options(self, path: str, *args, **kwargs):
        return self.open(path, *args, method="OPTIONS", **kwargs)

    def head(self, path: str, *args, **kwargs):
        return self.open(path, *args, method="HEAD", **kwargs)


def make_user(email: str = "ana@example.com", role: str = "responder", *, now: datetime = START):
    return accounts.create_user(email, TEST_PASSWORD, role=role, by=SYSTEM, now=now)


def settings_with(app, monkeypatch, **changes) -> None:
    """The app's settings with these changed, for this test only."""
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], **changes))


def deliver(app, clock):
    """Send what the outbox holds due now, as the scheduler's delivery job does; its DeliveryRun."""
    from statuspage.notify import dispatch

    with app.app_context():
        return dispatch.deliver_due(now=clock.now())


def body_of(message) -> str:
    """A mail's plain-text part."""
    return message.get_body(preferencelist=("plain",)).get_content()


def csrf_token(response) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def form_post(client, url, data, page_url=None):
    """Post a form the way a browser does: fetch its page for the CSRF token first."""
    token = csrf_token(client.get(page_url or url))
    return client.post(url, data={**data, "csrf_token": token})


def sign_in(client, email: str = "ana@example.com", password: str = TEST_PASSWORD):
    """Sign in through the real form, CSRF token and all."""
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"email": email, "password": password,
                                                  "csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def make_subscriber(address: str = "ana@example.com", components: list[str] = (), *, channel: str = "email",
                    confirmed: bool = True, language: str = "en", now: datetime = START):
    """A subscriber, confirmed unless asked otherwise (as an admin's import would make one)."""
    from flask import current_app

    from statuspage.notify.messages import policy
    from statuspage.services import subscriptions

    return subscriptions.subscribe(channel, address, components=list(components), language=language,
                                   confirmed=confirmed, policy=policy(current_app.config["SETTINGS"]), now=now)


class QueryCounter:
    """Statements sent on the app's engine inside the block (statements_sent), plus the fast path's reads of the
    change counter, which go on a connection of their own (services/site_version.py:Reader)."""

    def __init__(self, app):
        self.app = app
        self.reader = app.extensions["statuspage.site_version_reader"]
        self.statements: list[str] = []

    def __enter__(self):
        self.reads_before = self.reader.reads
        self._sent = statements_sent(self.app)
        self.statements = self._sent.__enter__()
        return self

    def __exit__(self, *exc):
        self._sent.__exit__(*exc)

    @property
    def count(self) -> int:
        return len(self.statements) + self.reader.reads - self.reads_before


@contextmanager
def statements_sent(app):
    """The SQL statements sent on the app's engine inside the block (requests push their own app context)."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- health checks, fed results at a fixed clock (tests/integration/test_check_policy.py and others) -----

def add_check(key="api-http", component="api", **fields):
    """An HTTP check of a component, to a port nothing listens on (results are fed in: run)."""
    data = {"key": key, "name": key.replace("-", " ").title(), "component": component, "kind": "http",
            "target": "http://127.0.0.1:9/", "interval": "30s", **fields}
    return checks.create_check(data, by=SYSTEM, now=START)


def run(app, check, ok: bool, clock, *, error="connection refused", latency=40, auto_resolve=True, step=30):
    """One run of a check at the clock's time, stored and judged as the scheduler would; the clock moves on."""
    now = clock.now()
    result = ProbeResult(ok=ok, latency_ms=latency if ok else None, error=None if ok else error, started_at=now)
    attention = results.record([results.Outcome(check.id, now, result)], now=now, tz=app.config["SETTINGS"].tz)
    policy.reconcile(attention, now=now, auto_resolve=auto_resolve)
    db.session.expire_all()
    clock.advance(seconds=step)


def open_incidents():
    """The incidents open now (not maintenance), oldest first."""
    return [i for i in db.session.scalars(select(Incident).order_by(Incident.id)) if not i.is_closed
            and not i.is_maintenance]


# --- public pages as a visitor gets them (the uptime bars' tests, the page cache's) ---------------------------

def rendered(client, path: str = "/") -> str:
    """The page as rendered now: the page cache is emptied first, so it renders every time (an unknown query
    argument no longer bypasses the cache: it is served from the page's entry)."""
    client.application.extensions["statuspage.page_cache"].clear()
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def bar(page: str, label: str = "API, last 90 days") -> str:
    """A component's bar and its legend, from the page."""
    start = page.index(f'<ol class="bars" aria-label="{label}" aria-describedby="bars-keys">')
    return page[start:page.index("</div>", start)]


ACCEPT_ENCODINGS = {  # Accept-Encoding -> whether gzip may be sent (RFC 9110, 12.5.3)
    "gzip": True, "gzip, deflate, br": True, "br;q=1.0, gzip;q=0.8, *;q=0.1": True, "*": True, "GZIP": True,
    "gzip;q=0": False, "gzip; q=0.000": False, "*;q=0": False, "identity": False, "identity, *;q=0": False,
    "gzip;q=0, *": False, "br, *;q=0": False, "deflate": False, "": False, "gzipx": False, "x-gzipped": False,
}


def add_chat(admin, url: str, **fields):
    """A confirmed chat subscriber to `url` (an Apprise URL), made through the API by an admin client."""
    return admin.post("/api/v1/subscribers", json={"notify_url": url, "confirmed": True, **fields})


T = TypeVar("T")
Rows = dict[str, dict[tuple, dict]]  # table -> primary key -> row
_BUILT: dict[str, tuple[Any, Rows, Rows, Rows]] = {}


def built_once(app, key: str, build: Callable[[], T]) -> T:
    """What build() returns and what it wrote: built by the first test that asks, replayed for every later one
    (the rows it added, with the same ids, one INSERT per table; the rows it changed or deleted among those the
    test had before), since each test starts with empty tables. For a large world that takes the services (the
    ticket matcher among them) a tenth of a second or more to build, asked for by hundreds of tests. build() may
    leave nothing but rows behind (no file, no thread, nothing in memory that a test reads)."""
    if key in _BUILT:
        value, added, changed, deleted = _BUILT[key]
        with app.app_context(), db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):  # children first
                for pk in deleted[table.name]:
                    conn.execute(table.delete().where(*(c == v for c, v in zip(table.primary_key, pk))))
            for table in db.metadata.sorted_tables:  # parents first
                if added[table.name]:
                    conn.execute(table.insert(), list(added[table.name].values()))
                for pk, row in changed[table.name].items():
                    conn.execute(table.update().where(*(c == v for c, v in zip(table.primary_key, pk))).values(row))
            counted = [t.name for t in db.metadata.sorted_tables
                       if added[t.name] and "id" in t.c and t.c.id.autoincrement is not False]
            if conn.dialect.name == "postgresql" and counted:  # the sequences go on after the restored ids
                conn.execute(text("SELECT " + ", ".join(
                    f"setval(pg_get_serial_sequence('\"{name}\"', 'id'), {max(r['id'] for r in added[name].values())})"
                    for name in counted)))
        return value

    def rows() -> Rows:
        with app.app_context(), db.engine.connect() as conn:
            return {t.name: {tuple(row[c.name] for c in t.primary_key): dict(row)
                             for row in conn.execute(t.select()).mappings()} for t in db.metadata.sorted_tables}

    before = rows()
    value = build()
    after = rows()
    _BUILT[key] = (value,
                   {name: {pk: row for pk, row in now.items() if pk not in before[name]} for name, now in after.items()},
                   {name: {pk: row for pk, row in now.items() if pk in before[name] and before[name][pk] != row}
                    for name, now in after.items()},
                   {name: [pk for pk in before[name] if pk not in now] for name, now in after.items()})
    return value
