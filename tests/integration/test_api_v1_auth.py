"""Every management endpoint refuses a missing, wrong or revoked token, and a role that is too weak."""
import pytest

from statuspage.models import Role
from statuspage.services import accounts
from tests.builders import SYSTEM, START

# The role each operation needs, by HTTP method and path as the OpenAPI document names them.
WRITE_ROLE = {"components": "admin", "groups": "admin", "incidents": "responder", "maintenances": "responder",
              "subscribers": "admin", "checks": "admin", "tickets": "responder", "pages": "admin",
              "alerts": "alerts"}  # Alertmanager and Grafana: alerts tokens (and admins) only
READ_ROLE = {"subscribers": "admin"}  # addresses are personal data: only admins read them
ROLES = ["viewer", "responder", "admin"]


def operations(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    found = []
    for path, methods in spec["paths"].items():
        for method in methods:
            if method in ("get", "post", "patch", "delete", "put"):
                resource = path.split("/")[3]
                needed = READ_ROLE.get(resource, "viewer") if method == "get" else WRITE_ROLE[resource]
                if method == "post" and resource == "tickets":
                    needed = "intake"  # the intake hook: intake tokens (and admins) only
                if "/members" in path:
                    needed = "admin"  # a private page's members are addresses too: only admins read them
                concrete = (path.replace("{slug}", "api").replace("{incident_id}", "1").replace("{subscriber_id}", "1")
                            .replace("{maintenance_id}", "1").replace("{group_id}", "1").replace("{check_id}", "1").replace("{ticket_id}", "1")
                            .replace("{member_id}", "1"))
                found.append((method.upper(), concrete, needed))
    return found


@pytest.fixture(scope="module")
def every_operation(app):
    return operations(app)


def token(app, role, *, revoked=False):
    with app.app_context():
        record, plain = accounts.create_token(role=role, label=f"{role} bot", by=SYSTEM, now=START)
        if revoked:
            accounts.revoke_token(record.id, by=SYSTEM, now=START)
    return plain


def call(client, method, path, plain=None, scheme="Bearer"):
    headers = {"Authorization": f"{scheme} {plain}"} if plain else {}
    return client.open(path, method=method, headers=headers, json={} if method in ("POST", "PATCH") else None)


def test_the_openapi_document_lists_every_management_route(app, every_operation):
    documented = {(method, path) for method, path, _ in every_operation}
    routes = {(method, rule.rule.replace("<slug>", "api").replace("<id:incident_id>", "1").replace("<id:subscriber_id>", "1")
               .replace("<id:maintenance_id>", "1").replace("<group_id:group_id>", "1").replace("<id:check_id>", "1").replace("<id:ticket_id>", "1")
               .replace("<id:member_id>", "1"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and rule.endpoint.startswith("api_v1.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


def test_there_are_operations_to_check(every_operation):
    assert len(every_operation) >= 18


@pytest.mark.parametrize("credential", ["none", "wrong", "revoked", "basic-scheme"])
def test_without_a_live_token_every_operation_answers_401(app, client, every_operation, credential):
    plain = {"none": None, "wrong": "sp_not-a-real-token", "revoked": token(app, "admin", revoked=True),
             "basic-scheme": token(app, "admin")}[credential]
    scheme = "Basic" if credential == "basic-scheme" else "Bearer"
    for method, path, _needed in every_operation:
        response = call(client, method, path, plain, scheme)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ["viewer", "responder", "intake", "alerts"])
def test_a_role_that_is_too_weak_gets_403(app, client, every_operation, role):
    plain = token(app, role)
    for method, path, needed in every_operation:
        response = call(client, method, path, plain)
        allowed = Role(role).allows(Role(needed))
        if allowed:
            assert response.status_code != 403, (method, path)
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert response.get_json()["error"]["code"] == "forbidden"


def test_a_token_records_its_last_use(app, client, clock):
    plain = token(app, "viewer")
    client.get("/api/v1/components", headers={"Authorization": f"Bearer {plain}"})
    with app.app_context():
        assert accounts.authenticate_token(plain, now=clock.now()).last_used_at is not None


BAD_BODIES = {
    "form-encoded": ("name=x&status=investigating", "application/x-www-form-urlencoded"),
    "plain-text": ("hello", "text/plain"),
    "no-content-type": ("{}", None),
    "malformed-json": ("{not json", "application/json"),
    "nested-100k": ("[" * 100_000, "application/json"),
}


@pytest.mark.parametrize("body", BAD_BODIES)
def test_authentication_comes_before_the_body_is_looked_at(app, client, every_operation, body):
    """An anonymous (or wrongly authenticated) write learns nothing about its body: 401, never 415 or 400."""
    data, content_type = BAD_BODIES[body]
    wrong = token(app, "admin", revoked=True)
    failures = []
    for method, path, _needed in every_operation:
        if method not in ("POST", "PATCH", "PUT"):
            continue
        for headers in ({}, {"Authorization": f"Bearer {wrong}"}):
            response = client.open(path, method=method, data=data, content_type=content_type, headers=headers)
            if response.status_code != 401:
                failures.append(f"{method} {path} {headers and 'revoked' or 'anonymous'}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_role_too_weak_is_told_so_before_the_body_is_looked_at(app, client, every_operation, body):
    data, content_type = BAD_BODIES[body]
    plain = token(app, "viewer")
    failures = []
    for method, path, _needed in every_operation:
        if method not in ("POST", "PATCH", "PUT"):
            continue
        response = client.open(path, method=method, data=data, content_type=content_type,
                               headers={"Authorization": f"Bearer {plain}"})
        if response.status_code != 403:
            failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("body", BAD_BODIES)
def test_an_authorized_caller_learns_what_is_wrong_with_the_body(app, client, every_operation, body):
    data, content_type = BAD_BODIES[body]
    plain = token(app, "admin")
    expected = 415 if content_type != "application/json" else 400
    failures = []
    for method, path, _needed in every_operation:
        if method not in ("POST", "PATCH", "PUT"):
            continue
        response = client.open(path, method=method, data=data, content_type=content_type,
                               headers={"Authorization": f"Bearer {plain}"})
        if response.status_code not in (expected, 404):  # 404: the object in the path does not exist
            failures.append(f"{method} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)
