"""A private page tells its members only: whatever the page was when someone subscribed, and however a
subscription was made, incident mail about it (or about components only it shows) reaches no one else."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Component, Incident, PageMember, Subscriber
from statuspage.services import incidents, page_admin, page_members
from statuspage.services.audit import CLI
from tests.builders import START, SYSTEM, body_of, deliver, form_post, make_user, sign_in
from tests.integration.test_private_pages import invite, world  # noqa: F401 - the pages and their incidents


def _subscriber(address: str, *, page_id: int | None, member_id: int | None = None, components=(),
                incidents_only: bool = False, follows=()) -> None:
    subscriber = Subscriber(channel="email", address=address, secret="s" * 32, created_at=START, confirmed_at=START,
                            page_id=page_id, member_id=member_id, incidents_only=incidents_only)
    subscriber.components = list(db.session.scalars(select(Component).where(Component.slug.in_(components))))
    subscriber.incidents = [db.session.get(Incident, incident_id) for incident_id in follows]
    db.session.add(subscriber)


def _mail_about(app, clock, world, inbox, *keys: str) -> dict[str, list[str]]:
    """Post an update on each incident named and deliver: each address's subjects (sign-in mail left out)."""
    with app.app_context():
        for key in keys:
            incidents.post_update(world[key], status="monitoring", body=f"Watching {key}.", by=SYSTEM,
                                  now=clock.advance(minutes=1))
        db.session.remove()
    inbox.messages.clear()
    deliver(app, clock)
    mails: dict[str, list[str]] = {}
    for message in inbox.messages:
        if "invited" not in message["Subject"] and "Sign in" not in message["Subject"]:
            mails.setdefault(message["To"], []).append(message["Subject"] + "\n" + body_of(message))
    return mails


def test_subscriptions_made_while_a_page_was_public_end_when_it_turns_private(app, clock, world, inbox):
    kim = invite(app, clock)
    with app.app_context():
        page_admin.update_page("vault", visibility="public", settings=app.config["SETTINGS"], by=CLI,
                               now=clock.now())
        _subscriber("anon-form@example.net", page_id=world["vault_page"])  # by the page's form, while public
        _subscriber("anon-vault@example.net", page_id=world["vault_page"], components=["vault"])
        _subscriber("kim@example.com", page_id=world["vault_page"], member_id=kim)
        _subscriber("all@example.com", page_id=None)  # the default page's: not touched
        db.session.commit()
        page_admin.update_page("vault", visibility="private", settings=app.config["SETTINGS"], by=CLI,
                               now=clock.now())
        left = set(db.session.scalars(select(Subscriber.address)))
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "page.subscribers_ended"))
        db.session.remove()
    assert left == {"kim@example.com", "all@example.com"}
    assert entry is not None and entry.details == {"subscribers": 2, "reason": "private"}
    mails = _mail_about(app, clock, world, inbox, "vault", "both")
    assert set(mails) == {"kim@example.com", "all@example.com"}
    assert len(mails["kim@example.com"]) == 2 and not any("Vault leak" in text for text in mails["all@example.com"])


def test_no_subscription_without_an_active_member_of_the_private_page_is_ever_mailed(app, clock, world, inbox):
    """Rows the switch would have ended, made some other way: the outbox's own rule still holds."""
    kim, lee = invite(app, clock), invite(app, clock, email="lee@example.com")
    with app.app_context():
        page_members.revoke_member("vault", lee, by=CLI, now=clock.now())
        other_page_member = PageMember(page_id=world["bunker_page"], email="pat@example.com", created_at=START)
        db.session.add(other_page_member)
        db.session.flush()
        _subscriber("nonmember@example.net", page_id=world["vault_page"])
        _subscriber("lee@example.com", page_id=world["vault_page"], member_id=lee)  # revoked, row left behind
        _subscriber("pat@example.com", page_id=world["vault_page"], member_id=other_page_member.id)
        _subscriber("kim@example.com", page_id=world["vault_page"], member_id=kim)
        db.session.commit()
        db.session.remove()
    mails = _mail_about(app, clock, world, inbox, "vault", "vault_eu")
    assert set(mails) == {"kim@example.com"} and len(mails["kim@example.com"]) == 2


def test_components_only_a_private_page_shows_reach_no_public_subscriber(app, clock, world, inbox):
    with app.app_context():
        # the default page shows only `api`; these follow what only the private page shows
        _subscriber("chooser@example.net", page_id=None, components=["vault", "api"])
        _subscriber("ticket@example.net", page_id=None, incidents_only=True,
                    follows=[world["vault"], world["both"]])
        db.session.commit()
        db.session.remove()
    mails = _mail_about(app, clock, world, inbox, "vault", "both")
    assert sorted(mails) == ["chooser@example.net", "ticket@example.net"]
    for texts in mails.values():  # the shared incident (api shows on the default page), never the vault's own
        assert len(texts) == 1 and "Everything is slow" in texts[0] and "Vault leak" not in texts[0]


@pytest.mark.parametrize("body", [{"email": "nonmember@example.net"}, {"webhook_url": "http://127.0.0.1:9/hook"},
                                  {"email": "lee@example.com"}], ids=["stranger", "webhook", "revoked-member"])
def test_the_api_refuses_a_subscriber_who_is_no_member_of_a_private_page(app, clock, world, admin, body):
    lee = invite(app, clock, email="lee@example.com")
    with app.app_context():
        page_members.revoke_member("vault", lee, by=CLI, now=clock.now())
    response = admin.post("/api/v1/subscribers", json={**body, "page": "vault", "confirmed": True})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("page_members_only", "page") and "member" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(Subscriber.id)) is None


def test_the_api_ties_a_members_address_to_the_member(app, clock, world, admin):
    kim = invite(app, clock)
    response = admin.post("/api/v1/subscribers", json={"email": "Kim@Example.com", "page": "vault",
                                                           "confirmed": True})
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert db.session.scalar(select(Subscriber.member_id)) == kim


def test_the_console_refuses_a_chat_subscriber_on_a_private_default_page(app, client, clock, world):
    with app.app_context():
        make_user("ada@example.com", "admin")
        page_admin.update_page("default", visibility="private", settings=app.config["SETTINGS"], by=CLI,
                               now=clock.now())
    sign_in(client, "ada@example.com")
    answer = form_post(client, "/admin/subscribers/chat", {"notify_url": "json://127.0.0.1:9/notify",
                                                           "lang": "en"}, page_url="/admin/subscribers")
    assert answer.status_code == 400
    assert "only its members subscribe" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Subscriber.id)) is None
