"""Response-time charts (web/charts.py): drawn from the first hour with data, with time and ms axes, the
words of each hour for hover and keyboard, and an empty state that says why there is nothing to draw."""
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from statuspage.services.uptime import LatencyPoint
from statuspage.web import charts

NOW = datetime(2026, 11, 20, 9, 40, tzinfo=timezone.utc)  # 10:40 in Berlin
HOUR = timedelta(hours=1)


@pytest.fixture
def english(app):
    """A request in English (the words of a chart are in the reader's language)."""
    with app.test_request_context("/?lang=en"):
        yield


def hours(values, failures=None) -> list[LatencyPoint]:
    """24 hourly points ending with the current hour; values (ms or None) fill the last ones."""
    first = NOW.replace(minute=0) - 23 * HOUR
    points = [LatencyPoint(first + n * HOUR, None, None, 0) for n in range(24)]
    for n, value in enumerate(values, start=24 - len(values)):
        points[n] = LatencyPoint(points[n].starts_at, value, None if value is None else int(value * 1.5),
                                 (failures or {}).get(n - 24 + len(values), 0))
    return points


@pytest.mark.usefixtures("english")
def test_a_single_hour_of_data_is_drawn_from_its_first_point():
    chart = charts.latency_chart(hours([80.0]), now=NOW)
    assert chart.has_data and chart.lines == [] and chart.dots.count("M") == 1
    assert chart.since == NOW.replace(minute=0)  # the axis starts at the first point, not 23 hours before it
    x, y, words = chart.data[0]
    assert x == 50.0 and y == pytest.approx(100 - 80)  # the middle of 9:00 to now; 80 of a 100 ms ceiling
    assert words == "Nov 20, 2026, 10:00\u202fAM–11:00\u202fAM CET: average 80 ms, 95th percentile 120 ms"
    assert chart.y_ticks == ["100 ms", "50 ms", "0 ms"]


@pytest.mark.usefixtures("english")
def test_a_day_has_time_labels_and_a_gap_where_nothing_ran():
    values = [40.0] * 10 + [None] + [60.0] * 13
    chart = charts.latency_chart(hours(values, failures={12: 3}), now=NOW)
    assert len(chart.lines) == 2  # broken where an hour had no runs
    assert chart.since is None and len(chart.data) == 23
    assert 2 <= len(chart.x_ticks) <= charts.MAX_TICKS
    assert [label for _x, label, _anchor in chart.x_ticks] == ["12:00\u202fPM", "6:00\u202fPM", "12:00\u202fAM",
                                                               "6:00\u202fAM"]
    assert len(chart.failures) == 1 and "3 failed runs" in chart.data[11][2]
    assert chart.rows[-1] == ("Nov 20, 2026, 10:00\u202fAM", "60 ms", "90 ms", 0)


@pytest.mark.usefixtures("english")
def test_an_hour_of_failures_only_is_told_without_a_dot():
    points = hours([50.0, None])
    points[-1] = dataclasses.replace(points[-1], failures=4)
    chart = charts.latency_chart(points, now=NOW)
    assert chart.data[-1][1] is None and chart.data[-1][2].endswith(": 4 failed runs")
    assert chart.dots.count("M") == 1


@pytest.mark.parametrize(("checks", "state"), [
    ([], "no-check"),
    ([("heartbeat", True, None)], "heartbeat"),
    ([("http", True, None)], "waiting"),
    ([("http", False, NOW)], "paused"),
    ([("http", True, NOW), ("heartbeat", True, NOW)], "quiet"),
])
def test_an_empty_chart_says_why(checks, state):
    assert charts.chart_state(checks) == state
    assert charts.latency_chart(hours([]), now=NOW, state=state).state == state


def test_the_component_page_says_when_its_check_has_not_run_yet(app, client, clock):
    from statuspage.extensions import db
    from statuspage.monitoring import checks as service
    from tests.builders import START, SYSTEM, make_component

    with app.app_context():
        make_component("api", "API")
        make_component("web", "Web")
        service.create_check({"key": "api-http", "name": "API", "component": "api", "kind": "http",
                              "target": "http://127.0.0.1:9/"}, by=SYSTEM, now=START)
        db.session.remove()
    assert "Waiting for the first result" in client.get("/components/api").get_data(as_text=True)
    assert "No health check watches this component" in client.get("/components/web").get_data(as_text=True)
