"""What only a browser shows of the uptime bars and the response-time charts: one tab stop per bar and the
arrow keys inside it, each day's words on focus and on hover (inside the window, on a phone too), a chart's
hour on hover and with the keyboard, all under the app's Content-Security-Policy (a violation is a console
error, which fails the test). Screenshots of `/`, a component page and the console's check pages, desktop
and phone, light and dark, in English, German and French, go to test-artifacts/."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from statuspage.extensions import db
from statuspage.monitoring import results
from statuspage.monitoring.probes import ProbeResult
from statuspage.monitoring import checks
from statuspage.services import incidents
from tests.browser.conftest import DESKTOP, PHONE
from tests.builders import (
    START, SYSTEM, TEST_PASSWORD, built_once, make_component, make_group, make_incident, make_user,
)

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
CHECKS = {"en": "Checks", "de": "Prüfungen", "fr": "Vérifications"}


@pytest.fixture
def watched(app, clock):
    """An API with a health check and eight days of results (some failed), a website without checks but with
    a resolved outage and an open incident, and a heartbeat nobody has pinged; the ids of the two checks (built
    once, restored for every later test)."""
    return built_once(app, "uptime and charts", lambda: _build_watched(app))


def _build_watched(app) -> tuple[int, int]:
    with app.app_context():
        web = make_group("Web")
        make_component("api", "Public API", group=web, now=START - timedelta(days=40))
        make_component("website", "Website", group=web, now=START - timedelta(days=40))
        make_component("jobs", "Nightly jobs", group=make_group("Jobs"), now=START - timedelta(days=40))
        past = make_incident("Website down", impact="critical", components_={"website": "major_outage"},
                             now=START - timedelta(days=3, hours=2))
        incidents.post_update(past.id, status="identified", body="Recovering.", components={"website": "partial_outage"},
                              by=SYSTEM, now=START - timedelta(days=3, hours=1))
        incidents.resolve_incident(past.id, "Fixed.", by=SYSTEM, now=START - timedelta(days=3))
        make_incident("Website slow", impact="minor", components_={"website": "degraded_performance"},
                      now=START - timedelta(hours=2))
        http = checks.create_check({"key": "api-home", "name": "API home", "component": "api", "kind": "http",
                                    "target": "http://127.0.0.1:9/", "failures_to_open": 100},
                                   by=SYSTEM, now=START - timedelta(days=9))
        beat = checks.create_check({"key": "nightly", "name": "Nightly export", "component": "jobs",
                                    "kind": "heartbeat", "period": "1d"}, by=SYSTEM, now=START - timedelta(hours=1))
        outcomes = []
        for minutes_ago in range(0, 8 * 24 * 60, 20):
            at = START - timedelta(minutes=minutes_ago)
            ok = minutes_ago % 900 != 0
            outcomes.append(results.Outcome(http.id, at, ProbeResult(
                ok, 40 + (minutes_ago // 20) % 70 if ok else None, status_code=200 if ok else None,
                error=None if ok else "timed out after 5 s", started_at=at)))
        results.record(outcomes, now=START, tz=ZoneInfo("Europe/Berlin"))
        make_user("rita@example.com", "responder", now=START)
        ids = http.id, beat.id
        db.session.remove()
    return ids


def _assert_fits(tab) -> None:
    sizes = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"the page is {sizes[0]}px wide in a {sizes[1]}px window"


def _inside_window(tab, locator) -> None:
    box = locator.bounding_box()
    width = tab.page.viewport_size["width"]
    assert box and box["width"] > 20 and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def _sign_in(open_tab, **options):
    tab = open_tab("/admin/login", **options)
    tab.page.get_by_label("Email").fill("rita@example.com")
    tab.page.get_by_label("Password").fill(TEST_PASSWORD)
    tab.page.get_by_role("button", name="Sign in").click()
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Overview")
    return tab


@pytest.mark.parametrize("width", WIDTHS)
def test_each_bar_is_one_tab_stop_and_the_arrow_keys_walk_its_days(open_tab, watched, width):
    tab = open_tab("/", viewport=WIDTHS[width])
    page = tab.page
    bars = page.locator("ol.bars")
    assert page.locator('ol.bars [tabindex="0"]').count() == bars.count() == 3
    website = page.locator('ol.bars[aria-label="Website, last 90 days"]')
    # Tab from the component's link lands on its bar's one stop (today), then leaves the bar at once.
    page.get_by_role("link", name="Website", exact=True).focus()
    page.keyboard.press("Tab")
    today = website.locator("li").last
    expect(today).to_be_focused()
    expect(today.locator(".tip")).to_contain_text("Nov 20, 2026")
    expect(today.locator(".tip")).to_contain_text("Degraded performance")
    _inside_window(tab, today.locator(".tip"))
    page.keyboard.press("ArrowLeft")
    before = website.locator("li").nth(website.locator("li").count() - 2)
    expect(before).to_be_focused()
    _inside_window(tab, before.locator(".tip"))
    # The outage three days ago: an hour of major and one of partial outage.
    page.keyboard.press("ArrowLeft")
    outage = page.evaluate("document.activeElement.textContent")
    assert outage.startswith("Nov 17, 2026: 94.58% uptime") and "Major outage: 1 h" in outage, outage
    page.keyboard.press("Home")
    expect(website.locator("li").first).to_be_focused()
    _inside_window(tab, website.locator("li").first.locator(".tip"))
    assert page.evaluate("document.activeElement.textContent").endswith("no data")
    page.keyboard.press("Tab")  # out of the bar: the next component's link, not another day
    assert page.evaluate("document.activeElement.textContent") != "" and \
        page.evaluate("document.activeElement.tagName") == "A"
    # A focused part keeps its words; the roving stop stays where the keys left it.
    page.keyboard.press("Shift+Tab")
    expect(website.locator("li").first).to_be_focused()
    _assert_fits(tab)
    tab.screenshot(f"uptime-bar-keyboard-{width}")
    assert tab.problems == []


def test_a_bars_day_shows_its_words_on_hover_and_on_tap(open_tab, watched):
    tab = open_tab("/", viewport=PHONE)
    website = tab.page.locator('ol.bars[aria-label="Website, last 90 days"]')
    day = website.locator("li.bar-major")
    day.hover()
    expect(day.locator(".tip")).to_contain_text("Website down")
    _inside_window(tab, day.locator(".tip"))
    day.click()
    expect(day).to_be_focused()
    assert tab.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_chart_shows_an_hour_on_hover_and_with_the_arrow_keys(open_tab, watched, width):
    tab = open_tab("/components/api", viewport=WIDTHS[width])
    page = tab.page
    policy = page.reload().headers["content-security-policy"]  # what the script and the SVG run under
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    plot = page.locator(".chart-plot").first
    tip = plot.locator(".chart-tip")
    expect(tip).to_be_hidden()
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(re.compile(r"average \d+ ms"))
    _inside_window(tab, tip)
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    expect(tip).to_contain_text("10:00")  # the last hour, 10:00 to 11:00 in Berlin
    _inside_window(tab, tip)
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()
    # The keyboard: the plot is a slider over the hours, its value text the hour's words.
    expect(plot).to_have_attribute("role", "slider")
    plot.focus()
    expect(tip).to_be_visible()
    last = int(plot.get_attribute("aria-valuenow"))
    assert last == int(plot.get_attribute("aria-valuemax"))
    page.keyboard.press("ArrowLeft")
    expect(plot).to_have_attribute("aria-valuenow", str(last - 1))
    assert plot.get_attribute("aria-valuetext") == tip.text_content()
    assert "9:00" in tip.text_content()
    page.keyboard.press("Home")
    expect(plot).to_have_attribute("aria-valuenow", "0")
    _inside_window(tab, tip)
    # Axes: ms on the left, times under the plot; and the values as a table without the script.
    assert page.locator(".chart-y span").first.text_content().endswith(" ms")
    assert page.locator(".chart-x text").count() >= 2
    page.get_by_text("The values as a table").first.click()
    expect(page.locator(".chart-table table").first).to_be_visible()
    _assert_fits(tab)
    tab.screenshot(f"chart-keyboard-{width}")
    assert tab.problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "de", "fr"])
@pytest.mark.parametrize("width", WIDTHS)
def test_status_component_and_check_pages_fit_in_every_language_and_scheme(open_tab, watched, width, language,
                                                                           scheme):
    http, beat = watched
    options = {"viewport": WIDTHS[width], "color_scheme": scheme}
    for name, path in (("status-page", "/"), ("component-page", "/components/api"),
                       ("component-page-no-checks", "/components/website")):
        tab = open_tab(f"{path}?lang={language}", **options)
        expect(tab.page.locator("html")).to_have_attribute("lang", language)
        _assert_fits(tab)
        tab.screenshot(f"{name}-{language}-{width}-{scheme}")
        assert tab.problems == [], (path, tab.problems)
    tab = _sign_in(open_tab, **options)
    for name, path in (("console-checks", "/admin/checks"), ("console-check", f"/admin/checks/{http}"),
                       ("console-heartbeat", f"/admin/checks/{beat}")):
        tab.page.goto(f"{path}?lang={language}")
        if name == "console-checks":
            expect(tab.page.get_by_role("heading", level=1)).to_have_text(CHECKS[language])
        _assert_fits(tab)
        tab.screenshot(f"{name}-{language}-{width}-{scheme}")
    assert tab.problems == []


def test_run_now_and_pause_work_from_the_check_page(open_tab, app, watched):
    http, _beat = watched
    tab = _sign_in(open_tab)
    tab.page.goto(f"/admin/checks/{http}")
    tab.page.get_by_role("button", name="Run now").click()
    expect(tab.page.locator(".flash")).to_contain_text("Check run: it failed")
    tab.page.get_by_role("button", name="Pause").click()
    expect(tab.page.locator(".check-state")).to_contain_text("Paused")
    tab.page.get_by_role("button", name="Resume").click()
    expect(tab.page.locator(".check-state")).not_to_contain_text("Paused")
    assert tab.problems == []
