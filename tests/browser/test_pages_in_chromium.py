"""The status page and the console in a real browser: layout at desktop and phone width, dark mode,
the language switch, the Markdown preview, and an incident from opening to resolved."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.builders import TEST_PASSWORD, make_component, make_group, make_incident, make_user

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def outage(app, clock):
    """Two groups of components and a critical incident on one of them; the incident's id."""
    with app.app_context():
        web = make_group("Web")
        make_component("api", "Public API", group=web, description="REST and GraphQL endpoints for customers.")
        make_component("dashboard", "Customer Dashboard", group=web)
        make_component("database", "Primary Database", group=make_group("Data"))
        incident = make_incident("Dashboard sign-in fails with a very long title that must wrap on a phone",
                                 components_={"dashboard": "major_outage"}, impact="critical",
                                 body="We are **looking** into it: "
                                      "[status](https://example.com/a/really/long/link/that/should/not/overflow)",
                                 now=clock.now())
        return incident.id


def _assert_fits(tab) -> None:
    overflow = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"the page is {overflow[0]}px wide in a {overflow[1]}px window"


@pytest.mark.parametrize("width", WIDTHS)
def test_status_page_shows_banner_and_components_without_errors(open_tab, outage, width):
    tab = open_tab("/", viewport=WIDTHS[width])
    expect(tab.page.get_by_role("heading", name=re.compile("Major service outage"))).to_be_visible()
    for name in ("Public API", "Customer Dashboard", "Primary Database"):
        expect(tab.page.get_by_role("link", name=name, exact=True)).to_be_visible()
    _assert_fits(tab)
    tab.screenshot(f"status-page-{width}")
    assert tab.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_incident_page_shows_its_update_and_components_without_errors(open_tab, outage, width):
    tab = open_tab(f"/incidents/{outage}", viewport=WIDTHS[width])
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("Dashboard sign-in fails")
    expect(tab.page.locator(".update-body strong")).to_have_text("looking")
    expect(tab.page.get_by_role("link", name="Customer Dashboard")).to_be_visible()
    _assert_fits(tab)
    tab.screenshot(f"incident-page-{width}")
    assert tab.problems == []


def _luminance(css_color: str) -> float:
    red, green, blue = map(int, re.findall(r"\d+", css_color)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_dark_mode_gives_the_page_a_dark_background_and_light_text(open_tab, outage):
    tab = open_tab("/", color_scheme="dark")
    background, text = tab.page.evaluate(
        "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]")
    assert _luminance(background) < 60, f"body background is {background}"
    assert _luminance(text) > 180, f"body text is {text}"
    tab.screenshot("status-page-dark")
    assert tab.problems == []


def test_choosing_deutsch_speaks_german_and_stays_german_on_the_next_page(open_tab, outage):
    tab = open_tab("/")
    tab.page.get_by_role("link", name="Deutsch").click()
    expect(tab.page.locator("html")).to_have_attribute("lang", "de")
    expect(tab.page.get_by_role("heading", name=re.compile("Schwerer Dienstausfall"))).to_be_visible()
    assert {c["name"]: c["value"] for c in tab.page.context.cookies()}.get("lang") == "de"
    tab.page.get_by_role("link", name="Verlauf", exact=True).click()
    expect(tab.page).to_have_url(re.compile(r"/history$"))
    expect(tab.page.locator("html")).to_have_attribute("lang", "de")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Störungsverlauf")
    assert tab.problems == []


def _sign_in(open_tab, app, clock):
    with app.app_context():
        make_user("rita@example.com", "responder", now=clock.now())
    tab = open_tab("/admin/login")
    tab.page.get_by_label("Email").fill("rita@example.com")
    tab.page.get_by_label("Password").fill(TEST_PASSWORD)
    tab.page.get_by_role("button", name="Sign in").click()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Console")
    return tab


def test_markdown_preview_renders_bold_text_while_typing(open_tab, app, clock, outage):
    tab = _sign_in(open_tab, app, clock)
    tab.page.goto("/admin/incidents/new")
    tab.page.get_by_label("Message (Markdown)").press_sequentially("**hi**")
    expect(tab.page.locator("[data-preview-for] strong")).to_have_text("hi")
    assert tab.problems == []


def test_responder_opens_updates_and_resolves_an_incident_that_the_public_page_shows_resolved(
        open_tab, app, clock, outage):
    tab = _sign_in(open_tab, app, clock)
    page = tab.page
    page.get_by_role("link", name="Open an incident").first.click()
    page.get_by_label("Title").fill("Search is slow")
    page.get_by_label("Impact").select_option("major")
    page.get_by_label("Public API").select_option("degraded_performance")
    page.get_by_label("Message (Markdown)").fill("Searches take **seconds**.")
    page.get_by_role("button", name="Open incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search is slow")
    incident_url = page.get_by_role("link", name="Public page").get_attribute("href")

    page.get_by_label("Status", exact=True).select_option("identified")
    page.get_by_label("Message (Markdown)").fill("An index was missing.")
    page.get_by_role("button", name="Post update").click()
    expect(page.locator(".updates")).to_contain_text("An index was missing.")

    page.get_by_label("Closing message (Markdown, optional)").fill("The index is back; searches are fast.")
    page.get_by_role("button", name="Resolve incident").click()
    expect(page.locator(".updates")).to_contain_text("searches are fast")

    page.goto(incident_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Search is slow")
    expect(page.locator(".facts")).to_contain_text("Resolved")
    expect(page.locator(".update").first).to_contain_text("The index is back")
    page.goto("/")
    expect(page.locator(".component", has_text="Public API")).to_contain_text("Operational")
    tab.screenshot("incident-resolved")
    assert tab.problems == []
