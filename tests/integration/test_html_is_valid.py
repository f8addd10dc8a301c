"""Every public and console page is well-formed HTML: html5lib parses it strictly, and the W3C Nu validator
finds no errors: the current release, vnu.jar from the npm package vnu-jar that `make clients` fetches
(Makefile VNU_JAR), run with the system Java. The public pages of a second page are checked too, read by
its host and by its /p/<slug> prefix.

The pages are rendered once for the module, so the validator starts once (Java takes a few seconds).
"""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import html5lib
from flask import current_app
import pytest
from html5lib.constants import E
from html5lib.html5parser import ParseError
from werkzeug.security import generate_password_hash

from statuspage.database import transaction
from statuspage.extensions import db
from statuspage.models import Role, User
from statuspage.notify.messages import policy
from statuspage.monitoring import alerts, results
from statuspage.monitoring.probes import ProbeResult
from statuspage.monitoring import checks
from statuspage.services import accounts, incidents, message_templates, page_admin, page_members, subscriptions
from statuspage.support import customer_link, intake, queue
from statuspage.services.incidents import advance_maintenance, post_update, resolve_incident
from tests.builders import (
    FAST_PASSWORD_HASH, START, SYSTEM, TEST_PASSWORD, csrf_token, make_component, make_group, make_incident, make_maintenance,
    make_subscriber, sign_in,
)

VNU_JAR = Path(__file__).resolve().parents[2] / ".cache" / "clients" / "vnu-jar" / "build" / "dist" / "vnu.jar"

PUBLIC = {
    "status page": "/",
    "status page in German": "/?lang=de",
    "incident": "/incidents/{incident}",
    "resolved incident": "/incidents/{resolved}",
    "maintenance": "/maintenance/{maintenance}",
    "history": "/history",
    "maintenance in progress": "/maintenance/{maintenance_now}",
    "component": "/components/api",
    "subscribe page": "/subscribe",
    "subscription (manage) page": "/subscribe/manage/{manage}",
    "subscription page of a ticket's follower in French": "/subscribe/manage/{follower}?lang=fr",
    "unsubscribe page": "/subscribe/unsubscribe/{manage}",
    "expired confirmation link": "/subscribe/confirm/{expired}",
    "tampered confirmation link in German": "/subscribe/confirm/{manage}x?lang=de",
    "404 page": "/incidents/424242",
    "404 page in French": "/components/nope?lang=fr",
    "sign-in page": "/admin/login",
    "customer's not-mine link": "/tickets/not-mine/{not_mine}?lang=de",
}
CONSOLE = {
    "console overview": "/admin/",
    "console incidents list": "/admin/incidents",
    "console incidents list, filtered": "/admin/incidents?status=open&impact=critical&component=api&since=2026-11-01&q=API",
    "console suspected incident": "/admin/incidents/{suspected}",
    "console new incident": "/admin/incidents/new",
    "console incident detail": "/admin/incidents/{incident}",
    "console resolved incident detail": "/admin/incidents/{resolved}",
    "console maintenance list": "/admin/maintenance",
    "console maintenance detail": "/admin/maintenance/{maintenance}",
    "console new maintenance": "/admin/maintenance/new",
    "console components": "/admin/components",
    "console component edit": "/admin/components/api/edit",
    "console component deletion": "/admin/components/api/delete",
    "console group deletion": "/admin/groups/{group}/delete",
    "console new group": "/admin/groups/new",
    "console users": "/admin/users",
    "console user edit": "/admin/users/{user}",
    "console tokens": "/admin/tokens",
    "console templates": "/admin/templates",
    "console new template": "/admin/templates/new",
    "console audit log": "/admin/audit",
    "console subscribers": "/admin/subscribers",
    "console delivery log": "/admin/deliveries",
    "console failed deliveries": "/admin/deliveries?status=failed",
    "console account": "/admin/account",
    "console one-time-password enrolment": "/admin/account/two-factor",
    "console checks": "/admin/checks",
    "console received alerts": "/admin/alerts",
    "console alerts of an incident": "/admin/alerts?incident={incident}",
    "console check detail": "/admin/checks/{check}",
    "console heartbeat detail": "/admin/checks/{heartbeat}",
    "console new check": "/admin/checks/new",
    "console check edit": "/admin/checks/{check}/edit",
    "console support queue": "/admin/tickets",
    "console suppressed ticket": "/admin/tickets/{suppressed_ticket}",
    "console accepted ticket": "/admin/tickets/{accepted_ticket}",
    "console ticket its customer undid": "/admin/tickets/{undone_ticket}",
    "console pages": "/admin/pages",
    "console new page": "/admin/pages/new",
    "console page edit": "/admin/pages/{page}/edit",
    "console default page edit": "/admin/pages/default/edit",
    "console page deletion, subscribers to move": "/admin/pages/{page}/delete",
    "console default page deletion refused": "/admin/pages/default/delete",
    "console private page edit": "/admin/pages/vault/edit",
    "console page password": "/admin/pages/vault/password",
    "console page password removal": "/admin/pages/vault/password/clear",
    "console page members": "/admin/pages/vault/members",
    "console page member": "/admin/pages/vault/members/{member}",
    "console page member revoked": "/admin/pages/vault/members/{revoked_member}",
    "console page member revocation": "/admin/pages/vault/members/{member}/revoke",
}
REFUSED = {  # forms sent back with their errors (400)
    "sign-in after a wrong password": ("/admin/login", {"email": "ana@example.com", "password": "wrong password"}),
    "new incident with errors": ("/admin/incidents/new", {"name": "", "body": "", "impact": "minor",
                                                          "status": "investigating"}),
    "maintenance in the past": ("/admin/maintenance/new", {"name": "Old", "scheduled_for": "2026-11-01T08:00",
                                                           "scheduled_until": "2026-11-01T09:00", "body": "x",
                                                           "remind_minutes_before": "60"}),
    "new user with errors": ("/admin/users", {"email": "not an address", "role": "viewer", "password": "short"}),
    "account with errors": ("/admin/account", {"current_password": TEST_PASSWORD, "new_password": "x",
                                               "confirm": "y"}),
    "one-time-password enrolment with a wrong code": ("/admin/account/two-factor", {"code": "000000"}),
    "new page with errors": ("/admin/pages/new", {"name": "Shop", "slug": "Not a slug", "time_zone": "Mars/Base",
                                                  "visibility": "public", "components": ["nope"]}),
    "page member invitation with errors": ("/admin/pages/vault/members", {"email": "not an address",
                                                                          "components": ["nope"]}),
    "page password with errors": ("/admin/pages/vault/password", {"password": "short", "confirm": "other"}),
}
# A second page's own screens, read by its host (`shop`: the API and the dashboard) and by its /p/<slug>
# prefix (`lab`: the API and the database).
SECOND_HOST = "status.shop.example"
SECOND = {
    "status page": "/",
    "incident": "/incidents/{incident}",
    "maintenance in progress": "/maintenance/{maintenance_now}",
    "history": "/history",
    "component": "/components/api",
    "subscribe page": "/subscribe",
    "404 page": "/incidents/424242",
}
BY_HOST = {f"{name} of a page by its host": url for name, url in SECOND.items()}
BY_PATH = {f"{name} of a page by /p/<slug>": "/p/lab" + url for name, url in SECOND.items()}
PAGES = [*PUBLIC, *CONSOLE, *REFUSED, *BY_HOST, *BY_PATH]


def _quick_user(email: str, role: Role) -> User:
    """A user whose hash takes one PBKDF2 round: the real sign-in form, without a slow hash."""
    user = User(email=email, name="", role=role, session_token=secrets.token_hex(16), created_at=START,
                password_hash=generate_password_hash(TEST_PASSWORD, FAST_PASSWORD_HASH))
    db.session.add(user)
    db.session.flush()
    return user


def _build_site(now) -> dict:
    """Something on every page: groups, statuses, open and resolved incidents, maintenance, users, a token."""
    with transaction():
        group = make_group("Web", now=now)
        make_component("api", "API", group=group, description="The public API.", now=now)
        make_component("dashboard", "Dashboard", group=group, now=now)
        make_component("database", "Database", now=now)
        resolved = make_incident("Slow logins", components_={"dashboard": "degraded_performance"}, impact="minor",
                                 body="Logins are **slow**.", now=now - timedelta(days=2))
        resolve_incident(resolved.id, "Fixed, see [the report](https://example.com/report).", by=SYSTEM,
                         now=now - timedelta(days=1))
        # Times with microseconds, as the wall clock gives them: <time datetime> may carry at most three digits.
        incident = make_incident("API errors", components_={"api": "major_outage"}, impact="critical",
                                 body="- one\n- two\n\n> quoted\n\n`code`",
                                 now=now - timedelta(minutes=10, microseconds=654321))
        post_update(incident.id, status="identified", body="# Cause\n\n1. found\n2. fixing", by=SYSTEM, now=now)
        maintenance = make_maintenance(components_=("database",), now=now)
        maintenance_now = make_maintenance("Network work", components_=("api",), starts=now - timedelta(minutes=5),
                                           now=now - timedelta(days=1))
        advance_maintenance(now=now, by=SYSTEM)
        rules = policy(current_app.config["SETTINGS"])
        subscriber = make_subscriber("sam@example.com", ["api"], now=now)
        follower = subscriptions.follow_incident("tia@customer.example", incident, language="fr", policy=rules,
                                                 now=now)
        stale = make_subscriber("uma@example.com", confirmed=False, now=now)
        suspected = incidents.open_incident(name="Dashboard: problems reported by customers", body="3 tickets.",
                                            components={"dashboard": "partial_outage"}, published=False,
                                            by=SYSTEM, now=now)
        message_templates.save_template(None, name="DB slow", title="Database slow", impact="minor", body="Slow.",
                                        by=SYSTEM, now=now)
        _quick_user("ana@example.com", Role.ADMIN)
        user = _quick_user("bo@example.com", Role.VIEWER)
        accounts.create_token(role="viewer", label="deploy bot", by=SYSTEM, now=now)
        check = checks.create_check({"key": "api-home", "name": "API home", "component": "api", "kind": "http",
                                     "target": "https://example.com/"}, by=SYSTEM, now=now)
        heartbeat = checks.create_check({"key": "nightly", "name": "Nightly", "component": "database",
                                         "kind": "heartbeat", "period": "1d"}, by=SYSTEM, now=now)
    shop = page_admin.create_page(name="Shop status", slug="shop", host="status.shop.example", languages=["de", "en"],
                                  accent_color="#0b5fff", components=["api", "dashboard"],
                                  settings=current_app.config["SETTINGS"], by=SYSTEM, now=now)
    page_admin.create_page(name="Lab status", slug="lab", host=None, languages=["en", "fr"], accent_color="#116611",
                           components=["api", "database"], settings=current_app.config["SETTINGS"], by=SYSTEM,
                           now=now)
    page_admin.create_page(name="Vault", slug="vault", visibility="private", components=["api", "database"],
                           settings=current_app.config["SETTINGS"], by=SYSTEM, now=now)
    page_members.set_password("vault", "correct horse battery", by=SYSTEM, now=now)
    member = page_members.invite_member("vault", "kim@customer.example", name="Kim", components=["api"], by=SYSTEM,
                                        now=now)
    page_members.issue_token("vault", member.id, by=SYSTEM, now=now)
    revoked_member = page_members.invite_member("vault", "lee@customer.example", by=SYSTEM, now=now)
    page_members.revoke_member("vault", revoked_member.id, by=SYSTEM, now=now)
    shop_subscriber = make_subscriber("vic@example.com", now=now)
    with transaction():
        db.session.get(type(shop_subscriber), shop_subscriber.id).page_id = shop.id
    received = [alerts.AlertIn(fingerprint=f"f{n}", starts_at=now - timedelta(minutes=5), ends_at=None,
                               is_firing=True, labels={"alertname": "ApiErrors", "statuspage_component": slug},
                               annotations={}) for n, slug in enumerate(("api", "payments"))]
    alerts.receive(alerts.AlertSource.ALERTMANAGER, received, publish=True, now=now)  # held by a person; no such
    for hours_ago in range(0, 24 * 9, 5):  # bars and both charts get data, with some failures
        at = now - timedelta(hours=hours_ago)
        ok = hours_ago % 35 != 0
        results.record([results.Outcome(check.id, at, ProbeResult(ok, 40 + hours_ago % 90 if ok else None,
                                                                   error=None if ok else "timed out after 5 s",
                                                                   started_at=at))], now=at, tz=ZoneInfo("Europe/Berlin"))
    suppressed, _new = intake.take_ticket(intake.ticket_in({
        "subject": "API down?", "body": "The API answers 500 errors for every call.", "component": "api",
        "requester": {"email": "cy@customer.example", "name": "Cy"}}), by=SYSTEM, now=now)
    accepted, _new = intake.take_ticket(intake.ticket_in({
        "subject": "Invoice", "body": "Please send the invoice again.", "plan": "professional", "priority": 2,
        "requester": {"email": "dee@customer.example"}}), by=SYSTEM, now=now - timedelta(days=1))
    undone, _new = intake.take_ticket(intake.ticket_in({
        "subject": "API errors", "body": "Every call to the API answers 500 errors.", "component": "api",
        "requester": {"email": "eve@customer.example"}}), by=SYSTEM, now=now)
    assert queue.not_mine(undone.id, incident.id, now=now)[1]
    with pytest.MonkeyPatch.context() as patch:  # a confirmation link signed longer ago than links last
        patch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp", lambda _signer: int(time.time()) - 30 * 86400)
        expired = subscriptions.confirm_token(stale, rules)
    return {"incident": incident.id, "resolved": resolved.id, "maintenance": maintenance.id,
            "maintenance_now": maintenance_now.id, "suspected": suspected.id, "group": group.id, "manage": subscriptions.manage_token(subscriber, rules),
            "follower": subscriptions.manage_token(follower, rules), "expired": expired, "user": user.id,
            "check": check.id, "heartbeat": heartbeat.id, "suppressed_ticket": suppressed.id,
            "accepted_ticket": accepted.id, "undone_ticket": undone.id, "page": shop.slug,
            "member": member.id, "revoked_member": revoked_member.id,
            "not_mine": customer_link.token_for(suppressed.id, incident.id, now=now,
                                               secret_key=current_app.config["SETTINGS"].secret_key)}


def _get(client, url: str, headers=None) -> str:
    response = client.get(url, headers=headers or {})
    assert response.status_code in (200, 400, 404, 410), f"{url} answered {response.status_code}"
    assert response.mimetype == "text/html", url
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def pages(app) -> dict[str, str]:
    """Every page's HTML, rendered at a fixed time (the root conftest empties the tables after the first test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("statuspage.clock.now", lambda: START)
        with app.app_context():
            site = _build_site(START)
            db.session.remove()
        visitor, admin = app.test_client(), app.test_client()
        rendered = {name: _get(visitor, url.format(**site)) for name, url in PUBLIC.items()}
        shop = app.test_client()
        rendered.update({name: _get(shop, url.format(**site), headers={"Host": SECOND_HOST})
                         for name, url in BY_HOST.items()})
        rendered.update({name: _get(visitor, url.format(**site)) for name, url in BY_PATH.items()})
        sign_in(admin)
        rendered.update({name: _get(admin, url.format(**site)) for name, url in CONSOLE.items()})
        tokens = {visitor: csrf_token(visitor.get("/admin/login")), admin: csrf_token(admin.get("/admin/"))}
        for name, (url, data) in REFUSED.items():
            client = visitor if url == "/admin/login" else admin
            response = client.post(url, data={**data, "csrf_token": tokens[client]})
            assert response.status_code == 400, f"{name}: {response.status_code}"
            rendered[name] = response.get_data(as_text=True)
    return rendered


def _parse_errors(html: str) -> str:
    """Each of html5lib's complaints with its line, column and the line it is on."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(html)
    lines = html.splitlines()
    return "\n".join(f"line {line}, column {col}: {E.get(code, code) % data}\n    {lines[line - 1].strip()[:200]}"
                     for (line, col), code, data in parser.errors)


@pytest.mark.parametrize("name", PAGES)
def test_page_parses_without_html5lib_errors(pages, name):
    html = pages[name]
    try:
        html5lib.HTMLParser(strict=True).parse(html)
    except ParseError as error:
        pytest.fail(f"html5lib: {error}\n{_parse_errors(html)}", pytrace=False)


@pytest.mark.parametrize("name", PAGES)
def test_page_title_is_a_short_line_of_text(pages, name):
    """<title> takes text only: markup put into a page_title block is valid HTML but shows as a tab's name."""
    title = html5lib.parse(pages[name], namespaceHTMLElements=False).find(".//title")
    text = (title.text or "") if title is not None else ""
    assert text.strip() and "<" not in text and "\n" not in text.strip() and len(text) < 150, repr(text[:200])


@pytest.mark.parametrize("screens, name, prefix, not_there", [
    (BY_HOST, "Shop status", "", "Database upgrade"),  # the maintenance of the database, which shop does not show
    (BY_PATH, "Lab status", "/p/lab", "Slow logins"),  # the incident of the dashboard, which lab does not show
])
def test_a_second_page_s_screens_are_its_own(pages, screens, name, prefix, not_there):
    """What the validator reads of a second page is that page: its name, its links inside it, its incidents."""
    for screen in screens:
        html = pages[screen]
        assert name in html and not_there not in html, screen
        assert f'href="{prefix}/history"' in html, screen
    status = pages[next(iter(screens))]
    assert "API errors" in status and "Network work" in status


# ---- the W3C Nu validator ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nu_errors(pages, tmp_path_factory) -> dict[str, list[str]]:
    """The Nu validator's errors for each page, from one run over all of them."""
    if shutil.which("java") is None:
        pytest.skip("The Nu validator needs Java: install a JRE (Debian: apt-get install default-jre-headless).")
    if not VNU_JAR.exists():
        pytest.skip("The Nu validator (npm package vnu-jar) is fetched by 'make clients', which needs npm.")
    jar = VNU_JAR
    folder = tmp_path_factory.mktemp("pages")
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        (folder / f"page-{number}.html").write_text(html, encoding="utf-8")
        files[f"page-{number}.html"] = name
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "json", *files],
                            cwd=folder, capture_output=True, text=True, timeout=120)
    report = json.loads(result.stderr or result.stdout)  # the validator writes its JSON to standard error
    errors: dict[str, list[str]] = {name: [] for name in pages}
    for message in report["messages"]:
        if message.get("type") in ("error", "non-document-error"):
            name = files.get(message.get("url", "").rsplit("/", 1)[-1])
            extract = " ".join(message.get("extract", "").split())
            errors.setdefault(name, []).append(f"line {message.get('lastLine')}: {message.get('message')}\n"
                                               f"    {extract}")
    return errors


@pytest.mark.parametrize("name", PAGES)
def test_page_passes_the_w3c_nu_validator(nu_errors, name):
    assert not nu_errors[name], "\n".join(nu_errors[name])


def test_nu_validator_reports_nothing_about_pages_it_was_not_given(nu_errors):
    assert None not in nu_errors, "\n".join(nu_errors[None])
