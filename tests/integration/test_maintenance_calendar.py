"""The maintenance calendars (.ics), read with `ics`, an iCalendar parser independent of the icalendar package
that writes them, and read again with icalendar: what a calendar client subscribed to /maintenance.ics sees;
on the default page and on a second page by its /p/<slug> prefix and by its host (the `place` fixture,
tests/conftest.py), whose calendars hold its own windows only, each with its URL under the page's."""
from datetime import timedelta

import icalendar
import ics
import pytest

from statuspage.services import incidents
from tests.builders import ELSEWHERE, START, SYSTEM, PlaceClient, QueryCounter, make_component, make_incident, \
    make_maintenance


@pytest.fixture
def client(place_client):
    return place_client


@pytest.fixture
def site(app, clock, place):
    with app.app_context():
        make_component("database", "Database")
        make_component("api", "API")
        place.show("database", "api")
        upcoming = make_maintenance("Database upgrade", components_=("database",), starts=START + timedelta(days=2))
        running = make_maintenance("API move", components_=("api",), starts=START - timedelta(minutes=30))
        incidents.advance_maintenance(now=START, by=SYSTEM)
        done = make_maintenance("Old work", components_=("api",), starts=START - timedelta(days=3),
                                now=START - timedelta(days=4))
        incidents.advance_maintenance(now=START, by=SYSTEM)  # started and ended long ago: completed
        make_incident("API errors", components_={"api": "major_outage"})
    return {"upcoming": upcoming.id, "running": running.id, "done": done.id}


def calendar(client, path="/maintenance.ics", **headers) -> tuple[object, ics.Calendar]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    assert ELSEWHERE not in text  # another page's window
    cal = ics.Calendar(text)
    again = icalendar.Calendar.from_ical(response.data)  # a second reader finds the same events, links
    assert sorted((str(e["UID"]), str(e.get("URL"))) for e in again.walk("VEVENT")) == \
        sorted((e.uid, e.url) for e in cal.events)
    return response, cal


def events(cal) -> dict[str, object]:
    return {event.uid: event for event in cal.events}


def extra(event, name: str) -> str:
    """A property ics keeps as it was written (it does not model SEQUENCE)."""
    return next(line.value for line in event.extra if line.name == name)


def test_the_feed_holds_upcoming_and_running_windows_as_calendar_events(client, site, place):
    response, cal = calendar(client)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "public" in response.headers["Cache-Control"]
    found = events(cal)
    assert set(found) == {f"maintenance-{site['upcoming']}@status.example.com",
                          f"maintenance-{site['running']}@status.example.com"}  # not the completed one, no incident
    upgrade = found[f"maintenance-{site['upcoming']}@status.example.com"]
    assert upgrade.name == "Maintenance: Database upgrade"
    assert upgrade.begin.datetime == START + timedelta(days=2)
    assert upgrade.end.datetime == START + timedelta(days=2, hours=2)
    assert upgrade.url == f"{place.url}/maintenance/{site['upcoming']}"
    assert found[f"maintenance-{site['running']}@status.example.com"].url == f"{place.url}/maintenance/{site['running']}"
    assert upgrade.status == "CONFIRMED" and upgrade.transparent
    assert "We will upgrade." in upgrade.description and "Components: Database" in upgrade.description
    assert upgrade.created.datetime == START  # ics reads DTSTAMP as "created": when the window last changed
    assert extra(upgrade, "SEQUENCE") == "0"


def test_every_change_raises_the_sequence_and_keeps_the_uid(app, client, site, clock):
    uid = f"maintenance-{site['upcoming']}@status.example.com"
    before = int(extra(events(calendar(client)[1])[uid], "SEQUENCE"))
    clock.advance(minutes=5)
    with app.app_context():
        incidents.edit_incident(site["upcoming"], kind=incidents.IncidentKind.MAINTENANCE,
                                scheduled_for=START + timedelta(days=3),
                                scheduled_until=START + timedelta(days=3, hours=1),
                                by=SYSTEM, now=clock.now())
    moved = events(calendar(client)[1])[uid]
    assert int(extra(moved, "SEQUENCE")) > before
    assert moved.begin.datetime == START + timedelta(days=3) and moved.created.datetime == clock.now()
    clock.advance(minutes=5)
    with app.app_context():
        incidents.post_update(site["upcoming"], status="scheduled", body="Now with a read-only hour.",
                              kind=incidents.IncidentKind.MAINTENANCE, by=SYSTEM, now=clock.now())
    updated = events(calendar(client)[1])[uid]
    assert int(extra(updated, "SEQUENCE")) > int(extra(moved, "SEQUENCE"))
    assert "Now with a read-only hour." in updated.description


def test_a_window_called_off_before_it_started_is_marked_cancelled(app, client, site, clock):
    with app.app_context():
        incidents.post_update(site["upcoming"], status="completed", body="Not needed after all.",
                              kind=incidents.IncidentKind.MAINTENANCE, by=SYSTEM, now=clock.now())
    cancelled = events(calendar(client)[1])[f"maintenance-{site['upcoming']}@status.example.com"]
    assert cancelled.status == "CANCELLED" and "This maintenance has been cancelled." in cancelled.description


def test_the_calendar_speaks_the_readers_language(app, client, site, place):
    _response, german = calendar(client, "/maintenance.ics?lang=de")
    assert {e.name for e in german.events} == {"Wartung: Database upgrade", "Wartung: API move"}
    assert "Komponenten: Database" in events(german)[f"maintenance-{site['upcoming']}@status.example.com"].description
    _response, french = calendar(PlaceClient(app.test_client(), place), "/maintenance.ics", **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert {e.name for e in french.events} == {"Maintenance : Database upgrade", "Maintenance : API move"}


def test_a_component_calendar_holds_only_its_windows(client, site):
    _response, cal = calendar(client, "/components/database/maintenance.ics")
    assert list(events(cal)) == [f"maintenance-{site['upcoming']}@status.example.com"]
    assert client.get("/components/nope/maintenance.ics").status_code == 404


def test_one_window_can_be_added_to_a_calendar_from_its_page(client, site, place):
    page = client.get(f"/maintenance/{site['upcoming']}").get_data(as_text=True)
    assert f'href="{place.prefix}/maintenance/{site["upcoming"]}.ics"' in page and "Add to calendar" in page
    _response, cal = calendar(client, f"/maintenance/{site['upcoming']}.ics")
    assert list(events(cal)) == [f"maintenance-{site['upcoming']}@status.example.com"]  # the feed's event, by UID
    assert cal.events.pop().url == f"{place.url}/maintenance/{site['upcoming']}"
    assert client.get("/maintenance/999.ics").status_code == 404


def test_the_pages_link_the_calendars(client, site, place):
    home = client.get("/").get_data(as_text=True)
    assert f'href="{place.prefix}/maintenance.ics"' in home and 'type="text/calendar"' in home
    component = client.get("/components/api").get_data(as_text=True)
    assert f'href="{place.prefix}/components/api/maintenance.ics"' in component


def test_a_conditional_request_gets_304_and_a_change_a_new_etag(app, client, site, clock):
    response, _cal = calendar(client)
    etag = response.headers["ETag"]
    assert client.get("/maintenance.ics", headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        make_maintenance("Network work", components_=("api",), starts=START + timedelta(days=5))
    assert calendar(client)[0].headers["ETag"] != etag


def test_an_empty_site_has_a_valid_empty_calendar(client, clock, place):
    response, cal = calendar(client)
    assert not cal.events and f"X-WR-CALNAME:{place.name}: maintenance" in response.get_data(as_text=True)


def test_the_calendars_are_kept_in_the_page_cache_per_language_like_the_feeds(app, client, site, place):
    asked = [("/maintenance.ics", "en"), ("/maintenance.ics", "de"), ("/components/api/maintenance.ics", "de")]
    first = [calendar(PlaceClient(app.test_client(), place), path, **{"Accept-Language": lang})[0].get_data() for path, lang in asked]
    assert first[0] != first[1]  # translated: each language has its own
    with QueryCounter(app) as queries:  # each answered again from memory, in its own language
        again = [calendar(PlaceClient(app.test_client(), place), path, **{"Accept-Language": lang})[0].get_data() for path, lang in asked]
    assert again == first and queries.count == len(asked)  # the change counter, once per request
