"""/api/v1/pages/<slug>/members and a page's write-only password: what a script does to run a private page."""
import pytest
from sqlalchemy import select

from statuspage import clock
from statuspage.extensions import db
from statuspage.models import AuditEntry, Notification, NotificationKind, PageMember
from statuspage.services import page_members
from tests.builders import make_component, make_page
from tests.integration.test_pages_api import _client_with


@pytest.fixture
def admin(app, client):
    return _client_with(app, client, "admin")


@pytest.fixture
def vault(app):
    with app.app_context():
        make_component("vault", "Vault")
        make_component("eu", "EU")
        make_component("other", "Other")
        make_page("vault", ["vault", "eu"], visibility="private")
        make_page("bunker", ["other"], visibility="password")


def test_the_password_is_write_only_and_lets_readers_in(app, admin, vault):
    assert admin.get("/api/v1/pages/bunker").get_json()["has_password"] is False
    changed = admin.patch("/api/v1/pages/bunker", json={"password": "correct horse battery"})
    assert changed.status_code == 200, changed.get_json()
    shown = changed.get_json()
    assert shown["has_password"] is True and "password" not in shown
    assert "correct horse battery" not in changed.get_data(as_text=True)
    weak = admin.patch("/api/v1/pages/bunker", json={"password": "short"})
    assert weak.status_code == 422 and weak.get_json()["error"]["field"] == "password"
    with app.app_context():
        details = [entry.details for entry in db.session.scalars(select(AuditEntry))]
    assert "correct horse battery" not in repr(details)
    cleared = admin.patch("/api/v1/pages/bunker", json={"password": None})
    assert cleared.get_json()["has_password"] is False


def test_members_are_invited_read_changed_revoked_and_get_tokens(app, admin, vault):
    invited = admin.post("/api/v1/pages/vault/members", json={"email": "Kim@Example.com", "name": "Kim",
                                                              "components": ["eu"]})
    assert invited.status_code == 201, invited.get_json()
    member = invited.get_json()
    assert (member["email"], member["components"], member["limited"], member["is_active"], member["has_token"]) == (
        "kim@example.com", ["eu"], True, True, False)
    url = f"/api/v1/pages/vault/members/{member['id']}"
    assert admin.get(url).get_json() == member
    assert [m["id"] for m in admin.get("/api/v1/pages/vault/members").get_json()] == [member["id"]]
    assert admin.post("/api/v1/pages/vault/members", json={"email": "kim@example.com"}).status_code == 409
    assert admin.post("/api/v1/pages/vault/members", json={"email": "nope"}).status_code == 422
    assert admin.post("/api/v1/pages/vault/members", json={"email": "a@example.com",
                                                           "components": ["other"]}).status_code == 422
    assert admin.post("/api/v1/pages/vault/members", json={"mail": "a@example.com"}).status_code == 422
    assert admin.get("/api/v1/pages/bunker/members/" + member["id"]).status_code == 404
    assert admin.get("/api/v1/pages/nope/members").status_code == 404
    patched = admin.patch(url, json={"components": [], "name": "Kim K"})
    assert patched.status_code == 200 and patched.get_json()["components"] == [] and patched.get_json()["name"] == "Kim K"
    assert patched.get_json()["limited"] is False  # an empty list given: all of the page's
    token = admin.post(url + "/token")
    assert token.status_code == 201 and token.get_json()["token"].startswith("spm_")
    plain = token.get_json()["token"]
    assert admin.get(url).get_json()["has_token"] is True and plain not in admin.get(url).get_data(as_text=True)
    reader = app.test_client()
    assert reader.get("/p/vault/api/v2/status.json", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert admin.delete(url + "/token").status_code == 204
    assert reader.get("/p/vault/api/v2/status.json", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert admin.delete(url).status_code == 204
    assert admin.get(url).get_json()["is_active"] is False
    assert admin.post(url + "/token").status_code == 409


def test_only_admins_manage_members(app, client, vault):
    viewer = _client_with(app, client, "viewer")
    assert viewer.get("/api/v1/pages/vault/members").status_code == 403
    assert viewer.post("/api/v1/pages/vault/members", json={"email": "a@example.com"}).status_code == 403


def test_the_openapi_document_names_the_member_endpoints(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/pages/{slug}/members/{member_id}/token" in document["paths"]
    page_patch = document["components"]["schemas"]["PagePatch"]["properties"]["password"]
    assert page_patch["writeOnly"] is True


def test_an_invitation_is_sent_again_until_the_member_signs_in_or_is_revoked(app, admin, vault):
    member = admin.post("/api/v1/pages/vault/members", json={"email": "kim@example.com"}).get_json()
    url = f"/api/v1/pages/vault/members/{member['id']}"
    with app.app_context():
        first = db.session.scalar(select(PageMember.sign_in_nonce))
    again = admin.post(url + "/invitation")
    assert again.status_code == 202 and again.get_json() == admin.get(url).get_json()
    with app.app_context():
        sent = list(db.session.scalars(select(Notification.recipient)
                                       .where(Notification.kind == NotificationKind.MEMBER_SIGN_IN)))
        assert sent == ["kim@example.com"] * 2
        assert db.session.scalar(select(PageMember.sign_in_nonce)) not in (None, first)  # the first link died
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "page_member.resend"))
        page_members.record_sign_in(db.session.get(PageMember, int(member["id"])), now=clock.now())
    signed_in = admin.post(url + "/invitation")
    assert signed_in.status_code == 409 and signed_in.get_json()["error"]["code"] == "member_signed_in"
    other = admin.post("/api/v1/pages/vault/members", json={"email": "lee@example.com"}).get_json()
    assert admin.delete(f"/api/v1/pages/vault/members/{other['id']}").status_code == 204
    revoked = admin.post(f"/api/v1/pages/vault/members/{other['id']}/invitation")
    assert revoked.status_code == 409 and revoked.get_json()["error"]["code"] == "member_revoked"
    assert admin.post("/api/v1/pages/vault/members/999999/invitation").status_code == 404
    assert admin.post(f"/api/v1/pages/bunker/members/{member['id']}/invitation").status_code == 404
