"""services/page_members.py: invite, limit, revoke, tokens, the shared password and one-time sign-in links."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from statuspage.errors import Conflict, Invalid, NotFound
from statuspage.extensions import db
from statuspage.models import Notification, NotificationKind, PageMember, Subscriber
from statuspage.services import page_members
from statuspage.services.audit import CLI

from ..builders import START, body_of, deliver, make_component, make_page


@pytest.fixture
def private(ctx):
    make_component("api")
    make_component("eu", name="EU region")
    make_component("us", name="US region")
    make_component("shop")
    return make_page("acme", ["api", "eu", "us"], name="Acme", visibility="private", languages="de")


def link_token(url: str) -> str:
    return url.rsplit(page_members.SIGN_IN_PATH, 1)[1]


def test_an_invited_member_gets_a_mail_in_the_page_language_with_a_link_that_works_once(private, app, inbox,
                                                                                         clock):
    member = page_members.invite_member("acme", " Kim@Example.COM ", name="Kim", components=["eu"], by=CLI,
                                        now=START)
    assert (member.email, member.name, [c.slug for c in member.components]) == ("kim@example.com", "Kim", ["eu"])
    queued = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.MEMBER_SIGN_IN))
    assert queued.recipient == "kim@example.com"
    deliver(app, clock)
    db.session.refresh(queued)
    assert queued.detail is None  # sent: the outbox keeps no usable sign-in link
    [mail] = inbox.messages
    assert mail["To"] == "kim@example.com" and mail["Content-Language"] == "de"
    text = body_of(mail)
    url = next(word for word in text.split() if page_members.SIGN_IN_PATH in word)
    assert url.startswith("https://status.example.com/p/acme/access/link/")
    redeemed = page_members.redeem(link_token(url), now=START + timedelta(days=6), page_id=private.id)
    assert redeemed.id == member.id and redeemed.last_signed_in_at == START + timedelta(days=6)
    with pytest.raises(Invalid) as used:
        page_members.redeem(link_token(url), now=START + timedelta(days=6), page_id=private.id)
    assert used.value.code == "link_used"


def test_a_sign_in_link_expires_is_replaced_by_a_newer_one_and_is_for_its_page_only(private):
    other = make_page("other", ["shop"], visibility="private")
    member = page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    first = link_token(page_members.sign_in_link(member, now=START))
    second = link_token(page_members.sign_in_link(member, now=START))
    with pytest.raises(Invalid) as replaced:
        page_members.redeem(first, now=START, page_id=private.id)
    assert replaced.value.code == "link_used"
    with pytest.raises(Invalid) as elsewhere:
        page_members.redeem(second, now=START, page_id=other.id)
    assert elsewhere.value.code == "link_invalid"
    with pytest.raises(Invalid) as expired:
        page_members.redeem(second, now=START + page_members.SIGN_IN_LINK_TTL + timedelta(seconds=1),
                            page_id=private.id)
    assert expired.value.code == "link_expired"
    with pytest.raises(Invalid) as changed:
        page_members.redeem(second[:-2] + "xx", now=START, page_id=private.id)
    assert changed.value.code == "link_invalid"
    assert page_members.redeem(second, now=START, page_id=private.id).id == member.id


def test_a_revoked_member_loses_sessions_token_link_and_subscriptions(private):
    member = page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    link = link_token(page_members.sign_in_link(member, now=START))
    page_members.issue_token("acme", member.id, by=CLI, now=START)
    db.session.add(Subscriber(channel="email", address="kim@example.com", secret="s" * 32, created_at=START,
                              confirmed_at=START, page_id=private.id, member_id=member.id))
    db.session.commit()
    before = member.session_version
    page_members.revoke_member("acme", member.id, by=CLI, now=START)
    assert member.revoked_at == START and member.session_version > before
    assert member.token_hash is None and member.sign_in_nonce is None
    assert db.session.scalar(select(Subscriber).where(Subscriber.member_id == member.id)) is None
    with pytest.raises(Invalid):
        page_members.redeem(link, now=START, page_id=private.id)
    with pytest.raises(Conflict):
        page_members.issue_token("acme", member.id, by=CLI, now=START)
    again = page_members.invite_member("acme", "KIM@example.com", by=CLI, now=START)
    assert again.id == member.id and again.is_active


def test_inviting_checks_the_address_the_components_and_duplicates(private):
    with pytest.raises(Invalid) as bad:
        page_members.invite_member("acme", "not an address", by=CLI, now=START)
    assert bad.value.field == "email"
    with pytest.raises(Invalid) as outside:
        page_members.invite_member("acme", "kim@example.com", components=["shop"], by=CLI, now=START)
    assert outside.value.code == "component_not_on_page"
    page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    with pytest.raises(Conflict):
        page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    with pytest.raises(NotFound):
        page_members.invite_member("nope", "kim@example.com", by=CLI, now=START)
    assert db.session.scalar(select(PageMember.email)) == "kim@example.com"


def test_a_member_is_updated_and_found_on_its_page_only(private):
    make_page("other", ["shop"])
    member = page_members.invite_member("acme", "kim@example.com", components=["eu", "us"], by=CLI, now=START)
    page_members.update_member("acme", member.id, name="Kim K", components=["us"], by=CLI, now=START)
    assert (member.name, [c.slug for c in member.components]) == ("Kim K", ["us"])
    page_members.update_member("acme", member.id, components=[], by=CLI, now=START)
    assert member.components == []
    with pytest.raises(NotFound):
        page_members.get_member("other", member.id)
    assert [m.id for m in page_members.list_members("acme")] == [member.id]


def test_a_new_token_replaces_the_old_one_and_only_its_hash_is_kept(private):
    member = page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    first = page_members.issue_token("acme", member.id, by=CLI, now=START)
    second = page_members.issue_token("acme", member.id, by=CLI, now=START)
    assert first != second and second.startswith(page_members.TOKEN_PREFIX)
    assert member.token_hash == page_members.hash_token(second) and second not in member.token_hash
    page_members.revoke_token("acme", member.id, by=CLI, now=START)
    assert member.token_hash is None


def test_the_shared_password_is_hashed_and_every_change_moves_the_access_version(private):
    page = make_page("guarded", ["shop"], visibility="password")
    version = page.access_version
    page_members.set_password("guarded", "correct horse battery", by=CLI, now=START)
    assert check_password_hash(page.password_hash, "correct horse battery")
    assert page.access_version == version + 1
    with pytest.raises(Invalid) as weak:
        page_members.set_password("guarded", "short", by=CLI, now=START)
    assert weak.value.field == "password"
    page_members.set_password("guarded", None, by=CLI, now=START)
    assert page.password_hash is None and page.access_version == version + 2


def test_asking_for_a_link_queues_mail_only_for_an_active_member(private):
    page_members.invite_member("acme", "kim@example.com", by=CLI, now=START)
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    page_members.send_sign_in_link(private.id, "stranger@example.com", now=START)
    page_members.send_sign_in_link(private.id, "not an address", now=START)
    assert db.session.scalar(select(Notification)) is None
    page_members.send_sign_in_link(private.id, "KIM@example.com", now=START)
    assert db.session.scalar(select(Notification.recipient)) == "kim@example.com"
