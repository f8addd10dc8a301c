"""The status page and the console in a real browser: layout at desktop and phone width, dark mode,
the language switch, the Markdown preview, and an incident from opening to resolved."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from statuspage.extensions import db
from statuspage.models import Ticket
from statuspage.support import intake, queue
from tests.browser.conftest import DESKTOP, PHONE
from tests.builders import SYSTEM, TEST_PASSWORD, make_component, make_group, make_incident, make_user

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
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("Overview")
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
    page.get_by_role("radio", name="Major impact").check()
    page.get_by_role("group", name="Public API").get_by_role("radio", name="Degraded").check()
    page.get_by_label("Message (Markdown)").fill("Searches take **seconds**.")
    page.get_by_role("button", name="Open incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search is slow")
    incident_url = page.get_by_role("link", name="Public page").get_attribute("href")

    page.get_by_role("radio", name="Identified").check()
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


NOT_MINE = {"en": ("Not what you wrote about?", "This is not what I wrote about", "Thank you: a person will answer"),
            "de": ("Nicht das, worüber Sie geschrieben haben?", "Darum ging es mir nicht",
                   "Danke: ein Mensch antwortet Ihnen"),
            "fr": ("Ce n’est pas le sujet de votre message ?", "Ce n’est pas ce que j’ai écrit",
                   "Merci : une personne vous répondra")}
BROKEN = {"en": "This link does not work", "de": "Dieser Link funktioniert nicht", "fr": "Ce lien ne fonctionne pas"}
QUEUE = {"en": "Support queue", "de": "Support-Warteschlange", "fr": "File d’attente du support"}


def _ticket(n: int, *, language: str, now) -> Ticket:
    """An accepted ticket in `language`, about something the matcher does not take for the outage."""
    texts = {"en": ("Invoice for October", "Could you send the October invoice again as a PDF, please?"),
             "de": ("Rechnung für Oktober", "Könnten Sie uns die Rechnung für Oktober bitte noch einmal als PDF schicken?"),
             "fr": ("Facture d’octobre", "Pourriez-vous nous renvoyer la facture d’octobre en PDF, s’il vous plaît ?")}
    subject, body = texts[language]
    ticket, _new = intake.take_ticket(intake.ticket_in({
        "external_id": f"browser-{n}", "subject": subject, "body": body, "plan": "professional", "priority": 2,
        "requester": {"email": f"customer{n}@example.com", "name": "Ana Beispiel-Langername"}}), by=SYSTEM, now=now)
    return ticket


@pytest.mark.parametrize("language", NOT_MINE)
@pytest.mark.parametrize("width", WIDTHS)
def test_ticket_pages_for_agents_and_customers_fit_and_speak_each_language(open_tab, app, clock, outage, language,
                                                                           width):
    """The console's queue and ticket pages (link form, undone marker, close alternatives) and the customer's
    page from the auto-reply, before and after the button, at desktop and phone width in en, de and fr."""
    with app.app_context():
        linked = queue.link(_ticket(1, language=language, now=clock.now()).id, outage, reason="Same outage.",
                            by=SYSTEM, now=clock.now())
        undone = queue.link(_ticket(2, language=language, now=clock.now()).id, outage, by=SYSTEM, now=clock.now())
        queue.not_mine(undone.id, outage, now=clock.now())
        open_ = _ticket(3, language=language, now=clock.now())
        open_.match_alternatives = [[outage, 0.42]]
        db.session.commit()
        ids = (linked.id, undone.id, open_.id)
        path = re.search(r"https://status\.example\.com(/tickets/not-mine/\S+)", linked.reply["body"]).group(1)
        db.session.remove()
    heading, button, done = NOT_MINE[language]

    customer = open_tab(path.split("?")[0] + f"?lang={language}", viewport=WIDTHS[width])
    expect(customer.page.get_by_role("heading", level=1)).to_have_text(heading)
    _assert_fits(customer)
    customer.screenshot(f"ticket-not-mine-{language}-{width}")
    customer.page.get_by_role("button", name=button).click()
    expect(customer.page.get_by_role("heading", level=1)).to_have_text(done)
    _assert_fits(customer)
    customer.screenshot(f"ticket-not-mine-done-{language}-{width}")
    with app.app_context():
        assert db.session.get(Ticket, ids[0]).status.value == "accepted"
    broken = open_tab(path.split("?")[0][:-4] + f"AAAA?lang={language}", viewport=WIDTHS[width])
    expect(broken.page.get_by_role("heading", level=1)).to_have_text(BROKEN[language])
    _assert_fits(broken)
    broken.screenshot(f"ticket-not-mine-broken-{language}-{width}")

    tab = _sign_in(open_tab, app, clock)
    tab.page.set_viewport_size(WIDTHS[width])
    tab.page.goto(f"/admin/tickets?lang={language}")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(QUEUE[language])
    expect(tab.page.locator(".matcher-counts")).to_contain_text("2")
    _assert_fits(tab)
    if width == "desktop":  # every column, the undone marker too, without scrolling the table sideways
        sizes = tab.page.evaluate("(e => [e.scrollWidth, e.clientWidth])(document.querySelector('.table-wrap'))")
        assert sizes[0] <= sizes[1], f"the queue's table is {sizes[0]}px wide in {sizes[1]}px"
    tab.screenshot(f"console-ticket-queue-{language}-{width}")
    for name, ticket_id in (("undone", ids[1]), ("accepted", ids[2])):
        tab.page.goto(f"/admin/tickets/{ticket_id}")
        _assert_fits(tab)
        tab.screenshot(f"console-ticket-{name}-{language}-{width}")
    expect(tab.page.locator("select[name=incident_id]")).to_be_visible()
    assert customer.problems == [] and tab.problems == []
