"""Uptime for components without checks, from the statuses their incidents gave them (as Statuspage does),
merged with the checks' runs where there are some; every figure says over what time, and agrees with the
bar it sits on."""
import re
from datetime import timedelta

import pytest

from statuspage.extensions import db
from statuspage.monitoring import results
from statuspage.monitoring.probes import ProbeResult
from statuspage.monitoring import checks
from statuspage.services import incidents, page
from statuspage.services.components import get_component
from tests.builders import START, SYSTEM, bar, make_component, make_group, make_incident, rendered



@pytest.fixture
def api(app, clock):
    """A component "API" added 30 days ago, with no health check."""
    with app.app_context():
        make_component("api", "API", group=make_group("Web"), now=START - timedelta(days=30))
        db.session.remove()


def outage(app, *, hours_ago: float, lasting: float, status: str = "major_outage", impact: str = "critical",
           then: str | None = None, name: str = "API errors"):
    """A resolved incident that began `hours_ago`, gave the API `status` (and `then` halfway), and lasted
    `lasting` hours."""
    started = START - timedelta(hours=hours_ago)
    with app.app_context():
        incident = make_incident(name, impact=impact, components_={"api": status}, now=started)
        if then:
            incidents.post_update(incident.id, status="identified", body="Easing.", components={"api": then},
                                  by=SYSTEM, now=started + timedelta(hours=lasting / 2))
        incidents.resolve_incident(incident.id, "Fixed.", by=SYSTEM, now=started + timedelta(hours=lasting))
        db.session.remove()


def parts(html: str) -> list[tuple[str, str]]:
    """(class, words) of each part of a bar."""
    return re.findall(r'<li class="([^"]+)"[^>]*><span class="tip">(.*?)</span></li>', html)


def test_a_component_without_checks_is_green_since_it_was_added_and_has_no_data_before(app, client, api):
    html = bar(rendered(client))
    assert parts(html)[0] == ("bar-none w59", "Aug 23, 2026 – Oct 20, 2026: no data")
    assert parts(html)[1] == ("bar-ok w31", "Oct 21, 2026 – Nov 20, 2026: 100% uptime")
    assert "100% uptime over 30 days" in html


def test_an_outage_counts_by_its_status_and_how_long_it_lasted(app, client, clock, api):
    # Nov 17: two hours of major outage (down in full), then two of partial outage (down at 30 %).
    outage(app, hours_ago=72, lasting=4, then="partial_outage")
    html = bar(rendered(client))
    day = [p for p in parts(html) if p[1].startswith("Nov 17")][0]
    assert day == ("bar-major", "Nov 17, 2026: 89.16% uptime<br>Major outage: 2 h<br>Partial outage: 2 h<br>API errors")
    assert "99.63% uptime over 30 days" in html  # 2.6 hours down in the 720 the API has existed


def test_a_short_partial_outage_is_a_light_day_not_a_red_one(app, client, api):
    outage(app, hours_ago=50, lasting=0.5, status="partial_outage", impact="major")  # 9 minutes' worth
    day = [p for p in parts(bar(rendered(client))) if p[1].startswith("Nov 18")][0]
    assert day == ("bar-minor", "Nov 18, 2026: 99.37% uptime<br>Partial outage: 30 min<br>API errors")


def test_degraded_performance_under_a_critical_incident_is_no_downtime_and_the_day_says_so(app, client, api):
    """The issue's contradiction: "Degraded" under an "unavailable" incident showed 100 % beside a red day."""
    outage(app, hours_ago=30, lasting=3, status="degraded_performance", impact="critical")
    html = bar(rendered(client))
    day = [p for p in parts(html) if p[1].startswith("Nov 19")][0]
    assert day == ("bar-minor", "Nov 19, 2026: 100% uptime<br>Degraded performance: 3 h<br>API errors")
    assert "100% uptime over 30 days" in html
    for level, words in parts(html):  # no day says 100 % in a colour of trouble worse than degraded
        assert not ("100% uptime" in words and level.split()[0] in ("bar-partial", "bar-major")), words


def test_an_incident_entered_with_an_earlier_start_shows_on_its_past_days_at_once(app, client, clock, api):
    before = bar(rendered(client))
    assert not [p for p in parts(before) if p[0].startswith("bar-major")]
    with app.app_context():
        incidents.open_incident(name="Database down", impact="critical", body="Since Wednesday.",
                                components={"api": "major_outage"}, started_at=START - timedelta(days=2),
                                by=SYSTEM, now=clock.now())
    after = parts(bar(rendered(client)))
    assert ("bar-major", "Nov 18, 2026: 42.5% uptime<br>Major outage: 13 h 48 min<br>Database down") in after
    assert ("bar-major", "Nov 19, 2026: 0% uptime<br>Major outage: 24 h<br>Database down") in after


def test_a_status_change_in_an_open_incident_changes_only_the_time_after_it(app, client, clock, api):
    with app.app_context():
        incident = make_incident("API slow", impact="minor", components_={"api": "partial_outage"},
                                 now=START - timedelta(days=1))
    rendered(client)
    with app.app_context():
        incidents.post_update(incident.id, status="identified", body="Worse.", components={"api": "major_outage"},
                              by=SYSTEM, now=clock.now())
    clock.advance(hours=1)
    after = parts(bar(rendered(client)))
    assert ("bar-major", "Nov 19, 2026: 82.75% uptime<br>Partial outage: 13 h 48 min<br>API slow") in after
    assert after[-1][1] == ("Nov 20, 2026: 63.75% uptime<br>Major outage: 1 h<br>Partial outage: 10 h 12 min"
                            "<br>API slow")


def test_two_minutes_of_data_say_two_minutes_not_ninety_days(app, client, clock):
    with app.app_context():
        make_component("api", "API")
        check = checks.create_check({"key": "api-http", "name": "API", "component": "api", "kind": "http",
                                     "target": "http://127.0.0.1:9/", "failures_to_open": 100}, by=SYSTEM, now=START)
        for minute in (1, 2):
            at = START + timedelta(minutes=minute)
            results.record([results.Outcome(check.id, at, ProbeResult(ok=False, latency_ms=None, error="refused",
                                                                       started_at=at))],
                           now=at, tz=app.config["SETTINGS"].tz)
        db.session.remove()
    clock.advance(minutes=2)
    html = bar(rendered(client))
    assert "<span>0% uptime over 2 minutes</span>" in html
    component = rendered(client, "/components/api")
    figures = component[component.index('<dl class="uptime-figures">'):component.index("</dl>")]
    assert "Last 24 hours" not in figures  # the 24 hours are not over yet: said as what they are
    assert "Since Nov 20, 2026, 10:12\u202fAM CET" in figures and "over 2 minutes" in figures


def test_the_component_pages_figures_agree_with_its_bar(app, client, clock, api):
    outage(app, hours_ago=72, lasting=4)  # Nov 17: 4 hours of major outage
    with app.app_context():
        view = page.component_page(get_component("api"), now=clock.now(), tz=app.config["SETTINGS"].tz)
        db.session.remove()
    day = [d for d in view.bars if d.day.isoformat() == "2026-11-17"][0]
    assert day.uptime == pytest.approx(100 * (1 - 4 / 24)) and day.level == "major"
    assert view.figures["90d"].uptime == pytest.approx(view.bar.uptime)
    assert view.figures["7d"].is_whole and view.figures["7d"].uptime == pytest.approx(
        100 * (1 - 4 * 3600 / view.figures["7d"].observed))
    assert view.figures["24h"].uptime == 100.0
    assert not view.figures["90d"].is_whole  # the API is 30 days old
    html = rendered(client, "/components/api")
    assert "Last 7 days" in html and "Last 30 days" in html and "Last 90 days" not in html
    assert "over 30 days" in html
