"""What the public pages say must be true when it is read: statuses only where they are current (or labelled
as the status they were), times with how long ago they were, how long resolved incidents took, the page's
status in its title, in English, German and French."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from statuspage.services.incidents import advance_maintenance, post_update, resolve_incident
from tests.builders import SYSTEM, make_component, make_incident, make_maintenance


def words_of(html: str) -> str:
    """The words, tags dropped and spaces folded (non-breaking spaces kept), as a reader takes them in."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def text_of(response) -> str:
    return words_of(response.get_data(as_text=True))


def affected_section(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('aria-labelledby="affected"')
    return words_of(html[start:html.index("</section>", start)])


@pytest.fixture
def resolved(app, clock):
    """An outage eased to degraded performance, then resolved 2 h 14 min after it began (a day ago)."""
    with app.app_context():
        make_component("login", "Sign-in")
        began = clock.now() - timedelta(days=1)
        incident = make_incident("Sign-in down", components_={"login": "major_outage"}, impact="critical", now=began)
        post_update(incident.id, status="monitoring", body="Mostly back.", components={"login": "degraded_performance"},
                    by=SYSTEM, now=began + timedelta(hours=1))
        resolve_incident(incident.id, "All good.", by=SYSTEM, now=began + timedelta(hours=2, minutes=14))
        return incident.id


def test_a_resolved_incident_shows_the_worst_status_it_gave_labelled_so_never_a_current_looking_one(
        client, resolved):
    words = affected_section(client.get(f"/incidents/{resolved}"))
    assert "Sign-in At worst during this incident: ✕ Major outage" in words
    assert "Now:" not in words and "Degraded performance" not in words


def test_an_open_incident_shows_each_components_status_now(app, client, clock):
    with app.app_context():
        make_component("api", "API")
        incident = make_incident("API errors", components_={"api": "partial_outage"}, now=clock.now())
        post_update(incident.id, status="identified", body="Easing.", components={"api": "degraded_performance"},
                    by=SYSTEM, now=clock.advance(minutes=5))
    words = affected_section(client.get(f"/incidents/{incident.id}"))
    assert "API Now: ! Degraded performance" in words and "Partial outage" not in words


def test_maintenance_next_week_names_its_components_without_a_status(app, client, clock):
    with app.app_context():
        make_component("database", "Database")
        window = make_maintenance(components_=("database",), now=clock.now())
    page = client.get(f"/maintenance/{window.id}")
    words = affected_section(page)
    assert "Database" in words and "once the window begins" in words
    assert "Under maintenance" not in words.replace("show as under maintenance", "")
    assert "status-under_maintenance" not in page.get_data(as_text=True)


def test_maintenance_in_progress_shows_its_components_under_maintenance_now(app, client, clock):
    with app.app_context():
        make_component("database", "Database")
        window = make_maintenance(components_=("database",), starts=clock.now() - timedelta(minutes=5),
                                  now=clock.now() - timedelta(days=1))
        advance_maintenance(now=clock.now(), by=SYSTEM)
    assert "Database Now: ⚙ Under maintenance" in affected_section(client.get(f"/maintenance/{window.id}"))


def test_summaries_name_what_an_incident_affected_without_a_status(app, client, resolved):
    history = text_of(client.get("/history"))
    assert "Affected: Sign-in" in history and "Major outage" not in history


TIMES = {
    "en": ("(1 day ago)", "Resolved after 2 hr 14 min", "2 hr 14 min"),
    "de": ("(vor 1 Tag)", "Behoben nach 2 Std. 14 Min.", "2 Std. 14 Min."),
    "fr": ("(il y a 1 jour)", "Résolu après 2\u202fh 14\xa0min", "2\u202fh 14\xa0min"),
}


@pytest.mark.parametrize("language", TIMES)
def test_times_say_how_long_ago_and_resolved_incidents_how_long_they_took_in_each_language(
        client, resolved, language):
    ago, after, took = TIMES[language]
    incident = text_of(client.get(f"/incidents/{resolved}?lang={language}"))
    assert ago in incident and took in incident
    assert after in text_of(client.get(f"/?lang={language}"))  # the line of the last days
    assert after in text_of(client.get(f"/history?lang={language}"))


def test_relative_times_follow_the_clock(app, client, clock):
    with app.app_context():
        make_component("api", "API")
        incident = make_incident("API errors", components_={"api": "partial_outage"}, now=clock.now())
    assert "(just now)" in text_of(client.get(f"/incidents/{incident.id}"))
    clock.advance(hours=2)
    app.extensions["statuspage.page_cache"].clear()  # the cache keeps a page for up to half a minute
    assert "(2 hours ago)" in text_of(client.get(f"/incidents/{incident.id}"))


def test_maintenance_says_how_soon_it_starts(app, client, clock):
    with app.app_context():
        make_component("database", "Database")
        window = make_maintenance(components_=("database",), starts=clock.now() + timedelta(days=3), now=clock.now())
    assert "(starts in 3 days)" in text_of(client.get(f"/maintenance/{window.id}"))
    assert "(in 3 days)" in text_of(client.get("/"))


def title_of(response) -> str:
    return re.search(r"<title>([^<]*)</title>", response.get_data(as_text=True)).group(1)


def test_the_title_carries_the_status(app, client, clock):
    assert title_of(client.get("/")) == "All systems operational · Example Status"
    with app.app_context():
        make_component("api", "API")
        incident = make_incident("API errors", components_={"api": "partial_outage"}, impact="major",
                                 now=clock.now())
    assert title_of(client.get("/")) == "Partial system outage · Example Status"
    assert title_of(client.get("/?lang=de")) == "Teilweiser Systemausfall · Example Status"
    assert title_of(client.get(f"/incidents/{incident.id}?lang=en")) == "API errors · Investigating · Example Status"
    assert title_of(client.get("/components/api?lang=fr")) == "API · Panne partielle · Example Status"


def test_the_header_says_status_once(client):
    header = client.get("/").get_data(as_text=True).split("<main")[0]
    nav = header[header.index("<nav"):]
    assert ">Status<" not in nav and 'href="/"' in header  # the site's name leads to the status


def test_the_refresh_script_is_the_sites_own_file_and_the_csp_allows_no_inline_script(app, client, clock):
    with app.app_context():
        make_component("api", "API")
        make_incident(components_={"api": "major_outage"}, now=clock.now())
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert '<script src="/static/page.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert 'id="auto-refresh-control" hidden' in html  # offered only where the script runs
