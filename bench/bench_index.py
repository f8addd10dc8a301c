"""Server time of the public pages on a big, realistic site: `/`, `/history` and `/components/<slug>`.

The site: 50 components in 5 groups, 1,000 resolved incidents over three years (three updates each,
most touching one to three components), 2 open incidents and 1 upcoming maintenance. Each page is
requested through the test client; the time per request is wall time around the call, so it
covers routing, queries, templates and the test client's own small overhead, but no network.

    .venv/bin/python bench/bench_index.py                      # a temporary SQLite database
    .venv/bin/python bench/bench_index.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench --reset
    .venv/bin/python bench/bench_index.py --json               # one JSON object on stdout
    .venv/bin/python bench/bench_index.py --check              # exit status 1 when / misses 15 ms
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, inspect, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from statuspage import create_app  # noqa: E402
from statuspage.database_admin import drop_everything, upgrade_to_head  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import (  # noqa: E402
    AffectedComponent, Component, Incident, IncidentKind, IncidentStatus, IncidentUpdate,
)
from statuspage.services import components, incidents  # noqa: E402
from statuspage.services.audit import Actor  # noqa: E402

TARGET_MEDIAN_MS = 15.0
GROUPS = 5
COMPONENTS_PER_GROUP = 10
PAST_INCIDENTS = 1_000
HISTORY_DAYS = 3 * 365
BENCH = Actor(label="bench")
PAST_TITLES = [
    ("Elevated API error rates", "minor", "Some API requests return 502.", "A faulty load balancer node was removed."),
    ("Delayed email delivery", "minor", "Emails arrive up to 30 minutes late.", "The mail queue has drained."),
    ("Dashboard slow to load", "minor", "Dashboard pages take up to 20 seconds.", "A slow query was fixed."),
    ("Search results incomplete", "major", "Search misses results for some workspaces.", "The index was rebuilt."),
    ("File uploads failing", "major", "Uploads over 10 MB fail.", "A full storage node got more disk."),
    ("Sign-in unavailable", "critical", "Nobody can sign in right now.", "An expired certificate was replaced."),
]


def build_site(now: datetime, seed: int = 11) -> dict:
    """Fill an empty database; the past in bulk inserts, the live part through the services."""
    rng = random.Random(seed)
    for g in range(GROUPS):
        group = components.create_group(f"Group {g + 1}", by=BENCH, now=now - timedelta(days=HISTORY_DAYS + 10))
        for c in range(COMPONENTS_PER_GROUP):
            components.create_component(
                slug=f"service-{g + 1}-{c + 1}", name=f"Service {g + 1}.{c + 1}",
                description=f"What service {g + 1}.{c + 1} does for customers", group_id=group.id,
                by=BENCH, now=now - timedelta(days=HISTORY_DAYS + 10))
    component_rows = db.session.execute(select(Component.id, Component.name, Component.slug)).all()

    incident_rows, update_rows, affected_rows = [], [], []
    touches: dict[str, int] = {}
    for n in range(PAST_INCIDENTS):
        incident_id = n + 1
        title, impact, first, last = rng.choice(PAST_TITLES)
        started = now - timedelta(days=2, minutes=rng.randrange(HISTORY_DAYS * 24 * 60))
        identified = started + timedelta(minutes=rng.randrange(5, 40))
        resolved = identified + timedelta(minutes=rng.randrange(20, 240))
        incident_rows.append(dict(
            id=incident_id, kind=IncidentKind.INCIDENT, name=title, status=IncidentStatus.RESOLVED, impact=impact,
            started_at=started, resolved_at=resolved, created_at=started, updated_at=resolved, version=3))
        touched = rng.sample(component_rows, rng.choice([0, 1, 1, 1, 2, 2, 3]))
        for component_id, _, slug in touched:
            affected_rows.append(dict(incident_id=incident_id, component_id=component_id, status="partial_outage"))
            touches[slug] = touches.get(slug, 0) + 1
        changes = [{"code": str(cid), "name": name, "old_status": "operational", "new_status": "partial_outage"}
                   for cid, name, _ in touched] or None
        restored = [{**change, "old_status": "partial_outage", "new_status": "operational"}
                    for change in changes] if changes else None
        for status, at, body, affected in (
                (IncidentStatus.INVESTIGATING, started, first, changes),
                (IncidentStatus.IDENTIFIED, identified, "We found the cause and are **working on a fix**.", None),
                (IncidentStatus.RESOLVED, resolved, last, restored)):
            update_rows.append(dict(incident_id=incident_id, status=status, body=body, created_at=at,
                                    author_name="bench", affected_components=affected))
    db.session.execute(insert(Incident), incident_rows)
    db.session.execute(insert(IncidentUpdate), update_rows)
    db.session.execute(insert(AffectedComponent), affected_rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # explicit ids were inserted: move the sequence past them
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('incidents', 'id'), max(id)) FROM incidents"))
        db.session.commit()

    first_open = incidents.open_incident(
        name="Dashboard and sign-in unavailable", impact="major", now=now - timedelta(minutes=50), by=BENCH,
        body="We are investigating reports that the **dashboard** does not load.",
        components={"service-1-1": "major_outage", "service-1-2": "partial_outage"})
    incidents.post_update(first_open.id, status="identified", body="A failed deployment is the cause.",
                          components={"service-1-2": "degraded_performance"}, by=BENCH,
                          now=now - timedelta(minutes=20))
    incidents.open_incident(name="Webhook deliveries delayed", impact="minor", now=now - timedelta(minutes=15),
                            body="Webhooks arrive up to 10 minutes late.", by=BENCH,
                            components={"service-2-3": "degraded_performance"})
    window = (now + timedelta(days=5)).replace(hour=21, minute=0, second=0, microsecond=0)
    incidents.schedule_maintenance(name="Database version upgrade", components=["service-3-1", "service-3-2"],
                                   scheduled_for=window, scheduled_until=window + timedelta(hours=2),
                                   body="The dashboard may be read-only for 10 minutes.", by=BENCH, now=now)
    busiest = max(touches, key=touches.get)
    return {"busiest_component": busiest, "busiest_component_incidents": touches[busiest]}


def count_queries(client, path: str) -> int:
    """How many SQL statements one request for path sends."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


def time_requests(client, path: str, requests: int, warmup: int) -> dict:
    """Median, p90 and p99 wall time in milliseconds over `requests` GETs, after `warmup` untimed ones."""
    for _ in range(warmup):
        assert client.get(path).status_code == 200
    times, cpu_times = [], []
    for _ in range(requests):
        cpu_started = time.process_time()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2), "p90_ms": round(_percentile(times, 90), 2),
            "p99_ms": round(_percentile(times, 99), 2), "max_ms": round(times[-1], 2),
            # This process's CPU time: hardly moved by other load on a shared machine, but it leaves
            # out the database server's own work on PostgreSQL.
            "cpu_median_ms": round(statistics.median(cpu_times), 2), "bytes": len(response.data)}


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def _prepare_database(reset: bool) -> None:
    tables = inspect(db.engine).get_table_names()
    if tables and not reset:
        raise SystemExit(f"The database has tables already ({', '.join(sorted(tables)[:4])}, ...); "
                         "the bench needs an empty one. Pass --reset to drop everything in it first.")
    if tables:
        drop_everything()
    upgrade_to_head()


def run(database_url: str | None, requests: int, warmup: int, reset: bool, instance_dir: Path) -> dict:
    url = database_url or f"sqlite:///{instance_dir / 'bench.db'}"
    app = create_app({"database_url": url, "instance_dir": instance_dir, "secret_key": "bench-secret-key",
                      "site_name": "Bench Status"})
    now = datetime.now(timezone.utc)
    with app.app_context():
        _prepare_database(reset)
        started = time.perf_counter()
        site = build_site(now)
        build_s = time.perf_counter() - started
        db.session.remove()
        client = app.test_client()
        # Rendered each time: an unknown query argument steps around the page cache.
        pages = {"/": "/?uncached=1", "/history": "/history?uncached=1",
                 "/components/<slug>": f"/components/{site['busiest_component']}?uncached=1"}
        results = {}
        for label, path in pages.items():
            queries = count_queries(client, path)
            results[label] = {"path": path, "queries": queries, **time_requests(client, path, requests, warmup)}
        db.session.remove()
        dialect = db.engine.dialect.name
        server_version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
        db.engine.dispose()
    return {
        "database": dialect, "server_version": server_version, "requests": requests, "warmup": warmup,
        "build_seconds": round(build_s, 2), "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
        "site": {"components": GROUPS * COMPONENTS_PER_GROUP, "groups": GROUPS, "past_incidents": PAST_INCIDENTS,
                 "open_incidents": 2, "upcoming_maintenance": 1, **site},
        "target_median_ms": TARGET_MEDIAN_MS, "pages": results,
        "index_meets_target": results["/"]["median_ms"] < TARGET_MEDIAN_MS,
    }


def print_table(report: dict) -> None:
    print(f"{report['database']} {report['server_version']}, Python {report['python']}; "
          f"{report['requests']} requests per page after {report['warmup']} warm-up; "
          f"site built in {report['build_seconds']} s")
    print(f"{'page':<22}{'median ms':>10}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'cpu ms':>9}{'queries':>9}{'KB':>5}")
    for label, row in report["pages"].items():
        print(f"{label:<22}{row['median_ms']:>10.2f}{row['p90_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['max_ms']:>9.2f}"
              f"{row['cpu_median_ms']:>9.2f}{row['queries']:>9}{row['bytes'] / 1024:>5.0f}")
    verdict = "meets" if report["index_meets_target"] else "MISSES"
    print(f"/ {verdict} the target of a median under {report['target_median_ms']:.0f} ms "
          f"(load average {report['load_average']} on {report['cpus']} CPUs while measuring)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database to fill (default: a temporary SQLite file)")
    parser.add_argument("--reset", action="store_true", help="drop every table in --database-url first")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when / misses the target")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="statuspage-bench-") as tmp:
        report = run(args.database_url, args.requests, args.warmup, args.reset, Path(tmp))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 1 if args.check and not report["index_meets_target"] else 0


if __name__ == "__main__":
    sys.exit(main())
