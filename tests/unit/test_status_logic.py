"""The rules that turn components and incidents into the page's overall status."""
from types import SimpleNamespace

import pytest

from statuspage.models import ComponentStatus, Impact, Role
from statuspage.services.page import overall_status


def component(status):
    return SimpleNamespace(status=ComponentStatus(status))


def incident(impact="none", maintenance=False, active=False):
    return SimpleNamespace(impact=Impact(impact), is_maintenance=maintenance, is_active_maintenance=active)


def test_nothing_wrong_means_all_systems_operational():
    status = overall_status([component("operational")] * 3, [])
    assert (status.indicator, status.description) == ("none", "All Systems Operational")


@pytest.mark.parametrize("worst, indicator", [
    ("degraded_performance", "minor"), ("partial_outage", "major"), ("major_outage", "critical")])
def test_the_worst_component_sets_the_indicator(worst, indicator):
    assert overall_status([component("operational"), component(worst)], []).indicator == indicator


def test_an_open_incident_impact_outranks_calmer_components():
    assert overall_status([component("degraded_performance")], [incident("critical")]).indicator == "critical"


def test_a_worse_component_outranks_a_milder_incident():
    assert overall_status([component("major_outage")], [incident("minor")]).indicator == "critical"


def test_maintenance_shows_only_when_nothing_is_broken():
    assert overall_status([component("under_maintenance")], []).indicator == "maintenance"
    assert overall_status([component("operational")], [incident(maintenance=True, active=True)]).indicator == "maintenance"
    assert overall_status([component("under_maintenance")], [incident("minor")]).indicator == "minor"


def test_upcoming_maintenance_does_not_change_the_page():
    assert overall_status([component("operational")], [incident(maintenance=True, active=False)]).indicator == "none"


def test_severity_orders_outages_above_maintenance():
    ordered = sorted(ComponentStatus, key=lambda s: s.severity)
    assert ordered == [ComponentStatus.OPERATIONAL, ComponentStatus.UNDER_MAINTENANCE,
                       ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.PARTIAL_OUTAGE,
                       ComponentStatus.MAJOR_OUTAGE]


@pytest.mark.parametrize("role, needed, allowed", [
    ("viewer", "viewer", True), ("viewer", "responder", False), ("responder", "responder", True),
    ("responder", "admin", False), ("admin", "responder", True), ("admin", "intake", True),
    ("intake", "viewer", False), ("responder", "intake", False), ("intake", "intake", True),
    ("alerts", "alerts", True), ("admin", "alerts", True), ("responder", "alerts", False), ("intake", "alerts", False),
    ("alerts", "intake", False), ("alerts", "viewer", False)])
def test_roles_include_the_ones_below_them(role, needed, allowed):
    assert Role(role).allows(Role(needed)) is allowed
