"""A second page (/p/shop) in Chromium: its own name, logo, accent and components, at desktop and phone
width in every language, without a console error (a Content-Security-Policy refusal would be one)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from statuspage.extensions import db
from tests.browser.conftest import DESKTOP, PHONE
from tests.builders import make_component, make_group, make_incident, make_maintenance, make_page

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def shop(app, clock):
    with app.app_context():
        make_component("api", "Public API")
        money = make_group("Money")
        make_component("payments", "Payments", group=money)
        make_component("refunds", "Refunds", group=money)
        make_page("shop", ["payments", "refunds"], name="Shop Status", logo_url="/static/favicon.svg",
                  accent_color="#8250df", time_zone="America/New_York")
        make_incident("API errors", components_={"api": "major_outage"}, now=clock.now())
        incident = make_incident("Payments are failing", components_={"payments": "partial_outage"},
                                 now=clock.now())
        make_maintenance("Refunds upgrade", components_=("refunds",), now=clock.now())
        db.session.remove()
    return {"status": "/p/shop/", "incident": f"/p/shop/incidents/{incident.id}", "history": "/p/shop/history",
            "component": "/p/shop/components/payments", "subscribe": "/p/shop/subscribe"}


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_a_second_page_looks_right_at_desktop_and_phone_width(open_tab, shop, language):
    """test-artifacts/second-page-<screen>-<language>-<width>.png: look at them."""
    tab = open_tab(f"/p/shop/?lang={language}")
    for width, viewport in WIDTHS.items():
        tab.page.set_viewport_size(viewport)
        for screen, path in shop.items():
            response = tab.page.goto(f"{path}?lang={language}")
            assert response.status == 200, f"{screen}: {response.status}"
            expect(tab.page.locator("html")).to_have_attribute("lang", language)
            expect(tab.page.locator(".site-name")).to_have_text("Shop Status")
            expect(tab.page.locator(".site-logo")).to_be_visible()
            assert "Public API" not in tab.page.content() and "API errors" not in tab.page.content()
            wide, window = tab.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert wide <= window, f"{screen} at {width}: {wide}px wide in a {window}px window"
            accent = tab.page.evaluate(
                "getComputedStyle(document.querySelector('.site-header')).borderTopColor")
            assert accent == "rgb(130, 80, 223)", accent
            tab.screenshot(f"second-page-{screen}-{language}-{width}")
    assert tab.problems == []
