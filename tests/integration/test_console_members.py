"""The console's password and members screens of a page (admins only): the shared password is write-only;
members are invited, limited to components, given a feed token shown once, and revoked after a question."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, Notification, NotificationKind, Page, PageComponent, PageMember
from statuspage.services import components, page_members
from statuspage.services.audit import CLI
from tests.builders import START, form_post, make_component, make_page, make_user, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(app, client):
    with app.app_context():
        make_user("root@example.com", "admin")
        make_component("api", "Public API")
        make_component("eu", "EU region")
        make_component("us", "US region")
        make_component("shop", "Shop")
        make_page("acme", ["api", "eu", "us"], name="Acme", visibility="private")
        make_page("vault", ["api"], name="Vault", visibility="password")
        db.session.commit()
    sign_in(client, "root@example.com")
    return client


def member_row(app, email):
    with app.app_context():
        member = db.session.scalar(select(PageMember).where(PageMember.email == email))
        return None if member is None else {
            "name": member.name, "components": [c.slug for c in member.components],
            "active": member.is_active, "token": member.token_hash is not None}


def stored_hash(app, slug):
    with app.app_context():
        return db.session.scalar(select(Page.password_hash).where(Page.slug == slug))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_password_is_set_and_cleared_and_never_shown(app, admin):
    edit = text_of(admin.get("/admin/pages/vault/edit"))
    assert "No password is set" in edit and "Nobody can read the page until a password is set." in edit
    screen = admin.get("/admin/pages/vault/password")
    assert screen.status_code == 200 and 'autocomplete="new-password"' in text_of(screen)
    response = form_post(admin, "/admin/pages/vault/password", {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/pages/vault/edit")
    with app.app_context():
        stored = db.session.scalar(select(Page.password_hash).where(Page.slug == "vault"))
        assert check_password_hash(stored, PASSWORD)
        details = db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "page.password"))
    assert PASSWORD not in str(details)
    edit = text_of(admin.get("/admin/pages/vault/edit"))
    assert "A password is set" in edit and PASSWORD not in edit and stored not in edit
    assert "A password is set" in text_of(admin.get("/admin/pages/vault/password"))
    assert PASSWORD not in text_of(admin.get("/admin/pages/vault/password"))
    # Removing it asks first, on a screen of its own; the edit screen only links there.
    assert 'href="/admin/pages/vault/password/clear"' in edit and 'action="/admin/pages/vault/password/clear"' not in edit
    question = text_of(admin.get("/admin/pages/vault/password/clear"))
    assert "Remove the password of “Vault”?" in question and "Nobody can read the page until a new password" in question
    assert check_password_hash(stored_hash(app, "vault"), PASSWORD)
    cleared = form_post(admin, "/admin/pages/vault/password/clear", {})
    assert cleared.status_code == 302 and cleared.headers["Location"].endswith("/admin/pages/vault/edit")
    with app.app_context():
        assert db.session.scalar(select(Page.password_hash).where(Page.slug == "vault")) is None
    assert "nobody can sign in with a password now" in text_of(admin.get("/admin/pages/vault/edit"))
    assert "No password is set" in text_of(admin.get("/admin/pages/vault/password/clear"))


@pytest.mark.parametrize("data, words", [
    ({"password": "short", "confirm": "short"}, "between 10 and 1000 characters"),
    ({"password": PASSWORD, "confirm": PASSWORD + "!"}, "The passwords do not match."),
    ({"password": "", "confirm": ""}, "This field is required."),
])
def test_a_bad_password_is_refused_at_its_field(app, admin, data, words):
    response = form_post(admin, "/admin/pages/vault/password", data)
    assert response.status_code == 400 and words in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(Page.password_hash).where(Page.slug == "vault")) is None


def test_a_form_without_its_csrf_token_changes_nothing(app, admin):
    assert admin.post("/admin/pages/vault/password", data={"password": PASSWORD, "confirm": PASSWORD}
                      ).status_code == 400
    assert admin.post("/admin/pages/acme/members", data={"email": "kim@example.com"}).status_code == 400
    with app.app_context():
        page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
        member_id = db.session.scalar(select(PageMember.id))
        page_members.set_password("vault", PASSWORD, by=CLI, now=START)
        db.session.remove()
    for url in (f"/admin/pages/acme/members/{member_id}/revoke", f"/admin/pages/acme/members/{member_id}/token",
                f"/admin/pages/acme/members/{member_id}"):
        admin.post(url, data={"name": "Changed", "components": ["eu"]})
    admin.post("/admin/pages/vault/password/clear", data={})
    assert member_row(app, "kim@example.com") == {"name": "", "components": [], "active": True, "token": False}
    assert check_password_hash(stored_hash(app, "vault"), PASSWORD)


def test_a_member_is_invited_limited_changed_given_a_token_and_revoked(app, admin, clock):
    edit = text_of(admin.get("/admin/pages/acme/edit"))
    assert "No members yet" in edit and 'href="/admin/pages/acme/members"' in edit
    listing = text_of(admin.get("/admin/pages/acme/members"))
    assert "No members yet." in listing
    # The picker offers the page's components only.
    assert 'value="eu"' in listing and 'value="shop"' not in listing
    response = form_post(admin, "/admin/pages/acme/members", {
        "email": " Kim@Example.COM ", "name": "Kim Lee", "components": ["eu", "us"]})
    assert response.status_code == 302, text_of(response)
    assert member_row(app, "kim@example.com") == {"name": "Kim Lee", "components": ["eu", "us"], "active": True,
                                                  "token": False}
    with app.app_context():
        assert db.session.scalar(select(Notification.recipient).where(
            Notification.kind == NotificationKind.MEMBER_SIGN_IN)) == "kim@example.com"
        member_id = db.session.scalar(select(PageMember.id))
    listing = text_of(admin.get("/admin/pages/acme/members"))
    assert "kim@example.com is invited" in listing and "EU region, US region" in listing and "Never" in listing
    assert "1 member" in text_of(admin.get("/admin/pages/acme/edit"))

    # Changed to all of the page's components (none ticked) and a new name.
    screen = f"/admin/pages/acme/members/{member_id}"
    shown = text_of(admin.get(screen))
    assert 'value="eu" checked' in shown and 'value="api" checked' not in shown
    assert form_post(admin, screen, {"name": "Kim"}).status_code == 302
    assert member_row(app, "kim@example.com")["components"] == []
    assert ">All<" in text_of(admin.get("/admin/pages/acme/members"))

    # A feed token: shown once, with how to use it; the list says there is one; revoked.
    issued = form_post(admin, f"{screen}/token", {}, page_url=screen)
    assert issued.status_code == 200
    token = re.search(r'id="new-token-value">(spm_[^<]+)<', text_of(issued)).group(1)
    assert "?token=" in text_of(issued) and "Authorization: Bearer" in text_of(issued)
    with app.app_context():
        assert db.session.scalar(select(PageMember.token_hash)) == page_members.hash_token(token)
    assert token not in text_of(admin.get(screen)) and "A token is set" in text_of(admin.get(screen))
    assert "<td data-label=\"Feed token\">Yes</td>" in text_of(admin.get("/admin/pages/acme/members"))
    assert form_post(admin, f"{screen}/token/revoke", {}, page_url=screen).status_code == 302
    assert member_row(app, "kim@example.com")["token"] is False

    # Revoking asks first; then the member stays listed as revoked.
    question = text_of(admin.get(f"{screen}/revoke"))
    assert "Revoke the access of kim@" in question and "Their subscriptions to the page end" in question
    assert member_row(app, "kim@example.com")["active"] is True
    assert form_post(admin, f"{screen}/revoke", {}).status_code == 302
    assert member_row(app, "kim@example.com")["active"] is False
    listing = text_of(admin.get("/admin/pages/acme/members"))
    assert "can no longer read the page" in listing and "Revoked" in listing
    with app.app_context():
        assert list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "page_members")
                                       .order_by(AuditEntry.id))) == [
            "page_member.invite", "page_member.update", "page_member.token", "page_member.token_revoke",
            "page_member.revoke"]
    # Invited again, the revoked member comes back.
    assert form_post(admin, "/admin/pages/acme/members", {"email": "kim@example.com"}).status_code == 302
    assert member_row(app, "kim@example.com")["active"] is True


def test_an_invitation_is_sent_again_with_a_new_link_until_the_member_signs_in(app, admin, clock):
    with app.app_context():
        member_id = page_members.invite_member("acme", "kim@example.com", by=CLI, now=START).id
        first = db.session.scalar(select(PageMember.sign_in_nonce))
        db.session.remove()
    resend = f"/admin/pages/acme/members/{member_id}/resend"
    listing = text_of(admin.get("/admin/pages/acme/members"))
    assert f'action="{resend}"' in listing and "Resend invitation" in listing
    assert admin.post(resend, data={}).status_code == 400  # no CSRF token: nothing sent
    response = form_post(admin, resend, {}, page_url="/admin/pages/acme/members")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/pages/acme/members")
    assert "A new invitation is on its way to kim@example.com" in text_of(admin.get("/admin/pages/acme/members"))
    with app.app_context():
        sent = list(db.session.scalars(select(Notification).where(Notification.kind == NotificationKind.MEMBER_SIGN_IN)
                                       .order_by(Notification.id)))
        assert [n.recipient for n in sent] == ["kim@example.com"] * 2 and '"invitation": true' in sent[1].detail
        assert db.session.scalar(select(PageMember.sign_in_nonce)) not in (None, first)  # the first link died
        assert list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "page_members")
                                       .order_by(AuditEntry.id))) == ["page_member.invite", "page_member.resend"]
        member = db.session.get(PageMember, member_id)
        page_members.record_sign_in(member, now=START)
        db.session.remove()
    assert f'action="{resend}"' not in text_of(admin.get("/admin/pages/acme/members"))  # signed in: no button
    form_post(admin, resend, {}, page_url="/admin/pages/acme/members")
    assert "has signed in already" in text_of(admin.get("/admin/pages/acme/members"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_limited_member_whose_components_were_deleted_is_shown_limited_to_none(app, admin, clock):
    with app.app_context():
        member_id = page_members.invite_member("acme", "kim@example.com", components=["eu"], by=CLI, now=START).id
        components.delete_component("eu", by=CLI, now=START)
    assert "None: their components were deleted" in text_of(admin.get("/admin/pages/acme/members"))
    assert "they see no component now" in text_of(admin.get(f"/admin/pages/acme/members/{member_id}"))


def test_mistakes_are_shown_at_the_form_and_nothing_is_stored(app, admin):
    with app.app_context():
        page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    for data, words in (({"email": "not an address"}, "Enter a valid email address."),
                        ({"email": "kim@example.com"}, "This address is a member of the page already."),
                        ({"email": "lee@example.com", "components": ["shop"]}, "Choose components from the list."),
                        ({"email": "lee@example.com", "name": "x" * 121}, "120 characters")):
        response = form_post(admin, "/admin/pages/acme/members", data)
        assert response.status_code == 400, data
        assert words in text_of(response), (data, text_of(response))
    assert member_row(app, "lee@example.com") is None


def test_another_pages_member_or_an_unknown_one_is_not_found(app, admin):
    with app.app_context():
        page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
        member_id = db.session.scalar(select(PageMember.id))
        db.session.remove()
    assert admin.get(f"/admin/pages/vault/members/{member_id}").status_code == 404
    assert admin.get("/admin/pages/acme/members/999999").status_code == 404
    assert admin.get("/admin/pages/nope/members").status_code == 404


def test_only_admins_reach_the_screens(app, client):
    with app.app_context():
        make_user("ops@example.com", "responder")
        make_page("acme", [], name="Acme", visibility="private")
        db.session.commit()
    sign_in(client, "ops@example.com")
    for url in ("/admin/pages/acme/members", "/admin/pages/acme/password"):
        assert client.get(url).status_code == 403


def test_a_private_page_s_edit_screen_warns_of_components_a_public_page_shows_too(app, admin):
    """The default page shows every component until its own are chosen: a private page's component is then
    public there, and the console says so, naming it; once the default page chooses its own, it does not."""
    with app.app_context():
        make_page("hidden", ["eu"], name="Hidden", visibility="private")
        default = db.session.scalar(select(Page).where(Page.is_default.is_(True)))
        assert default is not None and default.shows_all_components
    warned = admin.get("/admin/pages/hidden/edit").get_data(as_text=True)
    assert "Public pages show these components of this page too" in warned and "EU region" in warned
    with app.app_context():
        default = db.session.scalar(select(Page).where(Page.is_default.is_(True)))
        default.shows_all_components = False
        db.session.add(PageComponent(page_id=default.id, component_id=db.session.scalar(
            select(Component.id).where(Component.slug == "api"))))
        db.session.commit()
    assert "Public pages show these components" not in admin.get("/admin/pages/hidden/edit").get_data(as_text=True)
