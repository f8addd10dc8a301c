"""Opening, updating and resolving incidents; maintenance windows; what components show meanwhile."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from statuspage.errors import Conflict, Invalid, NotFound
from statuspage.extensions import db
from statuspage.models import AuditEntry, Component
from statuspage.services import incidents, page
from tests.builders import SYSTEM, make_component, make_incident, make_maintenance


def status_of(slug):
    return db.session.scalar(select(Component.status).where(Component.slug == slug)).value


def test_opening_an_incident_sets_its_components_and_records_the_change(ctx, clock):
    make_component("api")
    incident = make_incident(components_={"api": "partial_outage"}, now=clock.now())
    assert status_of("api") == "partial_outage"
    first = incident.updates[0]
    assert first.affected_components == [
        {"code": str(incident.affected[0].component_id), "name": "Api", "old_status": "operational",
         "new_status": "partial_outage"}]
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.target_type == "incidents", AuditEntry.target_id == str(incident.id))) == "incident.open"


def test_resolving_frees_components_unless_another_incident_holds_them(ctx, clock):
    make_component("api")
    make_component("web")
    first = make_incident(components_={"api": "major_outage", "web": "degraded_performance"}, now=clock.now())
    make_incident("Second", components_={"api": "degraded_performance"}, now=clock.advance(minutes=1))
    incidents.resolve_incident(first.id, "Fixed.", by=SYSTEM, now=clock.advance(minutes=30))
    assert status_of("web") == "operational"
    assert status_of("api") == "degraded_performance"
    resolved = incidents.get_incident(first.id)
    assert resolved.status == "resolved" and resolved.resolved_at == clock.now()


def test_an_update_can_change_component_statuses(ctx, clock):
    make_component("api")
    incident = make_incident(components_={"api": "major_outage"}, now=clock.now())
    update = incidents.post_update(incident.id, status="monitoring", body="Recovering.",
                                   components={"api": "degraded_performance"}, by=SYSTEM, now=clock.advance(minutes=9))
    assert status_of("api") == "degraded_performance"
    assert update.affected_components[0]["old_status"] == "major_outage"
    assert incidents.get_incident(incident.id).monitoring_at == clock.now()


def test_a_resolved_incident_cannot_be_reopened(ctx, clock):
    incident = make_incident(now=clock.now())
    incidents.resolve_incident(incident.id, "Done.", by=SYSTEM, now=clock.advance(minutes=1))
    with pytest.raises(Conflict):
        incidents.post_update(incident.id, status="investigating", body="Again?", by=SYSTEM, now=clock.now())
    incidents.post_update(incident.id, status="postmortem", body="What happened.", by=SYSTEM, now=clock.now())


@pytest.mark.parametrize("fields, field", [
    ({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"impact": "apocalyptic"}, "impact"),
    ({"status": "resolved-ish"}, "status"), ({"components": {"nope": "major_outage"}}, "components"),
    ({"components": {"api": "on_fire"}}, "components.api"), ({"components": ["api"]}, "components"),
])
def test_invalid_incidents_are_refused_naming_the_field_and_store_nothing(ctx, clock, fields, field):
    make_component("api")
    arguments = {"name": "Broken", "body": "text", "impact": "minor", "status": "investigating"} | fields
    with pytest.raises(Invalid) as raised:
        incidents.open_incident(**arguments, by=SYSTEM, now=clock.now())
    assert raised.value.field == field
    db.session.rollback()
    assert page.open_incidents() == []
    assert status_of("api") == "operational"


def test_unknown_incident_is_not_found(ctx, clock):
    with pytest.raises(NotFound):
        incidents.post_update(404, status="identified", body="x", by=SYSTEM, now=clock.now())


def test_maintenance_moves_itself_through_its_window(ctx, clock):
    make_component("database")
    maintenance = make_maintenance(starts=clock.now() + timedelta(hours=1), hours=2, now=clock.now())
    assert status_of("database") == "operational"
    assert incidents.advance_maintenance(now=clock.advance(minutes=30), by=SYSTEM) == []
    incidents.advance_maintenance(now=clock.advance(minutes=31), by=SYSTEM)
    assert incidents.get_incident(maintenance.id, incidents.IncidentKind.MAINTENANCE).status == "in_progress"
    assert status_of("database") == "under_maintenance"
    incidents.advance_maintenance(now=clock.advance(hours=2), by=SYSTEM)
    assert incidents.get_incident(maintenance.id, incidents.IncidentKind.MAINTENANCE).status == "completed"
    assert status_of("database") == "operational"


def test_an_outage_during_maintenance_outranks_it(ctx, clock):
    make_component("database")
    maintenance = make_maintenance(starts=clock.now(), now=clock.now())
    incidents.post_update(maintenance.id, status="in_progress", body="", kind=incidents.IncidentKind.MAINTENANCE,
                          by=SYSTEM, now=clock.now())
    make_incident(components_={"database": "major_outage"}, now=clock.now())
    assert status_of("database") == "major_outage"


def test_a_maintenance_window_must_end_after_it_starts(ctx, clock):
    with pytest.raises(Invalid):
        incidents.schedule_maintenance(name="x", body="y", components=[], scheduled_for=clock.now(),
                                       scheduled_until=clock.now(), by=SYSTEM, now=clock.now())
