"""The uptime bars keep their past days between renderings (bars.PastBars), and still show at once every
change: an incident edited or opened, a component renamed, a new day, today's results (which the change
counter does not count), and results that land on yesterday after midnight, once the kept days are old."""
from datetime import datetime, timedelta, timezone

import pytest

from statuspage.extensions import db
from statuspage.monitoring import results
from statuspage.monitoring.probes import ProbeResult
from statuspage.monitoring import checks
from statuspage.services import site_version
from statuspage.services.bars import PAST_TTL
from statuspage.services.components import update_component
from statuspage.services.incidents import edit_incident, resolve_incident
from tests.builders import START, SYSTEM, bar, make_component, make_group, make_incident, rendered, statements_sent


@pytest.fixture
def site(app, clock):
    """A component "API" with a health check that never opens incidents by itself; returns the check's id.
    (No app context stays open: requests push their own, each choosing its language.)"""
    with app.app_context():
        make_component("api", "API", group=make_group("Web"))
        check = checks.create_check({"key": "api-http", "name": "API", "component": "api", "kind": "http",
                                     "target": "http://127.0.0.1:9/", "interval": "30s", "failures_to_open": 100},
                                    by=SYSTEM, now=START)
        check_id = check.id
        db.session.remove()
    return check_id


def counted(app, client, path: str = "/") -> tuple[str, int]:
    """The page as rendered now and the number of SQL statements that took."""
    with statements_sent(app) as statements:
        page = rendered(client, path)
    return page, len(statements)


def run(app, check_id: int, ok: bool, at: datetime, *, now: datetime | None = None) -> None:
    """One result of the check, started at `at` and stored at `now` (by default the same)."""
    result = ProbeResult(ok=ok, latency_ms=40 if ok else None, error=None if ok else "refused", started_at=at)
    with app.app_context():
        results.record([results.Outcome(check_id, at, result)], now=now or at, tz=app.config["SETTINGS"].tz)
        db.session.remove()


def test_a_second_rendering_keeps_the_past_days_and_reads_only_todays_rollups(app, client, clock, site):
    run(app, site, False, clock.now() - timedelta(days=2))
    first, first_statements = counted(app, client)
    second, second_statements = counted(app, client)
    assert second == first
    assert "Nov 18, 2026: 0% uptime" in bar(second)
    # The incidents of the 90 days and the two reads of their rollups make way for one read of today's.
    assert second_statements == first_statements - 2


def test_an_edited_incident_shows_on_its_past_day_at_once(app, client, clock, site):
    with app.app_context():
        incident = make_incident("Slow search", impact="minor", components_={"api": "degraded_performance"},
                                 now=clock.now() - timedelta(days=3))
        resolve_incident(incident.id, "Fixed.", by=SYSTEM, now=clock.now() - timedelta(days=3, hours=-1))
    before = bar(rendered(client))
    # Degraded performance is no downtime, but the day is not green either; its words say why.
    assert ('<li class="bar-minor"><span class="tip">Nov 17, 2026: 100% uptime<br>Degraded performance: 1 h'
            '<br>Slow search') in before
    with app.app_context():
        edit_incident(incident.id, name="Search index rebuilt", impact="major", by=SYSTEM, now=clock.now())
    after = bar(rendered(client))
    assert '<span class="tip">Nov 17, 2026: 100% uptime<br>Degraded performance: 1 h<br>Search index rebuilt' \
        in after
    assert "Slow search" not in after


def test_an_incident_opened_now_shows_on_today_at_once(app, client, clock, site):
    run(app, site, True, clock.advance(minutes=5))
    assert "Nov 20, 2026: 100% uptime" in bar(rendered(client))
    with app.app_context():
        make_incident("API errors", impact="critical", components_={"api": "major_outage"}, now=clock.now())
    assert '<li class="bar-ok" tabindex="0"><span class="tip">Nov 20, 2026: 100% uptime<br>API errors' \
        in bar(rendered(client))  # it has lasted no time yet
    clock.advance(minutes=30)  # the component is 35 minutes old: 30 of them in major outage
    assert ('<li class="bar-major" tabindex="0"><span class="tip">Nov 20, 2026: 14.28% uptime<br>Major outage: 30 min'
            '<br>API errors') in bar(rendered(client))


def test_a_renamed_component_renames_its_bar(app, client, clock, site):
    rendered(client)
    with app.app_context():
        update_component("api", name="Public API", by=SYSTEM, now=clock.now())
    page = rendered(client)
    assert bar(page, "Public API, last 90 days") and 'aria-label="API, last 90 days"' not in page


def test_todays_results_show_without_a_change_counted(app, client, clock, site):
    with app.app_context():
        version = site_version.current()
    before = bar(rendered(client))
    assert "Nov 20, 2026: no data" in before
    run(app, site, False, clock.advance(minutes=1))
    after = bar(rendered(client))
    assert '<li class="bar-major" tabindex="0"><span class="tip">Nov 20, 2026: 0% uptime</span></li>' in after
    with app.app_context():
        assert site_version.current() == version  # so the kept past days were used, with today's rollup


def test_a_new_day_moves_the_bar(app, client, clock, site):
    clock.current = datetime(2026, 11, 20, 22, 55, tzinfo=timezone.utc)  # 23:55 in Berlin
    run(app, site, False, clock.now())
    before = bar(rendered(client))
    assert '<span class="tip">Aug 23, 2026 – Nov 19, 2026: no data</span>' in before
    assert before.count("tabindex") == 1 and "Nov 20, 2026: 0% uptime</span></li></ol>" in before
    clock.advance(minutes=6)  # 00:01 on the 21st: a new day, though the kept days are not old yet
    after = bar(rendered(client))
    assert '<span class="tip">Aug 24, 2026 – Nov 19, 2026: no data</span>' in after
    assert "Nov 20, 2026: 0% uptime</span></li>" in after
    assert after.count("tabindex") == 1 and "Nov 21, 2026: 100% uptime</span></li></ol>" in after


def test_results_that_land_on_yesterday_after_midnight_show_once_the_kept_days_are_old(app, client, clock, site):
    clock.current = datetime(2026, 11, 20, 23, 1, tzinfo=timezone.utc)  # 00:01 on the 21st in Berlin
    run(app, site, True, clock.now() - timedelta(minutes=10))
    assert ('<li class="bar-ok w2" tabindex="0"><span class="tip">Nov 20, 2026 – Nov 21, 2026: 100% uptime'
            '</span></li>') in bar(rendered(client))
    # A run that started at 23:59:50 and was stored after midnight, when the past days were already kept.
    run(app, site, False, clock.now() - timedelta(seconds=70), now=clock.now())
    clock.advance(seconds=PAST_TTL.total_seconds())
    assert '<li class="bar-major"><span class="tip">Nov 20, 2026: 50% uptime</span></li>' in bar(rendered(client))


def test_the_component_page_and_other_languages_show_the_same_kept_bar(app, client, clock, site):
    run(app, site, False, clock.now() - timedelta(days=6))
    run(app, site, True, clock.now())
    with app.app_context():
        make_incident("API errors", components_={"api": "partial_outage"}, now=clock.now() - timedelta(days=4))
    home = bar(rendered(client))
    assert bar(rendered(client, "/components/api")) == home
    assert home.count("tabindex") == 1  # one tab stop per bar: the arrow keys move between its parts
    # A failure six days ago, the open incident's five days up to today: a part each, and quiet days before.
    assert home.count("<li") == 8
    # Today: 10 h 12 min of partial outage (counted at 30 %) since midnight.
    german = bar(rendered(client, "/?lang=de"), "API, letzte 90 Tage")
    assert "20.11.2026: 70\u00a0% Verfügbarkeit<br>Teilausfall: 10 Std. 12 Min.<br>API errors" in german
    assert german.count("tabindex") == 1


def test_after_a_change_only_the_bars_whose_incidents_changed_are_made_again(app, client, clock, site):
    with app.app_context():
        make_component("web", "Website", group=make_group("Sites"))
        incident = make_incident("Website slow", impact="minor", components_={"web": "degraded_performance"},
                                 now=clock.now() - timedelta(days=1))
    run(app, site, False, clock.now() - timedelta(days=2))
    rendered(client)
    _kept, kept_statements = counted(app, client)
    entries = app.extensions["statuspage.past_bars"].entries
    api_id, web_id = sorted(entries)
    api_html, web_html = entries[api_id].html, entries[web_id].html
    assert api_html and web_html
    with app.app_context():
        edit_incident(incident.id, name="Website down", impact="critical", by=SYSTEM, now=clock.now())
    page, statements = counted(app, client)
    # The incidents of the window again, and the updates of the changed component's incidents (its status
    # history); not the past rollups.
    assert statements == kept_statements + 2
    entries = app.extensions["statuspage.past_bars"].entries
    assert entries[api_id].html is api_html  # untouched by the change: kept, HTML and all
    assert entries[web_id].html is not web_html
    assert "Nov 19, 2026: 100% uptime<br>Degraded performance: 13 h 48 min<br>Website down" \
        in bar(page, "Website, last 90 days")
    assert "Nov 18, 2026: 0% uptime" in bar(page)
