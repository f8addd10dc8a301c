"""The management API: what scripts do with it, and the errors they get for bad requests."""
import re

import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, Incident
from tests.builders import START, make_component, make_group, make_incident


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_components_can_be_created_read_changed_and_deleted(app, admin):
    group = admin.post("/api/v1/groups", json={"name": "Web", "position": 0}).get_json()
    created = admin.post("/api/v1/components", json={
        "slug": "dashboard", "name": "Dashboard", "description": "Where customers work",
        "group_id": group["id"], "position": 0, "status": "operational"})
    assert created.status_code == 201
    assert created.get_json()["group_id"] == group["id"]
    assert admin.get("/api/v1/components/dashboard").get_json()["name"] == "Dashboard"
    changed = admin.patch("/api/v1/components/dashboard", json={"status": "degraded_performance"})
    assert changed.get_json()["status"] == "degraded_performance"
    assert admin.get("/api/v1/groups").get_json()[0]["components"] == [created.get_json()["id"]]
    assert admin.delete("/api/v1/components/dashboard").status_code == 204
    assert admin.get("/api/v1/components/dashboard").status_code == 404


def test_an_incident_is_opened_updated_and_resolved_as_in_the_contract(app, admin, client):
    with app.app_context():
        make_component("dashboard")
    opened = admin.post("/api/v1/incidents", json={
        "name": "Dashboard down", "status": "investigating", "impact": "major", "body": "Looking.",
        "components": {"dashboard": "major_outage"}})
    assert opened.status_code == 201
    incident = opened.get_json()
    assert incident["components"][0]["status"] == "major_outage"
    updated = admin.post(f"/api/v1/incidents/{incident['id']}/updates",
                         json={"status": "identified", "body": "Found it.", "components": {"dashboard": "partial_outage"}})
    assert updated.status_code == 201
    assert [u["status"] for u in updated.get_json()["incident_updates"]] == ["identified", "investigating"]
    resolved = admin.patch(f"/api/v1/incidents/{incident['id']}", json={"status": "resolved"})
    assert resolved.get_json()["status"] == "resolved" and resolved.get_json()["resolved_at"]
    assert admin.get("/api/v1/components/dashboard").get_json()["status"] == "operational"
    assert "Dashboard down" in client.get(f"/incidents/{incident['id']}").get_data(as_text=True)


def test_writes_go_through_the_services_and_land_in_the_audit_log(app, admin):
    admin.post("/api/v1/incidents", json={"name": "Slow", "impact": "minor", "body": "x"})
    assert count(app, AuditEntry, AuditEntry.action == "incident.open", AuditEntry.actor == "token:deploy") == 1


def test_maintenance_is_scheduled_and_moved_along(app, admin):
    with app.app_context():
        make_component("database")
    created = admin.post("/api/v1/maintenances", json={
        "name": "Upgrade", "body": "Planned.", "scheduled_for": "2026-12-01T22:00:00+01:00",
        "scheduled_until": "2026-12-02T00:00:00+01:00", "components": {"database": "under_maintenance"}})
    assert created.status_code == 201
    maintenance = created.get_json()
    assert maintenance["scheduled_for"] == "2026-12-01T22:00:00.000+01:00"
    started = admin.patch(f"/api/v1/maintenances/{maintenance['id']}", json={"status": "in_progress"})
    assert started.get_json()["status"] == "in_progress"
    assert admin.get("/api/v1/components/database").get_json()["status"] == "under_maintenance"
    assert admin.get(f"/api/v1/incidents/{maintenance['id']}").status_code == 404


def test_lists_are_paginated_with_link_headers(app, admin):
    with app.app_context():
        for n in range(5):
            make_incident(f"Incident {n}", now=START)
    response = admin.get("/api/v1/incidents?per_page=2&page=2")
    assert len(response.get_json()) == 2
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    assert '/api/v1/incidents?per_page=2&page=3>; rel="next"' in links
    assert '/api/v1/incidents?per_page=2&page=1>; rel="prev"' in links
    assert '/api/v1/incidents?per_page=2&page=3>; rel="last"' in links


def test_incidents_filter_by_status_and_component(app, admin):
    with app.app_context():
        make_component("api")
        make_component("web")
        make_incident("API down", components_={"api": "major_outage"})
        make_incident("Web slow", components_={"web": "degraded_performance"}, status="identified")
    assert [i["name"] for i in admin.get("/api/v1/incidents?component=api").get_json()] == ["API down"]
    assert [i["name"] for i in admin.get("/api/v1/incidents?status=identified").get_json()] == ["Web slow"]
    assert admin.get("/api/v1/incidents?component=nope").get_json() == []
    assert admin.get("/api/v1/incidents?status=bogus").status_code == 422


def test_a_stale_if_match_is_refused_so_two_engineers_cannot_overwrite_each_other(app, admin):
    with app.app_context():
        incident = make_incident()
    first_read = admin.get(f"/api/v1/incidents/{incident.id}")
    etag = first_read.headers["ETag"]
    assert admin.patch(f"/api/v1/incidents/{incident.id}", json={"name": "Renamed by Ana"},
                       headers={"If-Match": etag}).status_code == 200
    stale = admin.patch(f"/api/v1/incidents/{incident.id}", json={"name": "Renamed by Ben"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["code"] == "precondition_failed"
    assert admin.get(f"/api/v1/incidents/{incident.id}").get_json()["name"] == "Renamed by Ana"


@pytest.mark.parametrize("body, content_type, status, code", [
    ("{not json", "application/json", 400, "invalid_json"),
    ("name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("[1, 2]", "application/json", 422, "invalid"),
    ('{"name": "x", "impact": "apocalyptic"}', "application/json", 422, "invalid"),
    ('{"name": 5}', "application/json", 422, "invalid"),
    ('{"name": "x", "components": {"nope": "major_outage"}}', "application/json", 422, "unknown_component"),
    ('{"name": "x", "unknown": 1}', "application/json", 422, "invalid"),
])
def test_bad_requests_get_the_contracts_error_and_store_nothing(app, admin, body, content_type, status, code):
    response = admin.post("/api/v1/incidents", data=body, content_type=content_type)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert count(app, Incident) == 0


def test_validation_errors_name_the_field(admin):
    error = admin.post("/api/v1/incidents", json={"name": "x", "impact": "apocalyptic"}).get_json()["error"]
    assert error["field"] == "impact" and error["message"].startswith("impact:")


def test_an_oversized_body_gets_413(admin):
    response = admin.post("/api/v1/incidents", json={"name": "x", "body": "y" * 1_100_000})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_a_taken_slug_is_a_conflict(app, admin):
    with app.app_context():
        make_component("api")
    response = admin.post("/api/v1/components", json={"slug": "api", "name": "Another"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "slug_taken"
    assert count(app, Component) == 1


def test_unknown_objects_are_404_in_the_error_envelope(admin):
    for path in ("/api/v1/incidents/999", "/api/v1/components/nope", "/api/v1/groups/5", "/api/v1/maintenances/3",
                 "/api/v1/incidents/99999999999999999999", "/api/v1/nothing-here"):
        response = admin.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"].endswith("not_found"), path


def test_a_resolved_incident_cannot_be_reopened(app, admin):
    with app.app_context():
        incident = make_incident()
    admin.patch(f"/api/v1/incidents/{incident.id}", json={"status": "resolved"})
    response = admin.post(f"/api/v1/incidents/{incident.id}/updates", json={"status": "investigating", "body": "?"})
    assert response.status_code == 409


def test_groups_keep_their_members_when_renamed_and_free_them_when_deleted(app, admin):
    with app.app_context():
        group = make_group("Web")
        make_component("site", group=group)
    assert admin.patch(f"/api/v1/groups/{group.id}", json={"name": "Website"}).get_json()["name"] == "Website"
    assert admin.delete(f"/api/v1/groups/{group.id}").status_code == 204
    assert admin.get("/api/v1/components/site").get_json()["group_id"] is None


def test_the_openapi_document_is_openapi_3_with_bearer_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert "/api/v1/incidents/{incident_id}/updates" in spec["paths"]


def test_a_group_id_is_accepted_as_shown_or_bare(app, admin):
    with app.app_context():
        group = make_group("Web")
    assert admin.post("/api/v1/components", json={"slug": "a", "name": "A", "group_id": f"g{group.id}"}).status_code == 201
    assert admin.post("/api/v1/components", json={"slug": "b", "name": "B", "group_id": group.id}).status_code == 201
    assert admin.get(f"/api/v1/groups/g{group.id}").get_json()["components"] == ["1", "2"]
    bad = admin.post("/api/v1/components", json={"slug": "c", "name": "C", "group_id": "gx"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "group_id"


def test_a_component_filter_that_cannot_be_a_slug_finds_nothing(admin):
    for value in ("\x00", "a\x00b", "UPPER", "../x"):
        response = admin.get("/api/v1/incidents", query_string={"component": value})
        assert response.status_code == 200 and response.get_json() == [], value


def test_admins_import_list_read_and_remove_subscribers(app, admin):
    with app.app_context():
        make_component("api")
    created = admin.post("/api/v1/subscribers", json={"email": "Ana@Example.com", "components": ["api"],
                                                      "lang": "de", "confirmed": True})
    assert created.status_code == 201
    subscriber = created.get_json()
    assert subscriber["email"] == "ana@example.com" and subscriber["confirmed"] is True
    assert subscriber["components"] == ["api"] and subscriber["lang"] == "de"
    assert [s["id"] for s in admin.get("/api/v1/subscribers").get_json()] == [subscriber["id"]]
    assert admin.get(f"/api/v1/subscribers/{subscriber['id']}").get_json()["channel"] == "email"
    assert admin.delete(f"/api/v1/subscribers/{subscriber['id']}").status_code == 204
    assert admin.get(f"/api/v1/subscribers/{subscriber['id']}").status_code == 404


def test_a_subscriber_needs_one_address(admin):
    both = admin.post("/api/v1/subscribers", json={"email": "a@example.com", "webhook_url": "https://93.184.216.34/h"})
    assert both.status_code == 422
    assert admin.post("/api/v1/subscribers", json={"lang": "de"}).status_code == 422
    assert admin.post("/api/v1/subscribers", json={"email": "a@example.com", "components": ["nope"]}).status_code == 422


@pytest.mark.parametrize("headers", [{"X-Forwarded-Host": "evil.example"}, {"Host": "evil.example"},
                                     {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}],
                         ids=["x-forwarded-host", "host", "host-and-proto"])
def test_link_headers_use_the_configured_base_url_never_the_request_host(app, admin, headers):
    with app.app_context():
        for n in range(3):
            make_incident(f"Incident {n}", now=START)
    links = admin.get("/api/v1/incidents?per_page=1&page=2", headers=headers).headers["Link"]
    targets = re.findall(r"<([^>]+)>", links)
    assert len(targets) == 4 and all(t.startswith("https://status.example.com/api/v1/incidents?") for t in targets), \
        links
