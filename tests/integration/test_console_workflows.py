"""The console as an on-call engineer uses it: the overview, the incident composer (valid next statuses, notify
or not per update), maintenance (picker, past windows, reminders, start and end notices), deleting with a
confirmation, the incident list's filters, suspected incidents, slugs, tokens, the audit log in words, sign-in."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from statuspage.errors import Conflict, Invalid
from statuspage.extensions import db
from statuspage.models import (
    AuditEntry, Check, Component, ComponentGroup, DeliveryStatus, Incident, IncidentKind, IncidentUpdate, Notification,
    NotificationKind,
)
from statuspage.notify.messages import email_for, webhook_body
from statuspage.monitoring import checks
from statuspage.services import incidents
from statuspage.support import intake
from tests.builders import (
    SYSTEM, TEST_PASSWORD, csrf_token, form_post, make_component, make_group, make_incident, make_maintenance,
    make_subscriber, make_user, sign_in, statements_sent,
)


@pytest.fixture
def responder(app):
    with app.app_context():
        return make_user("ana@example.com", "responder")


@pytest.fixture
def admin(app):
    with app.app_context():
        return make_user("root@example.com", "admin")


def notifications(app, **filters) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(select(Notification).filter_by(**filters).order_by(Notification.id)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


# The side navigation ----------------------------------------------------------------------------------------

def test_the_side_navigation_holds_every_section_the_user_may_open(app, client, admin):
    sign_in(client, "root@example.com")
    page = text_of(client.get("/admin/deliveries"))
    nav = page.split('<nav class="console-nav"')[1].split("</nav>")[0]
    for path in ("/admin/", "/admin/incidents", "/admin/maintenance", "/admin/components", "/admin/checks",
                 "/admin/templates", "/admin/tickets", "/admin/subscribers", "/admin/deliveries", "/admin/users",
                 "/admin/tokens", "/admin/audit", "/admin/account"):
        assert f'href="{path}"' in nav, f"{path} is missing from the side navigation"
    assert re.search(r'href="/admin/deliveries" aria-current="page"', nav), "the delivery log is not marked current"
    assert '<details class="console-menu" open' in page  # folds into "Menu" on a phone (console.js)


def test_a_responder_sees_no_admin_sections_in_the_navigation(app, client, responder):
    sign_in(client)
    nav = text_of(client.get("/admin/")).split('<nav class="console-nav"')[1].split("</nav>")[0]
    assert 'href="/admin/incidents"' in nav and 'href="/admin/tickets"' in nav
    for path in ("/admin/users", "/admin/tokens", "/admin/deliveries", "/admin/subscribers"):
        assert f'href="{path}"' not in nav


# The overview ------------------------------------------------------------------------------------------------

def _busy(clock, n: int):
    """n troubled components with a failing check each, n open incidents, n due tickets, n failed deliveries."""
    now = clock.now()
    group = make_group(f"Group {n}")
    for k in range(n):
        slug = f"svc-{n}-{k}"
        make_component(slug, f"Service {k}", group=group)
        make_incident(f"Outage {k}", components_={slug: "major_outage"}, now=now - timedelta(minutes=k))
        check = checks.create_check({"key": f"check-{n}-{k}", "name": f"Probe {k}", "component": slug,
                                     "kind": "tcp", "target": "127.0.0.1:9", "interval": "60s"}, by=SYSTEM, now=now)
        check.last_ok, check.is_down, check.consecutive_failures = False, True, 3
        check.last_error, check.last_run_at = "connection refused", now
        intake.take_ticket(intake.ticket_in({
            "external_id": f"T-{n}-{k}", "subject": f"Invoice question {k}", "body": "Please resend the invoice.",
            "plan": "advanced", "priority": 1, "created_at": (now - timedelta(hours=2)).isoformat(),
            "requester": {"email": f"c{k}@customer.example"}}), by=SYSTEM, now=now)
        make_subscriber(f"s{n}-{k}@example.com")
    db.session.commit()
    incident = make_incident("One more", now=now)  # notifies the subscribers: fail those deliveries for good
    for notification in db.session.scalars(select(Notification).where(Notification.update_id.in_(
            select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident.id)))):
        notification.status, notification.attempts, notification.last_error = DeliveryStatus.FAILED, 5, "550 no mailbox"
    db.session.commit()


def test_the_overview_shows_what_an_on_call_engineer_needs_first(app, client, clock, responder):
    with app.app_context():
        _busy(clock, 2)
    sign_in(client)
    page = text_of(client.get("/admin/"))
    assert "Major service outage" in page  # the page's overall status, as the public page says it
    overview = page.split('<div class="overview-grid">')[1]
    cards = {title: overview.split(f">{title} <span")[1].split("</section>")[0] for title in (
        "Open incidents", "Components not operational", "Failing checks", "Support tickets due", "Failed deliveries")}
    assert "Outage 0" in cards["Open incidents"] and "Outage 1" in cards["Open incidents"]
    assert "Service 0" in cards["Components not operational"] and "Major outage" in cards["Components not operational"]
    assert "Probe 1" in cards["Failing checks"] and "connection refused" in cards["Failing checks"]
    assert "Invoice question 0" in cards["Support tickets due"] and "breached" in cards["Support tickets due"]
    assert "s2-0@example.com" in cards["Failed deliveries"] and "550 no mailbox" in cards["Failed deliveries"]


def test_the_overview_says_all_clear_when_nothing_is_wrong(app, client, clock, responder):
    with app.app_context():
        make_component("api")
    sign_in(client)
    page = text_of(client.get("/admin/"))
    for words in ("All systems operational", "No open incidents.", "The component is operational.",
                  "Every enabled check passes.", "No ticket is due within the hour.", "No delivery failed lately."):
        assert words in page


def test_the_overview_sends_as_many_queries_for_a_busy_site_as_for_a_quiet_one(app, client, clock, responder):
    sign_in(client)
    with app.app_context():
        _busy(clock, 2)
    with statements_sent(app) as quiet:
        assert client.get("/admin/").status_code == 200
    with app.app_context():
        _busy(clock, 15)  # more than a card shows: each says "and N more"
    with statements_sent(app) as busy:
        page = text_of(client.get("/admin/"))
    assert "and 7 more" in page  # 17 open incidents, 10 shown
    assert len(busy) == len(quiet), f"{len(quiet)} queries for a quiet site, {len(busy)} for a busy one"


# The composer: notify or not, valid next statuses ------------------------------------------------------------

def test_an_update_posted_without_notifying_queues_nothing_and_says_so(ctx, clock):
    make_component("api")
    make_subscriber("all@example.com")
    incident = incidents.open_incident(name="API down", body="Looking.", components={"api": "major_outage"},
                                       deliver_notifications=False, by=SYSTEM, now=clock.now())
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    incidents.post_update(incident.id, status="identified", body="Found it.", deliver_notifications=False,
                          by=SYSTEM, now=clock.advance(minutes=5))
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    incidents.post_update(incident.id, status="monitoring", body="Fixed, watching.", by=SYSTEM,
                          now=clock.advance(minutes=5))
    assert db.session.scalar(select(func.count(Notification.id))) == 1  # the default tells them
    incidents.resolve_incident(incident.id, "Done.", deliver_notifications=False, by=SYSTEM,
                               now=clock.advance(minutes=5))
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    told = [u.deliver_notifications for u in incidents.get_incident(incident.id).updates]
    assert told == [False, True, False, False]  # newest first
    assert db.session.get(Component, 1).status == "operational"  # the page changed all the same


def test_the_composer_notifies_by_default_and_not_when_unticked(app, client, responder):
    with app.app_context():
        make_component("api", "REST API")
        make_subscriber("all@example.com")
    sign_in(client)
    new = text_of(client.get("/admin/incidents/new"))
    assert re.search(r'<input checked[^>]*name="deliver_notifications"|name="deliver_notifications"[^>]*checked', new)
    response = form_post(client, "/admin/incidents/new", {
        "name": "API down", "impact": "major", "status": "investigating", "body": "Looking.",
        "component-api": "major_outage"})  # no deliver_notifications: the box was unticked
    assert response.status_code == 302
    assert notifications(app) == []
    detail = response.headers["Location"]
    assert "subscribers not notified" in text_of(client.get(detail))
    response = form_post(client, f"{detail}/updates", {"status": "identified", "body": "Found it.",
                                                      "deliver_notifications": "y"}, page_url=detail)
    assert response.status_code == 302
    assert len(notifications(app, kind=NotificationKind.UPDATE)) == 1


def test_the_api_takes_deliver_notifications_and_shows_it(app, client, clock):
    from statuspage.services import accounts

    with app.app_context():
        make_component("api")
        make_subscriber("all@example.com")
        _token, plain = accounts.create_token(role="responder", label="bot", by=SYSTEM, now=clock.now())
    headers = {"Authorization": f"Bearer {plain}"}
    created = client.post("/api/v1/incidents", headers=headers, json={
        "name": "API down", "body": "Looking.", "components": {"api": "major_outage"},
        "deliver_notifications": False}).get_json()
    assert created["incident_updates"][0]["deliver_notifications"] is False
    assert notifications(app) == []
    updated = client.post(f"/api/v1/incidents/{created['id']}/updates", headers=headers,
                          json={"status": "identified", "body": "Found it."}).get_json()
    assert updated["incident_updates"][0]["deliver_notifications"] is True
    assert len(notifications(app)) == 1


def test_a_resolved_incident_offers_only_resolved_and_postmortem(app, client, clock, responder):
    with app.app_context():
        incident = make_incident(now=clock.now())
        open_page_id = incident.id
        closed = make_incident("Old", now=clock.now())
        incidents.resolve_incident(closed.id, "Done.", by=SYSTEM, now=clock.now())
    sign_in(client)

    def offered(incident_id):
        page = text_of(client.get(f"/admin/incidents/{incident_id}"))
        return re.findall(r'name="status" value="([a-z_]+)"', page)

    assert offered(open_page_id) == ["investigating", "identified", "monitoring", "resolved"]
    assert offered(closed.id) == ["resolved", "postmortem"]
    response = form_post(client, f"/admin/incidents/{closed.id}/updates", {"status": "investigating", "body": "Again"},
                         page_url=f"/admin/incidents/{closed.id}")
    assert response.status_code == 400
    assert "Not a valid choice" in text_of(response)  # refused by the form, and by the service below


def test_the_service_refuses_moves_that_are_not_next_statuses(ctx, clock):
    incident = make_incident(now=clock.now())
    with pytest.raises(Conflict) as raised:
        incidents.post_update(incident.id, status="postmortem", body="Too early.", by=SYSTEM, now=clock.now())
    assert raised.value.code == "invalid_transition"
    assert str(raised.value.message).startswith("An incident that is investigating cannot become postmortem")
    incidents.resolve_incident(incident.id, "Done.", by=SYSTEM, now=clock.now())
    with pytest.raises(Conflict) as raised:
        incidents.post_update(incident.id, status="investigating", body="Again?", by=SYSTEM, now=clock.now())
    assert raised.value.code == "already_closed"
    make_component("database")
    window = make_maintenance(starts=clock.now() + timedelta(hours=1), now=clock.now())
    incidents.post_update(window.id, status="in_progress", body="", kind=IncidentKind.MAINTENANCE, by=SYSTEM,
                          now=clock.now())
    with pytest.raises(Conflict):
        incidents.post_update(window.id, status="scheduled", body="", kind=IncidentKind.MAINTENANCE, by=SYSTEM,
                              now=clock.now())
    assert incidents.next_statuses(incidents.get_incident(window.id, IncidentKind.MAINTENANCE)) == (
        "in_progress", "verifying", "completed")


def test_the_api_refuses_reopening_a_resolved_incident(app, client, clock):
    from statuspage.services import accounts

    with app.app_context():
        incident = make_incident(now=clock.now())
        incidents.resolve_incident(incident.id, "Done.", by=SYSTEM, now=clock.now())
        _token, plain = accounts.create_token(role="responder", by=SYSTEM, now=clock.now())
    response = client.post(f"/api/v1/incidents/{incident.id}/updates", headers={"Authorization": f"Bearer {plain}"},
                           json={"status": "investigating", "body": "Again?"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_closed"


def test_problems_are_summed_up_at_the_top_with_links_to_their_fields(app, client, responder):
    sign_in(client)
    page = text_of(form_post(client, "/admin/incidents/new", {"name": "", "impact": "minor",
                                                              "status": "investigating", "body": ""}))
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "There are 2 problems" in summary
    assert '<a href="#name">Title: This field is required.</a>' in summary
    assert '<a href="#body">Message (Markdown): This field is required.</a>' in summary
    assert page.index('class="error-summary"') < page.index('<form class="stacked composer"')


# Maintenance ------------------------------------------------------------------------------------------------

def test_maintenance_uses_the_component_picker_and_refuses_a_window_in_the_past(app, client, clock, responder):
    with app.app_context():
        infra = make_group("Infrastructure")
        make_component("database", "Database", group=infra)
        make_component("queue", "Queue", group=infra)
        make_component("api", "API")
    sign_in(client)
    page = text_of(client.get("/admin/maintenance/new"))
    assert "<select multiple" not in page and 'multiple' not in page.split('id="components"')[1].split("</fieldset>")[0]
    assert 'type="checkbox" id="component-database" name="components" value="database"' in page
    assert 'id="group-' in page  # a box for the whole group

    past = {"name": "Old upgrade", "scheduled_for": "2026-11-19T08:00", "scheduled_until": "2026-11-19T09:00",
            "body": "Done already.", "components": "api", "deliver_notifications": "y", "remind_minutes_before": "60",
            "notify_at_start": "y", "notify_at_end": "y"}
    response = form_post(client, "/admin/maintenance/new", past)
    assert response.status_code == 400
    assert "This window has ended already" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 0

    with app.app_context():
        group_id = db.session.scalar(select(ComponentGroup.id))
    response = form_post(client, "/admin/maintenance/new", {
        **past, "name": "Database upgrade", "scheduled_for": "2026-11-21T20:00", "scheduled_until": "2026-11-21T22:00",
        "group": str(group_id), "remind_minutes_before": "1440", "notify_at_end": ""})
    assert response.status_code == 302
    with app.app_context():
        window = db.session.scalar(select(Incident))
        assert sorted(c.slug for c in window.components) == ["api", "database", "queue"]  # the group's and api
        assert (window.remind_minutes_before, window.notify_at_start, window.notify_at_end) == (1440, True, False)
        assert window.scheduled_for.isoformat() == "2026-11-21T19:00:00+00:00"  # 20:00 in Berlin


def test_the_service_refuses_a_window_that_has_ended(ctx, clock):
    with pytest.raises(Invalid) as raised:
        incidents.schedule_maintenance(name="x", body="y", scheduled_for=clock.now() - timedelta(hours=3),
                                       scheduled_until=clock.now() - timedelta(hours=1), by=SYSTEM, now=clock.now())
    assert (raised.value.code, raised.value.field) == ("window_in_past", "scheduled_until")
    # A window that has begun and not ended is fine: it starts at once.
    incidents.schedule_maintenance(name="x", body="y", scheduled_for=clock.now() - timedelta(minutes=5),
                                   scheduled_until=clock.now() + timedelta(hours=1), by=SYSTEM, now=clock.now())


def test_maintenance_reminds_before_and_tells_at_start_and_end_as_chosen(ctx, clock):
    from statuspage import scheduler

    make_component("database")
    make_subscriber("all@example.com")
    make_subscriber("db@example.com", ["database"])
    make_subscriber("other@example.com", [make_component("api").slug])
    starts = clock.now() + timedelta(days=2)
    window = incidents.schedule_maintenance(
        name="Database upgrade", body="We upgrade.", components=["database"], scheduled_for=starts,
        scheduled_until=starts + timedelta(hours=2), remind_minutes_before=60, notify_at_start=False,
        notify_at_end=True, by=SYSTEM, now=clock.now())

    def kinds():
        return sorted((n.kind.value, n.subscriber.address) for n in db.session.scalars(select(Notification)))

    announced = [("update", "all@example.com"), ("update", "db@example.com")]
    assert kinds() == announced
    assert scheduler.remind_maintenance(now=clock.advance(hours=46, minutes=59)) == []  # 61 minutes before
    reminded = scheduler.remind_maintenance(now=clock.advance(minutes=1))
    assert [m.id for m in reminded] == [window.id]
    reminders = [("reminder", "all@example.com"), ("reminder", "db@example.com")]
    assert kinds() == sorted(announced + reminders)
    assert scheduler.remind_maintenance(now=clock.advance(minutes=30)) == []  # once only
    scheduler.advance_maintenance(now=clock.advance(minutes=30))  # starts: not told (notify_at_start off)
    assert incidents.get_incident(window.id, IncidentKind.MAINTENANCE).status == "in_progress"
    assert kinds() == sorted(announced + reminders)
    scheduler.advance_maintenance(now=clock.advance(hours=2))  # ends: told
    assert incidents.get_incident(window.id, IncidentKind.MAINTENANCE).status == "completed"
    assert kinds() == sorted(announced + reminders + [("update", "all@example.com"), ("update", "db@example.com")])
    assert "remind_maintenance" in [job.name for job in scheduler.jobs_for(
        __import__("flask").current_app, type("Runner", (), {"tick": None, "flush": None, "leading": False})())]


def test_a_reminder_reads_as_one_in_mail_and_webhook(ctx, clock):
    make_component("database")
    make_subscriber("all@example.com", language="de")
    starts = clock.now() + timedelta(hours=3)
    window = incidents.schedule_maintenance(name="Datenbank-Upgrade", body="Wir aktualisieren.",
                                            components=["database"], scheduled_for=starts,
                                            scheduled_until=starts + timedelta(hours=1), remind_minutes_before=60,
                                            by=SYSTEM, now=clock.now())
    incidents.send_maintenance_reminders(now=clock.advance(hours=2), by=SYSTEM)
    reminder = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.REMINDER))
    mail = email_for(reminder)
    assert "Datenbank-Upgrade" in mail.subject and "Wir aktualisieren." in mail.text
    assert f"/maintenance/{window.id}" in mail.text and "List-Unsubscribe" in mail.headers
    body = webhook_body(reminder).decode()
    assert '"event":"maintenance.reminder"' in body and '"name":"Datenbank-Upgrade"' in body


def test_a_reminder_due_at_scheduling_is_covered_by_the_announcement(ctx, clock):
    make_component("database")
    make_subscriber("all@example.com")
    starts = clock.now() + timedelta(minutes=30)
    incidents.schedule_maintenance(name="Soon", body="x", components=["database"], scheduled_for=starts,
                                   scheduled_until=starts + timedelta(hours=1), remind_minutes_before=60,
                                   by=SYSTEM, now=clock.now())
    assert incidents.send_maintenance_reminders(now=clock.advance(minutes=1), by=SYSTEM) == []
    assert db.session.scalar(select(func.count(Notification.id))) == 1  # the announcement alone


# Deleting with a confirmation -------------------------------------------------------------------------------

def test_deleting_a_component_asks_first_and_says_what_goes_with_it(app, client, clock, admin):
    with app.app_context():
        make_component("api", "REST API")
        make_component("web", "Website")
        make_incident("API down", components_={"api": "major_outage"}, now=clock.now())
        make_subscriber("only-api@example.com", ["api"])
        make_subscriber("both@example.com", ["api", "web"])
        checks.create_check({"key": "api-home", "name": "API home page", "component": "api", "kind": "tcp",
                             "target": "127.0.0.1:9", "interval": "60s"}, by=SYSTEM, now=clock.now())
    sign_in(client, "root@example.com")
    listing = text_of(client.get("/admin/components"))
    assert 'href="/admin/components/api/delete"' in listing  # a link to the confirmation, not a one-click form
    page = text_of(client.get("/admin/components/api/delete"))
    assert "Delete component “REST API”?" in page
    assert "1 incident or maintenance window lists it" in page and "1 of them is still open" in page
    assert "2 subscribers chose it" in page and "1 of them chose nothing else" in page
    assert "1 health check is deleted with it" in page and "API home page" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Component.id))) == 2  # looking deletes nothing
    response = form_post(client, "/admin/components/api/delete", {}, page_url="/admin/components/api/delete")
    assert response.status_code == 302
    with app.app_context():
        assert [c.slug for c in db.session.scalars(select(Component))] == ["web"]
        assert db.session.scalar(select(func.count(Check.id))) == 0


def test_deleting_a_group_asks_first_and_keeps_its_components(app, client, admin):
    with app.app_context():
        group = make_group("Infrastructure")
        make_component("database", "Database", group=group)
    sign_in(client, "root@example.com")
    page = text_of(client.get(f"/admin/groups/{group.id}/delete"))
    assert "Delete group “Infrastructure”?" in page and "Its 1 component stays, without a group: Database." in page
    assert form_post(client, f"/admin/groups/{group.id}/delete", {},
                     page_url=f"/admin/groups/{group.id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(ComponentGroup.id))) == 0
        assert db.session.scalar(select(Component.group_id)) is None


# The incident list, suspected incidents ---------------------------------------------------------------------

def test_the_incident_list_shows_impact_duration_components_and_filters(app, client, clock, responder):
    with app.app_context():
        make_component("api", "REST API")
        make_component("web", "Website")
        old = make_incident("Slow website", components_={"web": "degraded_performance"}, impact="minor",
                            body="Pages load slowly.", now=clock.now() - timedelta(days=3))
        incidents.resolve_incident(old.id, "Fast again.", by=SYSTEM, now=clock.now() - timedelta(days=3, hours=-2))
        make_incident("API errors", components_={"api": "major_outage"}, impact="critical",
                      body="Errors on every call.", now=clock.now())
    sign_in(client)

    def titles(query=""):
        page = text_of(client.get(f"/admin/incidents{query}"))
        return re.findall(r'class="row-title"[^>]*>([^<]+)<', page)

    page = text_of(client.get("/admin/incidents"))
    assert "Critical impact" in page and "Minor impact" in page and "2 hr" in page and "ongoing" in page
    assert "REST API" in page and "Website" in page
    assert titles() == ["API errors", "Slow website"]
    assert titles("?status=open") == ["API errors"]
    assert titles("?status=closed") == ["Slow website"]
    assert titles("?impact=minor") == ["Slow website"]
    assert titles("?component=api") == ["API errors"]
    assert titles("?q=slowly") == ["Slow website"]  # the text of an update
    assert titles("?q=API") == ["API errors"]
    assert titles("?since=2026-11-20") == ["API errors"]
    assert titles("?until=2026-11-18") == ["Slow website"]
    assert titles("?status=bogus&impact=bogus&since=x&component=%25") == []  # a slug no component has
    assert titles("?status=bogus&impact=bogus&since=x") == ["API errors", "Slow website"]
    # days at the calendar's ends cannot be filtered on (a day after 9999-12-31, 0001-01-01 in UTC): left out
    assert titles("?until=9999-12-31") == titles("?since=0001-01-01") == ["API errors", "Slow website"]


def test_a_suspected_incident_can_be_published_or_dismissed_and_has_no_public_link_before(app, client, clock,
                                                                                           responder):
    with app.app_context():
        make_component("search", "Search")
        make_subscriber("all@example.com")
        suspected = incidents.open_incident(name="Search: problems reported", body="3 tickets.",
                                            components={"search": "partial_outage"}, published=False,
                                            by=SYSTEM, now=clock.now())
    sign_in(client)
    listing = text_of(client.get("/admin/incidents"))
    row = listing.split("Search: problems reported")[1].split("</tr>")[0]
    assert f"/admin/incidents/{suspected.id}/publish" in row and f"/admin/incidents/{suspected.id}/dismiss" in row
    detail = text_of(client.get(f"/admin/incidents/{suspected.id}"))
    assert f'href="/incidents/{suspected.id}"' not in detail  # the public page would answer 404
    assert client.get(f"/incidents/{suspected.id}").status_code == 404

    response = form_post(client, f"/admin/incidents/{suspected.id}/dismiss", {},
                         page_url=f"/admin/incidents/{suspected.id}")
    assert response.status_code == 302
    with app.app_context():
        dismissed = db.session.get(Incident, suspected.id)
        assert dismissed.is_closed and not dismissed.is_published
        assert db.session.scalar(select(Component.status)) == "operational"
        assert db.session.scalar(select(func.count(Notification.id))) == 0  # nobody was told
    assert "Dismissed: this suspected incident was never public." in text_of(
        client.get(f"/admin/incidents/{suspected.id}"))
    assert client.get(f"/incidents/{suspected.id}").status_code == 404


def test_only_a_suspected_open_incident_can_be_dismissed(ctx, clock):
    public = make_incident(now=clock.now())
    with pytest.raises(Conflict):
        incidents.dismiss_incident(public.id, by=SYSTEM, now=clock.now())


# Smaller things --------------------------------------------------------------------------------------------

def test_a_component_left_without_a_slug_gets_one_from_its_name(app, client, admin):
    sign_in(client, "root@example.com")
    page = text_of(client.get("/admin/components/new"))
    assert 'data-slug-from="name"' in page  # made live while typing by console.js
    response = form_post(client, "/admin/components/new", {"name": "Zahlungsübersicht (EU)", "slug": "",
                                                           "group_id": "", "status": "operational"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Component.slug)) == "zahlungsuebersicht-eu"
    response = form_post(client, "/admin/components/new", {"name": "日本", "slug": "", "group_id": "",
                                                           "status": "operational"})
    assert response.status_code == 400 and "Give a slug" in text_of(response)


def test_a_new_token_comes_with_a_copy_button(app, client, admin):
    sign_in(client, "root@example.com")
    page = text_of(form_post(client, "/admin/tokens", {"label": "deploy bot", "role": "responder"}))
    assert re.search(r'<p class="token" id="new-token-value">sp_', page)
    assert 'data-copy="new-token-value"' in page


def test_the_audit_log_reads_in_words(app, client, clock):
    with app.app_context():
        alice = make_user("alice@example.com", "responder")
        alice.name = "Alice"
        db.session.commit()
    sign_in(client, "alice@example.com")
    response = form_post(client, "/admin/incidents/new", {"name": "DB down", "impact": "major",
                                                          "status": "investigating", "body": "Looking."})
    detail = response.headers["Location"]
    form_post(client, detail.replace("/admin/incidents/", "/admin/incidents/") + "/resolve", {"body": "Fixed."},
              page_url=detail)
    log = text_of(client.get("/admin/audit"))
    assert "Alice opened incident “DB down”" in log
    assert "Alice resolved incident “DB down”" in log
    assert "subscribers not notified" in log  # the resolve form's box was not sent: nobody was told
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) >= 2
    german = text_of(client.get("/admin/audit?lang=de"))
    assert "Alice hat die Störung „DB down“ behoben" in german


def test_sign_in_focuses_the_email_and_names_its_fields_for_password_managers(client):
    page = text_of(client.get("/admin/login"))
    email = re.search(r"<input[^>]*id=\"email\"[^>]*>", page).group(0)
    password = re.search(r"<input[^>]*id=\"password\"[^>]*>", page).group(0)
    assert "autofocus" in email and 'autocomplete="email"' in email
    assert 'autocomplete="current-password"' in password


def test_a_wrong_password_keeps_where_to_go_next(app, client, responder):
    page = client.get("/admin/login?next=/admin/tickets")
    response = client.post("/admin/login?next=/admin/tickets", data={
        "email": "ana@example.com", "password": "wrong password!", "csrf_token": csrf_token(page)})
    assert response.status_code == 400
    again = text_of(response)
    assert 'action="/admin/login?next=/admin/tickets"' in again
    assert 'value="ana@example.com"' in again
    response = client.post("/admin/login?next=%2Fadmin%2Ftickets", data={
        "email": "ana@example.com", "password": TEST_PASSWORD, "csrf_token": csrf_token(response)})
    assert response.headers["Location"] == "/admin/tickets"


def test_signed_out_visitors_come_back_to_the_page_they_asked_for(app, client, responder):
    response = client.get("/admin/incidents?status=open")
    assert response.status_code == 302
    login = client.get(response.headers["Location"])
    assert "next=" in text_of(login).split('<form class="stacked"')[1].split(">")[0]


def test_the_composer_speaks_the_language_of_each_page_not_of_the_first_one(app, client, responder):
    with app.app_context():
        make_component("api", "REST API", group=make_group("Web"))
    sign_in(client)
    assert "Degraded" in text_of(client.get("/admin/incidents/new?lang=en"))
    german = text_of(client.get("/admin/incidents/new?lang=de"))
    picker = german.split('id="components"')[1].split('<div class="composer-message">')[0]
    assert "Eingeschränkt" in picker and "Degraded" not in picker and "Nicht betroffen" in picker
