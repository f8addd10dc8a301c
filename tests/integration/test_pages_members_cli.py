"""`statuspage pages set --password|--no-password` and `statuspage pages members list|add|set|resend|remove|token`:
the rules of services/page_members.py, one line per answer, one-line errors with exit status 1."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from statuspage.cli import main
from statuspage.extensions import db
from statuspage.models import AuditEntry, Notification, NotificationKind, Page, PageMember
from statuspage.services import components, page_members
from statuspage.services.audit import CLI
from tests.builders import make_component, make_page

PASSWORD = "correct horse battery"


@pytest.fixture
def pages(app):
    with app.app_context():
        make_component("api")
        make_component("eu", "EU region")
        make_component("shop")
        make_page("acme", ["api", "eu"], name="Acme", visibility="private")
        make_page("vault", ["api"], name="Vault", visibility="password")
        db.session.commit()


def run(runner, *arguments, input=None):
    return runner.invoke(main, ["pages", *arguments], input=input)


def stored_hash(app, slug):
    with app.app_context():
        return db.session.scalar(select(Page.password_hash).where(Page.slug == slug))


def test_the_password_is_asked_for_hidden_twice_then_set_and_removed(app, runner, clock, pages):
    result = run(runner, "set", "vault", "--password", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Password set for page vault"
    assert PASSWORD not in result.output  # hidden while typed
    assert check_password_hash(stored_hash(app, "vault"), PASSWORD)
    mismatch = run(runner, "set", "vault", "--password", input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output  # asked again
    removed = run(runner, "set", "vault", "--no-password")
    assert removed.exit_code == 0 and removed.output.strip() == "Password removed for page vault"
    assert stored_hash(app, "vault") is None
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "page.password")) == "cli"
        assert not db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "page.update"))
    # Together with other fields: the page changes, then the password is set; a public page says so.
    both = run(runner, "set", "acme", "--name", "Acme Inc", "--password", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert both.exit_code == 0, both.output
    assert "Changed acme" in both.output and "asked for only while its visibility is password" in both.output


def test_a_member_is_added_listed_limited_given_a_token_and_removed(app, runner, clock, pages):
    added = run(runner, "members", "add", "acme", "Kim@Example.com", "--name", "Kim", "--component", "eu")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Invited ") and "kim@example.com" in added.output and "[eu]" in added.output
    with app.app_context():
        member_id = db.session.scalar(select(PageMember.id))
        assert db.session.scalar(select(Notification.recipient).where(
            Notification.kind == NotificationKind.MEMBER_SIGN_IN)) == "kim@example.com"
    run(runner, "members", "add", "acme", "lee@example.com")
    listed = run(runner, "members", "list", "acme").output.splitlines()
    assert [line.split()[1] for line in listed] == ["kim@example.com", "lee@example.com"]
    assert "signed in: never  token: no  [eu]  Kim" in listed[0] and "[all components]" in listed[1]

    changed = run(runner, "members", "set", "acme", str(member_id), "--component", "api", "--component", "eu")
    assert changed.exit_code == 0 and "[api, eu]" in changed.output, changed.output
    by_email = run(runner, "members", "set", "acme", "kim@example.com", "--all-components")
    assert by_email.exit_code == 0 and "[all components]" in by_email.output

    issued = run(runner, "members", "token", "acme", str(member_id))
    assert issued.exit_code == 0, issued.output
    token = issued.output.splitlines()[-1]
    assert token.startswith(page_members.TOKEN_PREFIX) and "Authorization: Bearer" in issued.output
    with app.app_context():
        assert db.session.get(PageMember, member_id).token_hash == page_members.hash_token(token)
    assert "token: yes" in run(runner, "members", "list", "acme").output.splitlines()[0]
    assert token not in run(runner, "members", "list", "acme").output
    revoked_token = run(runner, "members", "token", "acme", str(member_id), "--revoke")
    assert revoked_token.exit_code == 0 and "stopped working" in revoked_token.output
    with app.app_context():
        assert db.session.get(PageMember, member_id).token_hash is None

    removed = run(runner, "members", "remove", "acme", str(member_id))
    assert removed.exit_code == 0 and removed.output.strip() == "Revoked kim@example.com on page acme"
    assert " revoked " in run(runner, "members", "list", "acme").output.splitlines()[0]
    with app.app_context():
        assert db.session.get(PageMember, member_id).revoked_at is not None
        assert set(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.target_type == "page_members"))) \
            == {"cli"}

    # Limited to a component that is then deleted: limited to none, never all.
    run(runner, "members", "add", "acme", "max@example.com", "--component", "api")
    with app.app_context():
        components.delete_component("api", by=CLI, now=clock.now())
    assert "[no component: all of theirs were deleted]" in run(runner, "members", "list", "acme").output


def test_mistakes_end_with_one_line_and_exit_status_1(app, runner, clock, pages):
    with app.app_context():
        make_page("other", ["shop"], visibility="private")
        stranger = page_members.invite_member("other", "sam@example.com", by=CLI, now=clock.now())
        stranger_id = stranger.id
        kim = page_members.invite_member("acme", "kim@example.com", by=CLI, now=clock.now())
        page_members.revoke_member("acme", kim.id, by=CLI, now=clock.now())
        kim_id = kim.id
        db.session.remove()
    for arguments, words, given in (
            (["set", "vault", "--password"], "at least 10 characters", "short\nshort\n"),
            (["set", "nope", "--password"], "No page with slug 'nope'", None),
            (["members", "list", "nope"], "No page with slug 'nope'", None),
            (["members", "add", "acme", "not-an-address"], "email", None),
            (["members", "add", "acme", "lee@example.com", "--component", "shop"], "does not show the component", None),
            (["members", "add", "acme", "lee@example.com", "--component", "nope"], "No component 'nope'", None),
            (["members", "set", "acme", str(stranger_id), "--all-components"], "No member with id", None),
            (["members", "set", "acme", "nobody@example.com", "--all-components"], "No member 'nobody@example.com'",
             None),
            (["members", "set", "acme", "kim@example.com"], "nothing to change", None),
            (["members", "set", "acme", "kim@example.com", "--all-components", "--component", "eu"], "not both",
             None),
            (["members", "token", "acme", str(kim_id)], "revoked", None),
            (["members", "remove", "acme", "99999999999999"], "No member '99999999999999'", None)):
        result = run(runner, *arguments, input=given)
        assert result.exit_code == 1, (arguments, result.output)
        last = result.output.strip().splitlines()[-1]
        assert words in last and "Traceback" not in result.output, (arguments, result.output)
        assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1
    assert stored_hash(app, "vault") is None


def test_an_invitation_is_sent_again_by_email_address_until_the_member_signs_in(app, runner, clock, pages):
    run(runner, "members", "add", "acme", "kim@example.com")
    again = run(runner, "members", "resend", "acme", "Kim@Example.com")
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "Invited kim@example.com to page acme again; the mail goes out with the next delivery"
    with app.app_context():
        assert list(db.session.scalars(select(Notification.recipient)
                                       .where(Notification.kind == NotificationKind.MEMBER_SIGN_IN))) == [
            "kim@example.com"] * 2
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "page_member.resend")) == "cli"
        page_members.record_sign_in(db.session.scalar(select(PageMember)), now=clock.now())
    refused = run(runner, "members", "resend", "acme", "kim@example.com")
    assert refused.exit_code == 1 and "has signed in already" in refused.output
    assert run(runner, "members", "resend", "acme", "nobody@example.com").exit_code == 1
