"""From check results to incidents: thresholds, one incident per outage, recovery, flapping, maintenance,
the audit trail, rollups and heartbeats. Results are fed in with a fixed clock; nothing sleeps."""
import pytest
from sqlalchemy import func, select

from statuspage.extensions import db
from statuspage.models import AuditEntry, Check, CheckResult, Incident, Notification, Role, Rollup, Ticket
from statuspage.monitoring import policy, results
from statuspage.monitoring import checks
from statuspage.services import incidents, page, uptime
from statuspage.services.audit import Actor
from statuspage.support import intake
from tests.builders import (
    START, SYSTEM, add_check, make_component, make_incident, make_maintenance, make_subscriber, open_incidents, run,
)


@pytest.fixture
def world(app, clock):
    with app.app_context():
        make_component("api", "API")
        make_component("search", "Search")
        yield
        db.session.remove()


def component_status(slug):
    from statuspage.services.components import get_component
    return get_component(slug).status.value


def test_an_outage_opens_one_incident_after_n_failures_and_resolves_after_m_successes(app, clock, world):
    check = add_check(failures_to_open=3, successes_to_close=2, failure_status="partial_outage")
    run(app, check, False, clock)
    run(app, check, False, clock)
    assert open_incidents() == [] and component_status("api") == "operational"
    run(app, check, False, clock)
    [incident] = open_incidents()
    assert incident.automatic and incident.status == "investigating" and incident.impact.value == "major"
    assert incident.name == "API is partly unavailable"
    assert "failed 3 times in a row" in incident.updates[-1].body and "connection refused" in incident.updates[-1].body
    assert component_status("api") == "partial_outage"
    for _ in range(5):  # a long outage: still the one incident, no new updates
        run(app, check, False, clock)
    assert len(open_incidents()) == 1 and len(open_incidents()[0].updates) == 1
    run(app, check, True, clock)
    assert component_status("api") == "partial_outage"
    run(app, check, True, clock)
    incident = db.session.get(Incident, incident.id)
    assert incident.status == "resolved" and component_status("api") == "operational"
    assert "passed 2 times in a row" in incident.latest_update.body
    assert db.session.get(Check, check.id).incident_id is None


def test_without_auto_resolve_recovery_leaves_the_incident_in_monitoring_for_an_engineer(app, clock, world):
    check = add_check(failures_to_open=1, successes_to_close=1)
    run(app, check, False, clock, auto_resolve=False)
    run(app, check, True, clock, auto_resolve=False)
    [incident] = open_incidents()
    assert incident.status == "monitoring" and component_status("api") == "operational"
    run(app, check, True, clock, auto_resolve=False)
    assert len(db.session.get(Incident, incident.id).updates) == 2  # nothing more while it stays well
    run(app, check, False, clock, auto_resolve=False)  # fails again: the same incident, investigating again
    assert [i.id for i in open_incidents()] == [incident.id]
    assert db.session.get(Incident, incident.id).status == "investigating"
    assert component_status("api") == "major_outage"


def test_an_engineers_open_incident_takes_the_failure_and_is_never_changed_by_the_check(app, clock, world):
    mine = make_incident("API slow, we know", components_={"api": "degraded_performance"}, now=clock.now())
    check = add_check(failures_to_open=1, successes_to_close=1)
    run(app, check, False, clock)
    assert [i.id for i in open_incidents()] == [mine.id]
    assert db.session.get(Check, check.id).incident_id == mine.id
    assert len(db.session.get(Incident, mine.id).updates) == 1
    run(app, check, True, clock)
    mine = db.session.get(Incident, mine.id)
    assert mine.status == "investigating" and len(mine.updates) == 1
    assert db.session.get(Check, check.id).incident_id is None
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.actor == "check:api-http"))]
    assert actions == ["check.attach", "check.detach"]


def test_two_checks_of_one_component_share_one_incident(app, clock, world):
    first = add_check("api-http", failures_to_open=1, successes_to_close=1)
    second = add_check("api-tcp", kind="tcp", target="127.0.0.1:9", failures_to_open=1, successes_to_close=1,
                       failure_status="degraded_performance")
    run(app, second, False, clock)
    run(app, first, False, clock)
    [incident] = open_incidents()
    assert component_status("api") == "major_outage"  # the worse failure wins
    run(app, first, True, clock)
    assert db.session.get(Incident, incident.id).status != "resolved"  # the other check still fails
    run(app, second, True, clock)
    assert db.session.get(Incident, incident.id).status == "resolved"


def test_failures_during_maintenance_open_no_incident_until_the_window_ends(app, clock, world):
    window = make_maintenance("Upgrade", components_=("api",), starts=clock.now(), hours=1, now=clock.now())
    incidents.advance_maintenance(now=clock.now(), by=SYSTEM)
    check = add_check(failures_to_open=1)
    for _ in range(4):
        run(app, check, False, clock)
    assert open_incidents() == [] and component_status("api") == "under_maintenance"
    clock.advance(hours=1)
    assert [m.id for m in incidents.advance_maintenance(now=clock.now(), by=SYSTEM)] == [window.id]
    run(app, check, False, clock)
    assert len(open_incidents()) == 1 and component_status("api") == "major_outage"


def test_a_flapping_check_does_not_flood_the_page(app, clock, world):
    check = add_check(failures_to_open=1, successes_to_close=1)
    for _ in range(10):  # twenty state changes in ten minutes
        run(app, check, False, clock)
        run(app, check, True, clock)
    made = list(db.session.scalars(select(Incident).where(Incident.kind == "incident")))
    assert len(made) <= 2
    assert sum(len(i.updates) for i in made) <= 5
    assert policy.is_flapping(db.session.get(Check, check.id), clock.now())
    for _ in range(70):  # calm for more than the window: the incident is resolved
        run(app, check, True, clock)
    assert open_incidents() == [] and component_status("api") == "operational"


def suspect_from_tickets(component, clock, *, tickets=5):
    """Customers write before the checks fail: enough tickets about one component open a suspected incident."""
    desk = Actor(label="token:desk", role=Role.INTAKE)
    for n in range(tickets):
        body = {"subject": f"{component} broken ({n})", "body": "Every request fails with an error since a minute.",
                "requester": {"email": f"u{n}@customer.example"}, "component": component}
        ticket, _new = intake.take_ticket(intake.ticket_in(body), by=desk, now=clock.now())
        assert ticket.status.value == "accepted"
        clock.advance(minutes=1)
    [suspected] = incidents.suspected_incidents()
    assert db.session.scalar(select(func.count()).where(Ticket.incident_id == suspected.id)) == tickets
    return suspected.id


def test_a_checks_outage_reaches_the_page_while_a_suspected_incident_is_open(app, clock, world):
    make_subscriber("everything@example.com", [])
    suspected_id = suspect_from_tickets("api", clock)
    assert component_status("api") == "operational"  # suspected: console only
    check = add_check(failures_to_open=2, successes_to_close=2, failure_status="major_outage")
    run(app, check, False, clock)
    run(app, check, False, clock)
    [public] = [i for i in open_incidents() if i.is_published]
    assert public.automatic and public.name == "API is unavailable" and public.impact.value == "critical"
    assert component_status("api") == "major_outage"
    assert db.session.get(Check, check.id).incident_id == public.id
    # merged: the suspected incident stays in the console, closed into the public one, and its tickets moved
    suspected = db.session.get(Incident, suspected_id)
    assert suspected.is_closed and not suspected.is_published
    assert f"#{public.id}" in suspected.latest_update.body
    assert db.session.scalar(select(func.count()).where(Ticket.incident_id == public.id)) == 5
    assert incidents.suspected_incidents() == [] and open_incidents() == [public]
    told = db.session.scalars(select(Notification.update_id).where(Notification.kind == "update")).all()
    assert told == [public.latest_update.id]  # subscribers hear of the check's incident, once
    run(app, check, True, clock)
    run(app, check, True, clock)
    assert db.session.get(Incident, public.id).status == "resolved" and component_status("api") == "operational"


def test_a_suspected_incident_a_check_was_attached_to_is_merged_at_the_next_failure(app, clock, world):
    suspected_id = suspect_from_tickets("api", clock)
    check = add_check(failures_to_open=1, failure_status="partial_outage")
    db.session.get(Check, check.id).incident_id = suspected_id  # as the unfixed policy left it
    db.session.commit()
    run(app, check, False, clock)
    [public] = open_incidents()
    assert public.is_published and public.id != suspected_id and component_status("api") == "partial_outage"
    assert db.session.get(Incident, suspected_id).is_closed


def test_every_automatic_action_is_audited_with_the_check_that_caused_it(app, clock, world):
    check = add_check(failures_to_open=1, successes_to_close=1)
    run(app, check, False, clock)
    run(app, check, True, clock)
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.actor == "check:api-http")
                                      .order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["incident.open", "incident.update"]
    update = db.session.scalars(select(Incident)).one().latest_update
    assert update.author_name == "check:api-http"


def test_results_feed_hourly_and_daily_rollups_and_the_page_reads_them(app, clock, world):
    check = add_check(failures_to_open=5)
    for n in range(10):
        run(app, check, n != 3, clock, latency=20 + n)
    component_id = check.component_id
    day = page.component_page(check.component, now=clock.now(), tz=app.config["SETTINGS"].tz)
    assert day.figures["24h"].uptime == pytest.approx(90.0) and day.figures["90d"].uptime == pytest.approx(90.0)
    assert not day.figures["90d"].is_whole  # the component is minutes old: measured over those minutes
    today = day.bars[-1]
    assert today.counts.runs == 10 and today.counts.failures == 1 and today.level == "major"
    assert day.bars[0].counts is None and day.bars[0].level == "none"
    assert any(point.mean_ms for point in day.day_chart)
    rows = db.session.scalars(select(Rollup).where(Rollup.scope_id == component_id, Rollup.scope == "component"))
    assert {r.period.value for r in rows} == {"hour", "day"}


def test_daily_rollups_follow_the_sites_time_zone(app, clock, world):
    check = add_check(failures_to_open=5)
    clock.current = START.replace(hour=22, minute=30)  # 23:30 in Berlin on the 20th
    run(app, check, True, clock, step=60 * 60)  # 00:30 in Berlin on the 21st
    run(app, check, False, clock)
    days = db.session.scalars(select(Rollup).where(Rollup.scope == "check", Rollup.period == "day")
                              .order_by(Rollup.starts_at)).all()
    assert [(d.starts_at.isoformat(), d.runs, d.failures) for d in days] == [
        ("2026-11-19T23:00:00+00:00", 1, 0), ("2026-11-20T23:00:00+00:00", 1, 1)]


def test_latency_percentiles_come_from_the_histogram():
    counts = uptime.Counts()
    for latency in [12] * 90 + [480] * 9 + [2500]:
        counts.add(True, latency)
    assert counts.percentile_ms(0.5) == 25 and counts.percentile_ms(0.95) == 500
    assert counts.percentile_ms(1.0) == 3000 and counts.mean_ms == pytest.approx(79.0)


def test_raw_results_are_pruned_after_the_retention_and_the_rollups_stay(app, clock, world):
    check = add_check(failures_to_open=5)
    run(app, check, True, clock)
    clock.advance(days=15)
    run(app, check, True, clock)
    assert checks.prune_results(now=clock.now(), keep_days=14) == 1
    assert db.session.scalar(select(CheckResult.id)) is not None
    assert db.session.scalars(select(Rollup).where(Rollup.period == "day", Rollup.scope == "check")).all()


def test_a_heartbeat_fails_when_no_ping_arrives_within_period_and_grace(app, client, clock, world):
    check = checks.create_check({"key": "nightly", "name": "Nightly export", "component": "search",
                                 "kind": "heartbeat", "period": "1h", "grace": "5m"}, by=SYSTEM, now=clock.now())
    assert check.ping_id and check.failures_to_open == 1
    clock.advance(minutes=50)
    assert client.get(f"/ping/{check.ping_id}").status_code == 200
    clock.advance(minutes=64)
    run(app, check, True, clock, step=0)  # `True` is ignored: heartbeats are judged from their beats
    assert db.session.get(Check, check.id).last_ok is True and open_incidents() == []
    clock.advance(minutes=2)  # 66 minutes since the beat: more than period + grace
    outcome = results.Outcome(check.id, clock.now(), None)
    attention = results.record([outcome], now=clock.now(), tz=app.config["SETTINGS"].tz)
    policy.reconcile(attention, now=clock.now(), auto_resolve=True)
    db.session.expire_all()
    stored = db.session.get(Check, check.id)
    assert stored.is_down and stored.last_error == "no ping for 1h 6m (period 1h, grace 5m)"
    assert [i.name for i in open_incidents()] == ["Search is unavailable"]
    assert client.post(f"/ping/{check.ping_id}", data=b"job log", content_type="text/plain").status_code == 200


@pytest.mark.parametrize("ping_id", ["nope", "00000000-0000-0000-0000-000000000000", "x" * 500])
def test_an_unknown_or_odd_ping_id_is_a_plain_404(client, world, ping_id):
    response = client.get(f"/ping/{ping_id}")
    assert response.status_code == 404 and response.mimetype == "text/plain"
