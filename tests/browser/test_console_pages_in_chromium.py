"""The console's Pages section in a real browser: every screen at desktop and phone width in en, de and fr
(test-artifacts/console-pages-*.png), fitting its window without a console error; a page made by ticking a
group in the picker, its slug following its name."""
from __future__ import annotations

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select

from statuspage.database import transaction
from statuspage.extensions import db
from statuspage.models import Page, Subscriber
from statuspage.services import page_admin
from tests.browser.test_console_in_chromium import LANGUAGES, WIDTHS, assert_fits, sign_in, unexpected
from tests.builders import SYSTEM, make_component, make_group, make_subscriber, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app, clock):
    now = clock.now()
    with app.app_context():
        make_user("root@example.com", "admin")
        web = make_group("Web")
        make_component("api", "Public API", group=web)
        make_component("dashboard", "Dashboard", group=web)
        shop = make_group("Online shop with a long group name")
        make_component("checkout", "Checkout and payment", group=shop)
        make_component("basket", "Basket", group=shop)
        make_component("database", "Database")
        settings = current_app.config["SETTINGS"]
        page_admin.create_page(name="Shop status", slug="shop", host="status.shop-with-a-long-name.example",
                               languages=["de", "en"], default_language="de", time_zone="Europe/Vienna",
                               accent_color="#0b5fff", logo_url="https://shop.example/logo.svg",
                               components=["checkout", "basket"], settings=settings, by=SYSTEM, now=now)
        page_admin.create_page(name="Developers", slug="developers", components=["api"], settings=settings,
                               by=SYSTEM, now=now)
        subscriber = make_subscriber("ana@example.com", now=now)
        with transaction():
            db.session.get(Subscriber, subscriber.id).page_id = db.session.scalar(
                select(Page.id).where(Page.slug == "shop"))
        db.session.remove()


SCREENS = {"list": "/admin/pages", "new": "/admin/pages/new", "edit": "/admin/pages/shop/edit",
           "edit-default": "/admin/pages/default/edit", "delete": "/admin/pages/shop/delete",
           "delete-default": "/admin/pages/default/delete"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_pages_screen_fits_desktop_and_phone_without_errors(open_tab, site, language):
    for width, viewport in WIDTHS.items():
        tab = sign_in(open_tab, language, viewport=viewport)
        page = tab.page
        for name, path in SCREENS.items():
            response = page.goto(path)
            assert response.status == 200, f"{name}: {response.status}"
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_fits(tab, f"pages {name} ({language}, {width})")
            tab.screenshot(f"console-pages-{name}-{language}-{width}")
        page.goto("/admin/pages/new")
        page.locator("#name").fill("Shop")
        page.locator("#time_zone").fill("Mars/Base")
        page.locator("#accent_color").fill("blue")
        page.locator("form.stacked button[type=submit]").click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        assert_fits(tab, f"new page with problems ({language}, {width})")
        tab.screenshot(f"console-pages-new-problems-{language}-{width}")
        assert unexpected(tab.problems) == []


def test_a_page_is_made_by_ticking_a_group_and_its_slug_follows_its_name(open_tab, site, app):
    tab = sign_in(open_tab)
    page = tab.page
    page.goto("/admin/pages")
    page.get_by_role("link", name="New page").click()
    page.locator("#name").fill("Web Status EU")
    expect(page.locator("#slug")).to_have_value("web-status-eu")
    page.get_by_label("Web", exact=True).check()
    expect(page.get_by_label("Public API")).to_be_checked()
    expect(page.get_by_label("Dashboard")).to_be_checked()
    page.locator("#host").fill("status.web.example")
    page.locator("#time_zone").fill("Europe/Paris")
    page.locator("form.stacked button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Page “Web Status EU” saved.")
    expect(page.get_by_role("link", name="https://status.web.example")).to_be_visible()
    with app.app_context():
        made = db.session.scalar(select(Page).where(Page.slug == "web-status-eu"))
        assert [c.slug for c in made.components] == ["api", "dashboard"]
        assert (made.host, made.time_zone) == ("status.web.example", "Europe/Paris")
    page.goto("/admin/pages/shop/delete")
    page.get_by_label("Move its subscribers to").select_option("developers")
    page.get_by_role("button", name="Delete page").click()
    expect(page.locator("main")).to_contain_text("Page “Shop status” deleted.")
    with app.app_context():
        assert db.session.scalar(select(Subscriber.page_id)) == db.session.scalar(
            select(Page.id).where(Page.slug == "developers"))
    assert unexpected(tab.problems) == []
