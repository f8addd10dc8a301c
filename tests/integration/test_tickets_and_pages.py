"""Tickets and several pages: a ticket's requester may be anyone, so an incident that shows on private or
password pages alone is never matched (its auto-reply would quote it); an incident of a second public page
is answered with that page's link, and its followers' mail leads there too."""
from sqlalchemy import select

from statuspage.extensions import db
from statuspage.models import Notification, NotificationKind, PageComponent, Ticket
from statuspage.notify.messages import email_for
from statuspage.services import incidents, pages
from tests.builders import SYSTEM, make_component, make_incident, make_page

SHOP_HOST = "status.shop.example"
REPORT = {"subject": "Card payments are failing",
          "body": "Since this morning every card payment in our shop fails with an error at checkout. "
                  "Customers cannot pay.",
          "requester": {"email": "owner@shop.example", "name": "Owner"}, "plan": "professional",
          "priority": 2, "environment": "production"}


def _site(app, clock, *, visibility: str) -> int:
    """The default page shows `api` only; the `shop` page (by host) shows `payments`, with its outage."""
    with app.app_context():
        default = pages.default_page()
        default.shows_all_components = False
        db.session.commit()
        api = make_component("api", "Public API")
        make_component("payments", "Card payments")
        db.session.add(PageComponent(page_id=default.id, component_id=api.id))
        db.session.commit()
        make_page("shop", ["payments"], name="Shop Status", host=SHOP_HOST, visibility=visibility)
        incident_id = make_incident("Card payments failing", components_={"payments": "major_outage"},
                                    body="Card payments fail with an error at checkout. We are investigating.",
                                    now=clock.now()).id
        db.session.remove()
    return incident_id


def test_an_incident_of_a_private_page_alone_is_never_matched_to_a_ticket(app, client, clock, intake):
    _site(app, clock, visibility="private")
    answer = client.post("/api/v1/tickets", json={**REPORT, "external_id": "t1"}, headers=intake)
    assert answer.status_code == 201
    found = answer.get_json()
    assert found["status"] == "accepted" and found["incident"] is None
    assert "Card payments failing" not in str(found)


def test_the_same_incident_on_a_public_page_is_matched_and_answered_with_that_page_s_link(app, client, clock,
                                                                                         intake):
    incident_id = _site(app, clock, visibility="public")
    answer = client.post("/api/v1/tickets", json={**REPORT, "external_id": "t1"}, headers=intake)
    found = answer.get_json()
    assert found["status"] == "suppressed" and found["incident"]["id"] == incident_id, found
    assert found["incident"]["url"] == f"https://{SHOP_HOST}/incidents/{incident_id}"
    assert f"https://{SHOP_HOST}/incidents/{incident_id}" in found["reply"]["body"]
    with app.app_context():
        incidents.post_update(incident_id, status="identified", body="The card processor is failing over.",
                              by=SYSTEM, now=clock.advance(minutes=5))
        update = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.UPDATE))
        assert update is not None and update.subscriber.incidents_only  # the requester, following by ticket
        text = email_for(update).text
        assert f"https://{SHOP_HOST}/incidents/{incident_id}" in text
        assert db.session.scalar(select(Ticket.incident_id)) == incident_id
