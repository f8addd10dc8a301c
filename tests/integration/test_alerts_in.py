"""Alerts in from Alertmanager and Grafana: per alert, idempotent, people's incidents win, 4xx for bad bodies.

Alertmanager's bodies here are its documented webhook_config payload (version 4); a real Alertmanager drives
the same endpoint in test_alertmanager.py. Grafana's are its documented contact point payload (version 1),
signed byte for byte as Grafana signs (digests made with openssl, not with our code).
"""
import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, ReceivedAlert
from statuspage.services import accounts, incidents
from statuspage.services.components import get_component
from tests.builders import START, SYSTEM, make_component, make_incident, make_maintenance, make_user, sign_in

DATA = Path(__file__).resolve().parents[1] / "data" / "alerts"
GRAFANA_SECRET = "grafana-test-secret"
# openssl dgst -sha256 -hmac grafana-test-secret tests/data/alerts/grafana_documented.json
GRAFANA_BODY_SIGNATURE = "0ca011ba7e841bb4e80515747dd8049a2d49e59bbfb9dd068e851dc3f0cad247"
# (printf '1795165920:'; cat tests/data/alerts/grafana_documented.json) | openssl dgst -sha256 -hmac ...
GRAFANA_STAMP = "1795165920"  # START as Unix time
GRAFANA_TIMESTAMPED_SIGNATURE = "ca2137f8cbccbea27f14f438d9b6440e41fa2f83b95a12a21c275f9f52e2dbcb"


@pytest.fixture
def world(app, clock):
    with app.app_context():
        make_component("api", "API")
        make_component("search", "Search")
        _record, plain = accounts.create_token(role="alerts", label="alertmanager", by=SYSTEM, now=START)
    yield {"Authorization": f"Bearer {plain}"}


def alert(component="api", *, status="firing", fingerprint="a1", starts="2026-11-20T09:00:00.123456789Z",
          ends="0001-01-01T00:00:00Z", name="ApiDown", **labels):
    found = {"alertname": name, **({"statuspage_component": component} if component else {}), **labels}
    return {"status": status, "labels": found, "annotations": {"summary": "5xx above 5 % on api-7 (10.0.3.7)"},
            "startsAt": starts, "endsAt": ends if status == "firing" else "2026-11-20T09:30:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up", "fingerprint": fingerprint}


def notification(*alerts, status="firing"):
    """Alertmanager's webhook body, version 4, as its documentation lists the fields."""
    return {"version": "4", "groupKey": '{}:{alertname="ApiDown"}', "truncatedAlerts": 0, "status": status,
            "receiver": "statuspage", "groupLabels": {"alertname": "ApiDown"}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "alerts": list(alerts)}


def post(client, headers, body, path="/api/v1/alerts/alertmanager"):
    return client.post(path, json=body, headers=headers)


def open_incidents(app):
    with app.app_context():
        return [(i.id, i.status, i.is_published, i.automatic, i.name) for i in
                db.session.scalars(select(Incident).order_by(Incident.id)) if not i.is_closed and not i.is_maintenance]


def status_of(app, slug):
    with app.app_context():
        return get_component(slug).status.value


def test_a_firing_alert_opens_an_incident_a_resend_changes_nothing_and_its_resolution_resolves_it(app, client, clock,
                                                                                                  world):
    first = post(client, world, notification(alert(statuspage_status="major_outage")))
    assert first.status_code == 200, first.get_json()
    [outcome] = first.get_json()["alerts"]
    assert outcome["result"] == "opened" and outcome["component"] == "api"
    [(incident_id, status, published, automatic, name)] = open_incidents(app)
    assert (status, published, automatic, name) == ("investigating", True, True, "API is unavailable")
    assert status_of(app, "api") == "major_outage"
    with app.app_context():
        body = incidents.get_incident(incident_id).updates[0].body
    assert "Our monitoring reports a problem with API" in body
    assert "10.0.3.7" not in body  # the engineers' annotations stay inside

    clock.advance(minutes=5)  # Alertmanager's group_interval: the whole group again
    again = post(client, world, notification(alert(statuspage_status="major_outage")))
    assert again.get_json()["alerts"][0]["result"] == "repeat"
    with app.app_context():
        assert len(incidents.get_incident(incident_id).updates) == 1
        assert db.session.scalar(select(db.func.count()).select_from(ReceivedAlert)) == 1

    clock.advance(minutes=5)
    resolved = post(client, world, notification(alert(status="resolved", statuspage_status="major_outage"),
                                                status="resolved"))
    assert resolved.get_json()["alerts"][0]["result"] == "resolved"
    assert open_incidents(app) == [] and status_of(app, "api") == "operational"
    with app.app_context():
        closed = incidents.get_incident(incident_id)
        assert closed.status == "resolved" and "working again" in closed.updates[0].body
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "alert.resolve")) == \
            "alert:alertmanager:ApiDown"

    resend = post(client, world, notification(alert(status="resolved"), status="resolved"))
    assert resend.get_json()["alerts"][0]["result"] == "repeat" and open_incidents(app) == []


def test_each_alert_counts_on_its_own_whatever_the_group_status_says(app, client, clock, world):
    post(client, world, notification(alert("api", fingerprint="a1"), alert("search", fingerprint="s1")))
    assert status_of(app, "api") == status_of(app, "search") == "partial_outage"  # the default status
    # The group still fires (search does), but the api alert has resolved: api recovers, search stays down.
    answer = post(client, world, notification(alert("api", fingerprint="a1", status="resolved"),
                                              alert("search", fingerprint="s1"), status="firing"))
    assert [a["result"] for a in answer.get_json()["alerts"]] == ["resolved", "repeat"]
    assert status_of(app, "api") == "operational" and status_of(app, "search") == "partial_outage"
    [(_id, status, *_rest)] = open_incidents(app)
    assert status == "investigating"


def test_alerts_on_one_component_share_one_incident_and_the_worst_status_wins(app, client, clock, world):
    post(client, world, notification(alert(fingerprint="a1", statuspage_status="degraded_performance")))
    post(client, world, notification(alert(fingerprint="a2", name="ApiErrors", statuspage_status="major_outage")))
    assert len(open_incidents(app)) == 1 and status_of(app, "api") == "major_outage"
    post(client, world, notification(alert(fingerprint="a2", name="ApiErrors", status="resolved")))
    assert len(open_incidents(app)) == 1  # a1 still fires: the incident stays open
    post(client, world, notification(alert(fingerprint="a1", status="resolved")))
    assert open_incidents(app) == [] and status_of(app, "api") == "operational"


def test_the_console_audit_log_says_which_alert_did_what(app, client, clock, world):
    post(client, world, notification(alert()))
    post(client, world, notification(alert(status="resolved")))
    with app.app_context():
        make_user("ana@example.com", role="admin")
    console = app.test_client()
    sign_in(console)
    log = console.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Alert alertmanager:ApiDown opened incident" in log
    assert "Alert alertmanager:ApiDown resolved incident" in log
    assert "Alert alertmanager:ApiDown fired and joined incident" not in log  # the opener is not said twice


def test_the_same_labels_firing_again_later_is_a_new_firing(app, client, clock, world):
    post(client, world, notification(alert()))
    post(client, world, notification(alert(status="resolved")))
    again = post(client, world, notification(alert(starts="2026-11-20T11:00:00Z")))
    assert again.get_json()["alerts"][0]["result"] == "opened"
    assert len(open_incidents(app)) == 1 and status_of(app, "api") == "partial_outage"


def test_an_incident_a_person_opened_wins(app, client, clock, world):
    with app.app_context():
        person = make_incident("API slow", components_={"api": "degraded_performance"}, impact="minor")
    answer = post(client, world, notification(alert(statuspage_status="major_outage")))
    [outcome] = answer.get_json()["alerts"]
    assert outcome["result"] == "joined" and outcome["incident_id"] == person.id and "person" in outcome["note"]
    assert status_of(app, "api") == "degraded_performance"  # the person's status stays
    post(client, world, notification(alert(status="resolved")))
    with app.app_context():
        kept = incidents.get_incident(person.id)
        assert kept.status == "investigating" and len(kept.updates) == 1  # theirs to resolve
    assert status_of(app, "api") == "degraded_performance"


def test_an_automatic_incident_a_person_has_written_on_is_theirs(app, client, clock, world):
    post(client, world, notification(alert()))
    [(incident_id, *_rest)] = open_incidents(app)
    with app.app_context():
        _record, plain = accounts.create_token(role="responder", label="ana", by=SYSTEM, now=START)
    client.post(f"/api/v1/incidents/{incident_id}/updates", headers={"Authorization": f"Bearer {plain}"},
                json={"status": "identified", "body": "A bad deploy; rolling back."})
    post(client, world, notification(alert(status="resolved")))
    assert [i[1] for i in open_incidents(app)] == ["identified"]


def test_alerts_open_drafts_when_the_setting_says_so(app, client, clock, world, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], alerts_publish=False))
    post(client, world, notification(alert(fingerprint="a1")))
    post(client, world, notification(alert(fingerprint="a2", name="ApiLatency")))
    [(_id, _status, published, automatic, _name)] = open_incidents(app)  # one draft, joined by the second alert
    assert (published, automatic) == (False, True)
    assert status_of(app, "api") == "operational"  # a draft changes nothing public
    assert client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"] == []
    with app.app_context():
        make_user("ana@example.com", role="responder")
    console = app.test_client()
    sign_in(console)
    detail = console.get(f"/admin/incidents/{_id}?lang=en").get_data(as_text=True)
    assert "A draft opened by an alert from your monitoring" in detail and "Publish on the status page" in detail
    post(client, world, notification(alert(fingerprint="a1", status="resolved"),
                                     alert(fingerprint="a2", name="ApiLatency", status="resolved")))
    assert open_incidents(app) == []


def test_an_incident_a_person_closed_while_its_alert_fires_is_not_opened_again_by_resends(app, client, clock,
                                                                                           world, monkeypatch):
    post(client, world, notification(alert()))
    [(incident_id, *_rest)] = open_incidents(app)
    with app.app_context():
        incidents.resolve_incident(incident_id, "Not customer-facing.", by=SYSTEM, now=clock.now())
    clock.advance(hours=4)  # repeat_interval: the still-firing group again
    assert post(client, world, notification(alert())).get_json()["alerts"][0]["result"] == "repeat"
    assert open_incidents(app) == []
    # A draft dismissed in the console stays dismissed too.
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], alerts_publish=False))
    post(client, world, notification(alert("search", fingerprint="s1")))
    [(draft_id, *_rest)] = open_incidents(app)
    with app.app_context():
        incidents.dismiss_incident(draft_id, by=SYSTEM, now=clock.now())
    post(client, world, notification(alert("search", fingerprint="s1")))
    assert open_incidents(app) == []
    # The same labels firing anew (a new startsAt) count again.
    again = post(client, world, notification(alert(starts="2026-11-20T14:00:00Z")))
    assert again.get_json()["alerts"][0]["result"] == "opened"


def test_during_maintenance_a_firing_alert_opens_nothing(app, client, clock, world):
    with app.app_context():
        make_maintenance(components_=("api",), starts=START - timedelta(minutes=10))
        incidents.advance_maintenance(now=START, by=SYSTEM)
    answer = post(client, world, notification(alert()))
    assert answer.get_json()["alerts"][0]["result"] == "recorded"
    assert open_incidents(app) == [] and status_of(app, "api") == "under_maintenance"


def test_an_alert_for_no_known_component_is_recorded_and_changes_nothing(app, client, clock, world):
    answer = post(client, world, notification(alert("payments", fingerprint="p1"), alert(None, fingerprint="n1"),
                                              alert("api", fingerprint="a1", statuspage_status="on_fire")))
    outcomes = answer.get_json()["alerts"]
    assert answer.status_code == 200 and [o["result"] for o in outcomes] == ["ignored", "ignored", "opened"]
    assert "payments" in outcomes[0]["note"] and "partial_outage used" in outcomes[2]["note"]
    assert status_of(app, "api") == "partial_outage"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ReceivedAlert)) == 3


def test_a_check_and_an_alert_on_one_component_each_keep_the_incident_open(app, client, clock, world):
    from statuspage.monitoring import policy, results
    from statuspage.monitoring.probes import ProbeResult
    from statuspage.monitoring import checks
    with app.app_context():
        check = checks.create_check({"key": "api-http", "name": "API", "component": "api", "kind": "http",
                                     "target": "http://127.0.0.1:9/", "interval": "30s", "failures_to_open": 1,
                                     "successes_to_close": 1}, by=SYSTEM, now=START)

    def run(ok):
        with app.app_context():
            now = clock.now()
            result = ProbeResult(ok=ok, latency_ms=10 if ok else None, error=None if ok else "refused", started_at=now)
            policy.reconcile(results.record([results.Outcome(check.id, now, result)], now=now,
                                            tz=app.config["SETTINGS"].tz), now=now, auto_resolve=True)
        clock.advance(minutes=11)  # far enough apart not to count as flapping

    post(client, world, notification(alert()))
    run(False)
    assert len(open_incidents(app)) == 1  # the check joined the alert's incident
    run(True)  # the check passes again, but the alert still fires
    assert len(open_incidents(app)) == 1 and status_of(app, "api") != "operational"
    run(False)
    post(client, world, notification(alert(status="resolved")))  # the alert resolves, the check still fails
    assert len(open_incidents(app)) == 1 and status_of(app, "api") != "operational"
    run(True)
    assert open_incidents(app) == [] and status_of(app, "api") == "operational"


@pytest.mark.parametrize("body, code", [
    ({"version": "3", "alerts": []}, 422),
    ({"version": "4"}, 422),
    ({"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday",
                                  "fingerprint": "x"}]}, 422),
    ({"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "2026-11-20T09:00:00"}]}, 422),
    ({"version": "4", "alerts": [{"status": "pending", "labels": {}, "startsAt": "2026-11-20T09:00:00Z",
                                  "fingerprint": "x"}]}, 422),
    ({"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}, "startsAt": "2026-11-20T09:00:00Z",
                                  "fingerprint": "x"}]}, 422),
    ([1, 2], 422),
])
def test_a_malformed_body_is_a_4xx_with_a_clear_json_error(app, client, world, body, code):
    answer = post(client, world, body)
    assert answer.status_code == code, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] and error["message"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ReceivedAlert)) == 0


def test_a_body_that_is_not_json_is_400_and_another_content_type_415(app, client, world):
    assert client.post("/api/v1/alerts/alertmanager", data="{nope", headers={**world, "Content-Type":
                                                                             "application/json"}).status_code == 400
    assert client.post("/api/v1/alerts/alertmanager", data="x", headers=world).status_code == 415


def test_only_alerts_and_admin_tokens_post_alerts(app, client, world):
    with app.app_context():
        tokens = {role: accounts.create_token(role=role, label=role, by=SYSTEM, now=START)[1]
                  for role in ("responder", "intake", "admin")}
    body = notification(alert())
    for role, expected in (("responder", 403), ("intake", 403), ("admin", 200)):
        answer = post(client, {"Authorization": f"Bearer {tokens[role]}"}, body)
        assert answer.status_code == expected, role
    assert client.get("/api/v1/incidents", headers=world).status_code == 403  # alerts tokens post alerts only
    assert post(client, {}, body).status_code == 401


# --- Grafana ----------------------------------------------------------------------------------------------

def grafana(client, headers, body: bytes):
    return client.post("/api/v1/alerts/grafana", data=body, headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def signed(app, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS",
                        dataclasses.replace(app.config["SETTINGS"], grafana_secret=GRAFANA_SECRET))


def test_grafana_signs_as_its_documentation_says():
    from statuspage.api.v1.alerts import grafana_signature
    body = (DATA / "grafana_documented.json").read_bytes()
    assert grafana_signature(GRAFANA_SECRET, body) == GRAFANA_BODY_SIGNATURE
    assert grafana_signature(GRAFANA_SECRET, body, GRAFANA_STAMP) == GRAFANA_TIMESTAMPED_SIGNATURE


def test_grafanas_documented_payload_is_read_per_alert(app, client, clock, world):
    body = (DATA / "grafana_documented.json").read_bytes()
    answer = grafana(client, world, body)
    assert answer.status_code == 200, answer.get_json()
    assert [(a["fingerprint"], a["result"]) for a in answer.get_json()["alerts"]] == [
        ("c6eadffa33fcdf37", "opened"), ("bc97ff14869b13e3", "ignored")]
    assert status_of(app, "api") == "major_outage"
    with app.app_context():
        row = db.session.scalar(select(ReceivedAlert).where(ReceivedAlert.fingerprint == "c6eadffa33fcdf37"))
        assert row.source == "grafana" and row.starts_at.isoformat() == "2021-10-12T07:51:03.157076+00:00"
        assert row.ends_at is None and row.name == "High memory usage"
    resolved = json.loads(body)
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2021-10-12T10:01:03.157076+02:00"
    assert grafana(client, world, json.dumps(resolved).encode()).get_json()["alerts"][0]["result"] == "resolved"
    assert status_of(app, "api") == "operational"


@pytest.mark.parametrize("header", ["X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature"])
def test_a_grafana_request_signed_with_the_secret_is_taken(app, client, clock, world, signed, header):
    body = (DATA / "grafana_documented.json").read_bytes()
    assert grafana(client, {**world, header: GRAFANA_BODY_SIGNATURE}, body).status_code == 200


def test_the_timestamp_variant_is_taken_within_five_minutes_and_refused_after(app, client, clock, world, signed):
    body = (DATA / "grafana_documented.json").read_bytes()
    headers = {**world, "X-Grafana-Alerting-Signature": GRAFANA_TIMESTAMPED_SIGNATURE,
               "X-Grafana-Alerting-Timestamp": GRAFANA_STAMP}
    clock.advance(minutes=4, seconds=59)
    assert grafana(client, headers, body).status_code == 200
    clock.advance(seconds=2)
    stale = grafana(client, headers, body)
    assert stale.status_code == 401 and stale.get_json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("headers", [
    {},  # unsigned
    {"X-Grafana-Alerting-Signature": "0" * 64},
    {"X-Grafana-Alerting-Signature": GRAFANA_BODY_SIGNATURE, "X-Grafana-Alerting-Timestamp": GRAFANA_STAMP},
    {"X-Grafana-Alerting-Signature": GRAFANA_TIMESTAMPED_SIGNATURE, "X-Grafana-Alerting-Timestamp": "1795165921"},
    {"X-Grafana-Alerting-Signature": GRAFANA_TIMESTAMPED_SIGNATURE, "X-Grafana-Alerting-Timestamp": "١٧٩٥١٦٥٩٢٠"},
])
def test_a_grafana_request_without_the_right_signature_is_refused(app, client, clock, world, signed, headers):
    body = (DATA / "grafana_documented.json").read_bytes()
    answer = grafana(client, {**world, **headers}, body)
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "bad_signature"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ReceivedAlert)) == 0


def test_a_grafana_body_changed_after_signing_is_refused(app, client, clock, world, signed):
    body = (DATA / "grafana_documented.json").read_bytes().replace(b"major_outage", b"degraded_performance")
    assert grafana(client, {**world, "X-Grafana-Alerting-Signature": GRAFANA_BODY_SIGNATURE}, body).status_code == 401


def test_a_signature_does_not_replace_the_token(app, client, clock, world, signed):
    body = (DATA / "grafana_documented.json").read_bytes()
    assert grafana(client, {"X-Grafana-Alerting-Signature": GRAFANA_BODY_SIGNATURE}, body).status_code == 401


def test_grafana_payload_version_must_be_1(app, client, world):
    body = json.loads((DATA / "grafana_documented.json").read_bytes())
    body["version"] = "2"
    assert grafana(client, world, json.dumps(body).encode()).status_code == 422


def test_the_openapi_document_describes_both_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for path, schema, version in (("/api/v1/alerts/alertmanager", "AlertmanagerIn", "4"),
                                  ("/api/v1/alerts/grafana", "GrafanaIn", "1")):
        operation = spec["paths"][path]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(schema)
        assert {"200", "401", "403", "422", "503"} <= set(operation["responses"])
        assert schemas[schema]["properties"]["version"]["enum"] == [version]
        assert {"fingerprint", "startsAt", "labels", "status"} <= set(schemas["AlertIn"]["required"])
    grafana_headers = {p["name"] for p in spec["paths"]["/api/v1/alerts/grafana"]["post"]["parameters"]}
    assert grafana_headers == {"X-Grafana-Alerting-Signature", "X-Grafana-Alerting-Timestamp"}


def test_notifications_posted_at_once_open_one_incident_per_component_and_store_each_alert_once(app, world):
    """Alertmanager's cluster peers, a retry crossing the first try, or two groups about one component may
    arrive at the same moment: through a real threaded HTTP server, every copy is answered 200, each alert
    is stored once, and one incident opens per component (they take turns on the component's row)."""
    import threading
    import urllib.request

    from tests.servers import live_server

    # Eight groups at once: four different alerts on api (each sent twice), and the same search alert in four.
    bodies = [json.dumps(notification(alert(fingerprint=f"a{n % 4}", name=f"ApiAlert{n % 4}"),
                                      *([alert("search", fingerprint="s1")] if n >= 4 else []))).encode()
              for n in range(8)]
    answers, start = [], threading.Barrier(8)

    def deliver(body):
        request = urllib.request.Request(f"{base}/api/v1/alerts/alertmanager",
                                         data=body, method="POST",
                                         headers={**world, "Content-Type": "application/json"})
        start.wait()
        with urllib.request.urlopen(request, timeout=60) as answer:
            answers.append((answer.status, json.loads(answer.read())))

    with live_server(app) as base:
        senders = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(120)
    assert [status for status, _body in answers] == [200] * 8
    results = [a["result"] for _status, body in answers for a in body["alerts"]]
    assert sorted(results) == ["joined"] * 3 + ["opened"] * 2 + ["repeat"] * 7
    opened = open_incidents(app)
    assert len(opened) == 2  # one for api, one for search
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ReceivedAlert)) == 5
        assert {get_component("api").status.value, get_component("search").status.value} == {"partial_outage"}


def _console(app, role="viewer"):
    with app.app_context():
        make_user("vera@example.com", role=role)
    console = app.test_client()
    sign_in(console, "vera@example.com")
    return console


def _alert_rows(page: str) -> list[str]:
    """The table's rows, each as its text on one line."""
    import re
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>") if "<td" in row]


def test_the_console_lists_received_alerts_newest_first_with_what_each_did(app, client, clock, world):
    post(client, world, notification(alert(fingerprint="a1", statuspage_status="major_outage")))
    clock.advance(minutes=1)
    post(client, world, notification(alert("payments", fingerprint="p1", name="PaymentsDown")))
    clock.advance(minutes=1)
    with app.app_context():
        person = make_incident("Search slow", components_={"search": "degraded_performance"}, impact="minor")
        make_maintenance(name="Disk swap", components_=("api",), starts=START - timedelta(minutes=10))
    post(client, world, notification(alert("search", fingerprint="s1", name="SearchSlow")))
    clock.advance(minutes=1)
    post(client, world, notification(alert(fingerprint="a1", status="resolved")))
    clock.advance(minutes=1)
    post(client, world, notification(alert(fingerprint="a1", status="resolved")))  # a resend changes nothing

    console = _console(app)
    page = console.get("/admin/alerts?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/admin/alerts" aria-current="page"' in html  # under the console's navigation
    rows = _alert_rows(html)
    assert len(rows) == 3
    assert rows[0].startswith(rows[0].split(" SearchSlow")[0]) and "SearchSlow Alertmanager" in rows[0]
    assert "Firing" in rows[0] and "Recorded only: a person manages incident Search slow" in rows[0]
    assert "PaymentsDown" in rows[1] and "Recorded only, changed nothing" in rows[1]
    assert "No component has this slug." in rows[1] and "payments" in rows[1]
    assert "ApiDown" in rows[2] and "Alert resolved" in rows[2] and "Major outage" in rows[2]
    assert "Resolved: the component works again in incident API is unavailable" in rows[2]
    assert "statuspage_status=major_outage" in rows[2]  # the labels, folded
    with app.app_context():
        opened = db.session.scalar(select(ReceivedAlert).where(ReceivedAlert.fingerprint == "a1")).incident_id
    # The incident the alert opened links to its alerts; the list narrows to them.
    detail = console.get(f"/admin/incidents/{opened}?lang=en").get_data(as_text=True)
    assert "Opened by an alert from your monitoring." in detail
    assert f'href="/admin/alerts?incident={opened}"' in detail
    only = _alert_rows(console.get(f"/admin/alerts?incident={opened}&lang=en").get_data(as_text=True))
    assert len(only) == 1 and "ApiDown" in only[0]
    person_page = console.get(f"/admin/incidents/{person.id}?lang=en").get_data(as_text=True)
    assert "An alert from your monitoring is attached." in person_page
    assert "Opened by" not in person_page


def test_an_alert_that_opened_an_incident_says_so_and_the_list_pages_fifty_at_a_time(app, client, clock, world):
    post(client, world, notification(alert(fingerprint="a1")))
    console = _console(app)
    [row] = _alert_rows(console.get("/admin/alerts?lang=de").get_data(as_text=True))
    assert "Hat den Vorfall API ist teilweise nicht erreichbar eröffnet" in row and "Ausgelöst seit" in row
    for number in range(50):
        clock.advance(seconds=1)
        post(client, world, notification(alert(None, fingerprint=f"n{number}", name=f"Other{number}")))
    first = console.get("/admin/alerts?lang=en").get_data(as_text=True)
    assert len(_alert_rows(first)) == 50 and "Other49" in _alert_rows(first)[0] and 'rel="next"' in first
    second = console.get("/admin/alerts?page=2&lang=fr").get_data(as_text=True)
    assert [("ApiDown" in row) for row in _alert_rows(second)] == [True] and 'rel="prev"' in second
    assert "Alertes reçues" in second
