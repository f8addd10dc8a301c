"""Uptime from the statuses incidents gave a component (services/status_history.py): Statuspage's weights,
the component's own history inside each incident's window, the incident's status where that history is
silent, and nothing outside any incident."""
import pytest

from statuspage.services import status_history
from statuspage.services.bar_days import DayStat, day_level, day_stat

H = 3600.0


def incident(started, resolved, status="major_outage", incident_id=1):
    return (incident_id, "Outage", "critical", started, resolved, status)


def test_a_major_outage_counts_in_full_and_a_partial_one_at_thirty_percent():
    assert status_history.downtime(major=600, partial=0) == 600
    assert status_history.downtime(major=0, partial=1000) == pytest.approx(300)
    assert status_history.WEIGHTS == {"major_outage": 1.0, "partial_outage": 0.3}


def test_without_recorded_changes_the_incident_gives_its_status_for_its_whole_window():
    found = status_history.segments([incident(10 * H, 12 * H, "partial_outage")], [])
    assert found == ((10 * H, 12 * H, "partial_outage"),)


def test_the_components_own_history_wins_inside_the_window():
    # Opened as a major outage, eased to degraded performance an hour later, resolved after three hours.
    changes = [(10 * H, 1, "operational", "major_outage"), (11 * H, 1, "major_outage", "degraded_performance"),
               (13 * H, 1, "degraded_performance", "operational")]
    found = status_history.segments([incident(10 * H, 13 * H, "degraded_performance")], changes)
    assert found == ((10 * H, 11 * H, "major_outage"), (11 * H, 13 * H, "degraded_performance"))
    major, partial, degraded = status_history.time_in(found, 0, 24 * H)
    assert (major, partial, degraded) == (H, 0, 2 * H)


def test_an_open_incident_lasts_until_now_and_maintenance_is_not_trouble():
    assert status_history.segments([incident(5 * H, None)], []) == ((5 * H, None, "major_outage"),)
    assert status_history.segments([incident(5 * H, 6 * H, "under_maintenance")], []) == ()
    assert status_history.time_in(((5 * H, None, "major_outage"),), 0, 7 * H) == (2 * H, 0, 0)


def test_overlapping_incidents_count_the_worse_status_once():
    # A degraded-performance incident inside a major outage that another incident holds.
    found = status_history.segments([incident(10 * H, 14 * H, "major_outage", 1),
                                     incident(11 * H, 16 * H, "degraded_performance", 2)], [])
    assert found == ((10 * H, 14 * H, "major_outage"), (14 * H, 16 * H, "degraded_performance"))


def test_a_status_set_by_hand_outside_any_incident_is_not_history():
    # The history says the component went from major outage (set by hand) to partial with the incident:
    # only the incident's window counts, not the months before it.
    changes = [(10 * H, 1, "major_outage", "partial_outage"), (12 * H, 1, "partial_outage", "operational")]
    assert status_history.segments([incident(10 * H, 12 * H, "partial_outage")], changes) == \
        ((10 * H, 12 * H, "partial_outage"),)


def test_time_in_trouble_is_split_by_day():
    stamps = [0.0, 24 * H, 48 * H]
    days = status_history.by_day(((22 * H, 26 * H, "major_outage"), (30 * H, 31 * H, "degraded_performance")),
                                 stamps, 48 * H)
    assert days == {0: (2 * H, 0.0, 0.0), 1: (2 * H, 0.0, H)}


def test_a_day_counts_the_worse_of_failed_runs_and_statuses_never_both():
    day = 24 * H
    # Two hours of major outage; the checks failed 5 % of their runs that day (72 minutes' worth).
    stat = DayStat(*day_stat(day, (1000, 50), (2 * H, 0.0, 0.0)))
    assert stat.down == 2 * H and stat.uptime == pytest.approx(100 * (1 - 2 / 24))
    assert DayStat(*day_stat(day, (1000, 100), (2 * H, 0.0, 0.0))).down == pytest.approx(0.1 * day)


def test_degraded_performance_is_no_downtime_but_colours_the_day():
    stat = DayStat(*day_stat(24 * H, None, (0.0, 0.0, 3 * H)))
    assert stat.uptime == 100.0
    assert day_level(stat.uptime, stat[2:]) == "minor"
    assert day_level(100.0, (0, 0, 0)) == "ok"
    assert day_level(None) == "none"
    assert day_level(96.0, (H, 0, 0)) == "partial" and day_level(90.0) == "major"
