"""Hostile input against every public page, every console form and the sign-in form.

Whatever arrives, the answer is never a 500; stored text never turns into script or a `javascript:` link
on a page; a form that refuses its input says why (400) and leaves the database exactly as it was.
"""
from __future__ import annotations

import io
import json
import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote, urlencode, urlsplit

import pytest
from werkzeug.security import generate_password_hash

from statuspage.database import transaction
from statuspage.extensions import db
from statuspage.models import Incident, Notification, Role, Ticket, User
from statuspage.notify import messages
from statuspage.notify.messages import policy
from statuspage.monitoring import checks
from statuspage.services import accounts, message_templates, page_admin, page_members, subscriptions
from statuspage.support import customer_link, intake, replies
from tests.builders import (
    FAST_PASSWORD_HASH, START, SYSTEM, TEST_PASSWORD, built_once, csrf_token, make_component, make_group, make_incident,
    make_maintenance, make_subscriber,
)

ADMIN_EMAIL = "admin@example.com"
HUGE_ID = "99999999999999999999"  # beyond 64 bits: neither SQLite nor PostgreSQL can hold it
OVER_LIMIT = 1_000_001  # MAX_CONTENT_LENGTH is 1,000,000 bytes


class Upload(bytes):
    """A value sent as a file upload where the form expects text."""


# Hostile text, one test per field and payload. Markup bits go together: any one of them surviving fails.
TEXT = {
    "markup": "<script>alert(1)</script><img src=x onerror=alert(1)>\"'><svg onload=alert(1)> "
              "{{ config }} {% raw %} {components.__class__} '; DROP TABLE incidents; --",
    "javascript-link": "[click](javascript:alert(1)) <javascript:alert(1)> [a](JaVaScRiPt:alert(1))",
    "unicode-oddities": "\u202eevil\u202c \u200b\ufeff \U0001f525 Z\u0336a\u0337l\u0338g\u0335o \u0130\u0131 \ufdfd",
    "control-characters": "line\r\nSet-Cookie: stolen=1\r\n\r\n\t\x0b\x0c\x1b[31m\x7f\x85 ../../etc/passwd",
    "invalid-utf8": b"\xff\xfe\xc0\xaf bytes",
    "long-100k": "A" * 100_000,
    "nul-byte": "before\x00after",
    "only-whitespace": " \t\r\n ",
}
CHOICE = {
    "not-a-choice": "catastrophic",
    "empty": "",
    "path-traversal": "../../../../etc/passwd",
    "two-values": ["minor", "critical"],
    "invalid-utf8": b"\xff\xfe",
    "long-100k": "A" * 100_000,
    "nul-byte": "minor\x00",
}
DATE = {
    "not-a-date": "tomorrow",
    "impossible-date": "2026-13-45T99:99",
    "year-one": "0001-01-01T00:00",
    "year-9999": "9999-12-31T23:59",
    "empty": "",
    "long-100k": "2" * 100_000,
    "nul-byte": "2026-12-01T10:00\x00",
}
SECRET = {name: TEXT[name] for name in ("markup", "unicode-oddities", "long-100k", "nul-byte", "only-whitespace")}
PAYLOADS = {"required": TEXT, "optional": TEXT, "secret": SECRET, "flag": TEXT, "choice": CHOICE, "date": DATE}
# What each kind of field must refuse (400 with a message, nothing stored); anything else it may take or refuse.
MUST_REFUSE = {
    "required": {"long-100k", "nul-byte", "only-whitespace"},
    "optional": {"long-100k", "nul-byte"},
    "secret": {"long-100k"},  # only a hash is kept, so any character may be part of a password
    "flag": set(),  # a checkbox: any value means "on"
    "choice": {"not-a-choice", "path-traversal", "invalid-utf8", "long-100k", "nul-byte"},
    "date": {"not-a-date", "impossible-date", "empty", "long-100k", "nul-byte"},
}


@dataclass(frozen=True)
class Form:
    name: str
    action: str  # may name {incident}, {maintenance}, {group}, {user}, {template}
    valid: dict  # its text values may name them too
    fields: dict  # field name -> kind (a key of PAYLOADS)
    accepted: tuple = (302,)
    anonymous: bool = False


NEW_PASSWORD = "another long password"
BUNKER_PASSWORD = "the bunker's password"  # the password page of the world
FORMS = [
    Form("login", "/admin/login", {"email": ADMIN_EMAIL, "password": TEST_PASSWORD},
         {"email": "required", "password": "secret"}, anonymous=True),
    Form("account", "/admin/account",
         {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
         {"current_password": "secret", "new_password": "secret", "confirm": "secret"}),
    Form("account-language", "/admin/account/language", {"language": "de"}, {"language": "choice"}),
    Form("incident-new", "/admin/incidents/new",
         {"name": "Login fails", "impact": "minor", "status": "investigating", "body": "We look into it.",
          "component-api": "major_outage", "deliver_notifications": "y"},
         {"name": "required", "body": "required", "impact": "choice", "status": "choice", "component-api": "choice",
          "deliver_notifications": "flag"}),
    Form("incident-update", "/admin/incidents/{incident}/updates",
         {"status": "identified", "body": "Found it.", "component-api": "partial_outage", "deliver_notifications": "y"},
         {"body": "required", "status": "choice", "component-api": "choice", "deliver_notifications": "flag"}),
    Form("incident-edit", "/admin/incidents/{incident}/edit", {"name": "API errors, edited", "impact": "critical"},
         {"name": "required", "impact": "choice"}),
    Form("incident-resolve", "/admin/incidents/{incident}/resolve", {"body": "Fixed.", "deliver_notifications": "y"},
         {"body": "optional", "deliver_notifications": "flag"}),
    Form("maintenance-new", "/admin/maintenance/new",
         {"name": "Disk swap", "scheduled_for": "2026-12-01T10:00", "scheduled_until": "2026-12-01T12:00",
          "components": "database", "body": "We swap disks.", "deliver_notifications": "y",
          "remind_minutes_before": "60", "notify_at_start": "y", "notify_at_end": "y"},
         {"name": "required", "body": "required", "scheduled_for": "date", "scheduled_until": "date",
          "components": "choice", "group": "choice", "deliver_notifications": "flag", "remind_minutes_before": "choice",
          "notify_at_start": "flag", "notify_at_end": "flag"}),
    Form("maintenance-update", "/admin/maintenance/{maintenance}/updates",
         {"status": "in_progress", "body": "Started.", "components": "database", "deliver_notifications": "y"},
         {"body": "optional", "status": "choice", "components": "choice", "group": "choice",
          "deliver_notifications": "flag"}),
    # A slug left empty (or blank) is made from the name.
    Form("component-new", "/admin/components/new",
         {"name": "Search", "slug": "search", "description": "Finds things.", "group_id": "", "status": "operational"},
         {"name": "required", "slug": "optional", "description": "optional", "group_id": "choice",
          "status": "choice", "aliases": "optional"}),
    Form("component-edit", "/admin/components/api/edit",
         {"name": "API", "slug": "api", "description": "The API.", "group_id": "", "status": "operational"},
         {"name": "required", "slug": "optional", "description": "optional", "group_id": "choice",
          "status": "choice"}),
    Form("group-new", "/admin/groups/new", {"name": "Backend", "description": ""},
         {"name": "required", "description": "optional"}),
    Form("group-edit", "/admin/groups/{group}/edit", {"name": "Frontend", "description": "All of it."},
         {"name": "required", "description": "optional"}),
    Form("user-new", "/admin/users", {"email": "cy@example.com", "name": "Cy", "role": "viewer",
                                      "password": NEW_PASSWORD},
         {"email": "required", "name": "optional", "role": "choice", "password": "secret"}),
    Form("user-edit", "/admin/users/{user}", {"role": "responder"},
         {"role": "choice", "is_disabled": "flag", "totp_required": "flag"}),
    # Without a half sign-in waiting, a code (even a good one) leads back to the password form.
    Form("login-code", "/admin/login/code", {"code": "123456"}, {"code": "required"}, anonymous=True),
    # Without the enrolment page opened first, nothing waits for a code: refused, nothing stored.
    Form("totp-enrol", "/admin/account/two-factor", {"code": "123456"}, {"code": "required"}, accepted=(200,)),
    Form("totp-remove", "/admin/account/two-factor/remove", {"code": "123456"}, {"code": "required"}),
    Form("subscriber-chat", "/admin/subscribers/chat",
         {"notify_url": "json://93.184.216.34/hooks/team", "lang": "en", "confirmed": "y"},
         {"notify_url": "required", "lang": "choice", "components": "choice", "confirmed": "flag"}),
    Form("token-new", "/admin/tokens", {"label": "deploy bot", "role": "viewer"},
         {"label": "optional", "role": "choice"}, accepted=(200,)),
    Form("template-new", "/admin/templates/new",
         {"name": "Slow DB", "title": "Database slow", "impact": "minor", "body": "Queries are slow."},
         {"name": "required", "title": "required", "body": "required", "impact": "choice"}),
    Form("subscribe", "/subscribe", {"email": "new@example.com", "lang": "en"},
         {"email": "optional", "webhook_url": "optional", "notify_url": "optional", "lang": "choice",
          "components": "choice"},
         accepted=(200,), anonymous=True),
    Form("subscription-manage", "/subscribe/manage/{manage}", {"lang": "fr"},
         {"lang": "choice", "components": "choice"}, accepted=(200,), anonymous=True),
    Form("check-new", "/admin/checks/new",
         {"key": "search-page", "name": "Search page", "component": "api", "kind": "http",
          "target": "https://example.com/search", "interval": "1m", "failure_status": "partial_outage",
          "failures_to_open": "3", "successes_to_close": "2", "enabled": "y"},
         {"key": "required", "name": "required", "component": "choice", "kind": "choice", "target": "optional",
          "interval": "optional", "timeout": "optional", "failure_status": "choice", "expect_status": "optional",
          "body_contains": "optional", "max_latency_ms": "optional"}),
    Form("check-edit", "/admin/checks/{check}/edit",
         {"key": "api-home", "name": "API home", "component": "api", "kind": "tcp", "target": "example.com:443",
          "interval": "30s", "failure_status": "major_outage", "failures_to_open": "2", "successes_to_close": "2",
          "enabled": "y"},
         {"name": "required", "target": "optional", "interval": "optional", "kind": "choice",
          "failures_to_open": "optional", "period": "optional", "grace": "optional"}),
    Form("ticket-reclassify", "/admin/tickets/{ticket}/reclassify", {"priority": "2", "reason": "Only slow."},
         {"priority": "choice", "reason": "required"}),
    Form("ticket-unlink", "/admin/tickets/{ticket}/unlink", {"unlink_reason": "About SSO settings."},
         {"unlink_reason": "optional"}),
    Form("ticket-link", "/admin/tickets/{accepted_ticket}/link",
         {"incident_id": "{incident}", "link_reason": "The same outage."},
         {"incident_id": "choice", "link_reason": "optional"}),
    Form("page-password-set", "/admin/pages/api/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
         {"password": "secret", "confirm": "secret"}),
    Form("page-member-invite", "/admin/pages/api/members", {"email": "mo@example.com", "name": "Mo", "components": "api"},
         {"email": "required", "name": "optional", "components": "choice", "group": "choice"}),
    Form("page-member-edit", "/admin/pages/api/members/{member}", {"name": "Lee", "components": "api"},
         {"name": "optional", "components": "choice", "group": "choice"}),
    Form("page-new", "/admin/pages/new",
         {"name": "Shop status", "slug": "shop", "host": "status.shop.example", "languages": "de",
          "default_language": "de", "time_zone": "Europe/Vienna", "logo_url": "https://shop.example/logo.svg",
          "accent_color": "#0b5fff", "visibility": "public", "components": "api"},
         {"name": "required", "slug": "optional", "host": "optional", "languages": "choice",
          "default_language": "choice", "time_zone": "optional", "logo_url": "optional", "accent_color": "optional",
          "visibility": "choice", "shows_all_components": "flag", "components": "choice", "group": "choice"}),
    Form("page-edit", "/admin/pages/api/edit",
         {"name": "API status", "slug": "api", "host": "status.api.example", "languages": "en",
          "default_language": "", "time_zone": "", "visibility": "public", "components": "database"},
         {"name": "required", "slug": "optional", "host": "optional", "time_zone": "optional",
          "logo_url": "optional", "accent_color": "optional", "components": "choice"}),
    Form("page-password", "/p/bunker/access/password", {"password": BUNKER_PASSWORD, "next": "/"},
         {"password": "secret"}, accepted=(303,), anonymous=True),
    Form("page-sign-in-link", "/p/vault/access/email", {"email": "kim@example.com"}, {"email": "required"},
         accepted=(200,), anonymous=True),
    Form("template-edit", "/admin/templates/{template}",
         {"name": "DB slow", "title": "Database slow again", "impact": "major", "body": "Still slow."},
         {"name": "required", "title": "required", "body": "required", "impact": "choice"}),
]
# Buttons: a bare form with only its CSRF token.
ACTIONS = {
    "component-delete": "/admin/components/database/delete",
    "page-delete": "/admin/pages/api/delete",
    "component-move": "/admin/components/{component}/move/down",
    "group-move": "/admin/groups/{group}/move/up",
    "group-delete": "/admin/groups/{group}/delete",
    "token-revoke": "/admin/tokens/{token}/revoke",
    "template-delete": "/admin/templates/{template}/delete",
    "check-delete": "/admin/checks/{check}/delete",
    "check-run": "/admin/checks/{check}/run",
    "check-pause": "/admin/checks/{check}/pause",
    "check-resume": "/admin/checks/{check}/resume",
    "page-password-clear": "/admin/pages/bunker/password/clear",
    "page-member-revoke": "/admin/pages/api/members/{member}/revoke",
    "page-member-resend": "/admin/pages/api/members/{member}/resend",
    "page-member-token": "/admin/pages/api/members/{member}/token",
    "page-member-token-revoke": "/admin/pages/api/members/{member}/token/revoke",
    "incident-publish": "/admin/incidents/{incident}/publish",
    "incident-dismiss": "/admin/incidents/{incident}/dismiss",
    "sign-out": "/admin/logout",
    "user-remove-second-factor": "/admin/users/{user}/remove-second-factor",
    "page-sign-in": "/p/vault/access/link/{link}",  # a private page's one-time link: its button
    "page-sign-out": "/p/vault/access/sign-out",
}
# Authorized by a signed link (unsubscribe also without a CSRF token: mail clients' one-click unsubscribe posts
# none); a broken link gets a page that says what is wrong (400, or 410 when expired or gone), not a 404.
SIGNED_LINK_PAGES = {"ticket-not-mine": "/tickets/not-mine/{not_mine}", "unsubscribe": "/subscribe/unsubscribe/{manage}",
                     "subscription-manage": "/subscribe/manage/{manage}",
                     "subscription-confirm": "/subscribe/confirm/{manage}"}
# Pages whose POST is a form with a CSRF token (refused before the link is read), or that take no POST.
GET_ONLY_LINK_PAGES = {"subscription-manage", "subscription-confirm"}

PUBLIC_ROUTES = [  # docs/CONTRACT.md; routes not built yet answer 404, which is fine here
    "/", "/incidents/{incident}", "/maintenance/{maintenance}", "/history", "/components/api", "/subscribe",
    "/feed.rss", "/feed.atom", "/components/api/feed.rss", "/components/api/feed.atom", "/badge.svg",
    "/components/api/badge.svg", "/healthz", "/readyz", "/api/v2/summary.json", "/api/v2/status.json",
    "/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json", *SIGNED_LINK_PAGES.values(),
]
QUERY = {
    "huge-number": HUGE_ID, "negative": "-5", "not-a-number": "abc", "float": "1e9",
    "markup": "<script>alert(1)</script>", "nul": "\x00", "invalid-utf8": b"\xff\xfe",
    "path-traversal": "../../etc/passwd", "long-10k": "9" * 10_000,
}
PATHS = {  # a path that names nothing is a 404; the rest are pages
    "/components/..%2f..%2fetc": 404, "/components/..%2F..%2Fetc%2Fpasswd": 404, "/components/%00": 404,
    "/components/%ff%fe": 404, "/components/%3Cscript%3E": 404, "/components/" + "a" * 300: 404,
    "/incidents/-1": 404, "/incidents/0": 404, f"/incidents/{HUGE_ID}": 404, "/incidents/1.5": 404,
    "/incidents/%00": 404, "/incidents/1%2f..%2f..": 404, f"/maintenance/{HUGE_ID}": 404,
    "/maintenance/{incident}": 404, "/incidents/{maintenance}": 404, "/static/..%2f..%2fpyproject.toml": 404,
    f"/history?page={HUGE_ID}": 200, "/history?page=-3": 200, "/history?page=abc": 200,
    "/history?page=1&page=x": 200,
}
CONSOLE_PATHS = {
    f"/admin/incidents/{HUGE_ID}": 404, f"/admin/maintenance/{HUGE_ID}": 404, f"/admin/users/{HUGE_ID}": 404,
    f"/admin/templates/{HUGE_ID}": 404, f"/admin/groups/{HUGE_ID}/edit": 404,
    "/admin/components/..%2f..%2fetc/edit": 404, "/admin/components/%00/edit": 404,
    f"/admin/incidents?page={HUGE_ID}": 200, f"/admin/maintenance?page={HUGE_ID}": 200,
    f"/admin/audit?page={HUGE_ID}": 200, "/admin/incidents?page=-1": 200,
    f"/admin/incidents/new?template={HUGE_ID}": 404, "/admin/incidents/new?template=x": 200,
    # date filters at the calendar's ends, or no date: the filter is left out, never a 500
    **{f"/admin/{listing}?{name}={day}": 200 for listing in ("incidents", "maintenance") for name in ("since", "until")
       for day in ("0001-01-01", "9999-12-31", "1899-12-31", "9001-01-01", "2026-02-30", "x", "1" * 5000)},
}
BAD_ACTIONS = {
    f"/admin/components/{HUGE_ID}/move/up": 404, "/admin/components/{component}/move/sideways": 302,
    f"/admin/groups/{HUGE_ID}/delete": 404, f"/admin/tokens/{HUGE_ID}/revoke": 404,
    "/admin/components/nope/delete": 404, "/admin/components/%00/delete": 404,
    f"/admin/templates/{HUGE_ID}/delete": 404, f"/admin/incidents/{HUGE_ID}/resolve": 404,
    "/admin/incidents/{maintenance}/resolve": 404, f"/admin/checks/{HUGE_ID}/delete": 404,
    f"/admin/checks/{HUGE_ID}/run": 404, f"/admin/checks/{HUGE_ID}/pause": 404, f"/admin/checks/{HUGE_ID}/resume": 404,
    f"/admin/pages/api/members/{HUGE_ID}/revoke": 404, "/admin/pages/nope/members/{member}/token": 404,
    f"/admin/pages/api/members/{HUGE_ID}/resend": 404,
    "/admin/pages/vault/members/{member}/token/revoke": 404, "/admin/pages/%00/password/clear": 404,
}
MARKDOWN = {
    "script-tag": "<script>alert(1)</script>",
    "inline-link": "[click](javascript:alert(1))",
    "shouting-scheme": "[click](JAVASCRIPT:alert(1))",
    "entity-obfuscated": "[click](jav&#x61;script:alert(1))",
    "tab-in-scheme": "[click](java\tscript:alert(1))",
    "encoded-newline": "[click](java%0ascript:alert(1))",
    "autolink": "<javascript:alert(1)>",
    "reference-link": "[click][1]\n\n[1]: javascript:alert(1)",
    "image": "![x](javascript:alert(1))",
    "raw-anchor": '<a href="javascript:alert(1)">click</a>',
    "data-uri": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript": "[click](vbscript:msgbox(1))",
    "event-attribute": '<img src=x onerror="alert(1)"><svg/onload=alert(1)>',
    "iframe-and-style": "<iframe src=//evil.example></iframe><style>body{display:none}</style>",
    "html-in-code": "`<script>alert(1)</script>` and\n\n    <script>alert(2)</script>",
    "title-attribute": '[click](https://example.com "x\\" onmouseover=\\"alert(1)")',
}


CASES = [pytest.param(form, name, payload, id=f"{form.name}-{name}-{payload}")
         for form in FORMS for name, kind in form.fields.items() for payload in PAYLOADS[kind]]


# ---- fixtures and helpers -----------------------------------------------------------------------------------


def _quick_user(email: str, role: Role) -> User:
    """A user whose hash takes one PBKDF2 round, so hundreds of real sign-ins stay fast."""
    with transaction():
        user = User(email=email, name="", role=role, session_token=secrets.token_hex(16), created_at=START,
                    password_hash=generate_password_hash(TEST_PASSWORD, FAST_PASSWORD_HASH))
        db.session.add(user)
    return user


@pytest.fixture
def world(app, clock):
    """One of everything a form can touch, and their ids for the URLs: built once, restored for every test."""
    return built_once(app, "hostile-input world", lambda: _build_world(app, clock))


def _build_world(app, clock) -> SimpleNamespace:
    """One commit (the builders join it), through the services: the matcher reads the two tickets."""
    with app.app_context(), transaction():
        group = make_group("Web")
        api = make_component("api", "API", group=group)
        make_component("database", "Database")
        incident = make_incident(components_={"api": "partial_outage"}, now=clock.now())
        maintenance = make_maintenance(components_=("database",), now=clock.now())
        template = message_templates.save_template(None, name="DB slow", title="Database slow", impact="minor",
                                                   body="Slow.", by=SYSTEM, now=clock.now())
        _quick_user(ADMIN_EMAIL, Role.ADMIN)
        other = _quick_user("bo@example.com", Role.VIEWER)
        token, _plain = accounts.create_token(role="viewer", label="bot", by=SYSTEM, now=clock.now())
        subscriber = make_subscriber("sub@example.com", ["api"], now=clock.now())
        check = checks.create_check({"key": "api-home", "name": "API home", "component": "api", "kind": "http",
                                     "target": "https://example.com/"}, by=SYSTEM, now=clock.now())
        ticket, _new = intake.take_ticket(intake.ticket_in({
            "subject": "API errors", "body": "The API answers 500 errors since this morning.", "component": "api",
            "requester": {"email": "cy@customer.example"}}), by=SYSTEM, now=clock.now())
        accepted, _new = intake.take_ticket(intake.ticket_in({
            "subject": "Invoice", "body": "Please send the invoice again.", "requester": {"email": "dee@customer.example"}}),
            by=SYSTEM, now=clock.now())
        db.session.flush()
        beat = checks.create_check({"key": "nightly", "name": "Nightly", "component": "api", "kind": "heartbeat",
                                    "period": "1d"}, by=SYSTEM, now=clock.now())
        page_admin.create_page(name="API status", slug="api", components=["api"], settings=app.config["SETTINGS"],
                               by=SYSTEM, now=clock.now())
        page_admin.create_page(name="Vault", slug="vault", components=["api"], visibility="private",
                               settings=app.config["SETTINGS"], by=SYSTEM, now=clock.now())
        page_admin.create_page(name="Bunker", slug="bunker", components=["api"], visibility="password",
                               password=BUNKER_PASSWORD, settings=app.config["SETTINGS"], by=SYSTEM, now=clock.now())
        kim = page_members.invite_member("vault", "kim@example.com", by=SYSTEM, now=clock.now())
        link = page_members.sign_in_link(kim, now=clock.now()).rsplit("/", 1)[1]
        member = page_members.invite_member("api", "lee@example.com", by=SYSTEM, now=clock.now())
        ids = SimpleNamespace(incident=incident.id, maintenance=maintenance.id, group=group.id, user=other.id,
                              template=template.id, token=token.id, component=api.id, check=check.id, ticket=ticket.id,
                              manage=subscriptions.manage_token(subscriber, policy(app.config["SETTINGS"])),
                              accepted_ticket=accepted.id,
                              not_mine=customer_link.token_for(ticket.id, incident.id, now=clock.now(),
                                                               secret_key=app.config["SETTINGS"].secret_key),
                              subscriber=subscriber.id, ping=beat.ping_id, link=link, member=member.id)
    with app.app_context():
        db.session.remove()
    return ids


def _session_token(client, *, sign_in: bool = True) -> str:
    """The CSRF token of this client's session, after signing in as the admin through the real form.

    The token lives in the session, and signing in keeps it, so one token serves every form afterwards.
    """
    token = csrf_token(client.get("/admin/login"))
    if sign_in:
        response = client.post("/admin/login", data={"email": ADMIN_EMAIL, "password": TEST_PASSWORD,
                                                      "csrf_token": token})
        assert response.status_code == 302, response.status_code
    return token


@pytest.fixture
def console(client, world):
    """The test client, signed in as an admin; its CSRF token is `console.token`."""
    client.token = _session_token(client)
    return client


def _url(template: str, world) -> str:
    return template.format(**vars(world))


def _valid(form: Form, world) -> dict:
    """The form's valid values, with the world's ids filled in."""
    return {name: _url(value, world) if isinstance(value, str) else value for name, value in form.valid.items()}


# Counted for every attempt, refused or not (that is their point): bookkeeping of requests, not what a form stores.
NOT_FORM_DATA = {"rate_limits"}


def _snapshot(app) -> dict:
    """Every row of every table (but the rate-limit counters): what "nothing stored" is compared against."""
    with app.app_context():
        try:
            return {table.name: sorted(map(tuple, db.session.execute(table.select())), key=repr)
                    for table in db.metadata.sorted_tables if table.name not in NOT_FORM_DATA}
        finally:
            db.session.remove()


def _post(client, url: str, data: dict):
    if any(isinstance(value, Upload) for value in data.values()):
        return client.post(url, data={k: (io.BytesIO(v), "evil.html") if isinstance(v, Upload) else v
                                      for k, v in data.items()})
    return client.post(url, data=urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")


def _tracebacks(caplog) -> str:
    """Where each logged traceback left the app, and its error: a 500 names its cause."""
    causes = []
    for record in caplog.records:
        if not record.exc_text:
            continue
        lines = record.exc_text.splitlines()
        frames = [line.strip() for line in lines if line.strip().startswith("File ") and "/statuspage/" in line]
        errors = [line for line in lines if re.match(r"[A-Za-z_][\w.]*(Error|Exception)\b", line)]
        causes.append(f"{frames[-1] if frames else '?'}: {errors[-1] if errors else lines[-1]}")
    return "\n".join(causes)


def _says_why(response) -> bool:
    page = response.get_data(as_text=True)
    return 'class="field-error"' in page or 'role="alert"' in page


class _ActiveContent(HTMLParser):
    """Collects whatever in a page could run script: a <script> not ours, a frame, an on* handler, or a
    javascript:/vbscript:/data: URL. Escaped text such as `&lt;script&gt;` or a link left as plain text is inert."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.found.append(f"<script {attrs}>")
        if tag in {"iframe", "frame", "object", "embed", "base"}:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            scheme = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") or (name in self.URL_ATTRIBUTES
                                         and scheme.startswith(("javascript:", "vbscript:", "data:"))):
                self.found.append(f"<{tag} {name}={value!r}>")


def _active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.found


def _assert_pages_are_inert(app, client, caplog, world, *extra: str):
    """The pages that show what a form stores answer without a 500 and without anything that could run."""
    with app.app_context():
        newest = db.session.scalar(db.select(Incident).order_by(Incident.id.desc()).limit(1))
        newest = f"/{'maintenance' if newest.kind.value == 'maintenance' else 'incidents'}/{newest.id}"
        db.session.remove()
    urls = ["/", f"/incidents/{world.incident}", newest, "/admin/audit", *extra]
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}\n{_tracebacks(caplog)}"
        found = _active_content(response.get_data(as_text=True))
        assert not found, f"{url} holds {found}"


def _holds_a_nul(snapshot: dict) -> bool:
    return any(isinstance(value, str) and "\x00" in value
               for rows in snapshot.values() for row in rows for value in row)


# ---- public pages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_public_path_trick_gets_a_page_or_a_404_never_a_500(client, world, caplog, path):
    response = client.get(_url(path, world))
    assert response.status_code == PATHS[path], _tracebacks(caplog)


@pytest.mark.parametrize("route", PUBLIC_ROUTES)
def test_public_route_shrugs_off_hostile_query_values(client, world, caplog, route):
    failures = []
    for payload, value in QUERY.items():
        query = urlencode({"page": value, "lang": value, "per_page": value, "component": value, "q": value})
        response = client.get(f"{_url(route, world)}?{query}")
        body = response.get_data(as_text=True)
        if response.status_code >= 500 or _active_content(body):  # our own /static/ scripts are fine
            failures.append(f"{payload}: {response.status_code} {_active_content(body)}")
        elif response.mimetype == "text/html" and not re.search(r'<html lang="(en|de|fr)"', body):
            failures.append(f"{payload}: the page does not fall back to a language it speaks")
    assert not failures, "\n".join(failures) + "\n" + _tracebacks(caplog)


@pytest.mark.parametrize("payload", QUERY)
def test_every_get_route_in_the_app_survives_hostile_path_and_query_values(app, console, world, caplog, payload):
    value = QUERY[payload]
    in_path = quote(value, safe="") if isinstance(value, str) else quote(value)
    query = urlencode({"page": value, "lang": value, "template": value, "next": value, "status": value, "plan": value,
                       "priority": value, "component": value, "per_page": value, "incident": value, "q": value})
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", in_path, rule.rule)
        response = console.get(f"{path}?{query}")
        if response.status_code >= 500:
            failures.append(f"GET {path[:120]}?… -> {response.status_code}")
    assert not failures, "\n".join(failures) + "\n" + _tracebacks(caplog)


BAD_LANGUAGES = {
    "query-unknown": {"query_string": {"lang": "xx"}},
    "query-traversal": {"query_string": {"lang": "../../etc/passwd"}},
    "query-nul": {"query_string": {"lang": "de\x00"}},
    "query-markup": {"query_string": {"lang": '"><script>alert(1)</script>'}},
    "cookie-garbage": {"headers": {"Cookie": "lang=\"<script>\\x00"}},
    "accept-language-garbage": {"headers": {"Accept-Language": "*;q=abc, ../../x;q=-1, ;;;, " + "z" * 5000}},
    "accept-language-only-unknown": {"headers": {"Accept-Language": "tlh, qya;q=0.9"}},
}


@pytest.mark.parametrize("case", BAD_LANGUAGES)
def test_bad_language_choice_falls_back_to_english(client, caplog, case):
    response = client.get("/", **BAD_LANGUAGES[case])
    assert response.status_code == 200, _tracebacks(caplog)
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "lang=" not in response.headers.get("Set-Cookie", ""), "a bad choice is not remembered"


# ---- console and sign-in forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("form, field_name, payload", CASES)
def test_console_form_refuses_or_safely_stores_hostile_field(app, client, world, caplog, form, field_name, payload):
    token = _session_token(client, sign_in=not form.anonymous)
    kind = form.fields[field_name]
    before = _snapshot(app)

    response = _post(client, _url(form.action, world),
                     {**_valid(form, world), field_name: PAYLOADS[kind][payload], "csrf_token": token})

    assert response.status_code < 500, _tracebacks(caplog)
    if payload in MUST_REFUSE[kind]:
        assert response.status_code == 400, f"{kind} field must refuse {payload}: got {response.status_code}"
    if response.status_code not in form.accepted:
        assert response.status_code == 400, f"a refused form answers 400, got {response.status_code}"
        assert _says_why(response), "a refused form says what is wrong"
        assert _snapshot(app) == before, "a refused form stores nothing"
    else:
        assert not _holds_a_nul(_snapshot(app)), "a NUL byte was stored"
        follow = [response.headers["Location"]] if response.status_code == 302 else []
        _assert_pages_are_inert(app, client, caplog, world, *follow)  # an accepted sign-in has signed the client in


@pytest.mark.parametrize("token", [None, "forged." + "A" * 60], ids=["missing-token", "forged-token"])
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_console_form_without_a_valid_csrf_token_is_refused_and_stores_nothing(app, client, world, form, token):
    _session_token(client, sign_in=not form.anonymous)
    before = _snapshot(app)
    response = _post(client, _url(form.action, world), {**_valid(form, world), **({"csrf_token": token} if token else {})})
    assert response.status_code == 400
    assert _snapshot(app) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_console_button_without_csrf_token_changes_nothing(app, console, world, action):
    before = _snapshot(app)
    response = console.post(_url(ACTIONS[action], world))
    assert response.status_code in (400, 302)
    assert _snapshot(app) == before
    assert console.get("/admin/").status_code == 200, "still signed in"


WRONG_TYPES = {"file-upload": Upload(b"<script>alert(1)</script>"), "json-number": 12345, "json-boolean": True,
               "json-null": None, "json-list": [1, "two"], "json-object": {"a": 1}}


@pytest.mark.parametrize("kind", WRONG_TYPES)
def test_console_forms_given_a_value_of_the_wrong_type_refuse_it(app, clock, world, caplog, kind):
    """A file where text belongs, or JSON (which Flask-WTF would read as form data) with numbers, lists, null.

    Refused with 400 and nothing stored; only a form whose every field may be left out may go ahead.
    """
    failures = []
    for form in FORMS:
        client = app.test_client()
        token = _session_token(client, sign_in=not form.anonymous)
        before = _snapshot(app)
        wrong = {name: WRONG_TYPES[kind] for name in form.fields}
        if kind == "file-upload":
            response = _post(client, _url(form.action, world), {**_valid(form, world), **wrong, "csrf_token": token})
        else:
            response = client.post(_url(form.action, world), json={**_valid(form, world), **wrong},
                                   headers={"X-CSRFToken": token})
        optional = all(field_kind in ("optional", "flag") for field_kind in form.fields.values())
        if not ((response.status_code == 400 and _snapshot(app) == before)
                or (optional and response.status_code in form.accepted)):
            failures.append(f"{form.name}: {response.status_code}")
    assert not failures, "\n".join(failures) + "\n" + _tracebacks(caplog)


@pytest.mark.parametrize("url", [f.action for f in FORMS] + ["/admin/preview"],
                         ids=[f.name for f in FORMS] + ["preview"])
def test_body_over_the_size_limit_is_refused_with_413(app, client, world, caplog, url):
    token = _session_token(client, sign_in=url != "/admin/login")
    before = _snapshot(app)
    response = _post(client, _url(url, world), {"csrf_token": token, "body": "x" * OVER_LIMIT, "name": "x"})
    assert response.status_code == 413, _tracebacks(caplog)
    assert _snapshot(app) == before


@pytest.mark.parametrize("page", SIGNED_LINK_PAGES)
def test_a_signed_link_page_with_a_tampered_link_explains_and_changes_nothing(app, client, world, caplog, page):
    before = _snapshot(app)
    mine, other = (world.manage, world.not_mine) if "{manage}" in SIGNED_LINK_PAGES[page] else (
        world.not_mine, world.manage)
    for forged in ("x", "abc.def", mine[:-2] + "AA", "\u202e" + mine, other):  # other: a good link of another kind
        for method in (client.get,) if page in GET_ONLY_LINK_PAGES else (client.get, client.post):
            response = method(SIGNED_LINK_PAGES[page].format(not_mine=forged, manage=forged))
            assert response.status_code == 400, _tracebacks(caplog)
            assert "This link does not work" in response.get_data(as_text=True)
    assert _snapshot(app) == before


def test_every_form_route_in_the_app_is_on_the_hostile_list(app):
    """A new form (say POST /subscribe) must join FORMS or ACTIONS above, so it meets the same payloads."""
    adapter = app.url_map.bind("status.example.com")
    world = SimpleNamespace(incident=1, maintenance=1, group=1, user=1, template=1, token=1, component=1, check=1, ticket=1,
                            manage="x", accepted_ticket=1, not_mine="x", link="x", member=1)
    listed = [form.action for form in FORMS] + list(ACTIONS.values()) + [
        url for page, url in SIGNED_LINK_PAGES.items() if page not in GET_ONLY_LINK_PAGES] + ["/admin/preview"]
    # A page's /p/<slug> prefix is the page choice's (SCRIPT_NAME), not a route's.
    covered = {adapter.match(re.sub(r"^/p/[a-z0-9-]+", "", _url(url, world)), method="POST")[0] for url in listed}
    forms = {rule.endpoint for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and not rule.rule.startswith(("/api/", "/ping/"))}  # machine endpoints
    assert forms <= covered, f"not on the hostile list: {sorted(forms - covered)}"


@pytest.mark.parametrize("path", CONSOLE_PATHS)
def test_console_path_trick_gets_a_page_or_a_404_never_a_500(console, world, caplog, path):
    response = console.get(_url(path, world))
    assert response.status_code == CONSOLE_PATHS[path], _tracebacks(caplog)


@pytest.mark.parametrize("path", BAD_ACTIONS)
def test_console_button_on_a_missing_or_odd_target_never_fails(app, console, world, caplog, path):
    response = console.post(_url(path, world), data={"csrf_token": console.token})
    assert response.status_code == BAD_ACTIONS[path], _tracebacks(caplog)


def _as_a_browser_reads(location: str) -> str:
    """A Location as browsers take it (WHATWG URL): tabs and line breaks dropped, controls and spaces
    around it trimmed, backslashes as slashes."""
    return re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21)))).replace("\\", "/")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                                    "javascript:alert(1)", "/%2F%2Fevil.example", "\x00//evil.example",
                                    "%0d%0aLocation: x", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
                                    "\t//evil.example", " //evil.example", "/\t\\evil.example", "\n", "/\n", "/\r",
                                    "/x\r\nSet-Cookie: a=b", "\x0b//evil.example", "/\x00/evil.example",
                                    "https:evil.example", "\\/evil.example", "/%09/evil.example"])
def test_sign_in_never_redirects_off_site(client, world, caplog, target):
    page = client.get("/admin/login")
    response = client.post(f"/admin/login?{urlencode({'next': target})}",
                           data={"email": ADMIN_EMAIL, "password": TEST_PASSWORD, "csrf_token": csrf_token(page)})
    assert response.status_code == 302, _tracebacks(caplog)
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "\r" not in location and "\n" not in location
    read = urlsplit(_as_a_browser_reads(location))
    assert read.path.startswith("/") and not read.path.startswith("//") and not read.scheme and not read.netloc, \
        f"{location!r} leads a browser to {read.geturl()!r}"


# ---- Markdown ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", MARKDOWN)
def test_stored_markdown_never_becomes_script_on_any_page(app, console, world, caplog, payload):
    text = MARKDOWN[payload]
    token = console.token
    opened = _post(console, "/admin/incidents/new", {"name": text[:200], "impact": "minor", "status": "investigating",
                                                      "body": text, "csrf_token": token})
    assert opened.status_code == 302, _tracebacks(caplog)
    steps = [
        (f"/admin/incidents/{world.incident}/updates", {"status": "identified", "body": text}),
        (f"/admin/maintenance/{world.maintenance}/updates", {"status": "in_progress", "body": text}),
        (f"/admin/incidents/{world.incident}/resolve", {"body": text}),
        ("/admin/components/new", {"name": text[:100], "slug": "evil", "description": text, "group_id": "",
                                   "status": "operational"}),
    ]
    for url, data in steps:
        response = _post(console, url, {**data, "csrf_token": token})
        assert response.status_code == 302, (url, response.status_code, _tracebacks(caplog))
    _assert_pages_are_inert(app, console, caplog, world, f"/maintenance/{world.maintenance}", "/history",
                            "/components/evil", "/admin/components", f"/admin/incidents/{world.incident}")
    assert "<script" not in console.get(f"/incidents/{world.incident}").get_data(as_text=True).lower()


@pytest.mark.parametrize("payload", MARKDOWN)
def test_markdown_preview_returns_inert_html(console, world, payload):
    response = console.post("/admin/preview", data={"body": MARKDOWN[payload]},
                            headers={"X-CSRFToken": console.token})
    assert response.status_code == 200
    assert not _active_content(response.get_json()["html"])


def test_markdown_preview_of_a_huge_body_is_cut_not_a_server_error(console, world):
    response = console.post("/admin/preview", data={"body": "**x** " * 16_000},
                            headers={"X-CSRFToken": console.token})
    assert response.status_code == 200
    assert len(response.get_json()["html"]) < 100_000


# ---- the management API, the v2 JSON and heartbeat pings: every machine route and method --------------------

MACHINE_ROUTES = ("/api/", "/ping/")
LATER = "2026-12-01T10:00:00+00:00"
LATER_END = "2026-12-01T12:00:00+00:00"
# A body each write takes, by method and rule: the hostile cases replace one field (or one nested field) at a time.
API_WRITES = {
    ("POST", "/api/v1/components"): {
        "slug": "search", "name": "Search", "description": "Finds things.", "group_id": "g{group}", "position": 3,
        "status": "operational", "only_show_if_degraded": False, "aliases": ["find", "Suche"]},
    ("PATCH", "/api/v1/components/<slug>"): {
        "name": "API", "description": "The API.", "group_id": "g{group}", "position": 1,
        "status": "degraded_performance", "only_show_if_degraded": False, "aliases": ["interface"]},
    ("POST", "/api/v1/groups"): {"name": "Backend", "description": "All of it.", "position": 2},
    ("POST", "/api/v1/pages"): {
        "name": "Shop status", "slug": "shop", "host": "status.shop.example", "languages": ["de", "en"],
        "default_language": "de", "time_zone": "Europe/Vienna", "logo_url": "https://shop.example/logo.svg",
        "accent_color": "#0b5fff", "visibility": "public", "shows_all_components": False, "components": ["api"]},
    ("PATCH", "/api/v1/pages/<slug>"): {  # the page "api" (world): rules name their slug argument alike
        "name": "API status, renamed", "host": "status.api.example", "languages": ["en"], "default_language": "en",
        "time_zone": "Europe/Paris", "accent_color": "#112233", "components": ["api", "database"]},
    ("POST", "/api/v1/pages/<slug>/members"): {"email": "new@example.com", "name": "New", "components": ["api"]},
    ("PATCH", "/api/v1/pages/<slug>/members/<id:member_id>"): {"name": "Lee L", "components": ["api"]},
    ("POST", "/api/v1/pages/<slug>/members/<id:member_id>/token"): {},
    ("POST", "/api/v1/pages/<slug>/members/<id:member_id>/invitation"): {},
    ("PATCH", "/api/v1/groups/<group_id:group_id>"): {"name": "Frontend", "description": "Pages.", "position": 1},
    ("POST", "/api/v1/incidents"): {"name": "Login fails", "status": "investigating", "impact": "minor",
                                    "body": "We look into it.", "components": {"api": "major_outage"}},
    ("PATCH", "/api/v1/incidents/<id:incident_id>"): {"name": "API errors, edited", "impact": "major",
                                                      "status": "identified", "body": "Found it."},
    ("POST", "/api/v1/incidents/<id:incident_id>/updates"): {"status": "identified", "body": "Found it.",
                                                             "components": {"api": "partial_outage"}},
    ("POST", "/api/v1/maintenances"): {"name": "Disk swap", "status": "scheduled", "body": "We swap disks.",
                                       "scheduled_for": LATER, "scheduled_until": LATER_END,
                                       "components": {"database": "under_maintenance"}},
    ("PATCH", "/api/v1/maintenances/<id:maintenance_id>"): {"name": "Disk swap, later", "status": "scheduled",
                                                            "body": "Moved.", "scheduled_for": LATER,
                                                            "scheduled_until": LATER_END},
    ("POST", "/api/v1/maintenances/<id:maintenance_id>/updates"): {
        "status": "in_progress", "body": "Started.", "components": {"database": "under_maintenance"}},
    ("POST", "/api/v1/subscribers"): {"email": "new@example.com", "components": ["api"], "lang": "de",
                                      "confirmed": True},
    ("POST", "/api/v1/checks"): {
        "key": "search-page", "name": "Search page", "component": "api", "kind": "http",
        "target": "https://example.com/search", "interval": "1m", "timeout": "5s", "failure_status": "partial_outage",
        "failures_to_open": 3, "successes_to_close": 2, "method": "GET", "headers": {"X-Probe": "status"},
        "follow_redirects": True, "verify_tls": True, "enabled": True,
        "expect": {"status": [200], "body_contains": "ok", "json": {"path": "$.status", "equals": "ok"},
                   "max_latency_ms": 800}},
    ("PATCH", "/api/v1/checks/<id:check_id>"): {"name": "API home page", "target": "https://example.com/",
                                                "interval": "30s", "enabled": False},
    ("POST", "/api/v1/tickets"): {
        "external_id": "ZD-1", "subject": "Dashboard down", "body": "We get 502 errors since 10:00.",
        "requester": {"email": "ops@customer.example", "name": "Ana"}, "plan": "professional", "priority": 1,
        "environment": "production", "component": "api", "created_at": "2026-11-20T10:12:00+01:00"},
    ("POST", "/api/v1/tickets/zendesk"): {"ticket": {
        "id": "48213", "subject": "Dashboard down", "description": "502 since 10:00",
        "requester": {"email": "ops@customer.example", "name": "Ana"}, "priority": "urgent",
        "tags": "plan_professional component_api", "created_at": "2026-11-20T10:12:00+01:00"}},
    ("POST", "/api/v1/tickets/freshdesk"): {"freshdesk_webhook": {
        "ticket_id": "77", "ticket_subject": "Dashboard down", "ticket_description": "502 since 10:00",
        "ticket_requester_email": "ops@customer.example", "ticket_requester_name": "Ana", "ticket_priority": "4",
        "ticket_tags": "plan_advanced"}},
    ("POST", "/api/v1/tickets/zammad"): {
        "ticket": {"id": 78, "number": "31078", "title": "Dashboard down",
                   "customer": {"email": "ops@customer.example", "firstname": "Ana", "lastname": "Lima"},
                   "priority": {"name": "3 high"}, "tags": ["plan_professional", "component_api"],
                   "created_at": "2026-11-20T09:12:00Z"},
        "article": {"subject": "Dashboard down", "body": "502 since 10:00"}},
    ("PATCH", "/api/v1/tickets/<id:ticket_id>"): {"priority": 2, "reason": "Only slow."},
    ("POST", "/api/v1/alerts/alertmanager"): {
        "version": "4", "groupKey": "{{}}:{{alertname=\"ApiDown\"}}", "truncatedAlerts": 0, "status": "firing",
        "receiver": "statuspage", "groupLabels": {"alertname": "ApiDown"}, "commonLabels": {"severity": "page"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "alerts": [{
            "status": "firing", "labels": {"alertname": "ApiDown", "statuspage_component": "api",
                                           "statuspage_status": "major_outage"},
            "annotations": {"summary": "API down"}, "startsAt": "2026-11-20T09:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": "a1"}]},
    ("POST", "/api/v1/alerts/grafana"): {
        "receiver": "statuspage", "status": "resolved", "orgId": 1, "alerts": [{
            "status": "resolved", "labels": {"alertname": "High memory usage", "statuspage_component": "api"},
            "annotations": {"summary": "Memory"}, "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "2021-10-12T10:51:03.157076+02:00", "generatorURL": "https://grafana/alerting/1/edit",
            "fingerprint": "c6eadffa33fcdf37", "values": {"B": 44.2}}],
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "https://grafana/",
        "version": "1", "groupKey": "{{}}:{{}}", "truncatedAlerts": 0, "title": "[RESOLVED]", "state": "ok",
        "message": "Resolved"},
}
# What goes in place of one field. Strings are JSON-encoded, so "\ud800" arrives as the escape \ud800.
FIELD_VALUES = {
    "huge-int": 10**30, "huge-negative": -(10**30), "max-float": 1.7e308, "negative": -1, "fraction": 1.5,
    "true": True, "null": None, "list": [1, "two", None], "object": {"a": {"b": [1]}},
    "nested-40": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    "empty": "", "lone-surrogate": "API \ud800 down \udfff", "nul": "api\x00down", "long-100k": "A" * 100_000,
    "markup": "<script>alert(1)</script>", "line-breaks": "x\r\nBcc: evil@example.com", "not-a-date": "2026-13-45",
}
WHOLE_BODIES = {  # raw bytes, sent as application/json unless the name says otherwise
    "nested-arrays-100k": b"[" * 100_000,
    "nested-objects-50k": b'{"a":' * 50_000,
    "nested-closed-1000": b"[" * 1000 + b"]" * 1000,
    "not-utf8": b'{"name": "\xff\xfe\xc0\xaf", "body": "\xed\xa0\x80"}',
    "utf16": '{"name": "x"}'.encode("utf-16"),
    "bom": b'\xef\xbb\xbf{"name": "x"}',
    "infinite-number": b'{"name": 1e400, "position": 1e400, "priority": 1e400, "requester": {"email": 1e400}}',
    "nan": b'{"position": NaN, "priority": Infinity, "name": -Infinity}',
    "int-5000-digits": b'{"position": ' + b"9" * 5000 + b"}",
    "lone-surrogate-keys": b'{"\\ud800": "\\udfff", "name": "\\ud800", "requester": {"email": "a\\udc00@example.com"}}',
    "json-list": b"[]", "json-string": b'"text"', "json-null": b"null", "json-number": b"12",
    "empty": b"", "whitespace": b" \n\t ", "truncated": b'{"name": "x"',
    "duplicate-keys": b'{"name": "a", "name": {"b": 1}}',
}
CONTENT_TYPES = {
    "text-plain": "text/plain", "form": "application/x-www-form-urlencoded", "none": None,
    "multipart": "multipart/form-data; boundary=xyz", "json-latin1": "application/json; charset=latin-1",
    "json-utf16": "application/json; charset=utf-16", "json-suffix": "application/evil+json",
}
AUTHORIZATIONS = {
    "none": None, "empty-bearer": "Bearer ", "basic": "Basic YWRtaW46cGFzcw==", "huge": "Bearer " + "x" * 10_000,
    "latin1": "Bearer sp_\xff\xfe", "two-tokens": "Bearer sp_a, Bearer sp_b", "scheme-only": "Bearer",
}
PATH_VALUES = {"huge": HUGE_ID, "zero": "0", "negative": "-1", "nul": "%00", "text": "abc", "fraction": "1.5",
               "long": "9" * 300, "not-utf8": "%ff%fe", "group-prefix": "g" + HUGE_ID, "traversal": "..%2f..%2f1"}
QUERY_VALUES = {"nul": "\x00", "nul-inside": "api\x00x", "huge": HUGE_ID, "negative": "-1", "text": "abc",
                "long": "9" * 10_000, "markup": "<script>", "not-utf8": b"\xff\xfe", "float": "1e9", "empty": ""}


def _api_rules(app) -> list[tuple[str, str]]:
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(MACHINE_ROUTES)
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def _api_path(rule: str, world, value: str | None = None) -> str:
    """The rule with its arguments filled from world (or all of them set to value)."""
    names = {"slug": "api", "incident_id": world.incident, "maintenance_id": world.maintenance,
             "group_id": f"g{world.group}", "check_id": world.check, "ticket_id": world.ticket,
             "subscriber_id": world.subscriber, "ping_id": world.ping, "member_id": world.member}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(names[m.group(1)] if value is None else value), rule)


def _fill(body, world):
    if isinstance(body, str):
        return body.format(**vars(world))
    if isinstance(body, dict):
        return {key: _fill(value, world) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, world) for value in body]
    return body


def _field_paths(body: dict, prefix: tuple = ()) -> list[tuple]:
    """Each field of a body, and each field of the objects inside it, as a path of keys."""
    paths = []
    for key, value in body.items():
        paths.append(prefix + (key,))
        if isinstance(value, dict):
            paths += _field_paths(value, prefix + (key,))
    return paths + [prefix + ("unknown_field",)]


def _replaced(body: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(body))
    inner = copy
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = value
    return copy


@pytest.fixture
def api_admin(app, world):
    with app.app_context():
        _record, plain = accounts.create_token(role="admin", label="hostile admin", by=SYSTEM, now=START)
        db.session.remove()
    return {"Authorization": f"Bearer {plain}"}


class _Calls:
    """Sends requests and collects every answer that is a 500 (or shows a traceback), for one assertion."""

    def __init__(self, client):
        self.client = client
        self.failures: list[str] = []
        self.sent = 0

    def __call__(self, method: str, path: str, what: str, **kwargs):
        self.sent += 1
        response = self.client.open(path, method=method, **kwargs)
        body = response.get_data()
        if response.status_code >= 500 or b"Traceback" in body:
            self.failures.append(f"{method} {path[:100]} {what}: {response.status_code}")
        return response

    def check(self, caplog):
        assert not self.failures, "\n".join(self.failures[:40]) + "\n" + _tracebacks(caplog)
        assert not [r for r in caplog.records if r.exc_info or r.exc_text], _tracebacks(caplog)


def test_every_api_write_is_on_the_hostile_list(app):
    """A new write in the API (or any machine route) must join API_WRITES, so it meets the payloads below."""
    writes = {(method, rule) for method, rule in _api_rules(app) if method in ("POST", "PUT", "PATCH")}
    assert writes - {("POST", "/ping/<ping_id>")} == set(API_WRITES), "add the route's valid body to API_WRITES"


@pytest.mark.parametrize("method, rule", list(API_WRITES), ids=[f"{m} {r}" for m, r in API_WRITES])
def test_api_write_with_a_hostile_field_never_fails(app, client, world, api_admin, caplog, method, rule):
    """Every field (and nested field) of every write, replaced in turn by each hostile value, as admin."""
    calls = _Calls(client)
    body = _fill(API_WRITES[(method, rule)], world)
    assert calls(method, _api_path(rule, world), "valid", json=body, headers=api_admin).status_code < 300, \
        _tracebacks(caplog)
    for path in _field_paths(body):
        for name, value in FIELD_VALUES.items():
            calls(method, _api_path(rule, world), f"{'.'.join(path)}={name}", json=_replaced(body, path, value),
                  headers=api_admin)
    calls.check(caplog)


@pytest.mark.parametrize("identity", ["anonymous", "admin"])
def test_every_api_route_and_method_takes_hostile_bodies_without_failing(app, client, world, api_admin, caplog,
                                                                          identity):
    calls = _Calls(client)
    headers = api_admin if identity == "admin" else {}
    for method, rule in _api_rules(app):
        path = _api_path(rule, world)
        # A read or a delete takes no body: a few bodies show it is not read; writes get every one.
        bodies = WHOLE_BODIES if method in ("POST", "PUT", "PATCH") else {
            name: WHOLE_BODIES[name] for name in ("nested-arrays-100k", "not-utf8", "lone-surrogate-keys")}
        for name, data in bodies.items():
            response = calls(method, path, name, data=data, content_type="application/json", headers=headers)
            if identity == "anonymous" and rule.startswith("/api/v1/") and not rule.endswith("openapi.json"):
                assert response.status_code in (401, 405), f"{method} {path} {name}: {response.status_code}"
        for name, content_type in CONTENT_TYPES.items():
            calls(method, path, name, data=b'{"name": "x"}', content_type=content_type, headers=headers)
        calls(method, path, "file-upload", data={"file": (io.BytesIO(b"{}"), "x.json")}, headers=headers)
        calls(method, path, "over-the-limit", data=b" " * OVER_LIMIT, content_type="application/json",
              headers=headers)
    calls.check(caplog)


def test_every_api_route_and_method_shrugs_off_odd_authorization(app, client, world, caplog):
    calls = _Calls(client)
    for method, rule in _api_rules(app):
        body = _fill(API_WRITES.get((method, rule), {}), world)
        for name, value in AUTHORIZATIONS.items():
            response = calls(method, _api_path(rule, world), name, json=body,
                             headers={"Authorization": value} if value is not None else {})
            if rule.startswith("/api/v1/") and not rule.endswith("openapi.json"):
                assert response.status_code in (401, 405), f"{method} {rule} {name}: {response.status_code}"
    calls.check(caplog)


@pytest.mark.parametrize("identity", ["anonymous", "admin"])
def test_every_api_route_and_method_takes_hostile_path_values(app, client, world, api_admin, caplog, identity):
    calls = _Calls(client)
    for method, rule in _api_rules(app):
        if "<" not in rule:
            continue
        body = _fill(API_WRITES.get((method, rule), {}), world)
        for name, value in PATH_VALUES.items():
            calls(method, _api_path(rule, world, value), name, json=body,
                  headers=api_admin if identity == "admin" else {})
    calls.check(caplog)


@pytest.mark.parametrize("identity", ["anonymous", "admin"])
def test_every_api_read_takes_hostile_query_values(app, client, world, api_admin, caplog, identity):
    """Each query parameter a read declares (and page, per_page, lang) given NUL (which PostgreSQL refuses in
    text), huge and negative numbers, markup, bytes that are not UTF-8, or twice."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    declared = {path: {p["name"] for p in item.get("get", {}).get("parameters", []) if p.get("in") == "query"}
                for path, item in spec["paths"].items()}
    calls = _Calls(client)
    for method, rule in _api_rules(app):
        if method != "GET" or (identity == "anonymous" and rule.startswith("/api/v1/")):
            continue  # an anonymous read of the management API is a 401 before any argument is read
        documented = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)
        for name in sorted(declared.get(documented, set()) | {"page", "per_page", "lang"}):
            for label, value in QUERY_VALUES.items():
                calls("GET", f"{_api_path(rule, world)}?{urlencode({name: value})}", f"{name}={label}",
                      headers=api_admin if identity == "admin" else {})
            calls("GET", f"{_api_path(rule, world)}?{urlencode([(name, '1'), (name, 'x')])}", f"{name} twice",
                  headers=api_admin if identity == "admin" else {})
    calls.check(caplog)


def test_a_ticket_with_a_lone_surrogate_is_stored_with_a_replacement_character(app, client, world, api_admin,
                                                                                 caplog):
    """A lone surrogate is valid JSON but no UTF-8: the ticket is taken, the character replaced by U+FFFD."""
    raw = (b'{"external_id": "ZD-\\ud800", "subject": "Login \\ud800 broken", "body": "It fails \\udfff here",'
           b' "requester": {"email": "ops@customer.example", "name": "An\\udc00a"}}')
    response = client.post("/api/v1/tickets", data=raw, content_type="application/json", headers=api_admin)
    assert response.status_code in (200, 201), f"{response.status_code}\n{_tracebacks(caplog)}"
    stored = client.get(f"/api/v1/tickets/{response.get_json()['id']}", headers=api_admin).get_json()
    assert stored["subject"] == "Login \ufffd broken" and stored["body"] == "It fails \ufffd here"
    assert stored["external_id"] == "ZD-\ufffd"


@pytest.mark.parametrize("field", ["name", "body"])
def test_a_lone_surrogate_in_an_incident_is_replaced_not_a_server_error(client, world, api_admin, caplog, field):
    body = {"name": "Login fails", "impact": "minor", "body": "Looking.", field: "before \ud800 after"}
    response = client.post("/api/v1/incidents", json=body, headers=api_admin)
    assert response.status_code == 201, f"{response.status_code}\n{_tracebacks(caplog)}"
    shown = response.get_json()
    text = shown["name"] if field == "name" else shown["incident_updates"][0]["body"]
    assert text == "before \ufffd after"


@pytest.mark.parametrize("where", ["api-incidents", "api-maintenances", "api-checks", "api-tickets", "console-tickets",
                                   "console-incidents", "console-audit", "console-subscribers"])
def test_a_nul_in_a_list_filter_is_refused_or_ignored_never_a_server_error(app, console, world, api_admin, caplog,
                                                                           where):
    url = {"api-incidents": "/api/v1/incidents?component=ap%00i&status=investigating",
           "api-maintenances": "/api/v1/maintenances?component=%00",
           "api-checks": "/api/v1/checks?component=a%00",
           "api-tickets": "/api/v1/tickets?plan=basic%00&status=%00",
           "console-tickets": "/admin/tickets?plan=%00&priority=%00&status=%00&component=%00&q=%00",
           "console-incidents": "/admin/incidents?status=%00&component=%00&q=%00",
           "console-audit": "/admin/audit?actor=%00&action=%00&q=%00",
           "console-subscribers": "/admin/subscribers?q=%00&channel=%00"}[where]
    response = console.get(url, headers=api_admin if where.startswith("api") else {})
    assert response.status_code in (200, 400, 422), f"{response.status_code}\n{_tracebacks(caplog)}"


@pytest.mark.parametrize("cookie", ["remember_token=\u00e9\u00e9|\u00e9", "remember_token=1:abc|\u00ff\u00fe",
                                    "remember_token=%ff%fe", "remember_token=" + "\u00e9" * 3000,
                                    "session=\u00e9\u00e9.\u00e9", "remember_token=1|2|3"])
def test_an_odd_remember_or_session_cookie_is_ignored(app, world, caplog, cookie):
    client = app.test_client(use_cookies=False)  # a client with a cookie jar would send the jar's cookies instead
    for url in ("/admin/", "/", "/admin/login", "/subscribe"):
        response = client.get(url, headers={"Cookie": cookie})
        assert response.status_code in (200, 302), f"{url}: {response.status_code}\n{_tracebacks(caplog)}"
    assert client.get("/admin/", headers={"Cookie": cookie}).status_code == 302, "not signed in by it"


ONE_LINE = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MULTILINE_NAME = "Login down\r\nBcc: evil@example.com\n\x0b\x1b[31m\u2028\x85now"


@pytest.mark.parametrize("kind", ["suppressed", "accepted"])
def test_auto_reply_subjects_handed_to_the_desk_stay_on_one_line(app, world, kind):
    """Names and ticket subjects may hold line breaks and control characters; a Subject may not."""
    with app.app_context():
        incident = make_incident(MULTILINE_NAME, components_={"database": "major_outage"})
        ticket = Ticket(id=1, language="en", subject="Help\r\nBcc: evil@example.com\x00\x7f", body="Down\r\nnow",
                        received_at=START)     # a suppressed ticket's reply signs a link with its arrival
        subject = replies.reply_for(ticket, incident if kind == "suppressed" else None)["subject"]
        db.session.remove()
    assert ONE_LINE.fullmatch(subject), repr(subject)
    assert "Bcc: evil@example.com" in subject, "the words stay, on one line"


def test_notification_subjects_stay_on_one_line(app, world):
    with app.app_context():
        incident = make_incident(MULTILINE_NAME, components_={"api": "major_outage"})
        owed = db.session.scalars(db.select(Notification).where(Notification.update_id == incident.updates[0].id))
        subjects = [messages.email_for(notification).subject for notification in owed]
        db.session.remove()
    assert subjects and all(ONE_LINE.fullmatch(subject) for subject in subjects), subjects
