"""The Statuspage-compatible read API: every response against JSON Schemas written from Statuspage's
v2 documentation (tests/schemas/statuspage_v2), what each endpoint holds, and its HTTP behaviour; on the
default page and on a second page by its /p/<slug> prefix and by its host (the `place` fixture,
tests/conftest.py): each page is a whole Statuspage v2 API of its own, naming itself and its own URL."""
from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from statuspage.serialize import group_key
from statuspage.extensions import db
from statuspage.models import IncidentKind
from statuspage.services.incidents import open_incident, post_update, publish_incident, resolve_incident
from tests.builders import (
    ELSEWHERE, SYSTEM, START, built_once, make_component, make_group, make_incident, make_maintenance,
)

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "statuspage_v2"
ENDPOINTS = {
    "/api/v2/summary.json": "summary.json",
    "/api/v2/status.json": "status.json",
    "/api/v2/components.json": "components.json",
    "/api/v2/incidents.json": "incidents.json",
    "/api/v2/incidents/unresolved.json": "incidents_unresolved.json",
    "/api/v2/scheduled-maintenances.json": "scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json": "scheduled-maintenances_upcoming.json",
    "/api/v2/scheduled-maintenances/active.json": "scheduled-maintenances_active.json",
}
TIME_KEYS = {"created_at", "updated_at", "monitoring_at", "resolved_at", "started_at", "display_at",
             "scheduled_for", "scheduled_until"}


def _load_schemas() -> tuple[dict[str, dict], Registry]:
    schemas = {path.name: json.loads(path.read_text()) for path in sorted(SCHEMA_DIR.glob("*.json"))}
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    return schemas, registry


SCHEMAS, REGISTRY = _load_schemas()


def validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[schema_name], registry=REGISTRY)


def schema_errors(schema_name: str, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator(schema_name).iter_errors(document)]


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert ELSEWHERE not in response.get_data(as_text=True)  # what only another page shows
    return response.get_json()


def times_in(document):
    """Every (key, value) of a time field anywhere in a response."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in TIME_KEYS:
                yield key, value
            yield from times_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from times_in(item)


def berlin(hours: float = 0, minutes: int = 0) -> str:
    """START plus an offset, as the page writes it (Europe/Berlin is +01:00 in November)."""
    moment = START + timedelta(hours=hours, minutes=minutes) + timedelta(hours=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+01:00")


@pytest.fixture
def client(place_client):
    return place_client


@pytest.fixture
def site(app, clock, place):
    """A realistic page: two groups, an ungrouped component, an open incident with several updates, a resolved
    incident, maintenance completed, in progress and upcoming. Returns the ids the tests look for, with the clock
    at the end of that story (built once per place, restored for every later test)."""
    ids, now = built_once(app, f"api-v2 site on {place.how}", lambda: (_build_site(app, clock, place), clock.now()))
    clock.current = now
    return ids


def _build_site(app, clock, place) -> dict:
    t0 = clock.now()  # 2026-11-20 09:12 UTC, 10:12 in Berlin
    with app.app_context():
        web = make_group("Web", now=t0)
        infra = make_group("Infrastructure", now=t0)
        api = make_component("api", "API", now=t0)
        website = make_component("website", "Website", group=web, now=t0)
        dashboard = make_component("dashboard", "Dashboard", group=web, now=t0)
        database = make_component("database", "Database", group=infra, now=t0)
        queue = make_component("queue", "Queue", group=infra, now=t0)
        place.show("api", "website", "dashboard", "database", "queue")

        done = make_maintenance("Network switch swap", components_=("queue",), starts=t0 + timedelta(minutes=10),
                                hours=1, now=t0)
        post_update(done.id, status="in_progress", body="Swapping the switch.", kind=IncidentKind.MAINTENANCE,
                    by=SYSTEM, now=clock.advance(minutes=10))
        post_update(done.id, status="completed", body="Done.", kind=IncidentKind.MAINTENANCE,
                    by=SYSTEM, now=clock.advance(hours=1))

        resolved = make_incident("Website slow", components_={"website": "degraded_performance"}, impact="minor",
                                 body="Pages load slowly.", now=clock.advance(minutes=50))   # t0 + 2h
        resolve_incident(resolved.id, "Fixed.", by=SYSTEM, now=clock.advance(hours=1))    # t0 + 3h

        active = make_maintenance("Database upgrade", components_=("database",),
                                  starts=clock.now() + timedelta(hours=1), hours=4, now=clock.now())
        post_update(active.id, status="in_progress", body="The upgrade has started.",
                    kind=IncidentKind.MAINTENANCE, by=SYSTEM, now=clock.advance(hours=1))  # t0 + 4h

        incident = make_incident("Elevated API errors", components_={"api": "partial_outage"}, impact="critical",
                                 body="We are investigating errors on the API.",
                                 now=clock.advance(minutes=30))                              # t0 + 4h30
        post_update(incident.id, status="identified", body="A bad deploy; rolling back.",
                    components={"api": "major_outage", "dashboard": "degraded_performance"},
                    by=SYSTEM, now=clock.advance(minutes=15))                                # t0 + 4h45
        post_update(incident.id, status="monitoring", body="Rolled back; error rates are falling.",
                    components={"api": "degraded_performance"}, by=SYSTEM,
                    now=clock.advance(minutes=15))                                           # t0 + 5h

        upcoming = make_maintenance("Queue upgrade", components_=("queue",), starts=clock.now() + timedelta(days=3),
                                    hours=2, now=clock.now())
        return {
            "groups": {"web": group_key(web.id), "infra": group_key(infra.id)},
            "components": {c.slug: str(c.id) for c in (api, website, dashboard, database, queue)},
            "open": str(incident.id), "resolved": str(resolved.id),
            "completed": str(done.id), "active": str(active.id), "upcoming": str(upcoming.id),
        }


@pytest.fixture(scope="module", autouse=True)
def _close_pooled_connections(app):
    """Close the pool's connections after this module: the session-wide app never does, and on PostgreSQL the
    connections left open raise a ResourceWarning at exit (an error under filterwarnings = error)."""
    yield
    with app.app_context():
        db.engine.dispose()


def by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


# --- The schemas themselves ---------------------------------------------------------------------------------


def test_every_schema_is_valid_draft_2020_12_and_every_endpoint_has_one():
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)
    assert set(ENDPOINTS.values()) | {"definitions.json"} == set(SCHEMAS)


def test_the_schemas_reject_responses_that_break_the_statuspage_format(client, site):
    summary = get_json(client, "/api/v2/summary.json")
    assert schema_errors("summary.json", summary) == []

    def broken(change) -> dict:
        document = copy.deepcopy(summary)
        change(document)
        return document

    breakages = {
        "a missing documented key": lambda d: d["components"][0].pop("only_show_if_degraded"),
        "a numeric id": lambda d: d["incidents"][0].update(id=int(d["incidents"][0]["id"])),
        "a time without an offset": lambda d: d["page"].update(updated_at="2026-11-20T10:12:00"),
        "an unknown component status": lambda d: d["components"][-1].update(status="down"),
        "an unknown indicator": lambda d: d["status"].update(indicator="red"),
        "an unknown impact": lambda d: d["incidents"][0].update(impact="huge"),
        "a resolved incident in summary": lambda d: d["incidents"][0].update(status="resolved"),
        "a completed maintenance in summary": lambda d: d["scheduled_maintenances"][0].update(status="completed"),
        "a maintenance without its window": lambda d: d["scheduled_maintenances"][0].pop("scheduled_until"),
        "a group without its children": lambda d: next(c for c in d["components"] if c["group"]).pop("components"),
        "an affected component without old_status":
            lambda d: d["incidents"][0]["incident_updates"][0]["affected_components"][0].pop("old_status"),
    }
    for what, change in breakages.items():
        assert schema_errors("summary.json", broken(change)), f"the schema accepts {what}"


# --- Every endpoint against its schema ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_endpoint_matches_its_statuspage_schema(client, site, url):
    document = get_json(client, url)
    assert schema_errors(ENDPOINTS[url], document) == []


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_endpoint_of_an_empty_page_matches_its_schema_too(client, url):
    document = get_json(client, url)
    assert schema_errors(ENDPOINTS[url], document) == []


# --- What each endpoint holds ----------------------------------------------------------------------------------


def test_summary_holds_only_unresolved_incidents_and_only_upcoming_or_in_progress_maintenance(client, site):
    summary = get_json(client, "/api/v2/summary.json")
    assert [i["id"] for i in summary["incidents"]] == [site["open"]]
    assert {m["id"]: m["status"] for m in summary["scheduled_maintenances"]} == {
        site["active"]: "in_progress", site["upcoming"]: "scheduled"}


def test_incidents_json_holds_resolved_incidents_too_newest_first_and_no_maintenance(client, site):
    incidents = get_json(client, "/api/v2/incidents.json")["incidents"]
    assert [(i["id"], i["status"]) for i in incidents] == [(site["open"], "monitoring"),
                                                           (site["resolved"], "resolved")]
    resolved = by_id(incidents)[site["resolved"]]
    assert resolved["resolved_at"] == berlin(hours=3)
    assert [u["status"] for u in resolved["incident_updates"]] == ["resolved", "investigating"]


def test_incidents_json_holds_at_most_the_50_newest(app, client, clock, place):
    with app.app_context():
        make_component("api", "API", now=clock.now())
        place.show("api")
        ids = [make_incident(f"Incident {n}", impact="minor", components_={"api": "degraded_performance"},
                             now=clock.advance(minutes=1)).id for n in range(52)]
    incidents = get_json(client, "/api/v2/incidents.json")["incidents"]
    assert [i["id"] for i in incidents] == [str(i) for i in reversed(ids)][:50]


def test_unresolved_json_holds_no_resolved_incident(client, site):
    incidents = get_json(client, "/api/v2/incidents/unresolved.json")["incidents"]
    assert [i["id"] for i in incidents] == [site["open"]]
    assert all(i["resolved_at"] is None for i in incidents)


def test_scheduled_maintenances_json_holds_every_status_and_no_incident(client, site):
    maintenance = get_json(client, "/api/v2/scheduled-maintenances.json")["scheduled_maintenances"]
    assert {m["id"]: m["status"] for m in maintenance} == {
        site["upcoming"]: "scheduled", site["active"]: "in_progress", site["completed"]: "completed"}
    assert [m["id"] for m in maintenance] == [site["upcoming"], site["active"], site["completed"]]  # newest first


def test_upcoming_json_holds_only_scheduled_maintenance(client, site):
    maintenance = get_json(client, "/api/v2/scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [(m["id"], m["status"]) for m in maintenance] == [(site["upcoming"], "scheduled")]
    assert maintenance[0]["scheduled_for"] == berlin(hours=5 + 72)
    assert maintenance[0]["scheduled_until"] == berlin(hours=7 + 72)


def test_active_json_holds_only_in_progress_or_verifying_maintenance(app, client, clock, site):
    maintenance = get_json(client, "/api/v2/scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [(m["id"], m["status"]) for m in maintenance] == [(site["active"], "in_progress")]
    assert [c["status"] for c in maintenance[0]["components"]] == ["under_maintenance"]

    with app.app_context():
        post_update(int(site["active"]), status="verifying", body="Checking.", kind=IncidentKind.MAINTENANCE,
                    by=SYSTEM, now=clock.advance(minutes=1))
    maintenance = get_json(client, "/api/v2/scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [(m["id"], m["status"]) for m in maintenance] == [(site["active"], "verifying")]


def groups_and_components(components: list[dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """The groups and the real components of a components list, each by id (kept apart, so that these tests
    do not depend on the ids being unique across both: that has a test of its own)."""
    return (by_id([c for c in components if c["group"]]), by_id([c for c in components if not c["group"]]))


def test_group_members_carry_the_group_id_and_the_group_lists_them(client, site):
    groups, components = groups_and_components(get_json(client, "/api/v2/components.json")["components"])
    ids = site["components"]
    assert set(groups) == set(site["groups"].values())
    for name, members in {"web": ["website", "dashboard"], "infra": ["database", "queue"]}.items():
        group = groups[site["groups"][name]]
        assert group["group_id"] is None
        assert group["components"] == [ids[slug] for slug in members]
        for slug in members:
            assert components[ids[slug]]["group_id"] == group["id"]


def test_top_level_components_have_a_null_group_id(client, site):
    groups, components = groups_and_components(get_json(client, "/api/v2/summary.json")["components"])
    assert set(components) == set(site["components"].values())
    api = components[site["components"]["api"]]
    assert api["group_id"] is None
    assert api["name"] == "API" and api["status"] == "degraded_performance"


def test_groups_and_components_have_distinct_ids_as_statuspage_groups_are_components(client, site):
    """Clients index the components list by id to resolve group_id, so an id may name one entry only."""
    components = get_json(client, "/api/v2/components.json")["components"]
    ids = [c["id"] for c in components]
    assert sorted(i for i in ids if ids.count(i) > 1) == []


def test_incident_updates_are_newest_first(client, site):
    incident = by_id(get_json(client, "/api/v2/incidents/unresolved.json")["incidents"])[site["open"]]
    updates = incident["incident_updates"]
    assert [(u["status"], u["body"], u["created_at"]) for u in updates] == [
        ("monitoring", "Rolled back; error rates are falling.", berlin(hours=5)),
        ("identified", "A bad deploy; rolling back.", berlin(hours=4, minutes=45)),
        ("investigating", "We are investigating errors on the API.", berlin(hours=4, minutes=30)),
    ]
    assert all(u["incident_id"] == site["open"] for u in updates)
    assert incident["monitoring_at"] == berlin(hours=5) and incident["resolved_at"] is None


def test_an_update_lists_the_components_it_changed_with_old_and_new_status(client, site):
    incident = by_id(get_json(client, "/api/v2/summary.json")["incidents"])[site["open"]]
    api, dashboard = site["components"]["api"], site["components"]["dashboard"]
    assert [u["affected_components"] for u in incident["incident_updates"]] == [
        [{"code": api, "name": "API", "old_status": "major_outage", "new_status": "degraded_performance"}],
        [{"code": api, "name": "API", "old_status": "partial_outage", "new_status": "major_outage"},
         {"code": dashboard, "name": "Dashboard", "old_status": "operational",
          "new_status": "degraded_performance"}],
        [{"code": api, "name": "API", "old_status": "operational", "new_status": "partial_outage"}],
    ]
    assert {c["id"]: c["status"] for c in incident["components"]} == {
        api: "degraded_performance", dashboard: "degraded_performance"}


def test_a_critical_incident_makes_the_indicator_critical_even_during_maintenance(client, site):
    for url in ("/api/v2/status.json", "/api/v2/summary.json"):
        assert get_json(client, url)["status"] == {"indicator": "critical", "description": "Major Service Outage"}


@pytest.mark.parametrize("impact, indicator, description", [
    ("minor", "minor", "Minor Service Outage"),
    ("major", "major", "Partial System Outage"),
    ("critical", "critical", "Major Service Outage"),
])
def test_the_indicator_follows_the_worst_open_incident_impact(app, client, clock, impact, indicator, description,
                                                             place):
    with app.app_context():
        make_component("api", "API", now=clock.now())
        place.show("api")
        make_incident("Small thing", impact="none", components_={"api": "operational"}, now=clock.now())
        make_incident("Real thing", impact=impact, components_={"api": "operational"}, now=clock.advance(minutes=1))
    for url in ("/api/v2/status.json", "/api/v2/summary.json"):
        assert get_json(client, url)["status"] == {"indicator": indicator, "description": description}


def test_nothing_open_says_all_systems_operational(app, client, clock, place):
    with app.app_context():
        make_component("api", "API", now=clock.now())
        place.show("api")
        incident = make_incident(components_={"api": "major_outage"}, impact="critical", now=clock.now())
        resolve_incident(incident.id, "Fixed.", by=SYSTEM, now=clock.advance(minutes=5))
        make_maintenance(components_=("api",), now=clock.now())
    for url in ("/api/v2/status.json", "/api/v2/summary.json"):
        assert get_json(client, url)["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_only_maintenance_in_progress_says_under_maintenance(app, client, clock, place):
    with app.app_context():
        make_component("database", "Database", now=clock.now())
        place.show("database")
        maintenance = make_maintenance(starts=clock.now() + timedelta(minutes=5), now=clock.now())
        post_update(maintenance.id, status="in_progress", body="Started.", kind=IncidentKind.MAINTENANCE,
                    by=SYSTEM, now=clock.advance(minutes=5))
    for url in ("/api/v2/status.json", "/api/v2/summary.json"):
        assert get_json(client, url)["status"] == {"indicator": "maintenance",
                                                   "description": "Service Under Maintenance"}


def test_the_page_block_names_the_page_its_url_and_time_zone(app, client, site, place):
    default_page_id = app.test_client().get("/api/v2/status.json").get_json()["page"]["id"]
    for url in ENDPOINTS:
        page = get_json(client, url)["page"]
        assert page["name"] == place.name
        assert page["url"] == place.url
        assert page["time_zone"] == "Europe/Berlin"
        assert page["updated_at"] == berlin(hours=5)
        assert re.fullmatch(r"[0-9a-z]{12}", page["id"])
        assert (page["id"] != default_page_id) == place.second  # a client keeps the two pages apart by id


def test_times_carry_the_page_offset_in_november(client, site):
    for url in ENDPOINTS:
        times = [(key, value) for key, value in times_in(get_json(client, url)) if value is not None]
        assert times, url
        assert [(k, v) for k, v in times if not v.endswith("+01:00")] == [], url
    incident = by_id(get_json(client, "/api/v2/incidents.json")["incidents"])[site["open"]]
    assert incident["created_at"] == incident["started_at"] == "2026-11-20T14:42:00.000+01:00"


# --- HTTP ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_endpoint_is_json_readable_from_any_origin(client, site, url):
    response = client.get(url, headers={"Origin": "https://widget.example.org"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_cors_preflight_succeeds(client, url):
    response = client.options(url, headers={"Origin": "https://widget.example.org",
                                            "Access-Control-Request-Method": "GET"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in [m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_matching_if_none_match_gets_304_with_an_empty_body(client, site, url):
    first = client.get(url)
    etag = first.headers.get("ETag")
    assert etag
    second = client.get(url, headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.data == b""
    assert second.headers["ETag"] == etag
    assert second.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("url", ENDPOINTS)
def test_the_etag_changes_after_a_new_incident(app, client, clock, site, url):
    before = client.get(url).headers["ETag"]
    with app.app_context():
        make_incident("Another one", impact="minor", components_={"queue": "degraded_performance"},
                      now=clock.advance(minutes=10))
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before


@pytest.mark.parametrize("url", ENDPOINTS)
def test_responses_may_be_cached_for_a_minute_at_most(client, url):
    response = client.get(url)
    cache_control = response.cache_control
    assert not cache_control.no_store and not cache_control.private
    assert cache_control.max_age is not None and 0 < cache_control.max_age <= 60


# --- A real client ---------------------------------------------------------------------------------------------


def statuspage_client_report(summary: dict) -> str:
    """What Statuspage's embed widget and the usual clients and chat integrations do with summary.json:
    the indicator and its description, every real component (groups skipped) under its group's name,
    and the latest message of the newest open incident."""
    lines = [f"[{summary['status']['indicator']}] {summary['status']['description']}"]
    group_names = {c["id"]: c["name"] for c in summary["components"] if c.get("group")}
    for component in summary["components"]:
        if component.get("group"):
            continue
        label = component["name"]
        if component.get("group_id"):
            label = f"{group_names[component['group_id']]} / {label}"
        lines.append(f"{label}: {component['status'].replace('_', ' ')}")
    if summary["incidents"]:
        incident = summary["incidents"][0]
        lines.append(f"{incident['name']} ({incident['impact']}, {incident['status']}): "
                     f"{incident['incident_updates'][0]['body']}")
    for maintenance in summary["scheduled_maintenances"]:
        lines.append(f"Maintenance {maintenance['name']} ({maintenance['status']}) "
                     f"from {maintenance['scheduled_for']} to {maintenance['scheduled_until']}")
    return "\n".join(lines)


def test_a_statuspage_client_reads_the_summary_as_expected(client, site):
    assert statuspage_client_report(get_json(client, "/api/v2/summary.json")) == "\n".join([
        "[critical] Major Service Outage",
        "API: degraded performance",
        "Web / Website: operational",
        "Web / Dashboard: degraded performance",
        "Infrastructure / Database: under maintenance",
        "Infrastructure / Queue: operational",
        "Elevated API errors (critical, monitoring): Rolled back; error rates are falling.",
        "Maintenance Database upgrade (in_progress) from 2026-11-20T14:12:00.000+01:00 "
        "to 2026-11-20T18:12:00.000+01:00",
        "Maintenance Queue upgrade (scheduled) from 2026-11-23T15:12:00.000+01:00 "
        "to 2026-11-23T17:12:00.000+01:00",
    ])


def test_an_unpublished_incident_does_not_move_the_page_time(app, client, clock, place):
    """A suspected incident (console only) is nothing the public sees: page.updated_at stays; publishing moves it."""
    with app.app_context():
        make_component("api", "API", now=clock.now())
        place.show("api")
        before = {url: get_json(client, url)["page"]["updated_at"] for url in ENDPOINTS}
        suspected = open_incident(name="Many tickets about the API", body="Suspected.", published=False,
                                  components={"api": "major_outage"}, by=SYSTEM, now=clock.advance(hours=1))
    assert {url: get_json(client, url)["page"]["updated_at"] for url in ENDPOINTS} == before
    with app.app_context():
        publish_incident(suspected.id, by=SYSTEM, now=clock.advance(hours=1))
    assert {get_json(client, url)["page"]["updated_at"] for url in ENDPOINTS} == {"2026-11-20T12:12:00.000+01:00"}
