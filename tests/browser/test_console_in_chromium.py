"""The console in a real browser: the side navigation (full width on a desk, a "Menu" on a phone), the support
queue's geometry at 1280 px in every language, the composer's behaviour, and a screenshot of every console
screen at desktop and phone width in en, de and fr (test-artifacts/console-*.png), each fitting its window
without a console error."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import DeliveryStatus, Notification, Check
from statuspage.monitoring import alerts, checks
from statuspage.services import accounts, incidents, message_templates
from statuspage.support import intake, queue
from tests.browser.conftest import DESKTOP, PHONE
from tests.builders import (
    SYSTEM, TEST_PASSWORD, built_once, make_component, make_group, make_incident, make_maintenance, make_subscriber,
    make_user,
)

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("en", "de", "fr")
SIGN_IN = {"en": "Sign in", "de": "Anmelden", "fr": "Se connecter"}
OVERVIEW = {"en": "Overview", "de": "Übersicht", "fr": "Vue d’ensemble"}


@pytest.fixture
def site(app, clock):
    """A console with something on every screen: groups, components, open, resolved and suspected incidents,
    maintenance, templates, tickets (due, breached, linked, undone), subscribers, a failed delivery, checks (one
    failing), users and a token. The ids the screens need (built once, restored for every later test)."""
    return built_once(app, "console in Chromium", lambda: _build_site(app, clock))


def _build_site(app, clock) -> dict:
    now = clock.now()
    with app.app_context():
        web = make_group("Web")
        make_component("api", "Public API", group=web, description="REST and GraphQL endpoints.")
        make_component("dashboard", "Customer Dashboard", group=web)
        data = make_group("Data")
        make_component("database", "Primary Database", group=data)
        make_component("search", "Search", group=data)
        make_component("status-mail", "Status e-mail")
        for address in ("ops@customer.example", "a-very-long-subscriber-address@customer-company.example"):
            make_subscriber(address, language="de")
        make_subscriber("api-watch@partner.example", ["api"])
        resolved = make_incident("Search slow", components_={"search": "degraded_performance"}, impact="minor",
                                 body="Searches take seconds.", now=now - timedelta(days=2))
        incidents.resolve_incident(resolved.id, "Fast again.", by=SYSTEM, now=now - timedelta(days=2, hours=-1))
        failed = db.session.scalars(select(Notification)).first()
        failed.status, failed.attempts, failed.last_error = DeliveryStatus.FAILED, 5, "550 5.1.1 mailbox unknown"
        db.session.commit()
        open_ = make_incident("Dashboard sign-in fails for customers in Europe",
                              components_={"dashboard": "major_outage", "api": "degraded_performance"},
                              impact="critical", body="We are **looking** into it.", now=now - timedelta(minutes=40))
        incidents.post_update(open_.id, status="identified", body="A bad deploy; rolling back.",
                              deliver_notifications=False, by=SYSTEM, now=now - timedelta(minutes=10))
        suspected = incidents.open_incident(name="Primary Database: problems reported by customers", impact="minor",
                                            body="3 customers reported problems.",
                                            components={"database": "partial_outage"}, published=False,
                                            by=SYSTEM, now=now - timedelta(minutes=5))
        maintenance = make_maintenance("Database version upgrade", components_=("database", "search"),
                                       starts=now + timedelta(days=3), now=now)
        template = message_templates.save_template(
            None, name="Outage", title="{components} unavailable", impact="major",
            body="We are investigating reports that **{components}** does not respond.", by=SYSTEM, now=now)
        message_templates.save_template(None, name="Slow responses", title="{components} slow", impact="minor",
                                        body="Some requests are slow.", by=SYSTEM, now=now)
        tickets = {}
        for n, (subject, body, plan, priority, hours) in enumerate([
                ("Rechnung für Oktober", "Könnten Sie uns die Rechnung für Oktober bitte noch einmal schicken?",
                 "advanced", 1, 3),
                ("Facture d’octobre", "Pourriez-vous nous renvoyer la facture d’octobre en PDF ?", "professional", 2, 1),
                ("Export takes forever", "Our CSV export of last year's orders never finishes.", "professional", 3, 0),
                ("Question about the API limits", "How many requests per minute may we send?", "basic", 3, 0)]):
            ticket, _new = intake.take_ticket(intake.ticket_in({
                "external_id": f"ZD-{n}", "subject": subject, "body": body, "plan": plan, "priority": priority,
                "created_at": (now - timedelta(hours=hours)).isoformat(),
                "requester": {"email": f"someone.with.a.long.name{n}@customer-company-example.example",
                              "name": "Ana Beispiel-Langername"}}), by=SYSTEM, now=now)
            tickets[n] = ticket.id
        queue.link(tickets[2], open_.id, reason="Same outage.", by=SYSTEM, now=now)
        queue.link(tickets[3], open_.id, by=SYSTEM, now=now)
        queue.not_mine(tickets[3], open_.id, now=now)
        failing = checks.create_check({"key": "api-health", "name": "API health endpoint", "component": "api",
                                       "kind": "http", "target": "https://api.example.com/health", "interval": "30s"},
                                      by=SYSTEM, now=now)
        failing.last_ok, failing.is_down, failing.consecutive_failures = False, True, 4
        failing.last_error, failing.last_run_at = "HTTP 503", now
        checks.create_check({"key": "nightly-backup", "name": "Nightly backup", "component": "database",
                             "kind": "heartbeat", "period": "1d", "grace": "1h"}, by=SYSTEM, now=now)
        db.session.commit()
        _receive_alerts(now)
        make_user("rita@example.com", "responder", now=now)
        admin = make_user("root@example.com", "admin", now=now)
        accounts.create_token(role="intake", label="Zendesk", by=SYSTEM, now=now)
        ids = {"open": open_.id, "resolved": resolved.id, "suspected": suspected.id, "maintenance": maintenance.id,
               "template": template.id, "ticket": tickets[3], "user": admin.id, "group": web.id,
               "check": db.session.scalar(select(Check.id).where(Check.key == "api-health"))}
        db.session.remove()
    return ids


def _receive_alerts(now) -> None:
    """Alerts as Alertmanager sends them: one opening an incident and resolving it, one a person's incident
    holds, one for no known component (long labels, to see them wrap)."""
    def one(fingerprint, component, *, firing=True, minutes=30, **labels):
        return alerts.AlertIn(
            fingerprint=fingerprint, starts_at=now - timedelta(minutes=minutes), ends_at=None if firing else now,
            is_firing=firing, labels={"alertname": labels.pop("name", "SearchLatencyHigh"),
                                      **({"statuspage_component": component} if component else {}), **labels},
            annotations={"summary": "p99 above 2 s"}, generator_url="http://prometheus:9090/graph")
    alerts.receive(alerts.AlertSource.ALERTMANAGER, [one("f1", "search", statuspage_status="degraded_performance",
                                                         instance="search-3.eu-central.internal:9200")],
                   publish=True, now=now - timedelta(minutes=20))
    alerts.receive(alerts.AlertSource.ALERTMANAGER, [one("f1", "search", firing=False,
                                                         statuspage_status="degraded_performance",
                                                         instance="search-3.eu-central.internal:9200")],
                   publish=True, now=now - timedelta(minutes=10))
    alerts.receive(alerts.AlertSource.GRAFANA, [one("g1", "dashboard", name="DashboardErrors", minutes=8)],
                   publish=True, now=now - timedelta(minutes=8))
    alerts.receive(alerts.AlertSource.ALERTMANAGER,
                   [one("p1", "payments-gateway-eu-west", name="PaymentsGatewayTimeouts", minutes=2,
                        job="payments-gateway-blackbox-exporter-with-a-long-name")],
                   publish=True, now=now - timedelta(minutes=2))


def sign_in(open_tab, language="en", *, email="root@example.com", viewport=DESKTOP):
    tab = open_tab(f"/admin/login?lang={language}", viewport=viewport)
    tab.page.locator("#email").fill(email)
    tab.page.locator("#password").fill(TEST_PASSWORD)
    tab.page.locator("form.stacked button[type=submit]").click()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(OVERVIEW[language])
    return tab


def unexpected(problems: list[str]) -> list[str]:
    """The console errors and exceptions a page met, less Chromium's note on a form answered with 400 (the
    console answers a form it refuses with 400 and the form again, with its problems): that one is meant."""
    return [p for p in problems if "the server responded with a status of 400" not in p]


WIDEST = """() => [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`).slice(-3)"""


def assert_fits(tab, what: str) -> None:
    # A form's answer is in the DOM before its stylesheet applies: measure the page as shown, not half-loaded.
    tab.page.wait_for_load_state("load")
    width = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (f"{what}: the page is {width[0]}px wide in a {width[1]}px window; "
                                  f"too wide: {tab.page.evaluate(WIDEST)}")


SCREENS = {
    "overview": "/admin/", "incidents": "/admin/incidents", "incidents-filtered": "/admin/incidents?status=open&q=a",
    "incident-new": "/admin/incidents/new?template={template}", "incident": "/admin/incidents/{open}",
    "incident-resolved": "/admin/incidents/{resolved}", "incident-suspected": "/admin/incidents/{suspected}",
    "maintenance": "/admin/maintenance", "maintenance-new": "/admin/maintenance/new",
    "maintenance-window": "/admin/maintenance/{maintenance}", "components": "/admin/components",
    "component-new": "/admin/components/new", "component-edit": "/admin/components/api/edit",
    "component-delete": "/admin/components/api/delete", "group-edit": "/admin/groups/{group}/edit",
    "group-delete": "/admin/groups/{group}/delete", "checks": "/admin/checks", "check": "/admin/checks/{check}",
    "check-new": "/admin/checks/new", "alerts": "/admin/alerts", "templates": "/admin/templates", "template-edit": "/admin/templates/{template}",
    "tickets": "/admin/tickets", "ticket": "/admin/tickets/{ticket}", "subscribers": "/admin/subscribers",
    "deliveries": "/admin/deliveries", "users": "/admin/users", "user-edit": "/admin/users/{user}",
    "tokens": "/admin/tokens", "audit": "/admin/audit", "account": "/admin/account",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_console_screen_fits_desktop_and_phone_without_errors(open_tab, site, language):
    """Each screen as an admin sees it, then the states only a form shows (its problems, a new token, a wrong
    password), at 1280 and 390 px: screenshots in test-artifacts/ for people to look at."""
    for width, viewport in WIDTHS.items():
        tab = sign_in(open_tab, language, viewport=viewport)
        page = tab.page
        for name, path in SCREENS.items():
            response = page.goto(path.format(**site))
            assert response.status == 200, f"{name}: {response.status}"
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_fits(tab, f"{name} ({language}, {width})")
            tab.screenshot(f"console-{name}-{language}-{width}")
        page.goto("/admin/incidents/new")
        page.locator("form.composer button[type=submit]").click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        assert_fits(tab, f"incident-new with problems ({language}, {width})")
        tab.screenshot(f"console-incident-new-problems-{language}-{width}")
        page.goto("/admin/tokens")
        page.locator("#label").fill("Deploy bot")
        page.locator("form[action$='/admin/tokens'] button[type=submit]").click()
        expect(page.locator("#new-token-value")).to_contain_text("sp_")
        assert_fits(tab, f"new token ({language}, {width})")
        tab.screenshot(f"console-token-created-{language}-{width}")
        signed_out = open_tab(f"/admin/login?lang={language}&next=/admin/tickets", viewport=viewport)
        expect(signed_out.page.locator("#email")).to_be_focused()
        signed_out.screenshot(f"console-sign-in-{language}-{width}")
        signed_out.page.locator("#email").fill("root@example.com")
        signed_out.page.locator("#password").fill("not the password")
        signed_out.page.locator("form.stacked button[type=submit]").click()
        expect(signed_out.page.locator("[data-error-summary]")).to_be_focused()
        assert "next=/admin/tickets" in signed_out.page.url
        assert_fits(signed_out, f"sign-in, wrong password ({language}, {width})")
        signed_out.screenshot(f"console-sign-in-wrong-password-{language}-{width}")
        assert unexpected(tab.problems + signed_out.problems) == []


def test_the_side_navigation_holds_every_section_beside_a_full_width_page(open_tab, site):
    tab = sign_in(open_tab)
    page = tab.page
    nav = page.get_by_role("navigation", name="Console")
    for name in ("Overview", "Incidents", "Maintenance", "Components", "Checks", "Received alerts", "Templates",
                 "Support queue",
                 "Subscribers", "Delivery log", "Users", "API tokens", "Audit log", "Account", "Public status page"):
        expect(nav.get_by_role("link", name=re.compile(f"^{name}"))).to_be_visible()
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    nav.get_by_role("link", name="Delivery log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery log")
    expect(nav.get_by_role("link", name="Delivery log")).to_have_attribute("aria-current", "page")
    side, main = (page.locator(selector).bounding_box() for selector in (".console-side", "main"))
    assert side["x"] < 1 and main["x"] >= side["x"] + side["width"] - 1, "the navigation is not beside the page"
    assert main["width"] > 900, f"the page is {main['width']}px wide at 1280 px: not full width"
    assert tab.problems == []


def test_on_a_phone_the_side_navigation_folds_into_a_menu(open_tab, site):
    tab = sign_in(open_tab, viewport=PHONE)
    page = tab.page
    menu = page.locator("summary", has_text="Menu")
    deliveries = page.locator(".console-nav").get_by_role("link", name="Delivery log", exact=True)
    expect(menu).to_be_visible()
    expect(deliveries).to_be_hidden()
    box = page.locator(".console-side").bounding_box()
    assert box["height"] < 80, f"the folded navigation takes {box['height']}px"
    menu.click()
    expect(deliveries).to_be_visible()
    assert_fits(tab, "the open menu")
    tab.screenshot("console-menu-open-en-phone")
    deliveries.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery log")
    expect(deliveries).to_be_hidden()  # folded again on the next page
    assert tab.problems == []


QUEUE = {"en": "Support queue", "de": "Support-Warteschlange", "fr": "File d’attente du support"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_support_queue_shows_every_column_and_never_clips_the_status_at_1280(open_tab, site, language):
    tab = sign_in(open_tab, language)
    tab.page.goto("/admin/tickets")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(QUEUE[language])
    geometry = tab.page.evaluate("""() => {
        const wrap = document.querySelector('.table-wrap'), table = wrap.querySelector('table');
        const right = wrap.getBoundingClientRect().right;
        const last = [...table.querySelectorAll('tr')].map(row => row.lastElementChild);
        return {wrap: [wrap.scrollWidth, wrap.clientWidth], right,
                cells: last.map(cell => ({text: cell.innerText, right: cell.getBoundingClientRect().right,
                                          scroll: cell.scrollWidth, client: cell.clientWidth,
                                          inner: Math.max(0, ...[...cell.querySelectorAll('*')].map(
                                              e => e.getBoundingClientRect().right))}))};
    }""")
    assert geometry["wrap"][0] <= geometry["wrap"][1], f"the queue scrolls sideways: {geometry['wrap']}"
    assert len(geometry["cells"]) == 5  # the head and four tickets
    for cell in geometry["cells"]:
        assert cell["right"] <= geometry["right"] + 0.5, f"status cell {cell['text']!r} sticks out of the table"
        assert cell["scroll"] <= cell["client"], f"status cell {cell['text']!r} is clipped"
        assert cell["inner"] <= cell["right"] + 0.5, f"status cell {cell['text']!r} has text outside it"
    assert tab.problems == []


def test_the_composer_summarises_problems_notifies_by_choice_and_sets_groups(open_tab, site):
    tab = sign_in(open_tab, email="rita@example.com")
    page = tab.page
    page.goto("/admin/incidents/new")
    templates = page.get_by_role("navigation", name="Start from a template")
    expect(templates.get_by_role("listitem")).to_have_count(2)
    templates.get_by_role("link", name="Outage").click()
    expect(page.get_by_label("Title")).to_have_value("{components} unavailable")
    expect(page.get_by_role("radio", name="Major impact")).to_be_checked()
    expect(page.get_by_role("heading", name="Preview, as the status page will show it")).to_be_visible()
    expect(page.locator("[data-preview-for] strong")).to_have_text("{components}")

    web = page.locator("[data-picker-group]", has=page.get_by_text("Web", exact=True))
    web.get_by_role("button", name="Major outage").click()
    for name in ("Public API", "Customer Dashboard"):
        expect(page.get_by_role("group", name=name).get_by_role("radio", name="Major outage")).to_be_checked()
    expect(page.get_by_role("group", name="Search").get_by_role("radio", name="Not affected")).to_be_checked()
    page.get_by_role("group", name="Public API").get_by_role("radio", name="Degraded").check()

    notify = page.get_by_role("checkbox", name="Notify subscribers")
    expect(notify).to_be_checked()
    hint = page.get_by_text("Subscribers are not told that this incident opened")
    expect(hint).to_be_hidden()
    notify.uncheck()
    expect(hint).to_be_visible()
    page.get_by_label("Title").fill("")
    page.get_by_role("button", name="Open incident").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Title: This field is required.")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Title")).to_be_focused()
    expect(page.get_by_role("group", name="Public API").get_by_role("radio", name="Degraded")).to_be_checked()
    expect(notify).not_to_be_checked()  # what was chosen survives the round trip
    page.get_by_label("Title").fill("Web unavailable")
    page.get_by_role("button", name="Open incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Web unavailable")
    expect(page.locator(".updates .pill")).to_have_text("subscribers not notified")

    statuses = page.get_by_role("group", name="Status", exact=True).get_by_role("radio")
    expect(statuses).to_have_count(4)
    picker = page.locator(".component-picker")
    expect(picker).to_be_visible()
    page.get_by_role("radio", name="Resolved").check()
    expect(picker).to_be_hidden()
    expect(page.get_by_text("Resolving gives its components their status back")).to_be_visible()
    page.get_by_label("Message (Markdown)").fill("Fixed.")
    page.get_by_role("button", name="Post update").click()
    expect(page.get_by_role("group", name="Status", exact=True).get_by_role("radio")).to_have_count(2)  # resolved, postmortem
    expect(page.get_by_role("radio", name="Investigating")).to_have_count(0)
    tab.screenshot("console-incident-just-resolved-en-desktop")
    assert unexpected(tab.problems) == []


def test_maintenance_picks_components_by_group_and_suspected_incidents_offer_dismiss(open_tab, site):
    tab = sign_in(open_tab)
    page = tab.page
    page.goto("/admin/maintenance/new")
    expect(page.locator("select[multiple]")).to_have_count(0)
    data = page.get_by_role("checkbox", name="Data", exact=True)
    data.check()
    for name in ("Primary Database", "Search"):
        expect(page.get_by_role("checkbox", name=name)).to_be_checked()
    page.get_by_role("checkbox", name="Search").uncheck()
    assert data.evaluate("box => box.indeterminate"), "the group's box does not show that some are chosen"
    expect(page.get_by_role("radio", name="1 hour before")).to_be_checked()

    page.goto("/admin/incidents")
    row = page.locator("tr", has_text="problems reported by customers")
    expect(row.get_by_role("button", name="Publish")).to_be_visible()
    row.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Dismissed: this suspected incident was never public.")).to_be_visible()
    expect(page.get_by_role("link", name="Public page")).to_have_count(0)
    assert tab.problems == []


def test_the_slug_follows_the_name_and_a_new_token_copies(open_tab, site):
    tab = sign_in(open_tab)
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = tab.page
    page.goto("/admin/components/new")
    page.get_by_label("Name", exact=True).press_sequentially("Zahlungsübersicht (EU)")
    expect(page.get_by_label("Slug")).to_have_value("zahlungsuebersicht-eu")
    page.get_by_label("Slug").fill("payments")
    page.get_by_label("Name", exact=True).press_sequentially(" 2")
    expect(page.get_by_label("Slug")).to_have_value("payments")  # edited by hand: left alone

    page.goto("/admin/tokens")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token-value").inner_text().strip()
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert tab.problems == []


SSO_BUTTON = "Sign in with Example ID"
CODE_HEADING = {"en": "Enter your one-time code", "de": "Einmalcode eingeben", "fr": "Saisissez votre code à usage unique"}
CODE_WRONG = {"en": "The code is not right.", "de": "Der Code stimmt nicht.", "fr": "Le code n’est pas correct."}


@pytest.fixture
def identity_provider(app, live_server, clock, monkeypatch):
    """A real OpenID provider on loopback (tests/oidc_provider.py) and the app pointed at it, its callback on the
    live server."""
    import dataclasses

    from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider

    provider = OIDCProvider(live_server + "/admin/sso/callback", clock.now).start()
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(
        app.config["SETTINGS"], base_url=live_server, oidc_discovery_url=provider.discovery_url,
        oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET, oidc_button_label=SSO_BUTTON,
        oidc_role_mapping=(("statuspage-responders", "responder"),), oidc_create_users=True))
    yield provider
    provider.stop()


@pytest.mark.parametrize("language", LANGUAGES)
def test_single_sign_on_and_one_time_codes_in_chromium(open_tab, app, clock, identity_provider, language):
    """The sign-in page with its single sign-on button, the whole sign-on through the provider and back, the
    refusal page, and a one-time-password app set up, asked for and answered: each screen at 1280 and 390 px."""
    import pyotp

    for width, viewport in WIDTHS.items():
        identity_provider.user = {"sub": f"sso-{width}-{language}", "email": f"sso-{width}-{language}@example.com",
                                  "email_verified": True, "groups": ["statuspage-responders"]}
        tab = open_tab(f"/admin/login?lang={language}", viewport=viewport)
        expect(tab.page.get_by_role("link", name=SSO_BUTTON)).to_be_visible()
        assert_fits(tab, f"sign-in with single sign-on ({language}, {width})")
        tab.screenshot(f"console-sign-in-sso-{language}-{width}")
        tab.page.get_by_role("link", name=SSO_BUTTON).click()  # to the provider and back, over real HTTP
        expect(tab.page.get_by_role("heading", level=1)).to_have_text(OVERVIEW[language])

        identity_provider.user = {**identity_provider.user, "groups": ["everyone"]}
        refused = open_tab(f"/admin/login?lang={language}", viewport=viewport)
        refused.page.get_by_role("link", name=SSO_BUTTON).click()
        expect(refused.page.locator(".error-summary")).to_be_visible()
        assert_fits(refused, f"single sign-on refused ({language}, {width})")
        refused.screenshot(f"console-sso-refused-{language}-{width}")

        email = f"totp-{width}-{language}@example.com"
        with app.app_context():
            make_user(email, "admin")
        tab = sign_in(open_tab, language, email=email, viewport=viewport)
        page = tab.page
        page.goto("/admin/account/two-factor")
        expect(page.locator(".qr-code svg")).to_be_visible()
        assert_fits(tab, f"two-factor enrolment ({language}, {width})")
        tab.screenshot(f"console-totp-enrol-{language}-{width}")
        secret = page.locator("#totp-secret").inner_text()
        page.locator("#code").fill(pyotp.TOTP(secret).at(clock.now()))
        page.locator("form.stacked button[type=submit]").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        assert_fits(tab, f"recovery codes ({language}, {width})")
        tab.screenshot(f"console-totp-recovery-codes-{language}-{width}")

        clock.advance(seconds=30)
        second = open_tab(f"/admin/login?lang={language}", viewport=viewport)
        second.page.locator("#email").fill(email)
        second.page.locator("#password").fill(TEST_PASSWORD)
        second.page.locator("form.stacked button[type=submit]").click()
        expect(second.page.get_by_role("heading", level=1)).to_have_text(CODE_HEADING[language])
        expect(second.page.locator("#code")).to_be_focused()
        assert_fits(second, f"one-time code ({language}, {width})")
        second.screenshot(f"console-totp-code-{language}-{width}")
        second.page.locator("#code").fill("000000")
        second.page.locator("form.stacked button[type=submit]").click()
        expect(second.page.locator(".field-error")).to_have_text(CODE_WRONG[language])
        assert_fits(second, f"one-time code, wrong ({language}, {width})")
        second.screenshot(f"console-totp-code-wrong-{language}-{width}")
        second.page.locator("#code").fill(pyotp.TOTP(secret).at(clock.now()))
        second.page.locator("form.stacked button[type=submit]").click()
        expect(second.page.get_by_role("heading", level=1)).to_have_text(OVERVIEW[language])
        assert unexpected(tab.problems + second.problems) == []
        # The refusal is answered with 403 (meant: nobody is signed in); nothing else may go wrong there.
        assert [p for p in refused.problems if "the server responded with a status of 403" not in p] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_received_alerts_fit_desktop_and_phone(open_tab, site, language):
    """The received alerts, and the incident an alert opened linking to them: screenshots to look at."""
    for width, viewport in WIDTHS.items():
        tab = sign_in(open_tab, language, viewport=viewport)
        page = tab.page
        page.goto("/admin/alerts")
        expect(page.locator("tbody tr")).to_have_count(3)
        page.locator("details.alert-labels summary").first.click()
        assert_fits(tab, f"received alerts ({language}, {width})")
        tab.screenshot(f"console-alerts-{language}-{width}")
        page.locator("td.alert-result a").last.click()
        expect(page.locator("p.alerts-attached a")).to_be_visible()
        assert_fits(tab, f"incident opened by an alert ({language}, {width})")
        tab.screenshot(f"console-alerts-incident-{language}-{width}")
        assert unexpected(tab.problems) == []
