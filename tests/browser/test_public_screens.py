"""Every public screen in Chromium, as a subscriber or a visitor sees it: screenshots at desktop and phone width
(en, de, fr; light and dark) in test-artifacts/, layout that fits, no console error; checkboxes on one line with
their names; a group's box that ticks its components; axe-core finds no WCAG 2.1 AA violation, on a second
page too (by /p/<slug> and by host); the opt-in refresh of `/` during an incident."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from playwright.sync_api import expect

from statuspage.notify.messages import policy
from statuspage.services import subscriptions
from statuspage.services.incidents import advance_maintenance, post_update, resolve_incident
from tests.browser.conftest import DESKTOP, PHONE
from tests.builders import (
    ELSEWHERE, SYSTEM, make_component, make_group, make_incident, make_maintenance, make_subscriber,
)

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
AXE = Path(__file__).resolve().parents[2] / ".cache" / "clients" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def site(app, clock):
    """A page as a real one looks mid-incident: three groups, an open critical incident, one resolved after
    2 h 14 min, maintenance next week and one in progress, a subscriber (with its links) and an expired link."""
    now = clock.now()
    with app.app_context():
        web, data = make_group("Web"), make_group("Data")
        make_component("api", "Public API", group=web, description="REST and GraphQL endpoints for customers.")
        make_component("dashboard", "Customer Dashboard", group=web)
        make_component("login", "Sign-in", group=web)
        make_component("database", "Primary Database", group=data)
        make_component("storage", "File storage", group=data)
        make_component("status-mail", "Email delivery")
        resolved = make_incident("Slow sign-in", components_={"login": "major_outage"}, impact="major",
                                 body="Sign-in takes **minutes**.", now=now - timedelta(days=1, hours=3))
        post_update(resolved.id, status="identified", body="A certificate expired.",
                    components={"login": "degraded_performance"}, by=SYSTEM,
                    now=now - timedelta(days=1, hours=2))
        resolve_incident(resolved.id, "A new certificate is in place.", by=SYSTEM,
                         now=now - timedelta(days=1, hours=3) + timedelta(hours=2, minutes=14))
        incident = make_incident("Dashboard sign-in fails with a very long title that must wrap on a phone",
                                 components_={"dashboard": "major_outage", "api": "partial_outage"},
                                 impact="critical", body="We are **looking** into it.",
                                 now=now - timedelta(minutes=50))
        post_update(incident.id, status="identified", body="A failed deployment; rolling back.", by=SYSTEM,
                    now=now - timedelta(minutes=20))
        upcoming = make_maintenance("Database version upgrade", components_=("database",), now=now)
        running = make_maintenance("Storage migration", components_=("storage",), starts=now - timedelta(minutes=30),
                                   now=now - timedelta(days=2))
        advance_maintenance(now=now, by=SYSTEM)
        rules = policy(current_app.config["SETTINGS"])
        subscriber = make_subscriber("ana@example.com", ["dashboard", "login"], now=now)
        pending = make_subscriber("late@example.com", confirmed=False, now=now)
        with pytest.MonkeyPatch.context() as patch:  # signed eight days ago: confirmation links last seven
            patch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp",
                          lambda _signer: int(time.time()) - 8 * 86400)
            expired = subscriptions.confirm_token(pending, rules)
        manage = subscriptions.manage_token(subscriber, rules)
        return {
            "status": "/",
            "component": "/components/dashboard",
            "incident": f"/incidents/{incident.id}",
            "resolved-incident": f"/incidents/{resolved.id}",
            "maintenance": f"/maintenance/{upcoming.id}",
            "maintenance-in-progress": f"/maintenance/{running.id}",
            "history": "/history",
            "subscribe": "/subscribe",
            "subscribe-chat": "/subscribe?via=chat",  # the tabs: chat or push (an Apprise URL) and feeds
            "subscribe-feeds": "/subscribe?via=feeds",
            "manage-subscription": f"/subscribe/manage/{manage}",
            "confirmation-expired": f"/subscribe/confirm/{expired}",
            "confirmation-tampered": f"/subscribe/confirm/{manage[:-4]}AAAA",
            "unsubscribe": f"/subscribe/unsubscribe/{manage}",
        }


def _assert_fits(page, where: str) -> None:
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{where}: the page is {wide}px wide in a {window}px window"


@pytest.mark.parametrize("language, scheme", [("en", "light"), ("en", "dark"), ("de", "dark"), ("fr", "light")])
def test_every_public_screen_fits_desktop_and_phone_without_errors_and_is_photographed(
        open_tab, site, language, scheme):
    """test-artifacts/public-<screen>-<language>-<scheme>-<width>.png: look at them."""
    tab = open_tab(f"/?lang={language}", color_scheme=scheme)
    for width, viewport in WIDTHS.items():
        tab.page.set_viewport_size(viewport)
        for screen, path in site.items():
            joiner = "&" if "?" in path else "?"
            response = tab.page.goto(f"{path}{joiner}lang={language}")  # a subscriber's pages speak its language else
            assert response.status in (200, 400, 410), f"{screen}: {response.status}"
            expect(tab.page.locator("html")).to_have_attribute("lang", language)
            expect(tab.page.get_by_role("heading", level=1)).to_be_visible()
            _assert_fits(tab.page, f"{screen} at {width}")
            tab.screenshot(f"public-{screen}-{language}-{scheme}-{width}")
    # Chromium logs the 400 and 410 of the link pages themselves as "failed to load": those are their answers.
    assert [p for p in tab.problems if "/subscribe/confirm/" not in p or "status of 4" not in p] == []


PICKER_PAGES = ("subscribe", "subscribe-chat", "manage-subscription")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("screen", PICKER_PAGES)
def test_every_checkbox_sits_left_of_its_own_name_on_one_line(open_tab, site, screen, width):
    """A box drawn on a line of its own, between two names, reads as the neighbour's: each box must share its
    line with its own label, just left of it, and no other label may come between them."""
    tab = open_tab(site[screen], viewport=WIDTHS[width])
    boxes = tab.page.evaluate("""() => Array.from(document.querySelectorAll('form input[type=checkbox]')).map(box => {
        const label = document.querySelector(`label[for="${box.id}"]`);
        const b = box.getBoundingClientRect();
        const first = label ? label.getClientRects()[0] : null;
        const others = Array.from(document.querySelectorAll('form label')).filter(l => l !== label)
          .map(l => l.getBoundingClientRect()).filter(r => r.width > 0);
        return {id: box.id, name: label && label.textContent.trim(),
                box: [b.left, b.right, b.top, b.bottom],
                label: first && [first.left, first.right, first.top, first.bottom],
                between: first ? others.filter(r => r.top < b.bottom && r.bottom > b.top
                                                && r.left >= b.right - 1 && r.right <= first.left + 1).length : 0};
    })""")
    assert len(boxes) >= 8, boxes  # three groups' boxes and six components
    for found in boxes:
        assert found["label"], f"{found['id']} has no label"
        left, right, top, bottom = found["box"]
        l_left, _l_right, l_top, l_bottom = found["label"]
        middle = (top + bottom) / 2
        assert l_top <= middle <= l_bottom, f"{found['name']!r}: its box is not on the line of its name {found}"
        assert right <= l_left <= right + 24, f"{found['name']!r}: its box is not just left of its name {found}"
        assert found["between"] == 0, f"{found['name']!r}: another label sits between box and name {found}"
    tab.screenshot(f"checkboxes-{screen}-{width}")
    assert tab.problems == []


def test_a_groups_box_ticks_all_its_components_and_follows_them(open_tab, site, app):
    tab = open_tab(site["subscribe"])
    page = tab.page
    web = page.get_by_label("Web: all components")
    expect(web).not_to_be_checked()
    web.check()
    for name in ("Public API", "Customer Dashboard", "Sign-in"):
        expect(page.get_by_label(name, exact=True)).to_be_checked()
    page.get_by_label("Sign-in", exact=True).uncheck()
    expect(web).not_to_be_checked()
    assert web.evaluate("box => box.indeterminate")
    page.get_by_label("Email address").fill("bo@example.com")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Almost done")
    with app.app_context():
        from sqlalchemy import select

        from statuspage.extensions import db
        from statuspage.models import Subscriber
        chosen = db.session.scalar(select(Subscriber).where(Subscriber.address == "bo@example.com")).components
        assert sorted(c.slug for c in chosen) == ["api", "dashboard"]
    assert tab.problems == []


def test_the_manage_page_shows_a_group_ticked_when_all_its_components_are(open_tab, site):
    tab = open_tab(site["manage-subscription"])
    expect(tab.page.get_by_label("Customer Dashboard", exact=True)).to_be_checked()
    web = tab.page.get_by_label("Web: all components")
    expect(web).not_to_be_checked()
    assert web.evaluate("box => box.indeterminate")  # two of its three
    tab.page.get_by_label("Public API", exact=True).check()
    expect(web).to_be_checked()


@pytest.fixture
def axe_tab(browser, live_server, clock):
    """A tab that lets Playwright inject axe-core into our pages (their CSP allows only the site's own scripts)."""
    if not AXE.exists():
        pytest.skip("axe-core (npm package axe-core) is fetched by 'make clients', which needs npm.")
    contexts = []

    def open_(scheme: str, viewport: dict, origin: str = live_server):
        context = browser.new_context(base_url=origin, viewport=viewport, color_scheme=scheme,
                                      bypass_csp=True, locale="en-US", timezone_id="Europe/Berlin")
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def _axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(
        f"    {node['target']}: {node['failureSummary']}" for node in v["nodes"][:5]) for v in result["violations"]]


# A subscriber's links are the default page's: a second page has the rest.
SUBSCRIBER_SCREENS = ("manage-subscription", "confirmation-expired", "confirmation-tampered", "unsubscribe")


@pytest.mark.parametrize("width, scheme", [("desktop", "light"), ("desktop", "dark"), ("phone", "light")])
def test_axe_finds_no_wcag_aa_violation_on_any_public_screen(app, axe_tab, site, scheme, width, place, place_origin):
    with app.app_context():
        place.show("api", "dashboard", "login", "database", "storage", "status-mail")
    page = axe_tab(scheme, WIDTHS[width], place_origin)
    found = {}
    for screen, path in site.items():
        if place.second and screen in SUBSCRIBER_SCREENS:
            continue
        for language in ("en", "de", "fr") if screen in ("status", "subscribe") else ("en",):
            response = page.goto(f"{place.prefix}{path}{'&' if '?' in path else '?'}lang={language}")
            if place.second:  # the second page's own screen, not the default page's
                assert response.status == 200, f"{screen}: {response.status}"
                expect(page.locator(".site-name")).to_have_text(place.name)
                assert ELSEWHERE not in page.content(), screen
            violations = _axe_violations(page)
            if violations:
                found[f"{screen} ({language})"] = violations
    assert not found, "\n".join(f"{screen}:\n  " + "\n  ".join(v) for screen, v in found.items())


def _contrast(foreground: str, background: str) -> float:
    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_buttons_have_aa_contrast_in_light_and_dark_mode(open_tab, site, scheme):
    for path, selector in (("/", "a.button"), (site["subscribe"], "button[type=submit]"),
                           (site["unsubscribe"], "button.danger")):
        tab = open_tab(path, color_scheme=scheme)
        colours = tab.page.locator(selector).first.evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        ratio = _contrast(*colours)
        assert ratio >= 4.5, f"{selector} on {path} in {scheme} mode: {colours} is {ratio:.2f}:1"


def test_auto_refresh_is_off_by_default_and_once_chosen_refreshes_every_minute_and_is_remembered(open_tab, site):
    tab = open_tab("/")
    page = tab.page
    page.clock.install()
    page.reload()
    toggle = page.get_by_label("Refresh this page every minute")
    expect(toggle).to_be_visible()
    expect(toggle).not_to_be_checked()
    loads = []
    page.on("load", lambda _page: loads.append(1))
    page.clock.run_for(3 * 60 * 1000)
    assert loads == []  # off: nothing reloads
    toggle.check()
    with page.expect_event("load"):
        page.clock.run_for(61 * 1000)
    expect(page.get_by_label("Refresh this page every minute")).to_be_checked()  # remembered in this browser
    assert [c["name"] for c in page.context.cookies()] == []  # nothing the server's cached page depends on
    assert tab.problems == []  # nothing the CSP refused


def test_auto_refresh_is_offered_only_during_an_incident(open_tab, app, clock):
    with app.app_context():
        make_component("api", "Public API")
    tab = open_tab("/")
    expect(tab.page.locator("#auto-refresh")).to_have_count(0)
    assert tab.problems == []
