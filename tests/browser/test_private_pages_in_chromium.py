"""Private and password pages in a real browser, at desktop and phone width in en, de and fr: a reader signs
in to a password page with its password, and a member to a private page through the one-time link the
outbox holds (asked for on the page's own sign-in form); both then read the page's private incident. The
console's password and members screens fit both widths without a console error.

Screenshots go to /tmp/shots_private/ (not committed): the sign-in pages, the signed-in pages, every
console screen."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import Notification, NotificationKind, PageMember
from statuspage.services import components, page_admin, page_members
from tests.browser.test_console_in_chromium import LANGUAGES, WIDTHS, assert_fits, sign_in, unexpected
from tests.builders import SYSTEM, make_component, make_group, make_incident, make_user

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
INCIDENT = "Private API answers slowly for enterprise customers"
SIGN_IN = {"en": "Sign in", "de": "Anmelden", "fr": "Se connecter"}


@pytest.fixture
def site(app, clock):
    now = clock.now()
    with app.app_context():
        make_user("root@example.com", "admin")
        regions = make_group("Regions with a rather long group name")
        make_component("api", "Private API")
        make_component("eu", "EU region (Frankfurt and Amsterdam data centres)", group=regions)
        make_component("us", "US region", group=regions)
        make_component("shop", "Shop")
        settings = current_app.config["SETTINGS"]
        page_admin.create_page(name="Acme customer status", slug="acme", visibility="private",
                               components=["api", "eu", "us"], settings=settings, by=SYSTEM, now=now)
        page_admin.create_page(name="Vault", slug="vault", visibility="password", components=["api"],
                               settings=settings, by=SYSTEM, now=now)
        page_members.set_password("vault", PASSWORD, by=SYSTEM, now=now)
        make_incident(INCIDENT, components_={"api": "degraded_performance"}, impact="minor",
                      body="Requests take up to **ten seconds**.", now=now)
        page_members.invite_member("acme", "kim.lee-with-a-long-address@customer-example-corporation.example",
                                   name="Kim Lee", components=["api", "eu"], by=SYSTEM, now=now)
        page_members.invite_member("acme", "sam@example.com", by=SYSTEM, now=now)
        # Limited to a component deleted since: limited to none (the console says so).
        make_component("legacy", "Legacy region")
        page_admin.update_page("acme", components=["api", "eu", "us", "legacy"], settings=settings, by=SYSTEM,
                               now=now)
        page_members.invite_member("acme", "max@example.com", components=["legacy"], by=SYSTEM, now=now)
        components.delete_component("legacy", by=SYSTEM, now=now)
        sam = db.session.scalar(select(PageMember).where(PageMember.email == "sam@example.com"))
        page_members.issue_token("acme", sam.id, by=SYSTEM, now=now)
        page_members.revoke_member("acme", sam.id, by=SYSTEM, now=now)
        db.session.remove()


def shot(tab, name: str) -> None:
    """test-artifacts/private-<name>.png, once the page has loaded."""
    tab.page.wait_for_load_state("load")
    tab.screenshot(f"private-{name}")


def meant(problems: list[str]) -> list[str]:
    """The problems a page met, less the 401 a sign-in page answers with (and the 400 of a refused form)."""
    return [p for p in unexpected(problems) if "the server responded with a status of 401" not in p]


def newest_link(app, email: str) -> str:
    """The sign-in link of the newest sign-in mail to the address, as the outbox holds it: its path."""
    with app.app_context():
        detail = db.session.scalar(select(Notification.detail).where(
            Notification.kind == NotificationKind.MEMBER_SIGN_IN, Notification.recipient == email)
            .order_by(Notification.id.desc()).limit(1))
        db.session.remove()
    return urlsplit(json.loads(detail)["link"]).path


@pytest.mark.parametrize("language", LANGUAGES)
def test_readers_sign_in_to_a_password_page_and_a_private_page_and_read_the_private_incident(
        open_tab, site, app, language):
    for width, viewport in WIDTHS.items():
        # The password page: its sign-in form, a wrong password, the right one.
        tab = open_tab(f"/p/vault/?lang={language}", viewport=viewport)
        page = tab.page
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN[language])
        expect(page.locator("body")).not_to_contain_text(INCIDENT)
        assert_fits(tab, f"password sign-in ({language}, {width})")
        shot(tab, f"vault-sign-in-{language}-{width}")
        page.locator("input[type=password]").fill("not the password")
        page.locator("main form button[type=submit]").click()
        expect(page.locator("[role=alert]")).to_be_visible()
        shot(tab, f"vault-wrong-password-{language}-{width}")
        page.locator("input[type=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.goto(f"/p/vault/?lang={language}")
        expect(page.locator("main")).to_contain_text(INCIDENT)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_fits(tab, f"password page signed in ({language}, {width})")
        shot(tab, f"vault-signed-in-{language}-{width}")
        assert meant(tab.problems) == [], tab.problems

        # The private page: the member asks for a link, opens it from the outbox, signs in.
        tab = open_tab(f"/p/acme/?lang={language}", viewport=viewport)
        page = tab.page
        expect(page.locator("body")).not_to_contain_text(INCIDENT)
        assert_fits(tab, f"private sign-in ({language}, {width})")
        shot(tab, f"acme-sign-in-{language}-{width}")
        page.locator("input[type=email]").fill("Kim.Lee-with-a-long-address@customer-example-corporation.example")
        page.locator("main form button[type=submit]").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_fits(tab, f"private link sent ({language}, {width})")
        shot(tab, f"acme-link-sent-{language}-{width}")
        page.goto(newest_link(app, "kim.lee-with-a-long-address@customer-example-corporation.example")
                  + f"?lang={language}")
        expect(page.locator("body")).not_to_contain_text(INCIDENT)  # the link's page only offers a button
        assert_fits(tab, f"private link ({language}, {width})")
        shot(tab, f"acme-link-{language}-{width}")
        page.locator("main form button[type=submit]").click()
        page.goto(f"/p/acme/?lang={language}")
        expect(page.locator("main")).to_contain_text(INCIDENT)
        expect(page.locator("main")).to_contain_text("EU region")
        expect(page.locator("main")).not_to_contain_text("US region")  # Kim is limited to api and eu
        assert_fits(tab, f"private page signed in ({language}, {width})")
        shot(tab, f"acme-signed-in-{language}-{width}")
        assert meant(tab.problems) == [], tab.problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_console_members_screens_fit_desktop_and_phone(open_tab, site, app, language):
    with app.app_context():
        kim, max_, sam = [m.id for m in page_members.list_members("acme")]
        db.session.remove()
    screens = {"edit": "/admin/pages/acme/edit", "edit-password-page": "/admin/pages/vault/edit",
               "password": "/admin/pages/vault/password", "members": "/admin/pages/acme/members",
               "member": f"/admin/pages/acme/members/{kim}", "member-revoke": f"/admin/pages/acme/members/{kim}/revoke",
               "member-revoked": f"/admin/pages/acme/members/{sam}",
               "member-limited-to-none": f"/admin/pages/acme/members/{max_}",
               "password-clear": "/admin/pages/vault/password/clear"}
    for width, viewport in WIDTHS.items():
        tab = sign_in(open_tab, language, viewport=viewport)
        page = tab.page
        for name, path in screens.items():
            response = page.goto(path)
            assert response.status == 200, f"{name}: {response.status}"
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_fits(tab, f"{name} ({language}, {width})")
            shot(tab, f"console-{name}-{language}-{width}")
        # The token screen: the answer to the member screen's button, the token on it once.
        page.goto(f"/admin/pages/acme/members/{kim}")
        page.locator(f"form[action='/admin/pages/acme/members/{kim}/token'] button").click()
        expect(page.locator("#new-token-value")).to_contain_text(page_members.TOKEN_PREFIX)
        assert_fits(tab, f"token ({language}, {width})")
        shot(tab, f"console-member-token-{language}-{width}")
        # An invitation with a mistake: the problems at the top, the page still fits.
        page.goto("/admin/pages/acme/members")
        page.locator("#email").fill("not an address")
        page.locator("form.stacked button[type=submit]").click()
        expect(page.locator("[data-error-summary]")).to_be_focused()
        assert_fits(tab, f"invite with problems ({language}, {width})")
        shot(tab, f"console-members-problems-{language}-{width}")
        assert unexpected(tab.problems) == [], tab.problems


def test_an_admin_invites_limits_and_revokes_a_member_by_clicking(open_tab, site, app):
    tab = sign_in(open_tab)
    page = tab.page
    page.goto("/admin/pages/acme/edit")
    page.get_by_role("link", name="Manage members").click()
    page.locator("#email").fill("ana@customer.example")
    page.locator("#name").fill("Ana")
    page.get_by_label("Regions with a rather long group name", exact=True).check()
    expect(page.get_by_label("US region")).to_be_checked()
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("main")).to_contain_text("ana@customer.example is invited")
    row = page.locator("tr", has_text="ana@customer.example")
    expect(row).to_contain_text("US region")
    row.get_by_role("button", name="Resend invitation").click()
    expect(page.locator("main")).to_contain_text("A new invitation is on its way to ana@customer.example")
    row.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke the access of ana@")
    page.get_by_role("button", name="Revoke access").click()
    expect(page.locator("main")).to_contain_text("ana@customer.example can no longer read the page.")
    with app.app_context():
        ana = db.session.scalar(select(PageMember).where(PageMember.email == "ana@customer.example"))
        assert ana.revoked_at is not None and [c.slug for c in ana.components] == ["eu", "us"]
    # Removing the vault's password asks first.
    page.goto("/admin/pages/vault/edit")
    page.get_by_role("link", name="Remove the password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove the password of “Vault”?")
    page.get_by_role("button", name="Remove the password").click()
    expect(page.locator("main")).to_contain_text("nobody can sign in with a password now")
    assert unexpected(tab.problems) == []
