"""checks/*.toml: validation with file, line and field; sync adds, changes and removes, all or nothing;
file-managed checks are read-only in the API; the CLI commands."""
import json
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import Check, CheckKind
from statuspage.monitoring import definitions
from statuspage.monitoring.definitions import CheckFileError
from statuspage.monitoring import checks
from statuspage.services import accounts
from tests.builders import START, SYSTEM, make_component

REPO_CHECKS = Path(__file__).resolve().parents[2] / "checks"

GOOD = """
[[check]]
key = "dashboard-login"
name = "Dashboard login page"
component = "dashboard"
kind = "http"
target = "https://dashboard.example.com/login"
interval = "30s"
timeout = "5s"
failure_status = "major_outage"
failures_to_open = 3
successes_to_close = 2

[check.expect]
status = [200, 204]
body_contains = "Sign in"
json = { path = "$.status", equals = "ok" }
max_latency_ms = 800

[[check]]
key = "api-port"
name = "API port"
component = "api"
kind = "tcp"
target = "api.example.com:443"

[[check]]
key = "nightly"
name = "Nightly export"
component = "api"
kind = "heartbeat"
period = "1d"
grace = "1h"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def world(app, clock):
    with app.app_context():
        make_component("api", "API")
        make_component("dashboard", "Dashboard")
        yield
        db.session.remove()


def stored():
    db.session.expire_all()
    return {check.key: check for check in db.session.scalars(select(Check))}


def test_the_contracts_example_file_loads(tmp_path):
    loaded = definitions.load_file(write(tmp_path / "checks", "web.toml", GOOD))
    first, tcp, beat = (definition for definition, _ in loaded)
    assert (first.interval, first.timeout, first.failure_status.value) == (30, 5.0, "major_outage")
    assert first.options["expect"] == {"status": [200, 204], "body_contains": "Sign in",
                                       "json": {"path": "$.status", "equals": "ok"}, "max_latency_ms": 800}
    assert (tcp.interval, tcp.failures_to_open, tcp.successes_to_close) == (60, 3, 2)
    assert (beat.period, beat.grace, beat.failures_to_open) == (86400, 3600, 1)


@pytest.mark.parametrize("change, line, field", [
    (('interval = "30s"', 'interval = "soon"'), 8, "interval"),
    (('kind = "http"', 'kind = "ftp"'), 6, "kind"),
    (('target = "https://dashboard.example.com/login"', 'target = "ftp://dashboard.example.com/"'), 7, "target"),
    (('failure_status = "major_outage"', 'failure_status = "under_maintenance"'), 10, "failure_status"),
    (('max_latency_ms = 800', 'max_latency_ms = "fast"'), 18, "expect.max_latency_ms"),
    (('timeout = "5s"', 'timeout = "1m"'), 9, "timeout"),
    (('target = "api.example.com:443"', 'target = "api.example.com"'), 25, "target"),
    (('grace = "1h"', 'grace = "1h"\ntarget = "x"'), 34, "target"),
    (('successes_to_close = 2', 'succeses_to_close = 2'), 12, "succeses_to_close"),
])
def test_a_bad_field_is_reported_with_file_line_and_field(tmp_path, change, line, field):
    path = write(tmp_path / "checks", "web.toml", GOOD.replace(*change))
    with pytest.raises(CheckFileError) as raised:
        definitions.load_file(path, relative_to=tmp_path)
    message = str(raised.value)
    assert message.startswith(f"checks/web.toml:{line}: check ") and f"field {field}:" in message, message


def test_broken_toml_names_its_line(tmp_path):
    path = write(tmp_path, "web.toml", '[[check]]\nkey = "a"\nname = \n')
    with pytest.raises(CheckFileError, match=r"^web.toml:3: not valid TOML"):
        definitions.load_file(path, relative_to=tmp_path)


def test_a_check_that_is_not_a_table_is_reported_not_crashed_on(tmp_path):
    path = write(tmp_path, "web.toml", "check = [1]\n")  # an array, but not of tables: [[check]] was meant
    with pytest.raises(CheckFileError, match=r"^web.toml:1: check #1 field check: must be a table of fields"):
        definitions.load_file(path, relative_to=tmp_path)


def test_a_key_used_in_two_files_is_refused(tmp_path):
    write(tmp_path / "checks", "a.toml", GOOD)
    write(tmp_path / "checks", "b.toml", GOOD.split("[[check]]")[2].join(["[[check]]", ""]))
    with pytest.raises(CheckFileError, match=r"checks/b.toml:\d+: check key 'api-port' is already used in checks/a.toml"):
        definitions.load_directory(tmp_path / "checks")


def test_sync_adds_changes_and_removes_and_leaves_api_checks_alone(app, tmp_path, world):
    directory = tmp_path / "checks"
    write(directory, "web.toml", GOOD)
    checks.create_check({"key": "made-by-hand", "name": "By hand", "component": "api", "kind": "dns",
                         "target": "localhost"}, by=SYSTEM, now=START)
    report = checks.sync_files(directory, by=SYSTEM, now=START)
    assert (sorted(report.added), report.changed, report.removed) == (["api-port", "dashboard-login", "nightly"], [], [])
    ping_id = stored()["nightly"].ping_id
    assert str(checks.sync_files(directory, by=SYSTEM, now=START)) == "0 added, 0 changed, 0 removed, 3 unchanged"
    api_port = '[[check]]\nkey = "api-port"\nname = "API port"\ncomponent = "api"\nkind = "tcp"\n' \
               'target = "api.example.com:443"\n'
    write(directory, "web.toml", GOOD.replace('interval = "30s"', 'interval = "1m"').replace(api_port, ""))
    report = checks.sync_files(directory, by=SYSTEM, now=START)
    assert (report.added, report.changed, report.removed) == ([], ["dashboard-login"], ["api-port"])
    now = stored()
    assert sorted(now) == ["dashboard-login", "made-by-hand", "nightly"]
    assert now["dashboard-login"].interval_seconds == 60 and now["nightly"].ping_id == ping_id
    assert now["made-by-hand"].source.value == "api" and now["dashboard-login"].source_file == "checks/web.toml"


def test_a_bad_file_changes_nothing(app, tmp_path, world):
    directory = tmp_path / "checks"
    write(directory, "web.toml", GOOD)
    checks.sync_files(directory, by=SYSTEM, now=START)
    write(directory, "web.toml", GOOD.replace('interval = "30s"', 'interval = "1m"'))
    write(directory, "zz.toml", '[[check]]\nkey = "x"\nname = "X"\ncomponent = "nowhere"\nkind = "dns"\n'
                                'target = "localhost"\n')
    with pytest.raises(CheckFileError, match=r'^checks/zz.toml:4: check "x" field component: '
                                             r"no component with slug 'nowhere'"):
        checks.sync_files(directory, by=SYSTEM, now=START)
    assert stored()["dashboard-login"].interval_seconds == 30 and "x" not in stored()


def test_file_managed_checks_are_read_only_over_the_api(app, client, tmp_path, world):
    write(tmp_path / "checks", "web.toml", GOOD)
    checks.sync_files(tmp_path / "checks", by=SYSTEM, now=START)
    _record, plain = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    headers = {"Authorization": f"Bearer {plain}"}
    check_id = stored()["api-port"].id
    response = client.patch(f"/api/v1/checks/{check_id}", json={"interval": "10s"}, headers=headers)
    assert response.status_code == 409 and "checks/web.toml" in response.get_json()["error"]["message"]
    assert client.delete(f"/api/v1/checks/{check_id}", headers=headers).status_code == 409
    shown = client.get(f"/api/v1/checks/{check_id}", headers=headers).get_json()
    assert shown["source"] == "file" and shown["target"] == "api.example.com:443"


def test_checks_over_the_api(app, client, world):
    _record, plain = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    headers = {"Authorization": f"Bearer {plain}"}
    body = {"key": "search", "name": "Search page", "component": "api", "kind": "http",
            "target": "https://example.com/search", "interval": "1m", "expect": {"status": 200}}
    created = client.post("/api/v1/checks", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    check = created.get_json()
    assert check["interval"] == 60 and check["expect"] == {"status": [200]} and check["state"]["status"] == "new"
    assert client.post("/api/v1/checks", json=body, headers=headers).status_code == 409
    bad = client.post("/api/v1/checks", json={**body, "key": "other", "interval": "often"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "interval"
    # numbers no float holds, digits of other scripts and a port of thousands of digits: 422 on the field
    for field, value in (("interval", 10 ** 400), ("timeout", 10 ** 400), ("interval", "\u0663s")):
        refused = client.post("/api/v1/checks", json={**body, "key": "other", field: value}, headers=headers)
        assert refused.status_code == 422 and refused.get_json()["error"]["field"] == field, refused.get_json()
    huge_port = client.post("/api/v1/checks", json={**body, "key": "other", "kind": "tcp",
                                                    "target": "example.com:" + "9" * 5000}, headers=headers)
    assert huge_port.status_code == 422 and huge_port.get_json()["error"]["field"] == "target"
    assert client.patch(f"/api/v1/checks/{check['id']}", json={"interval": 10 ** 400},
                        headers=headers).status_code == 422
    changed = client.patch(f"/api/v1/checks/{check['id']}", json={"interval": 120}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["interval"] == 120
    to_tcp = client.patch(f"/api/v1/checks/{check['id']}", json={"kind": "tcp", "target": "example.com:443"},
                          headers=headers)
    assert to_tcp.status_code == 200 and "expect" in to_tcp.get_json() and to_tcp.get_json()["kind"] == "tcp"
    listed = client.get("/api/v1/checks?component=api", headers=headers)
    assert [c["key"] for c in listed.get_json()] == ["search"] and listed.headers["X-Total-Count"] == "1"
    assert client.get(f"/api/v1/checks/{check['id']}/results", headers=headers).get_json() == []
    assert client.delete(f"/api/v1/checks/{check['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/checks/{check['id']}", headers=headers).status_code == 404


SECRET_HEADERS = {"key": "internal", "name": "Internal API", "component": "api", "kind": "http",
                  "target": "https://internal.example/health", "headers": {"Authorization": "Bearer SUPERSECRET"}}
NIGHTLY = {"key": "nightly", "name": "Nightly export", "component": "api", "kind": "heartbeat", "period": "1d",
           "grace": "1h"}


def test_a_heartbeat_can_be_patched(app, client, world):
    """The stored check merged with the change: its timeout (shown as 0.0) is no field a heartbeat takes."""
    _record, plain = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    headers = {"Authorization": f"Bearer {plain}"}
    beat = client.post("/api/v1/checks", json=NIGHTLY, headers=headers).get_json()
    for change in ({"period": "2d"}, {"grace": "30m"}, {"name": "Nightly backup"}):
        patched = client.patch(f"/api/v1/checks/{beat['id']}", json=change, headers=headers)
        assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["period"], patched.get_json()["grace"]) == (2 * 86400, 1800)
    assert patched.get_json()["ping_id"] == beat["ping_id"]
    refused = client.patch(f"/api/v1/checks/{beat['id']}", json={"timeout": "5s"}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "timeout"


@pytest.mark.parametrize("field", ["period", "grace"])
@pytest.mark.parametrize("value", [10 ** 400, -(10 ** 400), "1" * 400 + "s", "\u0663d", "\uff11h", "1e400"])
def test_a_heartbeats_period_or_grace_no_float_holds_is_a_422_on_the_field(app, client, world, field, value):
    """POST and PATCH alike (attack report #5 and #12)."""
    _record, plain = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    headers = {"Authorization": f"Bearer {plain}"}
    refused = client.post("/api/v1/checks", json={**NIGHTLY, field: value}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == field, refused.get_json()
    beat = client.post("/api/v1/checks", json=NIGHTLY, headers=headers).get_json()
    patched = client.patch(f"/api/v1/checks/{beat['id']}", json={field: value}, headers=headers)
    assert patched.status_code == 422 and patched.get_json()["error"]["field"] == field, patched.get_json()


@pytest.mark.parametrize("role", ["viewer", "responder"])
def test_roles_that_cannot_edit_checks_read_them_without_header_values_or_ping_urls(app, client, world, role):
    _record, admin = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    _record, weaker = accounts.create_token(role=role, label=role, by=SYSTEM, now=START)
    as_admin, as_weaker = {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {weaker}"}
    http = client.post("/api/v1/checks", json=SECRET_HEADERS, headers=as_admin).get_json()
    beat = client.post("/api/v1/checks", json=NIGHTLY, headers=as_admin).get_json()
    assert http["headers"] == {"Authorization": "Bearer SUPERSECRET"} and beat["ping_url"].endswith(beat["ping_id"])

    listed = client.get("/api/v1/checks", headers=as_weaker)
    one = client.get(f"/api/v1/checks/{beat['id']}", headers=as_weaker).get_json()
    assert "SUPERSECRET" not in listed.get_data(as_text=True) and beat["ping_id"] not in listed.get_data(as_text=True)
    by_key = {c["key"]: c for c in listed.get_json()}
    assert set(by_key["internal"]) == set(http) and set(by_key["nightly"]) == set(beat) == set(one)  # same shape
    assert by_key["internal"]["headers"] == {"Authorization": "[redacted]"}  # the name stays
    assert one["ping_url"] == one["ping_id"] == by_key["nightly"]["ping_id"] == "[redacted]"
    assert by_key["internal"]["target"] == SECRET_HEADERS["target"] and one["period"] == 86400
    again = client.get(f"/api/v1/checks/{beat['id']}", headers=as_admin).get_json()  # admins still see them
    assert again["ping_url"] == beat["ping_url"] and again["ping_id"] == beat["ping_id"]


def test_the_openapi_document_says_which_check_values_are_redacted(client):
    documented = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["CheckOut"]["properties"]
    for name in ("headers", "ping_id", "ping_url"):
        assert "[redacted]" in documented[name]["description"] and "admin" in documented[name]["description"]


def test_cli_sync_list_and_a_bad_file(app, runner, tmp_path, world):
    directory = tmp_path / "checks"
    write(directory, "web.toml", GOOD)
    result = runner.invoke(main, ["checks", "sync", "--dir", str(directory)])
    assert result.exit_code == 0 and "3 added" in result.output
    listed = runner.invoke(main, ["checks", "list"]).output
    assert "dashboard-login" in listed and "https://status.example.com/ping/" in listed
    write(directory, "web.toml", GOOD.replace('kind = "tcp"', 'kind = "udp"'))
    failed = runner.invoke(main, ["checks", "sync", "--dir", str(directory)])
    assert failed.exit_code == 1 and "checks/web.toml:24: check \"api-port\" field kind" in failed.output


def test_the_repositorys_demo_checks_are_valid_and_follow_the_sites_address():
    loaded = definitions.load_directory(REPO_CHECKS, variables=definitions.site_variables("http://127.0.0.1:9000"))
    assert {definition.kind.value for definition, _ in loaded} >= {"http", "tcp", "dns", "heartbeat"}
    targets = {definition.key: definition.target for definition, _ in loaded}
    assert targets["website-health"] == "http://127.0.0.1:9000/healthz" and targets["database-port"] == "127.0.0.1:9000"
    assert not any(":8000" in target for target in targets.values())


SITE_CHECKS = """
[[check]]
key = "self"
name = "This site"
component = "api"
kind = "http"
target = "${base_url}/healthz"

[[check]]
key = "self-port"
name = "Its port"
component = "api"
kind = "tcp"
target = "${base_host}:${base_port}"
"""


def test_a_check_file_names_the_site_by_its_base_url(app, tmp_path, world, monkeypatch):
    import dataclasses

    write(tmp_path / "checks", "site.toml", SITE_CHECKS)
    checks.sync_files(tmp_path / "checks", by=SYSTEM, now=START)
    assert stored()["self"].target == "https://status.example.com/healthz"
    assert stored()["self-port"].target == "status.example.com:443"
    moved = dataclasses.replace(app.config["SETTINGS"], base_url="http://[::1]:9000")
    monkeypatch.setitem(app.config, "SETTINGS", moved)
    report = checks.sync_files(tmp_path / "checks", by=SYSTEM, now=START)
    assert sorted(report.changed) == ["self", "self-port"]  # the same checks, pointed at the new address
    assert stored()["self"].target == "http://[::1]:9000/healthz" and stored()["self-port"].target == "[::1]:9000"


def test_an_unknown_variable_names_file_line_and_the_known_ones(tmp_path):
    path = write(tmp_path / "checks", "site.toml", SITE_CHECKS.replace("${base_url}", "${base_uri}"))
    with pytest.raises(CheckFileError, match=r'checks/site.toml:7: check "self" field target: unknown variable '
                                             r"\$\{base_uri\} \(known: \$\{base_url\}, \$\{base_host\}"):
        definitions.load_file(path, relative_to=tmp_path, variables=definitions.site_variables("http://a:1"))


# One schema (definitions.py:CheckInSchema) validates a check file, an API body and the console's form: a bad
# definition is refused in the same words wherever it comes from, and the OpenAPI document describes that schema.

API_HOME = {"key": "search", "name": "Search page", "component": "api", "kind": "http",
            "target": "https://example.com/search"}


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{name} = {_toml(inner)}" for name, inner in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(inner) for inner in value) + "]"
    return json.dumps(value)


@pytest.mark.parametrize("change, field, words", [
    ({"key": "A B"}, "key", "use lowercase letters"),
    ({"key": "k" * 101}, "key", "must be one line of at most 100 characters"),
    ({"name": None}, "name", "is required"),
    ({"name": "  "}, "name", "must be text"),
    ({"kind": "ftp"}, "kind", "must be one of http, tcp, dns, tls, heartbeat"),
    ({"kind": None}, "kind", "is required (one of http, tcp, dns, tls, heartbeat)"),
    ({"failure_status": "under_maintenance"}, "failure_status", "must be one of degraded_performance"),
    ({"interval": "often"}, "interval", 'must be a duration such as "30s"'),
    ({"succeses_to_close": 2}, "succeses_to_close", "unknown field (known: component, enabled, expect"),
    ({"expect": {"status": "ok"}}, "expect.status", "must be a status code or a list of them"),
    ({"expect": {"answers": ["10.0.0.1"]}}, "expect.answers", "http checks do not take this expectation"),
    ({"period": "1d"}, "period", "only heartbeat checks have this field"),
])
def test_a_file_and_the_api_refuse_a_definition_in_the_same_words(app, client, tmp_path, world, change, field,
                                                                   words):
    body = {name: value for name, value in {**API_HOME, **change}.items() if value is not None}
    path = write(tmp_path / "checks", "web.toml",
                 "[[check]]\n" + "".join(f"{name} = {_toml(value)}\n" for name, value in body.items()))
    with pytest.raises(CheckFileError) as raised:
        definitions.load_file(path, relative_to=tmp_path)
    in_file = str(raised.value).split(f" field {field}: ", 1)
    assert len(in_file) == 2 and words in in_file[1], str(raised.value)
    _record, plain = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    refused = client.post("/api/v1/checks", json=body, headers={"Authorization": f"Bearer {plain}"})
    error = refused.get_json()["error"]
    assert refused.status_code == 422 and error["field"] == field, error
    assert error["message"] == f"{field}: {in_file[1]}"  # the file's words, exactly


def test_a_patch_is_checked_by_the_same_schema_once_merged(app, client, world):
    _record, plain = accounts.create_token(role="admin", label="bot", by=SYSTEM, now=START)
    headers = {"Authorization": f"Bearer {plain}"}
    check = client.post("/api/v1/checks", json=API_HOME, headers=headers).get_json()
    shape = client.patch(f"/api/v1/checks/{check['id']}", json={"kind": "ftp"}, headers=headers)
    assert shape.status_code == 422 and shape.get_json()["error"]["message"] == \
        "kind: must be one of http, tcp, dns, tls, heartbeat"
    merged = client.patch(f"/api/v1/checks/{check['id']}", json={"kind": "tcp"}, headers=headers)  # no target
    assert merged.status_code == 422 and merged.get_json()["error"]["message"] == "target: is required"
    assert client.get(f"/api/v1/checks/{check['id']}", headers=headers).get_json()["kind"] == "http"


def test_the_openapi_document_describes_the_schema_that_validates(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = spec["components"]["schemas"]["CheckIn"]
    assert set(documented["properties"]) == set(definitions.CheckInSchema().fields) == definitions.FIELDS
    assert sorted(documented["required"]) == ["component", "key", "kind", "name"]
    assert documented["properties"]["kind"]["enum"] == [kind.value for kind in CheckKind]
    body = spec["paths"]["/api/v1/checks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CheckIn"}
