"""The public pages send a fixed number of SQL queries, however many components and incidents there are."""
import re
from collections import Counter
from datetime import timedelta


from statuspage.services.incidents import post_update, resolve_incident
from tests.builders import SYSTEM, make_component, make_group, make_incident, statements_sent


def queries_for(app, client, path: str) -> list[str]:
    """The SQL statements one GET of path sends (the request runs in its own app context, as in production)."""
    with statements_sent(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, f"GET {path} answered {response.status_code}"
    return statements


def quiet_site(clock):
    """3 components and 1 open incident touching one of them."""
    group = make_group("Web")
    for slug in ("website", "api", "database"):
        make_component(slug, group=group)
    return make_incident("API errors", components_={"api": "partial_outage"}, now=clock.now())


def grow(clock, incident) -> None:
    """30 more components, 10 more open incidents with several updates and components, 50 past incidents
    in the last 7 days (all touching api); the first incident gets more updates and components too."""
    now = clock.now()
    slugs = []
    for g in range(3):
        group = make_group(f"Group {g}")
        for c in range(10):
            slugs.append(make_component(f"service-{g}-{c}", group=group).slug)
    for n in range(10):
        opened = make_incident(f"Open incident {n}", impact="minor", now=now - timedelta(minutes=30 + n),
                               components_={slugs[n]: "degraded_performance", slugs[n + 10]: "partial_outage"})
        post_update(opened.id, status="identified", body="Found it.", components={slugs[n + 20]: "major_outage"},
                    by=SYSTEM, now=now - timedelta(minutes=20))
        post_update(opened.id, status="monitoring", body="A fix is out.", by=SYSTEM, now=now - timedelta(minutes=10))
    for n in range(50):
        started = now - timedelta(hours=3 * n + 2)
        past = make_incident(f"Past incident {n}", now=started,
                             components_={"api": "partial_outage", slugs[n % 30]: "major_outage"})
        post_update(past.id, status="identified", body="Found it.", by=SYSTEM, now=started + timedelta(minutes=10))
        resolve_incident(past.id, "Fixed.", by=SYSTEM, now=started + timedelta(minutes=40))
    for n in range(4):
        post_update(incident.id, status="identified", body=f"Still on it ({n}).", by=SYSTEM,
                    components={slugs[n]: "degraded_performance", "website": "degraded_performance"},
                    now=now - timedelta(minutes=5 - n))


def _same_shape(statement: str) -> str:
    """A statement with its IN lists collapsed, so a preload of 3 rows and one of 60 read the same."""
    return re.sub(r"IN \([^()]*\)", "IN (...)", statement)


def assert_queries_do_not_grow(app, client, clock, path_for) -> None:
    """Count the queries of one page on the quiet site, grow the site, count again: no more allowed."""
    with app.app_context():
        incident = quiet_site(clock)
    path = path_for(incident)
    quiet = queries_for(app, client, path)
    with app.app_context():
        grow(clock, incident)
    busy = queries_for(app, client, path)
    grown = Counter(map(_same_shape, busy)) - Counter(map(_same_shape, quiet))
    quiet_count, busy_count = len(quiet), len(busy)
    assert busy_count <= quiet_count, (
        f"GET {path} sent {quiet_count} queries on a quiet site and {busy_count} on a busy one (N+1?). "
        "Statements sent more often:\n"
        + "\n".join(f"{count} more: {statement}" for statement, count in grown.items()))


def test_the_status_page_sends_no_more_queries_for_a_busy_site_than_for_a_quiet_one(app, client, clock):
    assert_queries_do_not_grow(app, client, clock, lambda incident: "/")


def test_the_history_sends_no_more_queries_for_a_busy_site_than_for_a_quiet_one(app, client, clock):
    assert_queries_do_not_grow(app, client, clock, lambda incident: "/history")


def test_an_incident_page_sends_no_more_queries_for_many_updates_and_components_than_for_one(app, client, clock):
    assert_queries_do_not_grow(app, client, clock, lambda incident: f"/incidents/{incident.id}")


def test_a_component_page_sends_no_more_queries_for_many_incidents_than_for_one(app, client, clock):
    assert_queries_do_not_grow(app, client, clock, lambda incident: "/components/api")
